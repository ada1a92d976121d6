"""Generated calendar feeds, as a busy executive's Exchange calendar looks:
weekly series with removed and moved instances, one-off meetings in several
zones (IANA, Windows, UTC), customers and colleagues as attendees, and
invitation texts that make up most of the bytes."""

from __future__ import annotations

import datetime as dt
import random

COMPANY = "groundwork.example"
OWNER = f"owner@{COMPANY}"
CUSTOMER_DOMAINS = ("acme.com", "eu.globex.com", "initech.com", "contoso.de", "fabrikam.co.uk")
ZONES = ("W. Europe Standard Time", "Pacific Standard Time", "America/New_York", "Europe/London")
_VTIMEZONE = """BEGIN:VTIMEZONE\r
TZID:W. Europe Standard Time\r
BEGIN:STANDARD\r
DTSTART:16010101T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010101T020000\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r
END:DAYLIGHT\r
END:VTIMEZONE\r
"""


def _fold(line: str) -> str:
    """RFC 5545 folding: 75 octets a line, continuations start with a space."""
    chunks = [line[index : index + 74] for index in range(0, len(line), 74)]
    return "\r\n ".join(chunks) + "\r\n"


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _event(number: int, start: dt.datetime, zone: str, rng: random.Random, description_bytes: int) -> list[str]:
    customer = CUSTOMER_DOMAINS[number % len(CUSTOMER_DOMAINS)]
    lines = [
        "BEGIN:VEVENT\r\n",
        f"UID:generated-{number:06d}@groundwork.example\r\n",
        f"SUMMARY:Meeting {number} with {customer}\r\n",
        f"DTSTART;TZID={zone}:{_stamp(start)}\r\n",
        f"DTEND;TZID={zone}:{_stamp(start + dt.timedelta(minutes=rng.choice((30, 45, 60, 90))))}\r\n",
        "DTSTAMP:20261201T000000Z\r\n",
        f"LOCATION:Room {number % 40}\\, Building {number % 7}\r\n",
        f"ORGANIZER;CN=Owner:mailto:{OWNER}\r\n",
        _fold(f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Person {number}:mailto:person{number}@{customer}"),
        _fold(f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Colleague:mailto:colleague{number % 9}@{COMPANY}"),
        "X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\n",
    ]
    if description_bytes:
        text = "".join(rng.choice("abcdefghij klmnopqrstuvwxyz") for _ in range(description_bytes // 2))
        lines.append(_fold(f"DESCRIPTION:{text}"))
        lines.append(_fold(f"X-ALT-DESC;FMTTYPE=text/html:<html><body><p>{text}</p></body></html>"))
    return lines


def generated_feed(
    events: int, *, around: dt.datetime, spread_days: int = 90, series_share: float = 0.2, description_bytes: int = 0
) -> bytes:
    """A feed of ``events`` VEVENTs around ``around``: one in five a weekly
    series of twelve (with one instance removed by EXDATE and one moved by a
    RECURRENCE-ID override, which counts as one of the events)."""
    rng = random.Random(events)
    parts = [
        "BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\n",
        _VTIMEZONE,
    ]
    number = 0
    while number < events:
        zone = ZONES[number % len(ZONES)]
        start = (around + dt.timedelta(days=rng.randint(-spread_days, spread_days))).replace(
            hour=rng.randint(8, 17), minute=rng.choice((0, 30)), second=0, microsecond=0, tzinfo=None
        )
        lines = _event(number, start, zone, rng, description_bytes)
        if rng.random() < series_share and number + 1 < events:
            removed, moved = start + dt.timedelta(weeks=3), start + dt.timedelta(weeks=5)
            lines[-1:-1] = [f"RRULE:FREQ=WEEKLY;COUNT=12\r\nEXDATE;TZID={zone}:{_stamp(removed)}\r\n"]
            override = _event(number, moved + dt.timedelta(days=1, hours=2), zone, rng, 0)
            override.insert(2, f"RECURRENCE-ID;TZID={zone}:{_stamp(moved)}\r\n")
            lines += ["END:VEVENT\r\n", *override]
            number += 1
        parts += [*lines, "END:VEVENT\r\n"]
        number += 1
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts).encode()
