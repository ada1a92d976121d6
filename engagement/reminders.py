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
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from engagement.links import absolute_url
from engagement.models import Executive, Reminder, User
from engagement.roles import Role
from engagement.selectors import ContactState, executive_contact_statuses
from engagement.services import notification_send

# Working hours, in each recipient's own time zone, Monday to Friday.
WORKDAY_START = dt.time(9)
WORKDAY_END = dt.time(17)
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
    """When a scan runs, and the calendar day it acts as of (``--as-of``)."""

    now: dt.datetime
    as_of: dt.date | None = None


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
    local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    if local.weekday() < 5 and WORKDAY_START <= local.time() < WORKDAY_END:
        return moment
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


@reminder_source
def contact_reminders(moment: ScanMoment) -> Iterator[Due]:
    """Due soon, overdue (then again every ``overdue_repeat_days``) and
    escalated, for every active executive, from the same contact status the
    pages show. Five queries, however many executives."""
    executives = Executive.objects.filter(active=True, user__is_active=True)
    statuses = executive_contact_statuses(executives=executives, now=moment.now, as_of=moment.as_of, exposure=False)
    people = {
        row["pk"]: row
        for row in executives.values("pk", "user_id", "manager__user_id", "manager__active", "user__full_name")
    }
    admins: list[int] | None = None
    log_url = reverse("visits:log_contact")
    for executive_id, status in statuses.items():
        state = status.reminder_state
        if state == ContactState.ON_TRACK:
            continue
        person, start = people[executive_id], status.episode_start
        days = (status.today - start).days
        since = (
            f"last contact {start:%-d %b %Y}"
            if status.last_contact_on
            else f"no contact since joining {start:%-d %b %Y}"
        )
        episode = f"executive:{executive_id}:{start.isoformat()}"
        if state == ContactState.DUE_SOON:
            reason = f"The six-week window closes on {status.due_on:%-d %b %Y} ({since})."
            yield Due(person["user_id"], Reminder.Kind.DUE_SOON, episode, reason, log_url, executive_id)
            continue
        overdue_days = days - status.cadence.cadence_days
        week = (overdue_days - 1) // status.cadence.overdue_repeat_days
        reason = f"{overdue_days} day{'s' if overdue_days != 1 else ''} past the window ({since})."
        yield Due(person["user_id"], Reminder.Kind.OVERDUE, f"{episode}:{week}", reason, log_url, executive_id)
        if state == ContactState.ESCALATED:
            if person["manager__user_id"] and person["manager__active"]:
                recipients = [person["manager__user_id"]]
            else:
                admins = _program_admin_ids() if admins is None else admins
                recipients = admins
            reason = f"{person['user__full_name']} is {overdue_days} days past the contact window ({since})."
            for recipient_id in recipients:
                yield Due(recipient_id, Reminder.Kind.ESCALATION, episode, reason, "", executive_id)


# --- Scan, record, send --------------------------------------------------------------


def reminders_due(*, now: dt.datetime | None = None, as_of: dt.date | None = None) -> list[Due]:
    """Everything every source finds due at ``now`` (or on ``as_of``), in
    recipient, kind, episode order."""
    moment = ScanMoment(now=now or timezone.now(), as_of=as_of)
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
    """Record ``dues`` as pending reminders; those already recorded are left
    as they are (the unique constraint decides, so two scans at once record
    each reminder once). Returns how many rows the dues now have in all."""
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


def reminders_ready(*, now: dt.datetime | None = None) -> list[int]:
    """The pending email reminders whose time has come, and those whose sender
    died while sending (a stale claim), oldest first."""
    now = now or timezone.now()
    return list(
        Reminder.objects.filter(channel=Reminder.Channel.EMAIL, due_at__lte=now)
        .filter(Q(status=Reminder.Status.PENDING) | Q(status=Reminder.Status.SENDING, claimed_at__lt=now - STALE_CLAIM))
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)
    )


def reminder_claim(*, reminder_id: int, now: dt.datetime | None = None) -> bool:
    """Take reminder ``reminder_id`` for sending: one conditional UPDATE, so
    of two senders exactly one gets it."""
    now = now or timezone.now()
    claimable = Q(status=Reminder.Status.PENDING) | Q(status=Reminder.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    return (
        Reminder.objects.filter(claimable, pk=reminder_id).update(
            status=Reminder.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        == 1
    )


def reminder_message(*, reminder: Reminder) -> EmailMultiAlternatives:
    """The email of one reminder, in plain text and HTML, with absolute links."""
    context = {
        "reminder": reminder,
        "recipient": reminder.recipient,
        "url": absolute_url(reminder.url) if reminder.url else absolute_url(reverse("home")),
        "log_url": absolute_url(reverse("visits:log_contact")),
        "home_url": absolute_url(reverse("home")),
    }
    subject = render_to_string("engagement/email/reminder_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("engagement/email/reminder.txt", context),
        to=[reminder.recipient.email],
    )
    message.attach_alternative(render_to_string("engagement/email/reminder.html", context), "text/html")
    return message


def reminder_deliver(*, reminder_id: int, now: dt.datetime | None = None) -> bool:
    """Send reminder ``reminder_id``, which the caller has claimed: the email,
    then, with the row marked sent, the in-app notification. A mail error
    propagates, for the caller to retry; the row stays claimed meanwhile."""
    reminder = Reminder.objects.select_related("recipient", "executive__user").get(pk=reminder_id)
    if reminder.status != Reminder.Status.SENDING:
        return False
    reminder_message(reminder=reminder).send()
    now = now or timezone.now()
    with transaction.atomic():
        marked = Reminder.objects.filter(pk=reminder_id, status=Reminder.Status.SENDING).update(
            status=Reminder.Status.SENT, sent_at=now, last_error=""
        )
        if marked:
            notification_send(
                users=[reminder.recipient],
                message=f"{reminder.get_kind_display()}: {reminder.reason}",
                url=reminder.url,
                now=now,
            )
    return bool(marked)


def reminder_failed(*, reminder_id: int, error: str, final: bool) -> None:
    """Note a failed try: back to pending for the next try, or failed for
    good (shown to program admins, who may send it again)."""
    Reminder.objects.filter(pk=reminder_id, status=Reminder.Status.SENDING).update(
        status=Reminder.Status.FAILED if final else Reminder.Status.PENDING, last_error=error[:300]
    )


def reminder_resend(*, reminder_id: int) -> bool:
    """Put a failed reminder back in line, to go out at the next run."""
    return (
        Reminder.objects.filter(pk=reminder_id, status=Reminder.Status.FAILED).update(
            status=Reminder.Status.PENDING, due_at=timezone.now(), attempts=0
        )
        == 1
    )
