"""Who may see and act on which engagement: the one place that decides it.

An account manager sees the engagements of the accounts they manage or serve
on the team of; an executive those they attend or are asked to; a program
admin all. Whether a change is allowed *now* (its status) is the services'
business; this module says whether this *person* may make it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from engagement.accounts.access import accounts_served_by, get_account_to_read
from engagement.people.access import object_view
from engagement.people.models import Executive, User
from engagement.people.roles import Role, user_roles
from visits.models import Engagement, EngagementExecutive


def engagement_visibility(user: User, *, via: str = "") -> Q | None:
    """Which engagements ``user`` may see, as a condition on rows that reach
    their engagement through the relation ``via`` ("engagement" for a
    debrief; empty for engagements themselves); None when they see all.
    Applied to the rows themselves, the planner joins their engagement
    rather than testing each row against a list of engagements."""
    roles = user_roles(user)
    if Role.PROGRAM_ADMIN in roles:
        return None
    visible = Q(pk__in=[])
    if Role.EXECUTIVE in roles:
        visible |= Exists(
            EngagementExecutive.objects.filter(
                engagement=OuterRef(via or "pk"), executive__user=user, executive__active=True
            )
        )
    if Role.ACCOUNT_MANAGER in roles:
        visible |= Q(**{f"{via}__account__in" if via else "account__in": accounts_served_by(user).values("pk")})
    return visible


def engagements_visible_to(user: User) -> QuerySet[Engagement]:
    """Every engagement ``user`` may see, without duplicates."""
    visible = engagement_visibility(user)
    return Engagement.objects.all() if visible is None else Engagement.objects.filter(visible)


def get_engagement_for_user(user: User, pk: int) -> Engagement:
    """The engagement ``pk`` if ``user`` may see it; 404 otherwise, so that
    nobody learns which engagements exist."""
    engagement = (
        engagements_visible_to(user)
        .select_related("account", "account__account_manager", "type", "requested_by", "working_contact")
        .filter(pk=pk)
        .first()
    )
    if engagement is None:
        raise Http404("No such engagement.")
    return engagement


@dataclass(frozen=True)
class EngagementRights:
    """What one person may do to one engagement, whatever its status."""

    decide: bool  # approve, decline or ask a question: the executive asked, or a program admin
    manage: bool  # answer, schedule, reschedule, cancel: the account team, or a program admin
    complete: bool  # mark held or not held: an executive who attends, the account team, or a program admin
    take_part: bool  # attends as an executive or serves on the account team: admin rights aside


def engagement_rights(user: User, engagement: Engagement) -> EngagementRights:
    """What ``user`` may do to ``engagement`` (which they can see)."""
    roles = user_roles(user)
    admin = Role.PROGRAM_ADMIN in roles
    if roles == {Role.PROGRAM_ADMIN}:
        return EngagementRights(decide=True, manage=True, complete=True, take_part=False)
    account_team = Role.ACCOUNT_MANAGER in roles and accounts_served_by(user).filter(pk=engagement.account_id).exists()
    attendances = (
        EngagementExecutive.objects.filter(engagement=engagement, executive__user=user, executive__active=True)
        .values_list("role", flat=True)
        .first()
        if Role.EXECUTIVE in roles
        else None
    )
    take_part = account_team or attendances is not None
    return EngagementRights(
        decide=admin or attendances == EngagementExecutive.Role.LEAD,
        manage=admin or account_team,
        complete=admin or take_part,
        take_part=take_part,
    )


def may_log_contact_for(user: User, executive: Executive) -> bool:
    """Whether ``user`` may log a held contact of ``executive``: the executive
    themself (the quick log), or a program admin, who may record any
    engagement of any executive."""
    roles = user_roles(user)
    return Role.PROGRAM_ADMIN in roles or (Role.EXECUTIVE in roles and executive.user_id == user.pk)


def engagement_view(*methods: str) -> Callable[..., Any]:
    """Hand the view the engagement ``pk`` the user may see (404 otherwise),
    answering 405 to other methods only after that."""
    return object_view(get_engagement_for_user, methods)


def account_view(*methods: str) -> Callable[..., Any]:
    """As ``engagement_view``, for an account whose page the user may open."""
    return object_view(get_account_to_read, methods)
