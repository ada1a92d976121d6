"""Writes for pairings: proposing one, and each change of its status.

Every change of status is one conditional UPDATE on the status the person
saw, so that two people acting on the same pairing at once cannot both win
(the second is told what happened instead).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from engagement.accounts.models import Account, Contact
from engagement.audit.trail import audit_change, audit_diff, audit_snapshot
from engagement.notifications.services import notification_send
from engagement.people.models import Executive, User
from mentoring.models import MONTHLY, Pairing, PairingGoal
from mentoring.selectors import pairing_limit


class PairingError(Exception):
    """A change the program's rules refuse; its message is shown to the user,
    beside ``field`` of the form when it is about one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _hold(executive: Executive) -> None:
    """Lock the executive's row until the transaction ends, so that two
    proposals (or answers) at the same moment count their pairings one after
    the other and cannot both pass the limit."""
    list(Executive.objects.select_for_update().filter(pk=executive.pk).values_list("pk", flat=True))


def _load(executive: Executive) -> int:
    """Pairings that hold the executive's time or have been asked of them."""
    return Pairing.objects.filter(
        executive=executive, status__in=[Pairing.Status.PROPOSED, Pairing.Status.ACTIVE]
    ).count()


@transaction.atomic
def pairing_propose(
    *,
    executive: Executive,
    account: Account,
    by: User,
    why_matched: str = "",
    goals: Iterable[str] = (),
    primary_contact: Contact | None = None,
    session_cadence_days: int = MONTHLY,
    starts_on: dt.date | None = None,
) -> Pairing:
    """Propose that ``executive`` sponsors ``account``; the executive is told
    and accepts or declines it."""
    if not (executive.active and executive.user.is_active):
        raise PairingError(f"{executive} is no longer in the program.")
    if account.status == Account.Status.CHURNED:
        raise PairingError(f"{account} is no longer a customer or partner.")
    if primary_contact is not None and primary_contact.account_id != account.pk:
        raise PairingError(f"{primary_contact.name} works at another account.")
    _hold(executive)
    limit = pairing_limit(executive=executive)
    if _load(executive) >= limit:
        raise PairingError(f"{executive} already holds or has been asked for {limit} pairings, the program's limit.")
    try:
        with transaction.atomic():
            pairing = Pairing.objects.create(
                executive=executive,
                account=account,
                primary_contact=primary_contact,
                why_matched=why_matched.strip(),
                session_cadence_days=session_cadence_days,
                starts_on=starts_on or timezone.localdate(),
                proposed_by=by,
            )
    except IntegrityError:
        raise PairingError(f"{executive} already has a pairing with {account} under way.") from None
    PairingGoal.objects.bulk_create(
        [
            PairingGoal(pairing=pairing, text=text.strip(), position=index)
            for index, text in enumerate(goals)
            if text.strip()
        ]
    )
    notification_send(
        users=[executive.user],
        message=f"{by} proposes that you sponsor {account}. Accept or decline it.",
        url=_link(pairing),
        exclude=by,
    )
    return pairing


def _link(pairing: Pairing) -> str:
    """Where a notification about ``pairing`` leads: its page, to act on it."""
    return reverse("mentoring:pairing_detail", kwargs={"pk": pairing.pk})


def _change_status(
    *,
    pairing: Pairing,
    step: str,
    by: User | None,
    reason: str = "",
    now: dt.datetime | None = None,
    **fields: object,
) -> None:
    """Take ``step`` of ``Pairing.STEPS`` on ``pairing`` if the status it was
    read in allows it and nobody changed it since, or say what happened to it
    meanwhile; the audit trail records who did."""
    now = now or timezone.now()
    # The UPDATE sends no signal to the audit trail: what it changed is
    # recorded in the caller's transaction, from what ``by`` saw.
    before = audit_snapshot(pairing, ["status", "status_reason", *fields])
    if not Pairing.STEPS.claim(pairing, step=step, status_reason=reason.strip(), status_changed_at=now, **fields):
        current = Pairing.objects.filter(pk=pairing.pk).values_list("status", flat=True).first()
        label = Pairing.Status(current).label.lower() if current else "removed"
        raise PairingError(f"This pairing is {label} now, so it cannot be changed that way.")
    pairing.refresh_from_db()
    audit_change(instance=pairing, changes=audit_diff(before, pairing), actor=by)


def _require_reason(reason: str, step: str) -> None:
    if not reason.strip():
        raise PairingError(
            f"Say why the pairing is {Pairing.STEPS[step].doing}: the account team and the program admins read it.",
            field="reason",
        )


def _require_executive(pairing: Pairing, by: User) -> None:
    if pairing.executive.user_id != by.pk:
        raise PairingError("Only the executive asked can answer this proposal.")


@transaction.atomic
def pairing_accept(*, pairing: Pairing, by: User) -> None:
    """The executive takes the pairing on; it starts today if its planned
    start has passed."""
    _require_executive(pairing, by)
    _hold(pairing.executive)
    active = Pairing.objects.filter(executive=pairing.executive, status=Pairing.Status.ACTIVE).count()
    limit = pairing_limit(executive=pairing.executive)
    if active >= limit:
        raise PairingError(f"You already sponsor {limit} accounts, the program's limit: end or pause one first.")
    starts_on = max(pairing.starts_on, timezone.localdate())
    _change_status(pairing=pairing, step="accept", by=by, starts_on=starts_on)
    if pairing.proposed_by_id:
        notification_send(
            users=[pairing.proposed_by], message=f"{by} accepted to sponsor {pairing.account}.", url=_link(pairing)
        )


def declined_reason(reason: str) -> str:
    """What a declined pairing keeps as its reason: the executive's words."""
    return f"Declined: {reason.strip()}"


@transaction.atomic
def pairing_decline(*, pairing: Pairing, by: User, reason: str) -> None:
    """The executive turns the proposal down, saying why."""
    _require_executive(pairing, by)
    _require_reason(reason, "decline")
    _change_status(
        pairing=pairing,
        step="decline",
        by=by,
        reason=declined_reason(reason),
        ends_on=timezone.localdate(),
    )
    if pairing.proposed_by_id:
        notification_send(
            users=[pairing.proposed_by],
            message=f"{by} declined to sponsor {pairing.account}: {reason.strip()}",
            url=_link(pairing),
        )


@transaction.atomic
def pairing_pause(*, pairing: Pairing, by: User, reason: str) -> None:
    """Hold an active pairing: no session is due while it is paused."""
    _require_reason(reason, "pause")
    _change_status(pairing=pairing, step="pause", by=by, reason=reason)


@transaction.atomic
def pairing_resume(*, pairing: Pairing, by: User) -> None:
    """Take a paused pairing up again."""
    _change_status(pairing=pairing, step="resume", by=by)


@transaction.atomic
def pairing_end(*, pairing: Pairing, by: User, reason: str) -> None:
    """End a pairing, whatever its state, saying why."""
    _require_reason(reason, "end")
    _change_status(
        pairing=pairing,
        step="end",
        by=by,
        reason=reason,
        ends_on=timezone.localdate(),
    )


@transaction.atomic
def pairing_goal_create(
    *, pairing: Pairing, text: str, status: str = PairingGoal.Status.OPEN, notes: str = "", position: int | None = None
) -> PairingGoal:
    """Add a goal to ``pairing``, after its others unless ``position`` says
    where; the audit trail records it with whoever made the request."""
    if position is None:
        last = PairingGoal.objects.filter(pairing=pairing).order_by("-position").values_list("position", flat=True)
        position = (last.first() or 0) + 1
    return PairingGoal.objects.create(pairing=pairing, text=text, status=status, notes=notes, position=position)


@transaction.atomic
def pairing_goal_update(
    *, goal: PairingGoal, by: User, text: str, status: str, notes: str, position: int | None = None
) -> None:
    """Change a goal's words, status or notes (or its place among the
    pairing's goals); the audit trail records who did."""
    after: dict[str, object] = {"text": text, "status": status, "notes": notes}
    if position is not None:
        after["position"] = position
    # Read from the database: a bound form has already written the new values onto ``goal``.
    before = PairingGoal.objects.filter(pk=goal.pk).values(*after).first() or {}
    PairingGoal.objects.filter(pk=goal.pk).update(**after)
    audit_change(instance=goal, changes={name: (before.get(name), after[name]) for name in after}, actor=by)


@transaction.atomic
def pairing_hand_over(*, pairing: Pairing, to: Executive, by: User, why_matched: str = "") -> Pairing:
    """End ``pairing`` and propose its account to ``to`` in its place, with
    the same contact, cadence and unfinished goals; ``to`` accepts or
    declines as any proposal. Both or neither happen."""
    previous = pairing.executive
    pairing_end(pairing=pairing, by=by, reason=f"Handed over to {to}.")
    goals = pairing.goals.filter(status__in=[PairingGoal.Status.OPEN, PairingGoal.Status.IN_PROGRESS])
    return pairing_propose(
        executive=to,
        account=pairing.account,
        by=by,
        why_matched=why_matched or f"Takes over from {previous}.",
        goals=list(goals.values_list("text", flat=True)),
        primary_contact=pairing.primary_contact,
        session_cadence_days=pairing.session_cadence_days,
    )
