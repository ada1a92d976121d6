from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from engagement.dates import working_days_before

LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("moment", "cutoff"),
    [
        ("2026-11-25 10:00", "2026-11-23 10:00"),  # Wednesday: back to Monday
        ("2026-11-23 10:00", "2026-11-19 10:00"),  # Monday: the weekend does not count
        ("2026-11-24 09:00", "2026-11-20 09:00"),  # Tuesday: back over the weekend to Friday
        ("2026-11-28 10:00", "2026-11-26 00:00"),  # Saturday: as of Friday midnight
        ("2026-11-29 23:00", "2026-11-26 00:00"),  # Sunday night: the same
    ],
)
def test_two_working_days_before_skips_weekends(moment, cutoff):
    at = dt.datetime.fromisoformat(moment).replace(tzinfo=LONDON)

    assert working_days_before(at, 2) == dt.datetime.fromisoformat(cutoff).replace(tzinfo=LONDON)
