"""Keeping each person's calendars read: fetch, read, match, store.

``calendar_read`` reads one connection: a conditional fetch (an unchanged
calendar costs one request and no parsing), then the reading core
(``visits.calendars``) in the owner's time zone, then the customer meetings
found replace the ones stored for the reading window, in one transaction.
Any failure leaves the stored meetings as they were, keeps a plain message on
the connection and reads it again later, waiting longer after each failure;
after ``BROKEN_AFTER`` failures in a row the connection is left unread and
its owner is told, once.

``calendar_connections_due_take`` and ``calendar_connection_claim`` are what
the periodic tasks (``visits.tasks``) use to spread the reads and to make sure
no two workers read one connection at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from engagement.accounts.domains import company_domains
from engagement.accounts.models import Account, AccountDomain, Contact
from engagement.cadence.models import Program
from engagement.notifications.services import notification_send
from visits.calendar_suggestions import calendar_engagements_moved, calendar_engagements_withdrawn
from visits.calendars.fetching import FetchRequest, fetch_function
from visits.calendars.matching import MatchedEvent, Matcher
from visits.calendars.reading import CalendarUnreadable, read_calendar, reading_window
from visits.calendars.secrets import SecretUnreadable
from visits.models import CalendarConnection, CalendarMeeting

logger = logging.getLogger(__name__)

BROKEN_AFTER = 5
FIRST_RETRY = dt.timedelta(minutes=15)
LONGEST_RETRY = dt.timedelta(hours=24)
# A worker that claimed a connection this long ago has died: another may read it.
CLAIM_EXPIRES = dt.timedelta(minutes=10)
DUE_BATCH = 500


@dataclass(frozen=True, slots=True)
class ReadOutcome:
    """What one read did: ``unchanged`` (304), ``read``, ``failed`` or
    ``disconnected`` (the connection was deleted before its read)."""

    result: str
    matched: int = 0
    error: str = ""


def calendar_matcher_build() -> Matcher:
    """The program's customers, from three queries: contacts' addresses,
    accounts' domains, the company's own domains."""
    contacts = {
        email.strip().lower(): (pk, account_id)
        for email, pk, account_id in Contact.objects.filter(active=True)
        .exclude(email="")
        .values_list("email", "pk", "account_id")
        .order_by("pk")
    }
    domains = dict(AccountDomain.objects.values_list("domain", "account_id"))
    own = company_domains(list(Program.objects.values_list("company_domains", flat=True)))
    return Matcher(contact_emails=contacts, account_domains=domains, company_domains=own)


def calendar_read(connection_id: int, now: dt.datetime, *, matcher: Matcher | None = None) -> ReadOutcome:
    """Read one connection now and store what it holds (see the module)."""
    connection = CalendarConnection.objects.select_related("owner").filter(pk=connection_id).first()
    if connection is None:  # disconnected since it was queued
        return ReadOutcome(result="disconnected")
    window_start, window_end = reading_window(now)
    try:
        request = FetchRequest(
            url=connection.url,
            window_start=window_start,
            window_end=window_end,
            username=connection.username,
            password=connection.password,
            etag=connection.etag,
            last_modified=connection.last_modified,
        )
        fetched = fetch_function(connection.kind)(request, settings.CALENDAR_READ_TIMEOUT_SECONDS)
        if fetched.data is None:
            _succeeded(connection, now, changed=False)
            return ReadOutcome(result="unchanged", matched=connection.matched)
        read = read_calendar(
            fetched.data,
            owner_emails=[connection.owner.email],
            window_start=window_start,
            window_end=window_end,
            default_zone=connection.owner.time_zone,
        )
        events = (matcher or calendar_matcher_build()).match(read.occurrences)
    except (CalendarUnreadable, SecretUnreadable) as error:
        message = error.message if isinstance(error, CalendarUnreadable) else str(error)
        _failed(connection, now, message)
        return ReadOutcome(result="failed", error=message)
    still_there = {
        (occurrence.uid, occurrence.recurrence_key)
        for occurrence in read.occurrences
        if not occurrence.cancelled and not occurrence.owner_declined
    }
    with transaction.atomic():
        _meetings_replace(connection, events, window_start, window_end, still_there=still_there, now=now)
        connection.etag, connection.last_modified = fetched.etag, fetched.last_modified
        connection.events_seen, connection.matched = read.events_seen, len(events)
        _succeeded(connection, now, changed=True)
    return ReadOutcome(result="read", matched=len(events))


def _succeeded(connection: CalendarConnection, now: dt.datetime, *, changed: bool) -> None:
    connection.last_read_at = now
    if changed:
        connection.last_changed_at = now
    connection.failures = 0
    connection.broken_at = None
    connection.owner_told_broken_at = None
    connection.error = ""
    connection.claimed_at = None
    connection.next_read_at = now + dt.timedelta(seconds=settings.CALENDAR_READ_SECONDS)
    connection.save(
        update_fields=[
            "last_read_at",
            "last_changed_at",
            "etag",
            "last_modified",
            "events_seen",
            "matched",
            "failures",
            "broken_at",
            "owner_told_broken_at",
            "error",
            "claimed_at",
            "next_read_at",
        ]
    )


def calendar_retry_delay(failures: int) -> dt.timedelta:
    """15 minutes after the first failure, doubling after each, at most a day."""
    return min(FIRST_RETRY * 2 ** max(failures - 1, 0), LONGEST_RETRY)


def _failed(connection: CalendarConnection, now: dt.datetime, message: str) -> None:
    connection.failures += 1
    connection.error = message[:300]
    connection.claimed_at = None
    connection.next_read_at = now + calendar_retry_delay(connection.failures)
    tell = False
    if connection.failures >= BROKEN_AFTER and connection.broken_at is None:
        connection.broken_at = now
        tell = connection.owner_told_broken_at is None
        if tell:
            connection.owner_told_broken_at = now
    logger.info("Calendar %s could not be read: %s", connection.pk, message)
    with transaction.atomic():
        connection.save(
            update_fields=["failures", "error", "claimed_at", "next_read_at", "broken_at", "owner_told_broken_at"]
        )
        if tell:
            # To the page where the owner reads it again or disconnects it.
            notification_send(
                users=[connection.owner],
                message=(
                    f"Your calendar “{connection.name}” could not be read {connection.failures} times in a row, "
                    f"so it is no longer read: {connection.error}"
                ),
                url=reverse("visits:calendar_connections"),
                now=now,
            )


def _meetings_replace(
    connection: CalendarConnection,
    events: list[MatchedEvent],
    window_start: dt.datetime,
    window_end: dt.datetime,
    *,
    still_there: set[tuple[str, str]],
    now: dt.datetime,
) -> None:
    """The connection's meetings in the window become ``events``: the same
    occurrence (uid and recurrence key) is updated in place, a new one
    added, one no longer there (or cancelled, or no longer a customer
    meeting) deleted.

    What a meeting was logged as follows its event: moved with it, and
    withdrawn when the event is gone from the calendar (cancelled, deleted,
    declined), but kept when the event is still there (``still_there``) and
    only no longer matched (its customer's address was taken off, say): the
    meeting took place."""
    stored = {
        (meeting.uid, meeting.recurrence_key): meeting
        for meeting in CalendarMeeting.objects.filter(connection=connection).filter(
            Q(starts_at__gte=window_start, starts_at__lt=window_end)
            | Q(ends_at__gt=window_start, starts_at__lt=window_end)
        )
    }
    accounts = set(
        Account.objects.filter(pk__in={pk for e in events for pk in e.account_ids}).values_list("pk", flat=True)
    )
    contacts = set(
        Contact.objects.filter(pk__in={pk for e in events for pk in e.contact_ids}).values_list("pk", flat=True)
    )
    events = [event for event in events if event.primary_account_id in accounts]
    keep: list[tuple[CalendarMeeting, MatchedEvent]] = []
    moved: list[CalendarMeeting] = []
    for event in events:
        meeting = stored.pop((event.uid, event.recurrence_key), None) or CalendarMeeting(
            connection=connection, uid=event.uid, recurrence_key=event.recurrence_key
        )
        if meeting.engagement_id is not None and (meeting.starts_at, meeting.ends_at) != (event.start, event.end):
            moved.append(meeting)
        meeting.title, meeting.location = event.title, event.location
        meeting.starts_at, meeting.ends_at = event.start, event.end
        meeting.account_id = event.primary_account_id
        meeting.unknown_emails = sorted({person.email for person in event.people if person.contact_id is None})
        keep.append((meeting, event))
    gone = [
        meeting.engagement_id
        for key, meeting in stored.items()
        if meeting.engagement_id is not None and key not in still_there
    ]
    CalendarMeeting.objects.filter(pk__in=[meeting.pk for meeting in stored.values()]).delete()
    fields = ["title", "location", "starts_at", "ends_at", "account", "unknown_emails"]
    CalendarMeeting.objects.bulk_update([meeting for meeting, _ in keep if meeting.pk], fields, batch_size=500)
    CalendarMeeting.objects.bulk_create([meeting for meeting, _ in keep if not meeting.pk], batch_size=500)
    calendar_engagements_moved(meetings=moved, now=now)
    calendar_engagements_withdrawn(engagement_ids=gone, now=now)
    if not keep:
        return
    # bulk_create sets primary keys on PostgreSQL and SQLite; read them back otherwise.
    ids = _meeting_ids(connection, [event for _, event in keep])
    _links_replace(CalendarMeeting.accounts.through, "account_id", ids, keep, lambda e: e.account_ids, accounts)
    _links_replace(CalendarMeeting.contacts.through, "contact_id", ids, keep, lambda e: e.contact_ids, contacts)


def _meeting_ids(connection: CalendarConnection, events: list[MatchedEvent]) -> dict[tuple[str, str], int]:
    wanted = {(event.uid, event.recurrence_key) for event in events}
    rows = CalendarMeeting.objects.filter(connection=connection, uid__in={uid for uid, _ in wanted}).values_list(
        "uid", "recurrence_key", "pk"
    )
    return {(uid, key): pk for uid, key, pk in rows if (uid, key) in wanted}


def _links_replace(
    through: type,
    column: str,
    ids: dict[tuple[str, str], int],
    keep: list[tuple[CalendarMeeting, MatchedEvent]],
    targets: object,
    existing: set[int],
) -> None:
    meeting_ids = list(ids.values())
    through.objects.filter(calendarmeeting_id__in=meeting_ids).delete()  # type: ignore[attr-defined]
    rows = [
        through(calendarmeeting_id=ids[(event.uid, event.recurrence_key)], **{column: target})
        for _, event in keep
        for target in dict.fromkeys(targets(event))  # type: ignore[operator]
        if target in existing
    ]
    through.objects.bulk_create(rows, batch_size=1000)  # type: ignore[attr-defined]


def calendar_read_delay(connection_id: int) -> int:
    """Seconds to wait before reading a connection: the same for a
    connection every time, spread evenly over the reading period, so a
    thousand calendars are not all fetched at once."""
    digest = hashlib.sha256(f"calendar-{connection_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % max(settings.CALENDAR_READ_SECONDS, 1)


def calendar_connections_due_take(now: dt.datetime) -> Iterable[list[int]]:
    """The connections due a read, in batches of ids, each batch leased: its
    connections are not due again for two periods, so the next run does not
    queue them a second time, and one whose task is lost is read after that."""
    lease = now + 2 * dt.timedelta(seconds=settings.CALENDAR_READ_SECONDS)
    due = CalendarConnection.objects.filter(
        next_read_at__lte=now, broken_at__isnull=True, owner__is_active=True
    ).order_by("pk")
    while batch := list(due.values_list("pk", flat=True)[:DUE_BATCH]):
        CalendarConnection.objects.filter(pk__in=batch).update(next_read_at=lease)
        yield batch


def calendar_connection_claim(connection_id: int, now: dt.datetime) -> bool:
    """Whether this worker may read the connection now: one conditional
    UPDATE, so of two workers asking at once exactly one gets it."""
    claimed = CalendarConnection.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_EXPIRES), pk=connection_id
    ).update(claimed_at=now)
    return claimed == 1
