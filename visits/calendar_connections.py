"""A person connecting, reading again and disconnecting their own calendars.

A calendar is connected only once it has been read: ``calendar_address_try``
fetches and reads an address the way every later read will, so that a web
page, a 404 or a sign-in form is refused while the person still has the
address at hand. ``calendar_connection_add`` then keeps it (encrypted, see
``visits.calendars.secrets``) and ``calendar_connection_read`` reads it at
once, so the page can say what it found. Disconnecting deletes the
connection and every meeting read from it; the contacts already logged from
those meetings are the person's record and stay.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from engagement.delivery.outbox import task_enqueue
from engagement.people.models import User
from visits.calendar_reads import ReadOutcome, calendar_read
from visits.calendars.fetching import FetchRequest, address_normalise, ics_fetch
from visits.calendars.reading import CalendarRead, read_calendar, reading_window
from visits.calendars.secrets import SecretUnreadable
from visits.models import CalendarConnection

# More than anyone's own calendars: each is fetched every period.
MAX_CONNECTIONS = 10


class CalendarRefused(Exception):
    """A calendar that is not connected, with the reason in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def calendar_address_try(*, url: str, owner: User, now: dt.datetime) -> CalendarRead:
    """Fetch and read the calendar at ``url`` once, as the reader will,
    without keeping anything. Raises ``CalendarUnreadable`` with a plain
    message when it is no calendar (a web page, a 404, a timeout)."""
    window_start, window_end = reading_window(now)
    fetched = ics_fetch(
        FetchRequest(url=url, window_start=window_start, window_end=window_end),
        settings.CALENDAR_READ_TIMEOUT_SECONDS,
    )
    return read_calendar(
        fetched.data or b"",
        owner_emails=[owner.email],
        window_start=window_start,
        window_end=window_end,
        default_zone=owner.time_zone,
    )


def _same_address(url: str) -> str:
    return address_normalise(url).rstrip("/").lower()


def calendar_connection_refusal(*, owner: User, url: str) -> str | None:
    """Why ``owner`` may not connect ``url`` (already connected, or too many
    calendars), or None. The addresses are kept encrypted, so the person's
    few are decrypted and compared."""
    connections = list(CalendarConnection.objects.filter(owner=owner).only("pk", "name", "url_encrypted"))
    if len(connections) >= MAX_CONNECTIONS:
        return (
            f"You have connected {MAX_CONNECTIONS} calendars, as many as Groundwork reads for one person: "
            "disconnect one you no longer use first."
        )
    wanted = _same_address(url)
    for connection in connections:
        try:
            connected = connection.url
        except SecretUnreadable:
            continue  # its address is lost (a key dropped): giving it again is welcome
        if _same_address(connected) == wanted:
            return f"You have connected this calendar already, as “{connection.name}”."
    return None


def calendar_connection_add(
    *,
    owner: User,
    kind: str,
    name: str,
    url: str,
    username: str = "",
    password: str = "",
    now: dt.datetime,
) -> CalendarConnection:
    """Keep a new connection of ``owner``'s, its address and password
    encrypted; raises ``CalendarRefused`` for one ``calendar_connection_refusal``
    refuses. Due at once, so the reader picks it up even if the first read
    (``calendar_connection_read``) is not made."""
    url = address_normalise(url) if kind == CalendarConnection.Kind.ICS else url.strip()
    if (refusal := calendar_connection_refusal(owner=owner, url=url)) is not None:
        raise CalendarRefused(refusal)
    connection = CalendarConnection(
        owner=owner, kind=kind, name=name.strip()[:100], username=username, next_read_at=now, created_at=now
    )
    connection.url = url
    connection.password = password
    connection.save()
    return connection


def calendar_connection_read(*, connection: CalendarConnection, now: dt.datetime) -> ReadOutcome:
    """Read ``connection`` now, in this request: its first read, so that the
    person sees what it found. Its counts are refreshed on ``connection``."""
    outcome = calendar_read(connection.pk, now)
    connection.refresh_from_db(fields=["events_seen", "matched", "last_read_at", "failures", "error", "next_read_at"])
    return outcome


def calendar_connection_read_again(*, connection: CalendarConnection, now: dt.datetime) -> None:
    """Read a broken or failing connection again: its failures forgotten (so
    the next ones wait 15 minutes again, and a fifth tells its owner again)
    and a read queued now."""
    connection.failures = 0
    connection.broken_at = None
    connection.owner_told_broken_at = None
    connection.error = ""
    connection.claimed_at = None
    connection.next_read_at = now
    with transaction.atomic():
        connection.save(
            update_fields=["failures", "broken_at", "owner_told_broken_at", "error", "claimed_at", "next_read_at"]
        )
        task_enqueue(task="visits.tasks.read_calendar", args=[connection.pk])


def calendar_connection_disconnect(*, connection: CalendarConnection) -> int:
    """Delete ``connection`` and the meetings read from it (they cascade);
    the contacts logged from them stay. Returns how many meetings went."""
    meetings = connection.meetings.count()
    connection.delete()
    return meetings


def user_calendar_auto_confirm_set(*, user: User, on: bool) -> None:
    """Whether ``user``'s customer meetings are logged once they have ended
    without asking them first."""
    user.calendar_auto_confirm = on
    user.save(update_fields=["calendar_auto_confirm"])
