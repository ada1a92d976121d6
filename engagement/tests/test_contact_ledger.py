"""The program's own record of customer contact (ExecutiveContact) and last_contact_on."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from engagement.cadence.ledger import ContactFact, executive_contacts_replace, executive_last_contact_refresh
from engagement.cadence.models import ExecutiveContact
from engagement.cadence.rule import ContactState
from engagement.cadence.selectors import executive_contact_status
from engagement.people.services import executive_time_zone_change
from engagement.tests.factories import AccountFactory, ExecutiveFactory, UserFactory, contact_record

NOW = dt.datetime(2025, 6, 16, 12, 0, tzinfo=dt.UTC)
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.mark.django_db
def test_replacing_an_engagements_contacts_keeps_last_contact_on_right():
    stays, leaves = ExecutiveFactory(), ExecutiveFactory()
    account = AccountFactory()
    contact_record(executive=leaves, occurred_at=NOW - dt.timedelta(days=20))

    def fact(executive, days_ago):
        return ContactFact(
            engagement_id=77,
            executive_id=executive.pk,
            account_id=account.pk,
            occurred_at=NOW - dt.timedelta(days=days_ago),
            duration_minutes=60,
        )

    written = executive_contacts_replace(engagement_ids=[77], contacts=[fact(stays, 2), fact(leaves, 2)])
    assert written == 2
    stays.refresh_from_db()
    leaves.refresh_from_db()
    assert stays.last_contact_on == leaves.last_contact_on == dt.date(2025, 6, 14)

    executive_contacts_replace(engagement_ids=[77], contacts=[fact(stays, 3)])

    stays.refresh_from_db()
    leaves.refresh_from_db()
    assert stays.last_contact_on == dt.date(2025, 6, 13)
    assert leaves.last_contact_on == dt.date(2025, 5, 27)
    assert ExecutiveContact.objects.filter(engagement_id=77).count() == 1


@pytest.mark.django_db
def test_replacing_an_engagement_with_no_contacts_clears_it():
    executive = ExecutiveFactory()
    contact = contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=2))

    executive_contacts_replace(engagement_ids=[contact.engagement_id], contacts=[])

    executive.refresh_from_db()
    assert executive.last_contact_on is None
    assert not ExecutiveContact.objects.filter(executive=executive).exists()


@pytest.mark.django_db
def test_contact_is_dated_in_the_executives_time_zone():
    executive = ExecutiveFactory(user=UserFactory(time_zone="America/Los_Angeles"))

    contact = contact_record(executive=executive, occurred_at=dt.datetime(2025, 5, 1, 22, 30, tzinfo=LOS_ANGELES))

    assert contact.contact_on == dt.date(2025, 5, 1)
    executive.refresh_from_db()
    assert executive.last_contact_on == dt.date(2025, 5, 1)


@pytest.mark.django_db
def test_time_zone_change_redates_the_executives_contacts():
    executive = ExecutiveFactory()
    # 03:00 UTC on 2 May is the evening of 1 May in Los Angeles.
    contact_record(executive=executive, occurred_at=dt.datetime(2025, 5, 2, 3, 0, tzinfo=dt.UTC))
    executive.refresh_from_db()
    assert executive.last_contact_on == dt.date(2025, 5, 2)

    executive_time_zone_change(user=executive.user, time_zone="America/Los_Angeles")

    executive.refresh_from_db()
    executive.user.refresh_from_db()
    assert executive.user.time_zone == "America/Los_Angeles"
    assert executive.last_contact_on == dt.date(2025, 5, 1)
    assert ExecutiveContact.objects.get(executive=executive).contact_on == dt.date(2025, 5, 1)
    # 6 June in Los Angeles: 36 days after 1 May, where UTC dating would say 35.
    status = executive_contact_status(executive=executive, now=dt.datetime(2025, 6, 6, 12, 0, tzinfo=LOS_ANGELES))
    assert status.days_since == 36
    assert status.state == ContactState.DUE_SOON


@pytest.mark.django_db
def test_time_zone_change_of_a_user_who_is_not_an_executive_just_saves_it():
    user = UserFactory()

    executive_time_zone_change(user=user, time_zone="Asia/Tokyo")

    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"


@pytest.mark.django_db
def test_last_contact_refresh_recomputes_from_the_contacts():
    executive = ExecutiveFactory()
    contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=9))
    contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=4))
    type(executive).objects.filter(pk=executive.pk).update(last_contact_on=None)

    executive_last_contact_refresh()

    executive.refresh_from_db()
    assert executive.last_contact_on == dt.date(2025, 6, 12)
