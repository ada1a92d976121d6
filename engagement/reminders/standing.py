"""Whether a recorded reminder still holds, and withdrawing those that do not."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Value, When
from django.utils import timezone

from engagement.cadence.rule import ContactState, ContactStatus
from engagement.cadence.selectors import executive_contact_statuses
from engagement.notifications.models import Notification
from engagement.people.models import Executive
from engagement.reminders.contact import COVERED_REASON
from engagement.reminders.models import Reminder
from engagement.reminders.scan import Due, ScanMoment, reminders_due, scan_moment

CONTACT_KINDS = (Reminder.Kind.DUE_SOON, Reminder.Kind.OVERDUE)


EXECUTIVE_KINDS = (*CONTACT_KINDS, Reminder.Kind.ESCALATION)


SUPERSEDED = "A later reminder of the same replaced it."


# Why a reminder of each kind that is about something else than an
# executive's cadence no longer holds (its source no longer finds it).
NO_LONGER: dict[str, str] = {
    Reminder.Kind.UPCOMING: "The engagement no longer starts within 24 hours: it was moved, called off or has begun.",
    Reminder.Kind.REQUEST_WAITING: "The request no longer waits for this answer: it was answered or called off.",
    Reminder.Kind.DEBRIEF_DUE: "Nobody is reminded of this debrief any more: it was written, the engagement "
    "changed, or a month has passed.",
    Reminder.Kind.ACTION_OVERDUE: "The action was closed or given a new date.",
    Reminder.Kind.SESSION_DUE: "A session was held, or the pairing is no longer active.",
}


def episode_subject(episode: str) -> tuple[str, int] | None:
    """What an episode is about: the word it begins with and the id after it
    (``"executive:12:2025-06-02"`` is executive 12)."""
    word, _, rest = episode.partition(":")
    number = rest.partition(":")[0]
    return (word, int(number)) if number.isdigit() else None


def standing_key(recipient_id: int, kind: str, episode: str) -> tuple[int, str, str]:
    """What a reminder says to whom, whichever of its weekly repeats it is: an
    overdue reminder's episode ends with its week, and a later week does not
    make an earlier one untrue."""
    if kind == Reminder.Kind.OVERDUE:
        episode = episode.rsplit(":", 1)[0]
    return recipient_id, kind, episode


def _repeat(episode: str) -> tuple[str, int]:
    base, _, week = episode.rpartition(":")
    return base, int(week) if week.isdigit() else -1


def _replaced(reminders: Sequence[Reminder], *, by: Iterable[str]) -> set[int]:
    """The overdue reminders of ``reminders`` for which a later week's
    reminder of the same episode is recorded with a status in ``by``. One query."""
    overdue = [reminder for reminder in reminders if reminder.kind == Reminder.Kind.OVERDUE]
    if not overdue:
        return set()
    latest: dict[tuple[int, str], int] = {}
    rows = Reminder.objects.filter(
        kind=Reminder.Kind.OVERDUE,
        status__in=list(by),
        recipient_id__in={reminder.recipient_id for reminder in overdue},
        executive_id__in={reminder.executive_id for reminder in overdue},
    ).values_list("recipient_id", "episode")
    for recipient_id, episode in rows:
        base, week = _repeat(episode)
        latest[recipient_id, base] = max(week, latest.get((recipient_id, base), -1))
    replaced = set()
    for reminder in overdue:
        base, week = _repeat(reminder.episode)
        if latest.get((reminder.recipient_id, base), -1) > week:
            replaced.add(reminder.pk)
    return replaced


def _contact_withdrawal(reminder: Reminder, status: ContactStatus | None) -> str:
    """Why a reminder about an executive's cadence no longer holds, from where they stand now."""
    name = reminder.executive.name if reminder.executive else "The executive"
    if status is None:
        return f"{name} is no longer in the program."
    recorded_start = dt.date.fromisoformat(reminder.episode.split(":")[2])
    if status.episode_start != recorded_start:
        if not status.counts_from_joining and status.episode_start > recorded_start:
            return f"A customer contact on {status.episode_start:%-d %b %Y} started a new window."
        return f"The window now counts from {status.episode_start:%-d %b %Y}."
    if reminder.kind == Reminder.Kind.DUE_SOON and status.state == ContactState.DUE_SOON:
        return COVERED_REASON
    if reminder.kind == Reminder.Kind.ESCALATION and status.state == ContactState.ESCALATED:
        return "The escalation goes to someone else now: the executive's manager changed."
    return f"{name} is {status.state.label.lower()} now."


# A withdrawn reminder's own statuses, and those of a later week that replace it.
RECORDED = (Reminder.Status.PENDING, Reminder.Status.SENDING, Reminder.Status.SENT, Reminder.Status.FAILED)


def reminders_standing(
    *, reminders: Sequence[Reminder], moment: ScanMoment | None = None, replaced_by: Iterable[str] = RECORDED
) -> dict[int, Due | str]:
    """Whether each of ``reminders`` still holds at ``moment`` (now), decided
    as a scan decides it, by the sources narrowed to what the reminders are
    about: by id, the due as it stands now (its reason up to date), or why it
    no longer holds. An overdue reminder whose later week is recorded with a
    status in ``replaced_by`` is replaced by it. The reminders' recipients
    and executives' users should be loaded; a fixed number of queries."""
    moment = moment or scan_moment()
    subjects: dict[str, set[int]] = defaultdict(set)
    for reminder in reminders:
        subject = episode_subject(reminder.episode)
        if subject is not None:
            subjects[subject[0]].add(subject[1])
    dues = reminders_due(now=moment.now, as_of=moment.as_of, subjects=subjects)
    current = {standing_key(due.recipient_id, due.kind, due.episode): due for due in dues}
    replaced = _replaced(reminders, by=replaced_by)
    lost = [
        reminder
        for reminder in reminders
        if standing_key(reminder.recipient_id, reminder.kind, reminder.episode) not in current
        and reminder.kind in EXECUTIVE_KINDS
        and reminder.executive_id
    ]
    statuses = (
        executive_contact_statuses(
            executives=Executive.objects.filter(
                pk__in={reminder.executive_id for reminder in lost}, active=True, user__is_active=True
            ),
            now=moment.now,
            as_of=moment.as_of,
            exposure=False,
        )
        if lost
        else {}
    )
    standing: dict[int, Due | str] = {}
    for reminder in reminders:
        due = current.get(standing_key(reminder.recipient_id, reminder.kind, reminder.episode))
        if reminder.pk in replaced:
            standing[reminder.pk] = SUPERSEDED
        elif due is not None:
            standing[reminder.pk] = due
        elif not reminder.recipient.is_active:
            standing[reminder.pk] = f"{reminder.recipient} can no longer sign in."
        elif reminder.kind in EXECUTIVE_KINDS and reminder.executive_id:
            standing[reminder.pk] = _contact_withdrawal(reminder, statuses.get(reminder.executive_id))
        else:
            standing[reminder.pk] = NO_LONGER.get(reminder.kind, "It no longer holds.")
    return standing


def _by_pk(values: Mapping[int, str]) -> Case:
    """Each row's own text in one UPDATE: ``values`` maps ids to texts."""
    return Case(*[When(pk=pk, then=Value(text)) for pk, text in values.items()], output_field=CharField())


def _withdraw(*, reasons: Mapping[int, str], statuses: Iterable[str], now: dt.datetime) -> int:
    """Withdraw the reminders of ``reasons`` (id -> why) still in one of
    ``statuses``, in one conditional UPDATE: of a sender and a scan, one
    wins. Returns how many were withdrawn."""
    if not reasons:
        return 0
    return Reminder.objects.filter(pk__in=list(reasons), status__in=list(statuses)).update(
        status=Reminder.Status.WITHDRAWN,
        withdrawn_at=now,
        withdrawn_reason=_by_pk({pk: why[:300] for pk, why in reasons.items()}),
    )


def _take_episode(reminder: Reminder, due: Due) -> bool:
    """Make ``reminder`` the one for ``due``'s episode, which may be a later
    week of it, unless a reminder for that week is recorded already (then
    that one goes out instead). Returns whether it may go out."""
    if due.episode == reminder.episode:
        return True
    try:
        with transaction.atomic():
            Reminder.objects.filter(pk=reminder.pk).update(episode=due.episode)
    except IntegrityError:
        return False
    reminder.episode = due.episode
    return True


def reminders_withdraw_stale(*, dues: list[Due], moment: ScanMoment) -> int:
    """After a scan at ``moment`` that found ``dues``: withdraw the pending
    reminders recorded before it that no longer hold, and the unread in-app
    notifications of sent reminders whose words are no longer so (a later
    week's reminder, once sent, replaces an earlier one's). Only those the
    scan did not find again are checked, with ``reminders_standing``.
    Returns how many reminders were withdrawn."""
    found = {(due.recipient_id, due.kind, due.episode) for due in dues}
    pending = [
        pk
        for pk, *key in Reminder.objects.filter(status=Reminder.Status.PENDING, created_at__lt=moment.now).values_list(
            "pk", "recipient_id", "kind", "episode"
        )
        if tuple(key) not in found
    ]
    notes = {
        pk: reminder_id
        for pk, reminder_id, *key in Notification.objects.filter(
            read_at__isnull=True, withdrawn_at__isnull=True, reminder__isnull=False
        ).values_list("pk", "reminder_id", "reminder__recipient_id", "reminder__kind", "reminder__episode")
        if tuple(key) not in found
    }
    withdrawn = 0
    if pending:
        reminders = list(Reminder.objects.filter(pk__in=pending).select_related("recipient", "executive__user"))
        standing = reminders_standing(reminders=reminders, moment=moment)
        reasons = {pk: why for pk, why in standing.items() if isinstance(why, str)}
        withdrawn = _withdraw(reasons=reasons, statuses=[Reminder.Status.PENDING], now=moment.now)
    if notes:
        reminders = list(
            Reminder.objects.filter(pk__in=set(notes.values())).select_related("recipient", "executive__user")
        )
        standing = reminders_standing(reminders=reminders, moment=moment, replaced_by=[Reminder.Status.SENT])
        notifications_withdraw(
            reasons={pk: standing[reminder_id] for pk, reminder_id in notes.items()},
            now=moment.now,
        )
    return withdrawn


def notifications_withdraw(*, reasons: Mapping[int, Due | str], now: dt.datetime) -> int:
    """Mark withdrawn the notifications of ``reasons`` whose standing is a
    reason (a string): they stay in the list, no longer unread, saying why.
    One UPDATE."""
    gone = {pk: why for pk, why in reasons.items() if isinstance(why, str)}
    if not gone:
        return 0
    return Notification.objects.filter(pk__in=list(gone), withdrawn_at__isnull=True).update(
        withdrawn_at=now,
        withdrawn_reason=_by_pk({pk: why[:300] for pk, why in gone.items()}),
    )


def notifications_standing(
    *, notifications: Sequence[Notification], moment: ScanMoment | None = None
) -> dict[int, str]:
    """Why each of ``notifications`` (a page of them) that a reminder sent no
    longer holds, by notification id, as ``reminders_standing`` decides now:
    the page shows it so at once, and the next scan records it. Those
    withdrawn already, read, or of no reminder are left out."""
    unread = [n for n in notifications if n.reminder_id and not n.read_at and not n.withdrawn_at]
    if not unread:
        return {}
    reminders = list(
        Reminder.objects.filter(pk__in={n.reminder_id for n in unread}).select_related("recipient", "executive__user")
    )
    standing = reminders_standing(reminders=reminders, moment=moment, replaced_by=[Reminder.Status.SENT])
    return {
        n.pk: why for n in unread if n.reminder_id is not None and isinstance(why := standing.get(n.reminder_id), str)
    }


def reminders_withdraw_about(
    *, subject: str, recipient_ids: Iterable[int], reason: str, now: dt.datetime | None = None
) -> int:
    """Withdraw, with ``reason``, the pending reminders to ``recipient_ids``
    about ``subject`` (an episode's first word and id: ``"engagement:12"``),
    and the unread notifications those already sent: what they are about is
    gone (an engagement deleted), so that nothing is left to remind of it.
    Returns how many reminders were withdrawn."""
    now = now or timezone.now()
    about = Reminder.objects.filter(recipient_id__in=list(recipient_ids), episode__startswith=f"{subject}:")
    Notification.objects.filter(reminder__in=about, read_at__isnull=True, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawn_reason=reason[:300]
    )
    return about.filter(status=Reminder.Status.PENDING).update(
        status=Reminder.Status.WITHDRAWN, withdrawn_at=now, withdrawn_reason=reason[:300]
    )
