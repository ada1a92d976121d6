"""A feed's lines, cut down to what reading needs before icalendar parses it.

Parsing costs per line, and most of a feed's lines are never used: the
invitation texts (which are never kept, and are most of the bytes), Outlook's
and Apple's own fields, alarms, and a year or more of past one-off meetings.
So the feed is unfolded and only the properties and components reading uses
are passed on, and a one-off event that ends well before the window or starts
well after it is set aside unparsed (a day's margin covers any zone). A
series is always passed on whole: its instances are only known once it is
expanded.

Attendees are read here, not by icalendar: their lines are most of what is
left (each with half a dozen parameters), and reading them takes three
parameters and an address. Each event's people become one ``X-GROUNDWORK-PEOPLE``
line, the index of its people in ``Lines.people``, which an occurrence
carries like any other property (a moved instance has its own).

A one-off event written plainly (its times in UTC, floating, as a date, or in
a zone the database knows, and no DURATION) is read here too, into a
``RawEvent``, and never reaches the parser: most of a feed's events are
one-offs, and icalendar takes some 25 microseconds a line. Anything else
about it, or a value that does not read, and the event goes to icalendar,
which reads it or says what is wrong. The tests hold both ways of reading to
the same results.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from visits.calendars.zones import resolve_zone

# What is read: anything else never reaches the parser, so it cannot be kept.
READ_PROPERTIES = frozenset(
    {
        # the calendar
        "VERSION",
        "PRODID",
        "CALSCALE",
        "METHOD",
        "X-WR-TIMEZONE",
        # an event
        "UID",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "RECURRENCE-ID",
        "SEQUENCE",
        "SUMMARY",
        "LOCATION",
        "STATUS",
        # a time zone
        "TZID",
        "TZOFFSETFROM",
        "TZOFFSETTO",
        "TZNAME",
    }
)
READ_COMPONENTS = frozenset({"VCALENDAR", "VEVENT", "VTIMEZONE", "STANDARD", "DAYLIGHT"})
SERIES_PROPERTIES = frozenset({"RRULE", "RDATE", "RECURRENCE-ID"})
PEOPLE_PROPERTIES = ("ORGANIZER", "ATTENDEE")
PEOPLE_INDEX = "X-GROUNDWORK-PEOPLE"
NAME_LENGTH = 200
_PARAMETER = re.compile(r';([A-Za-z0-9-]+)=((?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*)')
_CARET = re.compile(r"\^[n'^]")
_CARET_MEANS = {"^n": " ", "^'": '"', "^^": "^"}
_FOLD = re.compile(rb"\r?\n[ \t]")
_NAME = re.compile(r"[A-Za-z0-9-]+")
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MARGIN = dt.timedelta(days=2)
SERIES, NEAR, FAR = "series", "near", "far"
_TEXT_PROPERTIES = frozenset({"UID", "SUMMARY", "LOCATION", "STATUS"})
# What only icalendar and recurring-ical-events read.
_NOT_PLAIN = frozenset({"DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"})
_ESCAPED = re.compile(r"\\([\\;,nN])")
_MOMENT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?")


@dataclass(frozen=True, slots=True)
class Attendee:
    """Someone an event invites (or its organiser), by address, lowercased."""

    email: str
    name: str
    declined: bool


@dataclass(frozen=True, slots=True)
class RawEvent:
    """An event's values as written, before its times are brought to UTC."""

    uid: str
    title: str
    location: str
    status: str
    start: dt.date
    end: dt.date | None
    duration: dt.timedelta | None
    attendees: tuple[Attendee, ...]


@dataclass(frozen=True, slots=True)
class Lines:
    lines: list[str]
    events_seen: int
    # Each kept event's attendees, organiser first, each address once.
    people: list[tuple[Attendee, ...]]
    # The one-off events read here, without the parser.
    one_offs: list[RawEvent]


def unfolded_lines(data: bytes) -> list[str]:
    """The feed's content lines, each whole. Unfolded as bytes, so a
    character a fold split in two is whole again before it is decoded."""
    unfolded = _FOLD.sub(b"", data)
    try:
        text = unfolded.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = unfolded.decode("cp1252", errors="replace")
    return [line.rstrip("\r") for line in text.split("\n") if line.strip()]


def lines_to_read(lines: list[str], window_start: dt.datetime, window_end: dt.datetime) -> Lines:
    """The lines of the properties and components reading uses, without the
    one-off events far from the window. A ValueError says what is wrong with
    a feed whose events cannot be told apart."""
    earliest, latest = (window_start - _MARGIN).date(), (window_end + _MARGIN).date()
    kept: list[str] = []
    event: list[str] | None = None
    skipping: list[str] = []  # the components being left out, innermost last
    people: list[tuple[Attendee, ...]] = []
    one_offs: list[RawEvent] = []
    event_people: dict[str, Attendee] = {}
    events_seen = 0
    for line in lines:
        match = _NAME.match(line)
        name = match.group().upper() if match else ""
        value = line[line.find(":") + 1 :].strip().upper() if name in ("BEGIN", "END") else ""
        if skipping:
            if name == "BEGIN":
                skipping.append(value)
            elif name == "END" and value == skipping[-1]:
                skipping.pop()
            continue
        if name == "BEGIN" and value not in READ_COMPONENTS:
            skipping.append(value)
            continue
        if name in PEOPLE_PROPERTIES and event is not None:
            attendee = read_attendee(line)
            if attendee and attendee.email not in event_people:
                event_people[attendee.email] = attendee
            continue
        if name not in READ_PROPERTIES and name not in ("BEGIN", "END"):
            continue
        if name == "BEGIN" and value == "VEVENT":
            if event is not None:
                raise ValueError("an event begins inside another one (BEGIN:VEVENT twice).")
            events_seen += 1
            event = []
            event_people = {}
        if event is None:
            kept.append(line)
            continue
        event.append(line)
        if name == "END" and value == "VEVENT":
            _close(event, tuple(event_people.values()), _near(event, earliest, latest), kept, people, one_offs)
            event = None
    if event is not None:
        kept += event
    return Lines(lines=kept, events_seen=events_seen, people=people, one_offs=one_offs)


def _close(
    event: list[str],
    attendees: tuple[Attendee, ...],
    near: str,
    kept: list[str],
    people: list[tuple[Attendee, ...]],
    one_offs: list[RawEvent],
) -> None:
    """Pass an event on: read here when it is a plain one-off, to the parser
    (with the index of its people) when not, nowhere when it is far."""
    if near == FAR:
        return
    raw = plain_one_off(event, attendees) if near == NEAR else None
    if raw is not None:
        one_offs.append(raw)
        return
    if attendees:
        event.insert(-1, f"{PEOPLE_INDEX}:{len(people)}")
        people.append(attendees)
    kept += event


def split_line(line: str) -> tuple[dict[str, str], str] | None:
    """A content line's parameters (each name's first value) and its value;
    None when it has no value."""
    position = line.find(";")
    colon = line.find(":")
    parameters: dict[str, str] = {}
    if position != -1 and (colon == -1 or position < colon):
        while (match := _PARAMETER.match(line, position)) is not None:
            parameters.setdefault(match.group(1).upper(), _parameter_value(match.group(2)))
            position = match.end()
        colon = position if line[position : position + 1] == ":" else -1
    if colon == -1:
        return None
    return parameters, line[colon + 1 :]


def plain_one_off(event: list[str], attendees: tuple[Attendee, ...]) -> RawEvent | None:
    """A one-off event's values, when each is written plainly; else None."""
    texts: dict[str, str] = {}
    moments: dict[str, dt.date] = {}
    for line in event[1:-1]:
        match = _NAME.match(line)
        name = match.group().upper() if match else ""
        parts = split_line(line)
        if parts is None or name in _NOT_PLAIN or name in moments:
            return None
        if name in _TEXT_PROPERTIES:
            texts.setdefault(name, _unescaped(parts[1]))
        elif name in ("DTSTART", "DTEND"):
            moment = _plain_moment(*parts)
            if moment is None:
                return None
            moments[name] = moment
    if "DTSTART" not in moments:
        return None
    return RawEvent(
        uid=texts.get("UID", ""),
        title=texts.get("SUMMARY", ""),
        location=texts.get("LOCATION", ""),
        status=texts.get("STATUS", ""),
        start=moments["DTSTART"],
        end=moments.get("DTEND"),
        duration=None,
        attendees=attendees,
    )


def _unescaped(value: str) -> str:
    return _ESCAPED.sub(lambda match: "\n" if match.group(1) in "nN" else match.group(1), value)


def _plain_moment(parameters: dict[str, str], value: str) -> dt.date | None:
    """A DATE, or a DATE-TIME in UTC, floating, or in a zone the database
    knows; None for anything else."""
    match = _MOMENT.fullmatch(value.strip())
    kind = parameters.get("VALUE", "").upper()
    if match is None or set(parameters) - {"TZID", "VALUE"}:
        return None
    year, month, day, hour, minute, second, utc = match.groups()
    is_date = hour is None
    if kind not in ("", "DATE" if is_date else "DATE-TIME") or ((is_date or utc) and "TZID" in parameters):
        return None
    zone: dt.tzinfo | None = dt.UTC if utc else None
    if "TZID" in parameters:
        zone = resolve_zone(parameters["TZID"])
        if zone is None:
            return None
    try:
        if is_date:
            return dt.date(int(year), int(month), int(day))
        return dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=zone)
    except ValueError:
        return None


def read_attendee(line: str) -> Attendee | None:
    """An ATTENDEE or ORGANIZER line's address, name and answer; None when
    it holds no address. Apple writes some as ``urn:uuid:`` with the address
    in an EMAIL parameter."""
    parts = split_line(line)
    if parts is None:
        return None
    parameters, value = parts
    email = _address(value, parameters.get("EMAIL", ""))
    if not email:
        return None
    return Attendee(
        email=email,
        name=" ".join(parameters.get("CN", "").split())[:NAME_LENGTH],
        declined=parameters.get("PARTSTAT", "").upper() == "DECLINED",
    )


def _parameter_value(raw: str) -> str:
    """A parameter's first value, unquoted, RFC 6868's ^-escapes read."""
    first = raw[1 : raw.index('"', 1)] if raw.startswith('"') else raw.split(",", 1)[0]
    return _CARET.sub(lambda match: _CARET_MEANS[match.group()], first) if "^" in first else first


def _address(value: str, email_parameter: str) -> str:
    text = value.strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    elif ":" in text or "@" not in text:
        text = email_parameter
    text = text.strip().strip('"').lower()
    return text if "@" in text.strip("@") and " " not in text else ""


def _near(event: list[str], earliest: dt.date, latest: dt.date) -> str:
    """Whether an event may touch the window: a SERIES, an event whose dates
    cannot be told from its text (icalendar will say what is wrong), or a
    one-off whose days overlap the window's, give or take the margin, is
    NEAR; any other one-off is FAR."""
    start = end = None
    unsure = False
    for line in event:
        match = _NAME.match(line)
        name = match.group().upper() if match else ""
        if name in SERIES_PROPERTIES:
            return SERIES
        if name == "DTSTART":
            start = _date_of(line)
        elif name == "DTEND":
            end = _date_of(line)
        elif name == "DURATION":
            unsure = True
    if unsure or start is None or (start <= latest and (end or start) >= earliest):
        return NEAR
    return FAR


def _date_of(line: str) -> dt.date | None:
    match = _DATE.match(line[line.rfind(":") + 1 :].strip())
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
