"""What feedback asks of a person now, on their home's list of needs
(``engagement.dashboards.needs``): an executive's debriefs to write and the
actions they owe, late or due this week; an account manager's meetings
waiting for a debrief and the late actions of their accounts. One query
each, however many there are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import QuerySet
from django.urls import reverse

from engagement.dashboards.needs import (
    Need,
    Urgency,
    ago_text,
    days_text,
    need_source,
    needs_of,
    plural,
    with_total,
)
from engagement.dates import local_today
from engagement.people.models import User
from engagement.people.roles import Role
from feedback.models import ActionItem
from feedback.reminders import DEBRIEF_DUE_AFTER
from feedback.selectors import account_actions_open, account_debriefs_due_all, actions_owed, debriefs_to_write_all
from visits.models import Engagement

# Actions due this soon are listed before they are late.
ACTIONS_DUE_WITHIN = dt.timedelta(days=7)


def _debrief_needs(
    rows: list[Engagement], *, now: dt.datetime, kind: str, group_text: tuple[str, str], list_url: str
) -> list[Need]:
    """Held engagements waiting for a debrief: late once its reminder has gone
    (two days after it was held)."""

    def urgency(engagement: Engagement) -> Urgency:
        late = engagement.status == Engagement.Status.COMPLETED
        return Urgency.OVERDUE if late and engagement.status_changed_at <= now - DEBRIEF_DUE_AFTER else Urgency.WAITING

    def each(engagement: Engagement) -> Need:
        verb = "Finish debrief" if engagement.has_draft else "Debrief"
        return Need(
            kind=kind,
            text=f"{verb}: {engagement.account.name}",
            url=reverse("feedback:debrief", kwargs={"pk": engagement.pk}),
            urgency=urgency(engagement),
            at=engagement.starts_at,
            note=f"held {ago_text((now - engagement.starts_at).days)}",
        )

    def group(oldest: Engagement, total: int) -> Need:
        return Need(
            kind=kind,
            text=plural(total, *group_text),
            url=list_url,
            urgency=urgency(oldest),
            at=oldest.starts_at,
            note=f"oldest held {ago_text((now - oldest.starts_at).days)}",
            count=total,
        )

    return needs_of(rows, each=each, group=group)


def _action_needs(
    actions: QuerySet[ActionItem],
    *,
    kind: str,
    urgency: Urgency,
    note: Callable[[ActionItem], str],
    many: str,
    list_url: str,
) -> list[Need]:
    """Open actions, each as "Action: title" with ``note``, or, when there are many, one line counting them ("N
    actions ``many``") that opens their list."""
    rows = with_total(actions)
    first_word = "oldest" if urgency == Urgency.OVERDUE else "first"

    def each(action: ActionItem) -> Need:
        return Need(
            kind=kind,
            text=f"Action: {action.title}",
            url=reverse("feedback:action_detail", kwargs={"pk": action.pk}),
            urgency=urgency,
            at=_day_moment(action.due_on),
            note=note(action),
        )

    def group(first: ActionItem, total: int) -> Need:
        return Need(
            kind=kind,
            text=f"{plural(total, 'action', 'actions')} {many}",
            url=list_url,
            urgency=urgency,
            at=_day_moment(first.due_on),
            note=f"{first_word} {note(first)}",
            count=total,
        )

    return needs_of(rows, each=each, group=group)


def _late_action_needs(actions: QuerySet[ActionItem], *, today: dt.date, kind: str, list_url: str) -> list[Need]:
    """Open actions past their due date, the longest late first."""
    return _action_needs(
        actions.filter(due_on__lt=today),
        kind=kind,
        urgency=Urgency.OVERDUE,
        note=lambda action: f"{days_text((today - action.due_on).days)} late",
        many="late",
        list_url=list_url,
    )


def _day_moment(day: dt.date) -> dt.datetime:
    """A due date as a moment, to order it among the other needs."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


@need_source(Role.EXECUTIVE)
def debriefs_owed(*, user: User, now: dt.datetime) -> list[Need]:
    """Held engagements the executive attended that wait for their debrief."""
    return _debrief_needs(
        with_total(debriefs_to_write_all(user=user, now=now)),
        now=now,
        kind="debrief",
        group_text=("debrief to write", "debriefs to write"),
        list_url=f"{reverse('engagement:executive_home')}#to-write-heading",
    )


@need_source(Role.EXECUTIVE)
def actions_late(*, user: User, now: dt.datetime) -> list[Need]:
    """Actions the executive owes (routed ones included) past their due date."""
    today = local_today(user.time_zone, now=now)
    return _late_action_needs(actions_owed(user=user), today=today, kind="action", list_url=reverse("feedback:actions"))


@need_source(Role.EXECUTIVE)
def actions_due_soon(*, user: User, now: dt.datetime) -> list[Need]:
    """Actions the executive owes that fall due within a week."""
    today = local_today(user.time_zone, now=now)
    return _action_needs(
        actions_owed(user=user).filter(due_on__gte=today, due_on__lte=today + ACTIONS_DUE_WITHIN),
        kind="action",
        urgency=Urgency.WAITING,
        note=lambda action: "due today" if action.due_on == today else f"due {action.due_on:%a %-d %b}",
        many="due this week",
        list_url=reverse("feedback:actions"),
    )


@need_source(Role.ACCOUNT_MANAGER)
def debriefs_waiting(*, user: User, now: dt.datetime) -> list[Need]:
    """Held engagements of the account manager's accounts nobody has debriefed."""
    return _debrief_needs(
        with_total(account_debriefs_due_all(user=user, now=now)),
        now=now,
        kind="debrief",
        group_text=("meeting to debrief", "meetings to debrief"),
        list_url=f"{reverse('engagement:account_manager_home')}#debriefs-due-heading",
    )


@need_source(Role.ACCOUNT_MANAGER)
def account_actions_late(*, user: User, now: dt.datetime) -> list[Need]:
    """Open actions of the account manager's accounts past their due date, whoever owns them."""
    today = local_today(user.time_zone, now=now)
    return _late_action_needs(
        account_actions_open(user=user),
        today=today,
        kind="action",
        list_url=f"{reverse('feedback:actions')}?tab=following",
    )
