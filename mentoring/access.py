"""Who may see and act on which pairing: the one place that decides it.

Program admins see every pairing and run them; the executive sees their own,
answers a proposal and may pause, resume or end it; the account team of its
account sees it. Whoever sees a pairing keeps its goals: the goals are the
shared plan of the executive and the account team.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from engagement.accounts.access import accounts_served_by, executive_account_source
from engagement.bounds import row_id
from engagement.people.access import object_view
from engagement.people.models import User
from engagement.people.roles import Role, user_roles
from mentoring.models import Pairing, PairingGoal


def pairings_visible_to(user: User) -> QuerySet[Pairing]:
    """Every pairing ``user`` may see."""
    roles = user_roles(user)
    if Role.PROGRAM_ADMIN in roles:
        return Pairing.objects.all()
    visible = Q(pk__in=[])
    if Role.EXECUTIVE in roles:
        visible |= Q(executive__user=user)
    if Role.ACCOUNT_MANAGER in roles:
        visible |= Q(account__in=accounts_served_by(user).values("pk"))
    return Pairing.objects.filter(visible)


@executive_account_source
def accounts_sponsored_by(user: User) -> QuerySet:
    """The accounts ``user`` sponsors, paused or not, or is asked to sponsor,
    as account ids: their page is open to the executive, to read. A proposal
    is decided having read it, as an executive asked for their time reads the
    account's background first. An ended pairing, declined or finished, no
    longer opens it; its sessions of the last two years still do, as every
    meeting does."""
    return Pairing.objects.filter(executive__user=user, executive__active=True, status__in=Pairing.LIVE).values(
        "account_id"
    )


def get_pairing_for_user(user: User, pk: object) -> Pairing:
    """The pairing ``pk`` if ``user`` may see it; 404 otherwise."""
    pk = row_id(pk)
    pairing = (
        pairings_visible_to(user)
        .select_related("executive__user", "executive__function", "account", "primary_contact", "proposed_by")
        .filter(pk=pk)
        .first()
        if pk is not None
        else None
    )
    if pairing is None:
        raise Http404("No such pairing among yours.")
    return pairing


def pairing_view(*methods: str) -> Callable[..., Any]:
    """Hand the view the pairing of the URL, 404 for one the user may not see."""
    return object_view(get_pairing_for_user, methods)


def get_goal_for_user(user: User, pairing: Pairing, pk: object) -> PairingGoal:
    """The goal ``pk`` of ``pairing`` (which ``user`` may see); 404 otherwise."""
    pk = row_id(pk)
    goal = pairing.goals.filter(pk=pk).first() if pk is not None else None
    if goal is None:
        raise Http404("No such goal in this pairing.")
    return goal


# The steps of ``Pairing.STEPS`` that answer a proposal, which only the
# executive asked takes; the executive or a program admin takes the others.
ANSWERS = frozenset({"accept", "decline"})


@dataclass(frozen=True)
class PairingRights:
    """What one person may do with one pairing they can see."""

    answer: bool  # accept or decline the proposal: the executive asked
    manage: bool  # pause, resume or end it
    edit_goals: bool
    steps: frozenset[str]  # the steps they may take now, as its status allows

    def may_try(self, step: str) -> bool:
        """Whether they may take ``step`` of a pairing at this stage; the
        service tells them if its status has moved on meanwhile."""
        return self.answer if step in ANSWERS else self.manage


def pairing_rights(user: User, pairing: Pairing) -> PairingRights:
    is_executive = pairing.executive.user_id == user.pk
    runs = is_executive or Role.PROGRAM_ADMIN in user_roles(user)
    steps = frozenset(
        step for step in Pairing.STEPS.steps_from(pairing.status) if (is_executive if step in ANSWERS else runs)
    )
    return PairingRights(
        answer=bool(steps & ANSWERS),
        manage=bool(steps - ANSWERS),
        edit_goals=pairing.status != Pairing.Status.ENDED,
        steps=steps,
    )
