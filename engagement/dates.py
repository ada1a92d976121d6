"""Calendar arithmetic in a person's own time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone


def local_date(moment: dt.datetime, time_zone: str) -> dt.date:
    """The calendar date of ``moment`` in ``time_zone``."""
    return moment.astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def local_today(time_zone: str, *, now: dt.datetime | None = None) -> dt.date:
    """Today's date in ``time_zone``."""
    return local_date(now or timezone.now(), time_zone)
