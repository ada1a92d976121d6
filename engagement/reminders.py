"""The reminder engine: find what is due, record it once, send it in working hours.

A scan asks every *source* what is due now. The contact sources (due soon,
overdue, escalation) live here; other apps register theirs (upcoming
engagements, requests waiting) with ``reminder_source``, so that this app
imports none of them. Each reminder found is recorded as a ``Reminder`` row,
``pending``; the unique constraint on (recipient, kind, episode) makes a
second scan, or one running at the same time, record nothing new. Sending
claims a pending row with one conditional UPDATE, sends the email and the
in-app notification, and marks it sent. A crash between recording and sending
leaves the row pending, and the next run sends it; a crash while sending
leaves it claimed, and a later run takes it back once the claim is stale.

A reminder is true when it is read. A pending one may wait days for its
recipient's working hours or their weekly digest, so at delivery it is
checked again by the same sources, narrowed to what it is about
(``reminders_standing``): one that no longer holds (a contact was logged
since, the request was answered) is withdrawn, with why, and not sent; one
that holds goes out with its reason as it stands then. Each scan withdraws the
pending ones that no longer hold, and the in-app notifications of sent ones
that say what is no longer so.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from engagement.dates import WORKDAY_START, in_working_hours
from engagement.emails import templated_email
from engagement.links import absolute_url
from engagement.models import Account, Executive, Notification, Reminder, User
from engagement.moments import moments_in_zone
from engagement.roles import Role, has_role
from engagement.selectors import (
    ContactState,
    ContactStatus,
    account_suggestions_for_executive,
    contact_state,
    episode_start,
    executive_contact_statuses,
)

# A weekly digest goes out on Monday morning.
DIGEST_WEEKDAY = 0
# A claim older than this belongs to a sender that died: take it back.
STALE_CLAIM = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Due:
    """A reminder a scan found due: to whom, of what kind, for which episode, and why."""

    recipient_id: int
    kind: str
    episode: str
    reason: str
    url: str = ""
    executive_id: int | None = None
    # When it must go out by, whatever the working hours (an engagement's start).
    deadline: dt.datetime | None = None


@dataclass(frozen=True)
class ScanMoment:
    """When a scan runs, and the calendar day it acts as of (``--as-of``).

    ``subjects`` narrows a scan to what some recorded reminders are about, to
    check that they still hold: the ids of each subject, named by the word
    their episodes begin with ("executive", "engagement", "action",
    "pairing"). None is a whole scan.
    """

    now: dt.datetime
    as_of: dt.date | None = None
    subjects: Mapping[str, frozenset[int]] | None = None

    def within(self, queryset: QuerySet, subject: str, field: str = "pk") -> QuerySet:
        """``queryset`` narrowed to the ``subject`` ids this scan looks at
        (all of them in a whole scan; none when it checks other subjects,
        which costs no query)."""
        if self.subjects is None:
            return queryset
        return queryset.filter(**{f"{field}__in": sorted(self.subjects.get(subject, ()))})


def scan_moment(as_of: str | None = None) -> ScanMoment:
    """The moment of a scan run now, or as of the ISO date ``as_of`` (at noon UTC that day)."""
    if not as_of:
        return ScanMoment(now=timezone.now())
    day = dt.date.fromisoformat(as_of)
    return ScanMoment(now=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC), as_of=day)


Source = Callable[[ScanMoment], Iterable[Due]]
SOURCES: list[Source] = []


def reminder_source(source: Source) -> Source:
    """Register ``source`` with the engine: it yields what is due at a moment,
    in a fixed number of queries."""
    if source not in SOURCES:
        SOURCES.append(source)
    return source


# --- Working hours ----------------------------------------------------------------


def next_working_moment(moment: dt.datetime, time_zone: str) -> dt.datetime:
    """``moment`` if it falls in working hours in ``time_zone``, else the start
    of the next working day there."""
    if in_working_hours(moment, time_zone):
        return moment
    local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    day = local.date() if local.weekday() < 5 and local.time() < WORKDAY_START else local.date() + dt.timedelta(1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, WORKDAY_START, tzinfo=local.tzinfo)


def next_digest_moment(moment: dt.datetime, time_zone: str) -> dt.datetime:
    """The next Monday 09:00 in ``time_zone`` at or after ``moment``."""
    local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    day = local.date() + dt.timedelta(days=(DIGEST_WEEKDAY - local.weekday()) % 7)
    start = dt.datetime.combine(day, WORKDAY_START, tzinfo=local.tzinfo)
    return start if start >= local else start + dt.timedelta(days=7)


# --- The contact sources -------------------------------------------------------------


def _program_admin_ids() -> list[int]:
    return list(
        User.objects.filter(groups__name=Role.PROGRAM_ADMIN.value, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def contact_episode(*, executive_id: int, start: dt.date) -> str:
    """The episode of an executive's contact reminders: from the day their
    cadence counts from. The overdue reminder adds which week it repeats in."""
    return f"executive:{executive_id}:{start.isoformat()}"


def _overdue_reminders_sent(*, executive_ids: list[int]) -> dict[str, dt.datetime]:
    """When each episode's first overdue reminder went to the executive
    themselves, by episode (without its week). One query."""
    if not executive_ids:
        return {}
    sent: dict[str, dt.datetime] = {}
    rows = Reminder.objects.filter(
        kind=Reminder.Kind.OVERDUE,
        status=Reminder.Status.SENT,
        executive_id__in=executive_ids,
        recipient_id=F("executive__user_id"),
    ).values_list("episode", "sent_at")
    for episode, sent_at in rows:
        base = episode.rsplit(":", 1)[0]
        if base not in sent or sent_at < sent[base]:
            sent[base] = sent_at
    return sent


@reminder_source
def contact_reminders(moment: ScanMoment) -> Iterator[Due]:
    """Due soon, overdue (then again every ``overdue_repeat_days``) and
    escalated, for every active executive, from the same contact status the
    pages show. An escalation goes only once the executive's own overdue
    reminder of the episode went out at least the escalation delay before:
    nobody is escalated who was not warned. Six queries, however many executives."""
    executives = moment.within(Executive.objects.filter(active=True, user__is_active=True), "executive")
    statuses = executive_contact_statuses(executives=executives, now=moment.now, as_of=moment.as_of, exposure=False)
    people = {
        row["pk"]: row
        for row in executives.values(
            "pk", "user_id", "manager__user_id", "manager__active", "manager__user__is_active", "user__full_name"
        )
    }
    warned = _overdue_reminders_sent(
        executive_ids=[pk for pk, status in statuses.items() if status.state == ContactState.ESCALATED]
    )
    admins: list[int] | None = None
    log_url = reverse("visits:log_contact")
    for executive_id, status in statuses.items():
        state = status.state
        if state == ContactState.ON_TRACK:
            continue
        person, start = people.get(executive_id), status.episode_start
        if person is None:
            continue  # left the program between the two reads: nobody to remind
        days = (status.today - start).days
        since = (
            f"no contact since joining {start:%-d %b %Y}"
            if status.counts_from_joining
            else f"last contact {start:%-d %b %Y}"
        )
        episode = contact_episode(executive_id=executive_id, start=start)
        if state == ContactState.DUE_SOON:
            reason = f"The six-week window closes on {status.due_on:%-d %b %Y} ({since})."
            yield Due(person["user_id"], Reminder.Kind.DUE_SOON, episode, reason, log_url, executive_id)
            continue
        overdue_days = days - status.cadence.cadence_days
        week = (overdue_days - 1) // status.cadence.overdue_repeat_days
        reason = f"{overdue_days} day{'s' if overdue_days != 1 else ''} past the window ({since})."
        yield Due(person["user_id"], Reminder.Kind.OVERDUE, f"{episode}:{week}", reason, log_url, executive_id)
        warned_at = warned.get(episode)
        escalation_delay = dt.timedelta(days=status.cadence.escalation_days)
        if state == ContactState.ESCALATED and warned_at is not None and warned_at <= moment.now - escalation_delay:
            # A manager who left the program, or whose login is closed, cannot act on it.
            if person["manager__user_id"] and person["manager__active"] and person["manager__user__is_active"]:
                recipients = [person["manager__user_id"]]
            else:
                admins = _program_admin_ids() if admins is None else admins
                recipients = admins
            reason = f"{person['user__full_name']} is {overdue_days} days past the contact window ({since})."
            for recipient_id in recipients:
                yield Due(recipient_id, Reminder.Kind.ESCALATION, episode, reason, "", executive_id)


@dataclass(frozen=True)
class StandingImpact:
    """What a change to executives' last contacts would do, before it is made."""

    executives: int  # whose state would change
    into: dict[str, int]  # of those, how many would be in each state
    reminders: int  # contact reminders (due soon, overdue) the next scan would record
    escalations: int  # executives the next scan would escalate


def reminders_caused_by(
    *, last_contacts: Mapping[int, dt.date | None], now: dt.datetime | None = None
) -> StandingImpact:
    """What giving the active executives of ``last_contacts`` those last
    contacts would change: whose state, and which reminders and escalations
    the next scan would then find that it has not recorded yet (as
    ``contact_reminders`` decides, an escalation only after a warning). A
    fixed number of queries."""
    now = now or timezone.now()
    executives = Executive.objects.filter(pk__in=list(last_contacts), active=True, user__is_active=True)
    before = executive_contact_statuses(executives=executives, now=now, exposure=False)
    after: dict[int, tuple[ContactState, dt.date, int]] = {}
    into: dict[str, int] = defaultdict(int)
    for pk, status in before.items():
        start = episode_start(last_contact_on=last_contacts[pk], joined_on=status.joined_on)
        days = (status.today - start).days
        state = contact_state(days_since=days, cadence=status.cadence)
        if state != status.state:
            into[state.value] += 1
        if state != status.state or start != status.episode_start:
            after[pk] = (state, start, days)
    episodes: dict[int, tuple[str, str]] = {}
    for pk, (state, start, days) in after.items():
        cadence = before[pk].cadence
        episode = contact_episode(executive_id=pk, start=start)
        if state == ContactState.DUE_SOON:
            episodes[pk] = (Reminder.Kind.DUE_SOON, episode)
        elif state in (ContactState.OVERDUE, ContactState.ESCALATED):
            week = (days - cadence.cadence_days - 1) // cadence.overdue_repeat_days
            episodes[pk] = (Reminder.Kind.OVERDUE, f"{episode}:{week}")
    recorded = set(
        Reminder.objects.filter(
            executive_id__in=list(episodes), episode__in=[episode for _kind, episode in episodes.values()]
        ).values_list("executive_id", "kind", "episode")
    )
    warned = _overdue_reminders_sent(
        executive_ids=[pk for pk, (state, _start, _days) in after.items() if state == ContactState.ESCALATED]
    )
    escalations = 0
    for pk, (state, start, _days) in after.items():
        delay = dt.timedelta(days=before[pk].cadence.escalation_days)
        sent = warned.get(contact_episode(executive_id=pk, start=start))
        escalations += state == ContactState.ESCALATED and sent is not None and sent <= now - delay
    return StandingImpact(
        executives=sum(into.values()),
        into=dict(into),
        reminders=sum((pk, *episodes[pk]) not in recorded for pk in episodes),
        escalations=escalations,
    )


# --- Scan, record, send --------------------------------------------------------------


def reminders_due(
    *,
    now: dt.datetime | None = None,
    as_of: dt.date | None = None,
    subjects: Mapping[str, Iterable[int]] | None = None,
) -> list[Due]:
    """Everything every source finds due at ``now`` (or on ``as_of``), in
    recipient, kind, episode order; with ``subjects``, only about those
    (``ScanMoment.subjects``)."""
    moment = ScanMoment(
        now=now or timezone.now(),
        as_of=as_of,
        subjects=None if subjects is None else {word: frozenset(ids) for word, ids in subjects.items()},
    )
    found = [due for source in SOURCES for due in source(moment)]
    return sorted(found, key=lambda due: (due.recipient_id, due.kind, due.episode))


def reminders_not_yet_recorded(dues: list[Due]) -> list[Due]:
    """Those of ``dues`` that have no reminder row yet (what a dry run would send)."""
    episodes = {due.episode for due in dues}
    recorded = set(
        Reminder.objects.filter(episode__in=episodes).values_list("recipient_id", "kind", "episode") if episodes else []
    )
    return [due for due in dues if (due.recipient_id, due.kind, due.episode) not in recorded]


def _when(due: Due, *, user: dict, now: dt.datetime) -> tuple[str, dt.datetime]:
    """The channel and the not-before moment of ``due`` for its recipient."""
    time_zone = user["time_zone"]
    if user["reminder_digest"] and due.kind != Reminder.Kind.ESCALATION and due.deadline is None:
        return Reminder.Channel.DIGEST, next_digest_moment(now, time_zone)
    at = next_working_moment(now, time_zone)
    if due.deadline is not None and at >= due.deadline:
        at = now  # waiting for working hours would miss it
    return Reminder.Channel.EMAIL, at


@transaction.atomic
def reminders_record(*, dues: list[Due], now: dt.datetime | None = None) -> int:
    """Record those of ``dues`` not recorded yet as pending reminders; the
    unique constraint decides, so two scans at once record each reminder
    once. Returns how many were new to this scan."""
    dues = reminders_not_yet_recorded(dues)
    if not dues:
        return 0
    now = now or timezone.now()
    users = {
        row["pk"]: row
        for row in User.objects.filter(pk__in={due.recipient_id for due in dues}).values(
            "pk", "time_zone", "reminder_digest"
        )
    }
    rows = []
    for due in dues:
        channel, due_at = _when(due, user=users[due.recipient_id], now=now)
        rows.append(
            Reminder(
                recipient_id=due.recipient_id,
                kind=due.kind,
                episode=due.episode,
                executive_id=due.executive_id,
                reason=due.reason[:300],
                url=due.url,
                channel=channel,
                due_at=due_at,
                created_at=now,
            )
        )
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


# --- Does it still hold? -----------------------------------------------------------

CONTACT_KINDS = (Reminder.Kind.DUE_SOON, Reminder.Kind.OVERDUE)
EXECUTIVE_KINDS = (*CONTACT_KINDS, Reminder.Kind.ESCALATION)
SUPERSEDED = "A later reminder of the same replaced it."
# Why a reminder of each kind that is about something else than an
# executive's cadence no longer holds (its source no longer finds it).
NO_LONGER = {
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
    return {n.pk: why for n in unread if isinstance(why := standing.get(n.reminder_id), str)}


# --- Sending -----------------------------------------------------------------------


def _claimable(*, now: dt.datetime) -> Q:
    """Reminders a sender may take: pending, or claimed by a sender that died (a stale claim)."""
    return Q(status=Reminder.Status.PENDING) | Q(status=Reminder.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)


def _notify_sent(*, recipient: User, reminders: Iterable[Reminder], now: dt.datetime) -> None:
    """The in-app notification of each reminder just sent to ``recipient``, in one insert."""
    Notification.objects.bulk_create(
        Notification(
            user=recipient,
            message=f"{r.get_kind_display()}: {r.reason}"[:300],
            url=r.url,
            reminder=r,
            created_at=now,
        )
        for r in reminders
    )


def reminders_ready(*, now: dt.datetime | None = None) -> list[int]:
    """The pending email reminders whose time has come, and those whose sender
    died while sending (a stale claim), oldest first."""
    now = now or timezone.now()
    return list(
        Reminder.objects.filter(_claimable(now=now), channel=Reminder.Channel.EMAIL, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)
    )


def reminder_claim(*, reminder_id: int, now: dt.datetime | None = None) -> bool:
    """Take reminder ``reminder_id`` for sending: one conditional UPDATE, so
    of two senders exactly one gets it."""
    now = now or timezone.now()
    return (
        Reminder.objects.filter(_claimable(now=now), pk=reminder_id).update(
            status=Reminder.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        == 1
    )


def _links() -> dict[str, str]:
    """The absolute links every reminder email may offer."""
    return {
        "home_url": absolute_url(reverse("home")),
        "log_url": absolute_url(reverse("visits:log_contact")),
        "settings_url": absolute_url(reverse("engagement:notification_settings")),
    }


def reminder_message(*, reminder: Reminder) -> EmailMultiAlternatives:
    """The email of one reminder, in plain text and HTML, with absolute links,
    its moments in the recipient's time zone."""
    links = _links()
    context = {
        "reminder": reminder,
        "reason": moments_in_zone(reminder.reason, reminder.recipient.time_zone),
        "recipient": reminder.recipient,
        "url": absolute_url(reminder.url) if reminder.url else links["home_url"],
        **links,
        **reminder_message_details(reminder=reminder),
    }
    return templated_email(
        "engagement/email/reminder", context, to=reminder.recipient.email, time_zone=reminder.recipient.time_zone
    )


def reminder_deliver(*, reminder_id: int, now: dt.datetime | None = None, as_of: dt.date | None = None) -> bool:
    """Send reminder ``reminder_id``, which the caller has claimed, if it
    still holds at ``now`` (or as of ``as_of``, as the scan that found it): the email, then, with the row marked
    sent, the in-app notification, both with the reason as it stands. One
    that no longer holds is withdrawn, with why, and nothing is sent. A mail
    error propagates, for the caller to retry; the row stays claimed
    meanwhile. Returns whether it was sent."""
    moment = ScanMoment(now=now or timezone.now(), as_of=as_of)
    reminder = Reminder.objects.select_related("recipient", "executive__user").get(pk=reminder_id)
    if reminder.status != Reminder.Status.SENDING:
        return False
    due = reminders_standing(reminders=[reminder], moment=moment)[reminder.pk]
    if isinstance(due, str) or not _take_episode(reminder, due):
        why = due if isinstance(due, str) else SUPERSEDED
        _withdraw(reasons={reminder.pk: why}, statuses=[Reminder.Status.SENDING], now=moment.now)
        return False
    reminder.reason, reminder.url = due.reason[:300], due.url
    reminder_message(reminder=reminder).send()
    with transaction.atomic():
        marked = Reminder.objects.filter(pk=reminder_id, status=Reminder.Status.SENDING).update(
            status=Reminder.Status.SENT, sent_at=moment.now, last_error="", reason=reminder.reason, url=reminder.url
        )
        if marked:
            _notify_sent(recipient=reminder.recipient, reminders=[reminder], now=moment.now)
    return bool(marked)


def reminder_failed(*, reminder_id: int, error: str, final: bool) -> None:
    """Note a failed try: back to pending for the next try, or failed for
    good (shown to program admins, who may send it again)."""
    Reminder.objects.filter(pk=reminder_id, status=Reminder.Status.SENDING).update(
        status=Reminder.Status.FAILED if final else Reminder.Status.PENDING, last_error=error[:300]
    )


def reminders_resend(*, reminder_ids: Iterable[int]) -> int:
    """Put the failed ones of ``reminder_ids`` back in line, to go out at the
    next run, in one UPDATE. Returns how many were failed."""
    return Reminder.objects.filter(pk__in=list(reminder_ids), status=Reminder.Status.FAILED).update(
        status=Reminder.Status.PENDING, due_at=timezone.now(), attempts=0
    )


def reminder_resend(*, reminder_id: int) -> bool:
    """Put a failed reminder back in line, to go out at the next run."""
    return reminders_resend(reminder_ids=[reminder_id]) == 1


# --- What a reminder's email says --------------------------------------------------


@dataclass(frozen=True)
class SuggestedAccount:
    """An account an executive would suit, with a ready-made email asking its
    account manager for a meeting (``mailto`` is empty when it has none)."""

    account: Account
    mailto: str


def suggested_accounts(*, executive: Executive) -> list[SuggestedAccount]:
    """The accounts a reminder suggests to ``executive``, each with an email to
    its account manager: the account team stays in charge of the meeting, so
    the executive asks rather than books. ``executive.user`` should be loaded."""
    suggestions = []
    for account in account_suggestions_for_executive(executive=executive):
        manager, mailto = account.account_manager, ""
        if manager is not None and manager.is_active:
            body = (
                f"Hello {manager.get_short_name()},\n\n"
                f"I would like to meet {account.name} in the next few weeks. Could we set up a meeting? "
                "Tell me what you would want from it.\n\n"
                f"{executive.user.get_full_name()}"
            )
            fields = {"subject": f"Could we set up a meeting with {account.name}?", "body": body}
            mailto = f"mailto:{quote(manager.email, safe='@')}?{urlencode(fields, quote_via=quote)}"
        suggestions.append(SuggestedAccount(account=account, mailto=mailto))
    return suggestions


def reminder_message_details(*, reminder: Reminder) -> dict[str, object]:
    """What a reminder's email says beyond its reason: to an executive due
    soon or overdue, accounts to meet and whom to ask; with an escalation,
    whether the recipient is the executive's manager (asked to help) or a
    program admin (sent to the program's executives page)."""
    details: dict[str, object] = {
        "suggestions": [],
        "for_manager": False,
        "program_url": "",
    }
    executive = reminder.executive
    if executive is None:
        return details
    if reminder.kind in CONTACT_KINDS:
        details["suggestions"] = suggested_accounts(executive=executive)
    elif reminder.kind == Reminder.Kind.ESCALATION:
        details["for_manager"] = bool(executive.manager_id) and (
            Executive.objects.filter(pk=executive.manager_id, user_id=reminder.recipient_id).exists()
        )
        if has_role(reminder.recipient, Role.PROGRAM_ADMIN):
            details["program_url"] = absolute_url(reverse("engagement:program_home"))
    return details


# --- The weekly digest -------------------------------------------------------------


def _digest_claimable(*, now: dt.datetime) -> Q:
    return Q(channel=Reminder.Channel.DIGEST, due_at__lte=now) & _claimable(now=now)


def reminders_digest_ready(*, now: dt.datetime | None = None) -> list[int]:
    """The recipients with a weekly digest to send: pending digest reminders
    whose Monday morning has come, or whose sender died while sending (a stale
    claim). One query."""
    now = now or timezone.now()
    return list(
        Reminder.objects.filter(_digest_claimable(now=now))
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def reminder_digest_message(*, recipient: User, reminders: list[Reminder], now: dt.datetime) -> EmailMultiAlternatives:
    """The one email of a weekly digest, listing ``reminders``, in plain text
    and HTML, with absolute links, moments in the recipient's time zone."""
    links = _links()
    own = next((r.executive for r in reminders if r.kind in CONTACT_KINDS and r.executive is not None), None)
    context = {
        "recipient": recipient,
        "items": [
            {
                "reminder": reminder,
                "reason": moments_in_zone(reminder.reason, recipient.time_zone),
                "url": absolute_url(reminder.url) if reminder.url else links["home_url"],
            }
            for reminder in reminders
        ],
        "week_of": now.astimezone(recipient.tzinfo).date(),
        **links,
        "suggestions": suggested_accounts(executive=own) if own else [],
    }
    return templated_email("engagement/email/digest", context, to=recipient.email, time_zone=recipient.time_zone)


def reminder_digest_deliver(*, recipient_id: int, now: dt.datetime | None = None, as_of: dt.date | None = None) -> int:
    """Send ``recipient_id`` their weekly digest: claim all their due digest
    reminders with one conditional UPDATE (of two senders, each reminder goes
    to one), withdraw those that no longer hold (``reminders_standing``),
    send one email listing the rest as they stand, then mark exactly those
    sent, each with its in-app notification. Returns how many went out. A
    mail error propagates with the reminders still claimed at ``now``, for
    the caller to hand to ``reminder_digest_failed``."""
    moment = ScanMoment(now=now or timezone.now(), as_of=as_of)
    now = moment.now
    claimed = Reminder.objects.filter(_digest_claimable(now=now), recipient_id=recipient_id).update(
        status=Reminder.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return 0
    # ``claimed_at`` tells this claim's rows from any other sender's.
    mine = Reminder.objects.filter(
        recipient_id=recipient_id, channel=Reminder.Channel.DIGEST, status=Reminder.Status.SENDING, claimed_at=now
    )
    claimed_rows = list(mine.select_related("recipient", "executive__user").order_by("created_at", "pk"))
    standing = reminders_standing(reminders=claimed_rows, moment=moment)
    reminders, reasons = [], {}
    for reminder in claimed_rows:
        due = standing[reminder.pk]
        if isinstance(due, str) or not _take_episode(reminder, due):
            reasons[reminder.pk] = due if isinstance(due, str) else SUPERSEDED
            continue
        reminder.reason, reminder.url = due.reason[:300], due.url
        reminders.append(reminder)
    _withdraw(reasons=reasons, statuses=[Reminder.Status.SENDING], now=now)
    if not reminders:
        return 0
    recipient = reminders[0].recipient
    reminder_digest_message(recipient=recipient, reminders=reminders, now=now).send()
    ids = [reminder.pk for reminder in reminders]
    with transaction.atomic():
        mine.filter(pk__in=ids).update(
            status=Reminder.Status.SENT,
            sent_at=now,
            last_error="",
            reason=_by_pk({r.pk: r.reason for r in reminders}),
            url=_by_pk({r.pk: r.url for r in reminders}),
        )
        # Re-read rather than trust the count: a sender that took a stale
        # claim over would have changed ``claimed_at`` and owns those rows now.
        sent = set(
            Reminder.objects.filter(pk__in=ids, status=Reminder.Status.SENT, claimed_at=now).values_list(
                "pk", flat=True
            )
        )
        _notify_sent(recipient=recipient, reminders=[r for r in reminders if r.pk in sent], now=now)
    return len(sent)


def reminder_digest_failed(*, recipient_id: int, claimed_at: dt.datetime, error: str, final: bool) -> int:
    """Note a failed try of a digest, for every reminder that try claimed (at
    ``claimed_at``): back to pending for the next try, or failed for good."""
    return Reminder.objects.filter(
        recipient_id=recipient_id,
        channel=Reminder.Channel.DIGEST,
        status=Reminder.Status.SENDING,
        claimed_at=claimed_at,
    ).update(status=Reminder.Status.FAILED if final else Reminder.Status.PENDING, last_error=error[:300])
