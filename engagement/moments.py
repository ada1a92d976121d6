"""Moments in kept text, shown in each reader's own time zone.

A notification, a reminder's reason or a note in an engagement's history is
written once and read later by people in other time zones. A moment in such a
text is therefore kept as a marker holding the instant in UTC, as Zulip keeps
its global times (``<time:2026-12-07T18:00:00Z>``), and drawn in the reader's
zone when the text is shown (``moments_in_zone``, or the ``in_reader_zone``
template filter, which takes the zone the request activated).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.utils import timezone

# ``time`` draws the day and the time with the zone; ``day`` the day alone.
_MARKER = re.compile(r"<(time|day):(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})Z>")
TIME_FORMAT = "%a %-d %b %Y, %H:%M %Z"
DAY_FORMAT = "%-d %b %Y"


def moment_text(moment: dt.datetime, *, day: bool = False) -> str:
    """The marker of ``moment`` in a kept text: drawn as a time (or, with
    ``day``, the calendar day) in the zone of whoever reads it."""
    utc = moment.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None)
    return f"<{'day' if day else 'time'}:{utc.isoformat()}Z>"


def moments_in_zone(text: str, time_zone: str | dt.tzinfo | None = None) -> str:
    """``text`` with each of its moments drawn in ``time_zone`` (the current
    time zone when None)."""
    if "<" not in text:
        return text
    if isinstance(time_zone, str):
        time_zone = zoneinfo.ZoneInfo(time_zone)
    zone = time_zone or timezone.get_current_timezone()

    def draw(match: re.Match[str]) -> str:
        local = dt.datetime.fromisoformat(match[2]).replace(tzinfo=dt.UTC).astimezone(zone)
        return f"{local:{DAY_FORMAT if match[1] == 'day' else TIME_FORMAT}}"

    return _MARKER.sub(draw, text)
