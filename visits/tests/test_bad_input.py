"""What the engagement forms and the quick-log API say to input that does not
fit: a message beside the field, never a 500, and nothing saved."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.bounds import years_after
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ContactFactory, ExecutiveFactory, UserFactory
from visits.models import Engagement
from visits.services import engagement_approve
from visits.tests.factories import EngagementTypeFactory
from visits.tests.test_engagement_pages import in_days, request_form
from visits.tests.test_lifecycle import request_for
from visits.tests.test_log_contact import LOG_URL, form_data

PAST_64_BITS = str(2**64)


def errors_of(response) -> str:
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Auckland"])
def test_a_request_in_the_year_9999_is_refused_with_the_dates_it_may_take(client, account, account_manager, zone):
    account_manager.time_zone = zone
    account_manager.save(update_fields=["time_zone"])
    client.force_login(account_manager)
    executive = ExecutiveFactory()

    response = client.post(
        reverse("visits:engagement_request"), request_form(account, executive, starts_at="9999-12-31T23:59")
    )

    assert response.status_code == 200
    today = timezone.localtime(timezone=zoneinfo.ZoneInfo(zone)).date()
    latest = years_after(today, 3)
    assert f"Choose a date from {today:%-d %B %Y} to {latest:%-d %B %Y}." in errors_of(response)
    assert not Engagement.objects.exists()


@pytest.mark.django_db
def test_a_request_four_years_ahead_is_refused_and_one_next_month_is_sent(client, account, account_manager):
    client.force_login(account_manager)
    executive = ExecutiveFactory()
    far = timezone.localtime(in_days(4 * 366)).strftime("%Y-%m-%dT%H:%M")

    refused = client.post(reverse("visits:engagement_request"), request_form(account, executive, starts_at=far))
    sent = client.post(reverse("visits:engagement_request"), request_form(account, executive))

    assert "Choose a date from" in errors_of(refused)
    assert sent.status_code == 302
    assert Engagement.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("starts_at", ["9999-12-31T23:59", "0001-01-01T00:00"])
def test_scheduling_in_the_year_9999_or_1_is_refused_with_a_message(
    client, account, account_manager, executive, starts_at
):
    engagement = request_for(account, executive, account_manager)
    engagement_approve(engagement=engagement, by=executive.user)
    client.force_login(account_manager)
    url = reverse("visits:engagement_schedule", kwargs={"pk": engagement.pk})

    response = client.post(url, {"starts_at": starts_at, "duration_minutes": 60, "location": "Leeds"})

    assert response.status_code == 200
    assert "Choose a date from" in errors_of(response)
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.APPROVED


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["colleagues", "staff", "contacts"])
def test_an_attendee_id_past_the_databases_integers_is_not_one_of_the_choices(
    client, account, account_manager, executive, field
):
    ContactFactory(account=account)
    engagement = request_for(account, executive, account_manager)
    engagement_approve(engagement=engagement, by=executive.user)
    client.force_login(account_manager)
    url = reverse("visits:engagement_schedule", kwargs={"pk": engagement.pk})
    start = timezone.localtime(in_days(9)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        url, {"starts_at": start, "duration_minutes": 60, "location": "Leeds", field: [PAST_64_BITS]}
    )

    assert response.status_code == 200
    assert f"{PAST_64_BITS} is not one of the available choices" in errors_of(response)


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["contacts", "colleagues"])
def test_a_logged_contact_with_an_id_past_the_databases_integers_is_not_one_of_the_choices(client, field):
    executive = ExecutiveFactory(user=UserFactory(time_zone="America/Los_Angeles", roles=[Role.EXECUTIVE]))
    account = AccountFactory()
    client.force_login(executive.user)

    response = client.post(LOG_URL, form_data(account, EngagementTypeFactory(), **{field: ["-1", PAST_64_BITS]}))

    assert response.status_code == 200
    assert "is not one of the available choices" in errors_of(response)
    assert not Engagement.objects.exists()


@pytest.mark.django_db
def test_a_value_proposition_of_a_hundred_thousand_characters_is_refused(client, account, account_manager):
    client.force_login(account_manager)

    response = client.post(
        reverse("visits:engagement_request"),
        request_form(account, ExecutiveFactory(), value_proposition="x" * 100_000),
    )

    assert response.status_code == 200
    assert "Ensure this value has at most 5000 characters (it has 100000)." in errors_of(response)
    assert not Engagement.objects.exists()


@pytest.mark.django_db
def test_a_place_typed_over_two_lines_is_kept_on_one_and_the_brief_keeps_its_lines(
    client, account, account_manager, executive
):
    engagement = request_for(account, executive, account_manager)
    engagement_approve(engagement=engagement, by=executive.user)
    client.force_login(account_manager)
    url = reverse("visits:engagement_schedule", kwargs={"pk": engagement.pk})
    start = timezone.localtime(in_days(9)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        url,
        {
            "starts_at": start,
            "duration_minutes": 60,
            "location": "Northwind HQ\r\n  12 Harbour Road,\tLeeds\n",
            "brief": "Renewal in May.\r\nThey asked about the roadmap.",
        },
    )

    assert response.status_code == 302
    engagement.refresh_from_db()
    assert engagement.location == "Northwind HQ 12 Harbour Road, Leeds"
    assert engagement.brief == "Renewal in May.\nThey asked about the roadmap."


@pytest.mark.django_db
def test_an_invisible_control_character_in_a_name_is_refused_with_a_message(client, account, account_manager):
    client.force_login(account_manager)

    response = client.post(
        reverse("visits:engagement_request"),
        request_form(account, ExecutiveFactory(), objective="Hear how the rollout \x1b[31mlands"),
    )

    assert "Remove the invisible control character (U+001B)." in errors_of(response)
    assert not Engagement.objects.exists()


# --- The API -------------------------------------------------------------------------


def held_contact(executive, account, **changes):
    return {
        "account": account.pk,
        "type": EngagementTypeFactory().pk,
        "on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "duration_minutes": 60,
        **changes,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("ids", [[2**63], [2**64], [-1], [0]])
def test_the_api_answers_400_for_a_colleague_id_past_the_databases_integers(client, ids):
    executive = ExecutiveFactory()
    client.force_login(executive.user)

    response = client.post(
        reverse("api:engagement-list"), held_contact(executive, AccountFactory(), colleagues=ids), "application/json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"colleagues": [f'Invalid pk "{ids[0]}" - object does not exist.']}
    assert not Engagement.objects.exists()


@pytest.mark.django_db
def test_the_api_logs_a_contact_with_many_colleagues_reading_them_at_once(client):
    # django-zeal fails the test if each colleague is read with a query of its own.
    executive = ExecutiveFactory()
    colleagues = [ExecutiveFactory() for _ in range(6)]
    client.force_login(executive.user)
    body = held_contact(executive, AccountFactory(), colleagues=[c.pk for c in colleagues])

    response = client.post(reverse("api:engagement-list"), body, "application/json")

    assert response.status_code == 201
    assert set(Engagement.objects.get().executives.values_list("pk", flat=True)) == {
        executive.pk,
        *(c.pk for c in colleagues),
    }


@pytest.mark.django_db
def test_the_api_keeps_a_note_on_one_line_and_refuses_a_crm_id_with_a_line_break(client):
    executive = ExecutiveFactory()
    account = AccountFactory()
    contact = ContactFactory(account=account)
    client.force_login(executive.user)

    refused = client.post(
        reverse("api:engagement-list"), held_contact(executive, account, crm_id="A-1\nB"), "application/json"
    )
    saved = client.post(
        reverse("api:engagement-list"),
        held_contact(executive, account, contacts=[contact.pk], note="Faster delivery\r\nto the north plant"),
        "application/json",
    )

    assert refused.status_code == 400
    assert refused.json()["errors"] == {"crm_id": ["Remove the invisible control character (U+000A)."]}
    assert saved.status_code == 201
    assert Engagement.objects.get().notes == "Faster delivery to the north plant"
