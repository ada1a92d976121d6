"""Engagements edited in the Django admin keep the program's contact record right."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from engagement.cadence.models import ExecutiveContact
from engagement.people.models import Executive
from engagement.people.roles import Role
from engagement.tests.factories import ContactFactory, ExecutiveFactory, UserFactory
from engagement.tests.test_admin import admin_form_data
from visits.models import (
    CalendarConnection,
    CalendarMeeting,
    Engagement,
    EngagementExecutive,
    EngagementStatusChange,
    EngagementType,
)
from visits.services import calendar_feed_token
from visits.tests.factories import EngagementFactory, EngagementTypeFactory


@pytest.fixture
def program_admin_client(client):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    return client


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def local_days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def last_contact_on(executive: Executive) -> dt.date | None:
    executive.refresh_from_db(fields=["last_contact_on"])
    return executive.last_contact_on


def managed_in_admin(model: type) -> bool:
    """Registered, or edited inline on a registered model's page."""
    if model in admin.site._registry:
        return True
    return any(inline.model is model for model_admin in admin.site._registry.values() for inline in model_admin.inlines)


def models_of_visits() -> list[type]:
    return list(apps.get_app_config("visits").get_models())


def test_every_visits_model_is_managed_in_the_admin():
    # The attendance of an executive is edited on its engagement's page, so that
    # saving it recounts the engagement's contacts; a page of its own would not.
    missing = [model.__name__ for model in models_of_visits() if not managed_in_admin(model)]

    assert missing == []
    assert Engagement in admin.site._registry
    assert EngagementType in admin.site._registry


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", [model for model in models_of_visits() if model in admin.site._registry], ids=lambda model: model.__name__
)
def test_program_admin_opens_and_searches_each_visits_changelist(program_admin_client, model):
    engagement = EngagementFactory(executives=[ExecutiveFactory(), ExecutiveFactory()], starts_at=days_ago(3))
    engagement.contacts.add(ContactFactory(account=engagement.account))
    calendar_feed_token(user=engagement.account.account_manager or UserFactory())
    calendar = CalendarConnection(owner=UserFactory(), name="Work calendar")
    calendar.url = "https://calendar.example/private.ics"
    calendar.save()
    CalendarMeeting.objects.create(
        connection=calendar,
        uid="x",
        title="Review",
        starts_at=days_ago(2),
        ends_at=days_ago(2),
        account=engagement.account,
    )
    url = reverse(f"admin:visits_{model._meta.model_name}_changelist")

    listing = program_admin_client.get(url)
    search = program_admin_client.get(url, {"q": "x"})

    assert listing.status_code == 200
    assert search.status_code == 200
    assert listing.context["cl"].result_count >= 1


@pytest.mark.django_db
def test_program_admin_opens_an_engagement_with_its_executives(program_admin_client):
    lead = ExecutiveFactory(user=UserFactory(full_name="Lena Lead"))
    engagement = EngagementFactory(executives=[lead], starts_at=days_ago(3))

    response = program_admin_client.get(reverse("admin:visits_engagement_change", args=[engagement.pk]))

    assert response.status_code == 200
    assert "Lena Lead" in response.content.decode()


@pytest.mark.django_db
def test_a_status_posted_to_the_engagement_admin_changes_nothing(program_admin_client):
    executive = ExecutiveFactory()
    EngagementFactory(executives=[executive], starts_at=days_ago(30))
    engagement = EngagementFactory(executives=[executive], starts_at=days_ago(2))
    url = reverse("admin:visits_engagement_change", args=[engagement.pk])
    page = program_admin_client.get(url).content.decode()

    response = program_admin_client.post(
        url, admin_form_data(page, status=Engagement.Status.CANCELLED, notes="Corrected in the admin")
    )

    assert response.status_code == 302
    engagement.refresh_from_db()
    assert (engagement.status, engagement.notes) == (Engagement.Status.COMPLETED, "Corrected in the admin")
    assert not EngagementStatusChange.objects.filter(engagement=engagement).exists()
    assert last_contact_on(executive) == local_days_ago(2)
    # Its status is shown, with the way to its steps.
    assert reverse("visits:engagement_detail", args=[engagement.pk]) in page


@pytest.mark.django_db
def test_marking_engagements_held_in_the_admin_goes_through_their_step(program_admin_client):
    admin_user = UserFactory(full_name="Pat Admin", roles=[Role.PROGRAM_ADMIN])
    program_admin_client.force_login(admin_user)
    executive = ExecutiveFactory()
    ended = EngagementFactory(
        executives=[executive], starts_at=days_ago(1), status=Engagement.Status.SCHEDULED, duration_minutes=None
    )
    ended.ends_at = ended.starts_at + dt.timedelta(minutes=45)
    ended.save()
    upcoming = EngagementFactory(
        executives=[executive], starts_at=timezone.now() + dt.timedelta(days=2), status=Engagement.Status.SCHEDULED
    )
    cancelled = EngagementFactory(executives=[executive], starts_at=days_ago(3), status=Engagement.Status.CANCELLED)

    response = program_admin_client.post(
        reverse("admin:visits_engagement_changelist"),
        {"action": "mark_held", "_selected_action": [ended.pk, upcoming.pk, cancelled.pk]},
        follow=True,
    )

    page = response.content.decode()
    statuses = dict(Engagement.objects.values_list("pk", "status"))
    assert statuses == {
        ended.pk: Engagement.Status.COMPLETED,
        upcoming.pk: Engagement.Status.SCHEDULED,
        cancelled.pk: Engagement.Status.CANCELLED,
    }
    ended.refresh_from_db()
    assert ended.duration_minutes == 45  # as long as planned
    change = EngagementStatusChange.objects.get(engagement=ended)
    assert (change.from_status, change.to_status, change.by, change.note) == (
        Engagement.Status.SCHEDULED, Engagement.Status.COMPLETED, admin_user, "Held, 45 minutes"
    )  # fmt: skip
    assert last_contact_on(executive) == local_days_ago(1)
    assert "1 engagement marked held." in page
    assert "It can be marked once it has ended" in page
    assert "This engagement cannot be marked held now: it is cancelled" in page


@pytest.mark.django_db
def test_engagements_are_not_added_in_the_admin(program_admin_client):
    response = program_admin_client.get(reverse("admin:visits_engagement_add"))

    assert response.status_code == 403


@pytest.mark.django_db
def test_removing_an_executive_from_an_engagement_in_the_admin_takes_their_contact_away(program_admin_client):
    stays, leaves = ExecutiveFactory(), ExecutiveFactory()
    engagement = EngagementFactory(executives=[stays, leaves], starts_at=days_ago(2))
    attendance = EngagementExecutive.objects.get(engagement=engagement, executive=leaves)
    url = reverse("admin:visits_engagement_change", args=[engagement.pk])
    html = program_admin_client.get(url).content.decode()
    data = admin_form_data(html)
    row = next(
        name.rsplit("-", 1)[0] for name, value in data.items() if name.endswith("-id") and value == str(attendance.pk)
    )

    response = program_admin_client.post(url, data | {f"{row}-DELETE": "on"})

    assert response.status_code == 302
    assert last_contact_on(leaves) is None
    assert last_contact_on(stays) == local_days_ago(2)


@pytest.mark.django_db
def test_deleting_an_engagement_in_the_admin_takes_its_contact_away(program_admin_client):
    executive = ExecutiveFactory()
    EngagementFactory(executives=[executive], starts_at=days_ago(50))
    engagement = EngagementFactory(executives=[executive], starts_at=days_ago(5))

    response = program_admin_client.post(
        reverse("admin:visits_engagement_delete", args=[engagement.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Engagement.objects.filter(pk=engagement.pk).exists()
    assert last_contact_on(executive) == local_days_ago(50)


@pytest.mark.django_db
def test_deleting_engagements_in_bulk_in_the_admin_takes_their_contacts_away(program_admin_client):
    first, second = ExecutiveFactory(), ExecutiveFactory()
    kept = EngagementFactory(executives=[first], starts_at=days_ago(40))
    doomed = [
        EngagementFactory(executives=[first, second], starts_at=days_ago(3)),
        EngagementFactory(executives=[second], starts_at=days_ago(1)),
    ]

    response = program_admin_client.post(
        reverse("admin:visits_engagement_changelist"),
        {"action": "delete_selected", "_selected_action": [e.pk for e in doomed], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(Engagement.objects.all()) == [kept]
    assert last_contact_on(first) == local_days_ago(40)
    assert last_contact_on(second) is None


@pytest.mark.django_db
def test_engagement_type_that_stops_counting_in_the_admin_takes_its_contacts_away(program_admin_client):
    executive = ExecutiveFactory()
    fair = EngagementTypeFactory(name="Trade fair", slug="trade-fair")
    EngagementFactory(executives=[executive], starts_at=days_ago(60))
    EngagementFactory(executives=[executive], type=fair, starts_at=days_ago(4))
    url = reverse("admin:visits_engagementtype_change", args=[fair.pk])

    response = program_admin_client.post(
        url, admin_form_data(program_admin_client.get(url).content.decode(), counts_toward_cadence=None)
    )

    assert response.status_code == 302
    assert EngagementType.objects.get(pk=fair.pk).counts_toward_cadence is False
    assert last_contact_on(executive) == local_days_ago(60)


@pytest.mark.django_db
def test_engagement_type_made_filtered_in_the_admin_recounts_its_contacts(program_admin_client):
    executive = ExecutiveFactory()
    fair = EngagementTypeFactory(name="Trade fair", slug="trade-fair")
    EngagementFactory(executives=[executive], type=fair, starts_at=days_ago(4))
    url = reverse("admin:visits_engagementtype_change", args=[fair.pk])
    page = program_admin_client.get(url).content.decode()
    assert "Filtered: a prepared occasion" in page

    response = program_admin_client.post(url, admin_form_data(page, directness="filtered"))

    assert response.status_code == 302
    assert EngagementType.objects.get(pk=fair.pk).directness == "filtered"
    assert list(ExecutiveContact.objects.filter(executive=executive).values_list("unfiltered", flat=True)) == [False]
