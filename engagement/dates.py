"""Calendar arithmetic in a person's own time zone."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo

from django.utils import timezone

# Working hours, in each person's own time zone, Monday to Friday: when
# reminders go out, and when an executive expects to be asked to meet.
WORKDAY_START = dt.time(9)
WORKDAY_END = dt.time(17)


# Every page counts "the last twelve months" alike: these many days to today.
TWELVE_MONTHS = 365
# And "the last six months": these many days to today (26 weeks).
SIX_MONTHS = 182


def twelve_months_before(today: dt.date) -> dt.date:
    """The first day of the twelve months to ``today``, as every page counts them."""
    return today - dt.timedelta(days=TWELVE_MONTHS)


def in_working_hours(moment: dt.datetime, time_zone: str) -> bool:
    """Whether ``moment`` falls in working hours in ``time_zone``."""
    local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    return local.weekday() < 5 and WORKDAY_START <= local.time() < WORKDAY_END


def local_date(moment: dt.datetime, time_zone: str) -> dt.date:
    """The calendar date of ``moment`` in ``time_zone``."""
    return moment.astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def local_today(time_zone: str, *, now: dt.datetime | None = None) -> dt.date:
    """Today's date in ``time_zone``."""
    return local_date(now or timezone.now(), time_zone)


def working_days_before(moment: dt.datetime, days: int) -> dt.datetime:
    """The moment ``days`` working days (Monday to Friday) before ``moment``:
    whatever has waited since before it has waited longer than ``days``
    working days. A weekend moment counts from the Friday evening before."""
    cursor = moment
    if cursor.weekday() >= 5:
        saturday = cursor.date() - dt.timedelta(days=cursor.weekday() - 5)
        cursor = dt.datetime.combine(saturday, dt.time.min, tzinfo=cursor.tzinfo)
    remaining = days
    while remaining:
        cursor -= dt.timedelta(days=1)
        if cursor.weekday() < 5:
            remaining -= 1
    return cursor


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months before ``day``, or the last day
    of that month when it is shorter (31 March less one month is 28 or 29
    February): a date on or before it is at least ``months`` months ago."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last_day))
