"""Held engagements become the program's record of customer contact, and stay in line with it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from engagement.cadence.models import ExecutiveContact
from engagement.cadence.rule import ContactState
from engagement.cadence.selectors import executive_contact_status, executive_contact_statuses
from engagement.people.models import Executive
from engagement.tests.factories import ExecutiveFactory, UserFactory
from visits.models import Engagement, EngagementExecutive, EngagementType
from visits.services import engagement_contacts_sync, engagement_delete, engagement_type_update
from visits.tests.factories import EngagementFactory, EngagementTypeFactory

NOW = dt.datetime(2025, 6, 16, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def days_ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def last_contact_on(executive: Executive) -> dt.date | None:
    executive.refresh_from_db(fields=["last_contact_on"])
    return executive.last_contact_on


def set_status(engagement: Engagement, status: str) -> None:
    engagement.status = status
    engagement.save(update_fields=["status"])
    engagement_contacts_sync(engagement_ids=[engagement.pk])


# --- What counts -------------------------------------------------------------------


@pytest.mark.django_db
def test_held_engagement_is_the_executives_last_contact():
    executive = ExecutiveFactory()
    EngagementFactory(executives=[executive], starts_at=days_ago(20))
    EngagementFactory(executives=[executive], starts_at=days_ago(3), status=Engagement.Status.DEBRIEFED)

    assert last_contact_on(executive) == TODAY - dt.timedelta(days=3)
    status = executive_contact_status(executive=executive, now=NOW)
    assert status.days_since == 3
    assert status.state == ContactState.ON_TRACK
    assert status.exposure_hours == Decimal("2.0")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status",
    [
        Engagement.Status.REQUESTED,
        Engagement.Status.APPROVED,
        Engagement.Status.DECLINED,
        Engagement.Status.SCHEDULED,
        Engagement.Status.NOT_HELD,
        Engagement.Status.CANCELLED,
    ],
)
def test_engagement_that_was_not_held_is_no_contact(status):
    executive = ExecutiveFactory(joined_on=dt.date(2025, 1, 1))
    EngagementFactory(executives=[executive], starts_at=days_ago(2), status=status)

    contact = executive_contact_status(executive=executive, now=NOW)

    assert contact.last_contact_on is None
    assert contact.exposure_hours == Decimal("0.0")
    assert not ExecutiveContact.objects.filter(executive=executive).exists()


@pytest.mark.django_db
def test_engagement_of_a_type_that_does_not_count_is_no_contact():
    executive = ExecutiveFactory()
    internal = EngagementTypeFactory(name="Internal review", slug="internal-review", counts_toward_cadence=False)
    EngagementFactory(executives=[executive], starts_at=days_ago(50))
    EngagementFactory(executives=[executive], starts_at=days_ago(1), type=internal, duration_minutes=240)

    status = executive_contact_status(executive=executive, now=NOW)

    assert status.last_contact_on == TODAY - dt.timedelta(days=50)
    assert status.state == ContactState.OVERDUE
    assert status.exposure_hours == Decimal("0.0")


@pytest.mark.django_db
def test_exposure_hours_leave_out_engagements_that_do_not_count():
    executive = ExecutiveFactory()
    internal = EngagementTypeFactory(name="Internal review", slug="internal-review", counts_toward_cadence=False)
    EngagementFactory(executives=[executive], starts_at=days_ago(5), duration_minutes=90)
    EngagementFactory(executives=[executive], starts_at=days_ago(4), type=internal, duration_minutes=120)
    EngagementFactory(
        executives=[executive], starts_at=days_ago(3), status=Engagement.Status.CANCELLED, duration_minutes=120
    )
    EngagementFactory(
        executives=[executive], starts_at=days_ago(2), status=Engagement.Status.REQUESTED, duration_minutes=120
    )

    status = executive_contact_status(executive=executive, now=NOW)

    assert status.exposure_hours == Decimal("1.5")
    assert status.last_contact_on == TODAY - dt.timedelta(days=5)


@pytest.mark.django_db
def test_engagement_attended_by_two_executives_counts_for_both():
    lead, attendee, absent = ExecutiveFactory(), ExecutiveFactory(), ExecutiveFactory(joined_on=dt.date(2025, 1, 1))
    EngagementFactory(executives=[lead, attendee], starts_at=days_ago(10), duration_minutes=80)

    statuses = executive_contact_statuses(executives=[lead, attendee, absent], now=NOW)

    for executive in (lead, attendee):
        assert statuses[executive.pk].days_since == 10
        assert statuses[executive.pk].exposure_hours == Decimal("1.3")
    assert statuses[absent.pk].last_contact_on is None


@pytest.mark.django_db
def test_shared_engagement_is_dated_in_each_executives_own_time_zone():
    in_los_angeles = ExecutiveFactory(user=UserFactory(time_zone="America/Los_Angeles"))
    in_tokyo = ExecutiveFactory(user=UserFactory(time_zone="Asia/Tokyo"))
    # 06:30 UTC on 11 March: the evening of 10 March in Los Angeles, afternoon of 11 March in Tokyo.
    EngagementFactory(executives=[in_los_angeles, in_tokyo], starts_at=dt.datetime(2025, 3, 11, 6, 30, tzinfo=dt.UTC))

    assert last_contact_on(in_los_angeles) == dt.date(2025, 3, 10)
    assert last_contact_on(in_tokyo) == dt.date(2025, 3, 11)


@pytest.mark.django_db
def test_late_evening_visit_in_los_angeles_is_dated_that_evening():
    executive = ExecutiveFactory(user=UserFactory(time_zone="America/Los_Angeles"))
    EngagementFactory(executives=[executive], starts_at=dt.datetime(2025, 5, 1, 22, 30, tzinfo=LOS_ANGELES))

    status = executive_contact_status(executive=executive, now=dt.datetime(2025, 6, 5, 10, 0, tzinfo=LOS_ANGELES))

    assert status.last_contact_on == dt.date(2025, 5, 1)
    assert status.days_since == 35
    assert status.state == ContactState.DUE_SOON


@pytest.mark.django_db
def test_engagement_without_recorded_duration_counts_its_planned_length():
    executive = ExecutiveFactory()
    EngagementFactory(
        executives=[executive],
        starts_at=days_ago(2),
        ends_at=days_ago(2) + dt.timedelta(minutes=150),
        duration_minutes=None,
    )

    assert executive_contact_status(executive=executive, now=NOW).exposure_hours == Decimal("2.5")


@pytest.mark.django_db
def test_engagement_without_any_length_counts_the_types_usual_length():
    executive = ExecutiveFactory()
    briefing = EngagementTypeFactory(name="Briefing", slug="briefing", default_duration_minutes=90)
    EngagementFactory(executives=[executive], type=briefing, starts_at=days_ago(2), duration_minutes=None)

    assert executive_contact_status(executive=executive, now=NOW).exposure_hours == Decimal("1.5")


# --- Keeping last_contact_on right ---------------------------------------------------


@pytest.mark.django_db
def test_engagement_being_held_makes_it_the_last_contact():
    executive = ExecutiveFactory()
    EngagementFactory(executives=[executive], starts_at=days_ago(60))
    engagement = EngagementFactory(executives=[executive], starts_at=days_ago(1), status=Engagement.Status.SCHEDULED)
    assert last_contact_on(executive) == TODAY - dt.timedelta(days=60)

    set_status(engagement, Engagement.Status.COMPLETED)

    assert last_contact_on(executive) == TODAY - dt.timedelta(days=1)
    assert executive_contact_status(executive=executive, now=NOW).state == ContactState.ON_TRACK


@pytest.mark.django_db
def test_held_engagement_set_back_to_cancelled_stops_counting():
    executive = ExecutiveFactory()
    EngagementFactory(executives=[executive], starts_at=days_ago(60))
    engagement = EngagementFactory(executives=[executive], starts_at=days_ago(1))

    set_status(engagement, Engagement.Status.CANCELLED)

    assert last_contact_on(executive) == TODAY - dt.timedelta(days=60)
    assert executive_contact_status(executive=executive, now=NOW).state == ContactState.ESCALATED


@pytest.mark.django_db
def test_only_engagement_cancelled_leaves_no_last_contact():
    executive = ExecutiveFactory()
    engagement = EngagementFactory(executives=[executive], starts_at=days_ago(1))

    set_status(engagement, Engagement.Status.CANCELLED)

    assert last_contact_on(executive) is None
    assert executive_contact_status(executive=executive, now=NOW).last_contact_on is None


@pytest.mark.django_db
def test_executive_removed_from_an_engagement_loses_that_contact_only():
    stays, leaves = ExecutiveFactory(), ExecutiveFactory()
    EngagementFactory(executives=[leaves], starts_at=days_ago(30))
    engagement = EngagementFactory(executives=[stays, leaves], starts_at=days_ago(2))

    EngagementExecutive.objects.filter(engagement=engagement, executive=leaves).delete()
    engagement_contacts_sync(engagement_ids=[engagement.pk])

    assert last_contact_on(leaves) == TODAY - dt.timedelta(days=30)
    assert last_contact_on(stays) == TODAY - dt.timedelta(days=2)
    assert not ExecutiveContact.objects.filter(engagement_id=engagement.pk, executive=leaves).exists()


@pytest.mark.django_db
def test_executive_added_to_a_held_engagement_gains_the_contact():
    executive, joins = ExecutiveFactory(), ExecutiveFactory()
    engagement = EngagementFactory(executives=[executive], starts_at=days_ago(4))

    EngagementExecutive.objects.create(engagement=engagement, executive=joins)
    engagement_contacts_sync(engagement_ids=[engagement.pk])

    assert last_contact_on(joins) == TODAY - dt.timedelta(days=4)


@pytest.mark.django_db
def test_deleted_engagement_is_no_longer_a_contact():
    executive = ExecutiveFactory()
    EngagementFactory(executives=[executive], starts_at=days_ago(45))
    engagement = EngagementFactory(executives=[executive], starts_at=days_ago(5))

    engagement_delete(engagement_ids=[engagement.pk])

    assert not Engagement.objects.filter(pk=engagement.pk).exists()
    assert not ExecutiveContact.objects.filter(engagement_id=engagement.pk).exists()
    assert last_contact_on(executive) == TODAY - dt.timedelta(days=45)
    assert executive_contact_status(executive=executive, now=NOW).state == ContactState.OVERDUE


@pytest.mark.django_db
def test_moved_engagement_moves_the_last_contact():
    executive = ExecutiveFactory()
    engagement = EngagementFactory(executives=[executive], starts_at=days_ago(5))

    engagement.starts_at = days_ago(40)
    engagement.save(update_fields=["starts_at"])
    engagement_contacts_sync(engagement_ids=[engagement.pk])

    assert last_contact_on(executive) == TODAY - dt.timedelta(days=40)
    assert ExecutiveContact.objects.filter(executive=executive).count() == 1


@pytest.mark.django_db
def test_syncing_an_engagement_again_records_each_executive_once():
    first, second = ExecutiveFactory(), ExecutiveFactory()
    engagement = EngagementFactory(executives=[first, second], starts_at=days_ago(5))

    engagement_contacts_sync(engagement_ids=[engagement.pk])
    engagement_contacts_sync(engagement_ids=Engagement.objects.filter(pk=engagement.pk).values("pk"))

    assert ExecutiveContact.objects.filter(engagement_id=engagement.pk).count() == 2
    assert executive_contact_status(executive=first, now=NOW).exposure_hours == Decimal("1.0")


@pytest.mark.django_db
def test_engagement_type_that_stops_counting_takes_its_contacts_away():
    executive = ExecutiveFactory()
    EngagementFactory(executives=[executive], starts_at=days_ago(50))
    event = EngagementTypeFactory(name="Trade fair", slug="trade-fair")
    EngagementFactory(executives=[executive], type=event, starts_at=days_ago(3))
    assert last_contact_on(executive) == TODAY - dt.timedelta(days=3)

    event.counts_toward_cadence = False
    engagement_type_update(engagement_type=event)

    assert last_contact_on(executive) == TODAY - dt.timedelta(days=50)
    assert EngagementType.objects.get(pk=event.pk).counts_toward_cadence is False
    assert executive_contact_status(executive=executive, now=NOW).exposure_hours == Decimal("0.0")


@pytest.mark.django_db
def test_engagement_type_that_starts_counting_adds_its_contacts():
    executive = ExecutiveFactory()
    ride_along = EngagementTypeFactory(name="Ride-along", slug="ride-along-test", counts_toward_cadence=False)
    EngagementFactory(executives=[executive], type=ride_along, starts_at=days_ago(8), duration_minutes=240)
    EngagementFactory(
        executives=[executive], type=ride_along, starts_at=days_ago(2), status=Engagement.Status.SCHEDULED
    )
    assert last_contact_on(executive) is None

    ride_along.counts_toward_cadence = True
    engagement_type_update(engagement_type=ride_along)

    assert last_contact_on(executive) == TODAY - dt.timedelta(days=8)
    assert executive_contact_status(executive=executive, now=NOW).exposure_hours == Decimal("4.0")


@pytest.mark.django_db
def test_renaming_an_engagement_type_keeps_its_contacts():
    executive = ExecutiveFactory()
    visit = EngagementTypeFactory(name="Visit", slug="visit-test")
    EngagementFactory(executives=[executive], type=visit, starts_at=days_ago(6))

    visit.name = "Site visit"
    engagement_type_update(engagement_type=visit)

    assert EngagementType.objects.get(pk=visit.pk).name == "Site visit"
    assert last_contact_on(executive) == TODAY - dt.timedelta(days=6)
