"""Where an executive stands against the cadence (the rule of ``engagement.cadence.rule``)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engagement.cadence.models import Program
from engagement.cadence.rule import Cadence, ContactState, contact_state
from engagement.cadence.selectors import executive_contact_status, executive_contact_statuses
from engagement.people.models import Executive
from engagement.tests.factories import ExecutiveFactory, ProgramFactory, UserFactory, contact_record

# The clock every test here reads: noon UTC on a Monday.
NOW = dt.datetime(2025, 6, 16, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


SIX_WEEKS = Cadence(cadence_days=42, warning_days=7, escalation_days=14, exposure_hours_target=Decimal("2.0"))


def executive_last_seen(days_ago: int, **kwargs: object) -> Executive:
    """A UTC executive whose last customer contact was ``days_ago`` days before NOW."""
    executive = ExecutiveFactory(**kwargs)
    contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=days_ago))
    return executive


@pytest.mark.parametrize(
    ("days_since", "state"),
    [
        (0, ContactState.ON_TRACK),
        (34, ContactState.ON_TRACK),
        (35, ContactState.DUE_SOON),
        (42, ContactState.DUE_SOON),
        (43, ContactState.OVERDUE),
        (56, ContactState.OVERDUE),
        (57, ContactState.ESCALATED),
        (400, ContactState.ESCALATED),
    ],
)
def test_contact_state_follows_the_six_week_table(days_since, state):
    assert contact_state(days_since=days_since, cadence=SIX_WEEKS) == state


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days_ago", "state"),
    [
        (0, ContactState.ON_TRACK),
        (34, ContactState.ON_TRACK),
        (35, ContactState.DUE_SOON),
        (42, ContactState.DUE_SOON),
        (43, ContactState.OVERDUE),
        (56, ContactState.OVERDUE),
        (57, ContactState.ESCALATED),
    ],
)
def test_executive_state_at_the_edges_of_the_default_cadence(days_ago, state):
    executive = executive_last_seen(days_ago)

    status = executive_contact_status(executive=executive, now=NOW)

    assert status.days_since == days_ago
    assert status.state == state
    assert status.last_contact_on == TODAY - dt.timedelta(days=days_ago)


@pytest.mark.django_db
def test_window_closes_six_weeks_after_the_last_contact():
    executive = executive_last_seen(42)

    status = executive_contact_status(executive=executive, now=NOW)

    assert status.due_on == status.last_contact_on + dt.timedelta(days=42)
    assert status.due_on == TODAY
    assert status.days_left == 0
    assert status.state == ContactState.DUE_SOON


@pytest.mark.django_db
def test_overdue_starts_the_day_after_the_window_closes():
    executive = executive_last_seen(43)

    status = executive_contact_status(executive=executive, now=NOW)

    assert status.due_on == TODAY - dt.timedelta(days=1)
    assert status.days_overdue == 1
    assert status.state == ContactState.OVERDUE


@pytest.mark.django_db
def test_executive_with_no_contact_is_in_the_state_of_the_days_since_joining():
    joined = dt.date(2025, 5, 2)
    executive = ExecutiveFactory(joined_on=joined)

    status = executive_contact_status(executive=executive, now=NOW)

    assert (TODAY - joined).days == 45
    assert status.state == ContactState.OVERDUE
    assert status.counts_from_joining
    assert status.last_contact_on is None
    assert status.days_since is None
    assert status.due_on == joined + dt.timedelta(days=42)
    assert status.exposure_hours == Decimal("0.0")


@pytest.mark.django_db
def test_late_evening_contact_in_los_angeles_counts_on_the_local_date():
    executive = ExecutiveFactory(user=UserFactory(time_zone="America/Los_Angeles"))
    # 22:30 in Los Angeles on 1 May is already 2 May in UTC.
    met_at = dt.datetime(2025, 5, 1, 22, 30, tzinfo=LOS_ANGELES)
    contact_record(executive=executive, occurred_at=met_at)
    now = dt.datetime(2025, 6, 5, 10, 0, tzinfo=LOS_ANGELES)  # 17:00 UTC, same date

    status = executive_contact_status(executive=executive, now=now)

    assert status.last_contact_on == dt.date(2025, 5, 1)
    assert status.today == dt.date(2025, 6, 5)
    # Counted in UTC this would be 34 days and still on track.
    assert status.days_since == 35
    assert status.state == ContactState.DUE_SOON
    assert status.due_on == dt.date(2025, 6, 12)


@pytest.mark.django_db
def test_early_morning_contact_in_tokyo_counts_on_the_local_date():
    executive = ExecutiveFactory(user=UserFactory(time_zone="Asia/Tokyo"))
    # 07:00 in Tokyo on 2 May is still 1 May in UTC.
    met_at = dt.datetime(2025, 5, 2, 7, 0, tzinfo=TOKYO)
    contact_record(executive=executive, occurred_at=met_at)
    now = dt.datetime(2025, 6, 5, 12, 0, tzinfo=TOKYO)  # 03:00 UTC, same date

    status = executive_contact_status(executive=executive, now=now)

    assert status.last_contact_on == dt.date(2025, 5, 2)
    # Counted in UTC this would be 35 days and due soon.
    assert status.days_since == 34
    assert status.state == ContactState.ON_TRACK
    assert status.due_on == dt.date(2025, 6, 13)


@pytest.mark.django_db
def test_today_is_the_executives_own_date_not_the_servers():
    executive = ExecutiveFactory(user=UserFactory(time_zone="America/Los_Angeles"))
    contact_record(executive=executive, occurred_at=dt.datetime(2025, 5, 1, 12, 0, tzinfo=LOS_ANGELES))
    # 03:00 UTC on 13 June is still the evening of 12 June in Los Angeles.
    now = dt.datetime(2025, 6, 13, 3, 0, tzinfo=dt.UTC)

    status = executive_contact_status(executive=executive, now=now)

    assert status.today == dt.date(2025, 6, 12)
    assert status.days_since == 42
    assert status.state == ContactState.DUE_SOON


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days_ago", "state"),
    [
        (20, ContactState.ON_TRACK),
        (21, ContactState.DUE_SOON),
        (28, ContactState.DUE_SOON),
        (29, ContactState.OVERDUE),
        (42, ContactState.OVERDUE),
        (43, ContactState.ESCALATED),
    ],
)
def test_cadence_override_moves_every_threshold(days_ago, state):
    executive = executive_last_seen(days_ago, cadence_override_days=28)

    status = executive_contact_status(executive=executive, now=NOW)

    assert status.cadence.cadence_days == 28
    assert status.state == state
    assert status.due_on == status.last_contact_on + dt.timedelta(days=28)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days_ago", "state"),
    [
        (24, ContactState.ON_TRACK),
        (25, ContactState.DUE_SOON),
        (30, ContactState.DUE_SOON),
        (31, ContactState.OVERDUE),
        (40, ContactState.OVERDUE),
        (41, ContactState.ESCALATED),
    ],
)
def test_program_sets_cadence_warning_and_escalation(days_ago, state):
    program = ProgramFactory(cadence_days=30, warning_days=5, escalation_days=10, exposure_hours_target=Decimal("3.0"))
    executive = executive_last_seen(days_ago)
    executive.programs.add(program)

    status = executive_contact_status(executive=executive, now=NOW)

    assert status.cadence == Cadence(
        cadence_days=30, warning_days=5, escalation_days=10, exposure_hours_target=Decimal("3.0")
    )
    assert status.state == state


@pytest.mark.django_db
def test_cadence_override_keeps_the_programs_warning_and_escalation():
    program = ProgramFactory(cadence_days=42, warning_days=3, escalation_days=5)
    executive = executive_last_seen(25, cadence_override_days=28)
    executive.programs.add(program)

    status = executive_contact_status(executive=executive, now=NOW)

    # Due soon from 28 - 3 = 25 days, escalated after 28 + 5 = 33 days.
    assert status.state == ContactState.DUE_SOON
    assert contact_state(days_since=33, cadence=status.cadence) == ContactState.OVERDUE
    assert contact_state(days_since=34, cadence=status.cadence) == ContactState.ESCALATED


@pytest.mark.django_db
def test_executive_in_several_programs_is_held_to_the_strictest_active_one():
    executive = executive_last_seen(32)
    executive.programs.add(
        ProgramFactory(cadence_days=42),
        ProgramFactory(cadence_days=35, warning_days=7),
        ProgramFactory(cadence_days=14, active=False),
    )

    status = executive_contact_status(executive=executive, now=NOW)

    assert status.cadence.cadence_days == 35
    assert status.state == ContactState.DUE_SOON


@pytest.mark.django_db
def test_executive_in_no_program_is_held_to_the_first_active_program():
    first = Program.objects.order_by("pk").first()
    assert first is not None and first.active  # made by the data migration
    Program.objects.filter(pk=first.pk).update(cadence_days=21, warning_days=2)
    executive = executive_last_seen(19)

    status = executive_contact_status(executive=executive, now=NOW)

    assert status.cadence.cadence_days == 21
    assert status.state == ContactState.DUE_SOON


@pytest.mark.django_db
def test_exposure_hours_sum_only_contacts_inside_the_window():
    executive = ExecutiveFactory()
    contact_record(executive=executive, occurred_at=NOW, duration_minutes=45)
    contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=20), duration_minutes=15)
    contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=42), duration_minutes=30)
    contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=43), duration_minutes=600)

    status = executive_contact_status(executive=executive, now=NOW)

    assert status.exposure_hours == Decimal("1.5")
    assert not status.exposure_met


@pytest.mark.django_db
def test_exposure_target_is_met_at_two_hours():
    executive = ExecutiveFactory()
    contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=1), duration_minutes=90)
    contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=30), duration_minutes=30)

    status = executive_contact_status(executive=executive, now=NOW)

    assert status.exposure_hours == Decimal("2.0")
    assert status.exposure_met


@pytest.mark.django_db
def test_exposure_target_is_not_met_a_few_minutes_short():
    executive = ExecutiveFactory()
    contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=1), duration_minutes=117)

    status = executive_contact_status(executive=executive, now=NOW)

    # 1 h 57 min: shown rounded to a tenth, but the two-hour target is not reached.
    assert not status.exposure_met


@pytest.mark.django_db
def test_exposure_window_follows_the_cadence_override():
    executive = ExecutiveFactory(cadence_override_days=28)
    contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=28), duration_minutes=60)
    contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=29), duration_minutes=60)

    status = executive_contact_status(executive=executive, now=NOW)

    assert status.exposure_hours == Decimal("1.0")


@pytest.mark.django_db
def test_exposure_window_is_counted_in_the_executives_time_zone():
    executive = ExecutiveFactory(user=UserFactory(time_zone="America/Los_Angeles"))
    now = dt.datetime(2025, 6, 16, 10, 0, tzinfo=LOS_ANGELES)
    # 42 local days ago, late in the evening: 43 days ago in UTC.
    contact_record(executive=executive, occurred_at=dt.datetime(2025, 5, 5, 22, 0, tzinfo=LOS_ANGELES))

    status = executive_contact_status(executive=executive, now=now)

    assert status.days_since == 42
    assert status.exposure_hours == Decimal("1.0")


@pytest.mark.django_db
def test_statuses_of_many_executives_match_each_ones_own():
    seen = {days: executive_last_seen(days) for days in (3, 40, 50, 70)}
    never = ExecutiveFactory()

    statuses = executive_contact_statuses(executives=Executive.objects.all(), now=NOW)

    assert {statuses[executive.pk].state for executive in seen.values()} == {
        ContactState.ON_TRACK,
        ContactState.DUE_SOON,
        ContactState.OVERDUE,
        ContactState.ESCALATED,
    }
    assert statuses[never.pk].last_contact_on is None
    assert statuses[never.pk].state == ContactState.ESCALATED  # joined long ago, never met anyone
    for days, executive in seen.items():
        assert statuses[executive.pk] == executive_contact_status(executive=executive, now=NOW)
        assert statuses[executive.pk].days_since == days


def _queries_for_statuses(count: int, *, as_list: bool) -> int:
    """How many queries the statuses of ``count`` varied executives take; each
    has two one-hour contacts in their window."""
    programs = [ProgramFactory(cadence_days=42), ProgramFactory(cadence_days=30)]
    executives = []
    for index in range(count):
        executive = ExecutiveFactory(
            user=UserFactory(time_zone="Asia/Tokyo" if index % 2 else "America/Los_Angeles"),
            cadence_override_days=28 if index % 3 == 0 else None,
        )
        executive.programs.add(programs[index % 2])
        contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=index % 5))
        contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=index % 5 + 1))
        executives.append(executive)
    selection = executives if as_list else Executive.objects.filter(pk__in=[e.pk for e in executives])
    with CaptureQueriesContext(connection) as queries:
        statuses = executive_contact_statuses(executives=selection, now=NOW)
    assert sorted(statuses) == sorted(e.pk for e in executives)
    assert {status.exposure_hours for status in statuses.values()} == {Decimal("2.0")}
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("as_list", [False, True], ids=["queryset", "list"])
def test_statuses_of_3_executives_take_as_many_queries_as_of_30(as_list):
    few = _queries_for_statuses(3, as_list=as_list)
    Executive.objects.all().delete()
    many = _queries_for_statuses(30, as_list=as_list)

    assert few == many
