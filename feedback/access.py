"""Who may see and act on debriefs and actions: the one place that decides it.

A debrief belongs to its engagement: whoever may see the engagement reads its
submitted debriefs, and whoever took part (an executive who attended, the
account team) writes their own. An action is seen by its owner, whoever
created it, the account team and the executives who attended, and program
admins; the routed owner, and whoever leads the function it is routed to now,
see it even when they never saw the engagement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from engagement.bounds import row_id
from engagement.people.access import object_view
from engagement.people.models import User
from engagement.people.roles import Role, user_roles
from feedback.models import ActionItem, Debrief
from visits.access import accounts_served_by, engagement_visibility
from visits.models import Engagement, EngagementExecutive


def actions_visible_to(user: User) -> QuerySet[ActionItem]:
    """Every action ``user`` may see."""
    roles = user_roles(user)
    if Role.PROGRAM_ADMIN in roles:
        return ActionItem.objects.all()
    visible = Q(owner=user) | Q(created_by=user)
    if Role.ACCOUNT_MANAGER in roles:
        # The engagements of their accounts, listed once (a hashed subquery):
        # joined instead, beside the other conditions, every engagement was read.
        served = Engagement.objects.filter(account__in=accounts_served_by(user).values("pk"))
        visible |= Q(engagement__in=served.values("pk"))
    if Role.EXECUTIVE in roles:
        # The lead of the function it is routed to answers for it, whoever owns it now.
        visible |= Q(function__lead__user=user)
        visible |= Exists(
            EngagementExecutive.objects.filter(
                engagement=OuterRef("engagement"), executive__user=user, executive__active=True
            )
        )
    return ActionItem.objects.filter(visible)


def debriefs_visible_to(user: User) -> QuerySet[Debrief]:
    """Every submitted debrief ``user`` may read: those of the engagements
    they may see. A draft stays its author's until it is submitted."""
    submitted = Debrief.objects.filter(status=Debrief.Status.SUBMITTED)
    visible = engagement_visibility(user, via="engagement")
    return submitted if visible is None else submitted.filter(visible)


def get_action_for_user(user: User, pk: object) -> ActionItem:
    """The action ``pk`` if ``user`` may see it; 404 otherwise."""
    pk = row_id(pk)
    action = (
        actions_visible_to(user)
        .select_related(
            "engagement__account__account_manager",
            "engagement__type",
            "owner",
            "created_by",
            "function",
            "survey__contact",
        )
        .filter(pk=pk)
        .first()
        if pk is not None
        else None
    )
    if action is None:
        raise Http404("No such action among yours.")
    return action


def can_change_action(user: User, action: ActionItem) -> bool:
    """Its owner works it; whoever created it, the account team and program
    admins may too (to reopen it, or close it for someone who left)."""
    if user.pk in (action.owner_id, action.created_by_id) or Role.PROGRAM_ADMIN in user_roles(user):
        return True
    return (
        Role.ACCOUNT_MANAGER in user_roles(user)
        and accounts_served_by(user).filter(pk=action.engagement.account_id).exists()
    )


def action_view(*methods: str) -> Callable[..., Any]:
    """As ``visits.access.engagement_view``, for an action the user may see."""
    return object_view(get_action_for_user, methods)
