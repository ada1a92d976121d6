"""Reading one person's calendar feed: every occurrence in a window, in UTC.

The feed is the bytes a private iCalendar address (or a CalDAV query)
answered. Recurring series are expanded by recurring-ical-events, which
applies each series' moved instances (RECURRENCE-ID) and removed ones
(EXDATE, RDATE). Only the properties reading uses reach the parser
(``visits.calendars.lines``): descriptions never do, so they cannot be kept,
and they are most of a feed's weight (Outlook writes each invitation's text
twice, once as HTML).

Reading is all or nothing: a feed that is not a whole, well-formed calendar
raises ``CalendarUnreadable`` with a message for the person who gave the
address, and no occurrence of it is returned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import recurring_ical_events
from icalendar import Calendar, Component

from visits.calendars.lines import PEOPLE_INDEX, Attendee, RawEvent, lines_to_read, unfolded_lines
from visits.calendars.zones import as_zone, prepare_time_zones, resolve_zone, to_utc

DAYS_BACK = 30
DAYS_AHEAD = 60
# A private feed of a busy year is well under 2 MB; past this it is not one
# person's calendar (or the address is wrong), and reading it would cost
# every other feed its turn.
MAX_FEED_BYTES = 10 * 1024 * 1024
TITLE_LENGTH = 300
LOCATION_LENGTH = 300
# A series' occurrences are looked for this much wider than the window, then
# kept only if they overlap it once in UTC: floating times and all-day
# events are read in the owner's zone, up to 14 hours from UTC.
_MARGIN = dt.timedelta(days=1)
_BROKEN = re.compile(r"broken property '(?P<name>[A-Z0-9-]+)'.*got: (?P<value>.*)$", re.S)

HTML_MESSAGE = (
    "This address answered a web page (HTML), not a calendar: check that it is the calendar's secret iCal address."
)
EMPTY_MESSAGE = "This address answered nothing at all: check that it is the calendar's secret iCal address."
TOO_LARGE_MESSAGE = (
    f"This calendar is larger than {MAX_FEED_BYTES // (1024 * 1024)} MB, more than one person's calendar holds: "
    "check that it is your own calendar's address."
)


class CalendarUnreadable(Exception):
    """A feed that cannot be read, with a message in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One meeting as it happens: a single event, or one instance of a series
    (``recurrence_key`` is the instance's original start, which stays the same
    when the instance is moved; empty for a single event)."""

    uid: str
    recurrence_key: str
    title: str
    start: dt.datetime
    end: dt.datetime
    all_day: bool
    location: str
    attendees: tuple[Attendee, ...]
    cancelled: bool
    owner_declined: bool

    @property
    def attendee_emails(self) -> tuple[str, ...]:
        return tuple(attendee.email for attendee in self.attendees)

    @property
    def length(self) -> dt.timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class CalendarRead:
    occurrences: tuple[Occurrence, ...]
    events_seen: int


def reading_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The stretch a calendar is read over: 30 days back, 60 ahead."""
    return now - dt.timedelta(days=DAYS_BACK), now + dt.timedelta(days=DAYS_AHEAD)


def check_feed_size(size: int | None) -> None:
    """Refuse a feed past the cap; the fetcher calls this with the announced
    length before reading, and again as the bytes arrive."""
    if size is not None and size > MAX_FEED_BYTES:
        raise CalendarUnreadable(TOO_LARGE_MESSAGE)


def read_calendar(
    data: bytes,
    *,
    owner_emails: Iterable[str],
    window_start: dt.datetime,
    window_end: dt.datetime,
    default_zone: dt.tzinfo | str | None = None,
) -> CalendarRead:
    """Every occurrence of the feed that overlaps the window, sorted by
    start, with cancellations and the owner's own declines marked (not
    dropped: what to keep is ``match_events``' call)."""
    check_feed_size(len(data))
    try:
        lines = lines_to_read(unfolded_lines(_checked(data)), window_start, window_end)
    except ValueError as error:
        raise CalendarUnreadable(f"The calendar could not be read: {_plain(error)}") from error
    calendar = _parse("\r\n".join(prepare_time_zones(lines.lines)))
    events = calendar.walk("VEVENT")
    owner_zone = as_zone(default_zone)
    context = _Context(
        owners=frozenset(email.strip().lower() for email in owner_emails),
        floating_zone=resolve_zone(_text(calendar.get("X-WR-TIMEZONE"))) or owner_zone,
        day_zone=owner_zone,
        recurring_uids=frozenset(_text(event.get("UID")) for event in events if _is_recurring(event)),
        everything_cancelled=_text(calendar.get("METHOD")).upper() == "CANCEL",
        people=lines.people,
    )
    try:
        occurrences: dict[tuple[str, str], Occurrence] = {}
        read_here = (_from_raw(raw, context) for raw in lines.one_offs)
        parsed = (
            _occurrence(component, context)
            for component in _instances(calendar, context.recurring_uids, window_start - _MARGIN, window_end + _MARGIN)
        )
        for occurrence in itertools.chain(read_here, parsed):
            if occurrence.start < window_end and (occurrence.end > window_start or occurrence.start >= window_start):
                occurrences.setdefault((occurrence.uid, occurrence.recurrence_key), occurrence)
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        # icalendar's InvalidCalendar and BrokenCalendarProperty are ValueErrors.
        raise CalendarUnreadable(f"The calendar could not be read: {_plain(error)}") from error
    ordered = sorted(occurrences.values(), key=lambda item: (item.start, item.uid, item.recurrence_key))
    return CalendarRead(occurrences=tuple(ordered), events_seen=lines.events_seen)


def _instances(
    calendar: Calendar, recurring_uids: frozenset[str], start: dt.datetime, end: dt.datetime
) -> Iterator[Component]:
    """Each one-off event as it is (the window check comes once its times
    are in UTC), then each series' instances from recurring-ical-events, fed
    the series alone: copying every one-off through it would double the
    time a feed takes."""
    series = Calendar(calendar)
    for component in calendar.subcomponents:
        if component.name == "VEVENT" and _text(component.get("UID")) not in recurring_uids:
            yield component
        else:
            series.subcomponents.append(component)
    if recurring_uids:
        yield from recurring_ical_events.of(series).between(start, end)


def _checked(data: bytes) -> bytes:
    """The feed, after the checks that need no parsing: nothing, a web page,
    or something that is not a whole calendar."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        raise CalendarUnreadable(EMPTY_MESSAGE)
    if head.startswith(b"<") and any(tag in head for tag in (b"<html", b"<!doctype html", b"<head", b"<body")):
        raise CalendarUnreadable(HTML_MESSAGE)
    if not head.startswith(b"begin:vcalendar"):
        raise CalendarUnreadable("The calendar could not be read: it does not begin with BEGIN:VCALENDAR.")
    if not data[-256:].rstrip().lower().endswith(b"end:vcalendar"):
        raise CalendarUnreadable(
            "The calendar could not be read: it stops before its end (no END:VCALENDAR), so it was cut off."
        )
    return data


def _parse(text: str) -> Calendar:
    """The feed's calendar. Several in a row (what a CalDAV query answers, one
    per event, once put end to end) are read as one."""
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except ValueError as error:
        raise CalendarUnreadable(f"The calendar could not be read: {_plain(error)}") from error
    if not calendars:
        raise CalendarUnreadable("The calendar could not be read: a part of it begins (BEGIN) and never ends (END).")
    if any(calendar.name != "VCALENDAR" for calendar in calendars):
        raise CalendarUnreadable("The calendar could not be read: it holds something other than a calendar.")
    first, *others = calendars
    for other in others:
        first.subcomponents += other.subcomponents
    return first


def _plain(error: Exception) -> str:
    """The parser's complaint, short: its first line, without the feed it
    quotes; a broken value is named with the property it was given for."""
    if isinstance(error, KeyError) and error.args:
        return f"an event has no {error.args[0]}."
    text = str(error).strip()
    broken = _BROKEN.search(text)
    if broken:
        return f"a {broken['name']} holds “{broken['value'][:40]}”, which is not a valid value for it."
    first = text.splitlines()[0] if text else type(error).__name__
    return first[:200].rstrip(".:") + "."


def _is_recurring(event: Component) -> bool:
    return any(name in event for name in ("RRULE", "RDATE", "RECURRENCE-ID"))


@dataclass(frozen=True, slots=True)
class _Context:
    """What every occurrence of one feed is read with."""

    owners: frozenset[str]
    floating_zone: dt.tzinfo
    day_zone: dt.tzinfo
    recurring_uids: frozenset[str]
    everything_cancelled: bool
    people: list[tuple[Attendee, ...]]

    def utc(self, value: dt.date | dt.datetime) -> tuple[dt.datetime, bool]:
        return to_utc(value, self.floating_zone, self.day_zone)


def _occurrence(component: Component, context: _Context) -> Occurrence:
    """An occurrence icalendar and recurring-ical-events read."""
    people = component.get(PEOPLE_INDEX)
    raw = RawEvent(
        uid=_text(component.get("UID")),
        title=_text(component.get("SUMMARY")),
        location=_text(component.get("LOCATION")),
        status=_text(component.get("STATUS")),
        start=_moment(component, "DTSTART"),
        end=_moment(component, "DTEND") if "DTEND" in component else None,
        duration=component.decoded("DURATION") if "DURATION" in component else None,
        attendees=context.people[int(people)] if people is not None else (),
    )
    occurrence = _from_raw(raw, context)
    if occurrence.uid in context.recurring_uids:
        return dataclasses.replace(occurrence, recurrence_key=_recurrence_key(component, context))
    return occurrence


def _from_raw(raw: RawEvent, context: _Context) -> Occurrence:
    start, all_day = context.utc(raw.start)
    if raw.end is not None:
        end = context.utc(raw.end)[0]
    elif raw.duration is not None:
        end = start + raw.duration
    else:
        # RFC 5545: a DATE event without an end lasts the day; a timed one, no time.
        end = start + dt.timedelta(days=1) if all_day else start
    title, location = _text(raw.title), _text(raw.location)
    return Occurrence(
        uid=_text(raw.uid) or _made_up_uid(start, title, location),
        recurrence_key="",
        title=title[:TITLE_LENGTH],
        start=start,
        end=max(end, start),
        all_day=all_day,
        location=location[:LOCATION_LENGTH],
        attendees=raw.attendees,
        cancelled=context.everything_cancelled or raw.status.upper() == "CANCELLED",
        owner_declined=any(attendee.declined and attendee.email in context.owners for attendee in raw.attendees),
    )


def _moment(component: Component, name: str) -> dt.date:
    """A DTSTART or DTEND, or a plain-words refusal of the feed."""
    if name not in component:
        raise CalendarUnreadable(f"The calendar could not be read: an event has no {name}.")
    value = component.decoded(name)
    if not isinstance(value, dt.date):
        raise CalendarUnreadable(
            f"The calendar could not be read: a {name} holds “{str(component.get(name))[:40]}”, "
            "which is not a valid value for it."
        )
    return value


def _recurrence_key(component: Component, context: _Context) -> str:
    """The instance's original start: a DATE as it is (an all-day series keeps
    its key if the owner moves zone), a time in UTC."""
    original = component.decoded("RECURRENCE-ID", None) or component.decoded("DTSTART")
    if not isinstance(original, dt.datetime):
        return original.isoformat()
    return context.utc(original)[0].isoformat()


def _made_up_uid(start: dt.datetime, title: str, location: str) -> str:
    """A stable stand-in for an event a calendar wrote without a UID."""
    seed = f"{start.isoformat()}|{title}|{location}"
    return "no-uid-" + hashlib.sha256(seed.encode()).hexdigest()[:24]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return " ".join(str(value).split())
