"""Time zones as calendars write them, brought to one instant in UTC.

A calendar names its zone in one of several ways, and each must land on the
same instant: an IANA name (``America/New_York``), a Windows name from
Outlook or Exchange (``W. Europe Standard Time``), a VTIMEZONE block under a
name of its own (``Customized Time Zone``), Google's calendar-wide
``X-WR-TIMEZONE``, or no zone at all (a floating time, or an all-day DATE).

A name the time-zone database knows, directly or through CLDR's table of
Windows names (the one icalendar ships), is read from the database, and the
feed's VTIMEZONE block for it is set aside before parsing: the database is
right about today's rules, and reading an Outlook block (whose rules start
in 1601) costs a millisecond per time. A block under a name of its own is
kept, and icalendar builds the zone from it; its name is made unique to its
content first, because icalendar remembers zones by name for the whole
process, and two feeds may mean different zones by "Customized Time Zone".

recurring-ical-events applies ``X-WR-TIMEZONE`` (through x-wr-timezone)
before it expands a series. What is left naive after that (a floating time,
or a TZID nobody knows) is read in the calendar's own ``X-WR-TIMEZONE`` when
it has one, else in the owner's zone; a DATE (an all-day event) is midnight
in the owner's zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import zoneinfo

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

UTC = dt.UTC
# A VTIMEZONE's rules are only needed from here on; Outlook starts them in 1601.
_RULES_FROM_YEAR = 1970
_OLD_RULE_START = re.compile(r"^(DTSTART(?:;[^:]*)?:)(\d{4})", re.I)


@functools.lru_cache(maxsize=1024)
def resolve_zone(name: str | None) -> dt.tzinfo | None:
    """The zone a name stands for: IANA, Windows, or a globally unique
    ``/vendor/Europe/Berlin`` id; None for no name or one nobody knows."""
    cleaned = (name or "").strip().strip('"').strip()
    candidates = [WINDOWS_TO_OLSON.get(cleaned.strip("/"), ""), cleaned]
    if cleaned.startswith("/"):
        parts = cleaned.strip("/").split("/")
        candidates += ["/".join(parts[start:]) for start in range(len(parts))]
    for candidate in candidates:
        if not candidate or len(candidate) > 100:
            continue
        try:
            return zoneinfo.ZoneInfo(candidate)
        except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
            continue
    return None


def as_zone(zone: dt.tzinfo | str | None) -> dt.tzinfo:
    """The owner's zone, given as a zone or a name; UTC when unknown, so a
    floating time is still read as some definite instant."""
    if isinstance(zone, dt.tzinfo):
        return zone
    return resolve_zone(zone) or UTC


def to_utc(value: dt.date | dt.datetime, floating_zone: dt.tzinfo, day_zone: dt.tzinfo) -> tuple[dt.datetime, bool]:
    """The instant a DTSTART-like value stands for, in UTC, and whether it
    was a whole day. A naive time is read in ``floating_zone``; a DATE is
    midnight in ``day_zone`` (the owner's), where the day is theirs."""
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(), tzinfo=day_zone).astimezone(UTC), True
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=floating_zone)
    return value.astimezone(UTC), False


def prepare_time_zones(lines: list[str]) -> list[str]:
    """The feed's unfolded lines with each VTIMEZONE block for a known zone
    set aside, and each other one renamed after its content (its TZID
    parameters with it) and its rules started in 1970."""
    kept: list[str] = []
    renamed: dict[str, str] = {}
    block: list[str] | None = None
    for line in lines:
        upper = line[:16].upper()
        if block is None and upper.startswith("BEGIN:VTIMEZONE"):
            block = [line]
        elif block is not None:
            block.append(line)
            if upper.startswith("END:VTIMEZONE"):
                kept += _custom_zone(block, renamed)
                block = None
        else:
            kept.append(line)
    if block is not None:
        kept += block
    return _with_zones_renamed(kept, renamed) if renamed else kept


def _custom_zone(block: list[str], renamed: dict[str, str]) -> list[str]:
    """A VTIMEZONE block as it is parsed: nothing for a known zone, else
    under a name that only the same rules share."""
    tzid_line = next((index for index, line in enumerate(block) if line[:5].upper() == "TZID:"), None)
    if tzid_line is None:
        return block
    tzid = block[tzid_line][5:].strip()
    if resolve_zone(tzid) is not None:
        return []
    unique = f"{tzid} ~{hashlib.sha256(''.join(block).encode()).hexdigest()[:12]}"
    renamed[tzid] = unique
    rewritten = [_from_1970(line) for line in block]
    rewritten[tzid_line] = f"TZID:{unique}"
    return rewritten


def _from_1970(line: str) -> str:
    match = _OLD_RULE_START.match(line)
    if match and int(match.group(2)) < _RULES_FROM_YEAR:
        return f"{match.group(1)}{_RULES_FROM_YEAR}{line[match.end() :]}"
    return line


def _with_zones_renamed(lines: list[str], renamed: dict[str, str]) -> list[str]:
    names = "|".join(re.escape(name) for name in sorted(renamed, key=len, reverse=True))
    parameter = re.compile(rf';TZID=("?)({names})\1(?=[;:])')
    return [
        parameter.sub(lambda match: f';TZID="{renamed[match.group(2)]}"', line) if "TZID=" in line else line
        for line in lines
    ]
