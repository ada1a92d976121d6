"""What feedback adds to pages it does not own: the engagement page, the
home pages of executives and account managers, and the program dashboard."""

from __future__ import annotations

from django.http import HttpRequest

from engagement.dashboards.panels import Panel, home_panel, program_dashboard_panel
from engagement.dates import local_today
from engagement.people.models import Executive
from engagement.people.roles import Role
from feedback.selectors import (
    HOME_LIMIT,
    account_actions_open,
    account_debriefs_due,
    account_debriefs_recent,
    actions_owed,
    customer_feedback_figures,
    customer_words,
    debrief_of,
    debriefs_submitted_count,
    debriefs_to_write,
    engagement_actions,
    engagement_surveys,
    feedback_since,
    routed_queue,
)
from visits.access import EngagementRights
from visits.models import Engagement
from visits.panels import engagement_panel


def _first(items: list, limit: int = HOME_LIMIT) -> tuple[list, bool]:
    """The first ``limit`` of ``items`` (read as ``limit + 1``), and whether there are more."""
    return items[:limit], len(items) > limit


@engagement_panel
def engagement_feedback(request: HttpRequest, *, engagement: Engagement, rights: EngagementRights) -> Panel | None:
    """Once held: the debriefs, the actions and what the customers answered."""
    if engagement.status not in Engagement.HELD_STATUSES:
        return None
    return Panel(
        "feedback/panels/engagement.html",
        {
            "engagement": engagement,
            "rights": rights,
            "mine": debrief_of(engagement=engagement, author=request.user, themes=False) if rights.take_part else None,
            "debriefs_count": debriefs_submitted_count(engagement=engagement),
            "actions": engagement_actions(engagement=engagement),
            "surveys": engagement_surveys(engagement=engagement),
        },
    )


@home_panel(Role.EXECUTIVE)
def executive_feedback(request: HttpRequest, *, executive: Executive) -> Panel:
    """Debriefs to write, actions owed (routed ones included), the complaints
    routed to the functions the executive leads (one query, their count
    beside them), and the latest customer words about their engagements.
    An action both owed and in the executive's routed queue is listed once,
    in the queue."""
    owed_here = actions_owed(user=request.user).exclude(function__lead__user=request.user)
    owed, more_owed = _first(list(owed_here[: HOME_LIMIT + 1]))
    return Panel(
        "feedback/panels/executive_home.html",
        {
            "to_write": debriefs_to_write(user=request.user),
            "owed": owed,
            "more_owed": more_owed,
            "routed": routed_queue(user=request.user),
            "words": customer_words(executive=executive),
        },
    )


@home_panel(Role.ACCOUNT_MANAGER)
def account_manager_feedback(request: HttpRequest) -> Panel:
    """The debriefs and actions of the accounts the account manager serves."""
    actions, more_actions = _first(list(account_actions_open(user=request.user)[: HOME_LIMIT + 1]))
    return Panel(
        "feedback/panels/account_manager_home.html",
        {
            "due": account_debriefs_due(user=request.user),
            "recent": account_debriefs_recent(user=request.user),
            "actions": actions,
            "more_actions": more_actions,
            "today": local_today(request.user.time_zone),
        },
    )


# --- The program dashboard -----------------------------------------------------------


@program_dashboard_panel
def program_feedback(request: HttpRequest) -> Panel:
    """What customers answered in the last twelve months, or that none has yet."""
    return Panel(
        "feedback/panels/program_feedback.html",
        {"figures": customer_feedback_figures(since=feedback_since(user=request.user))},
    )
