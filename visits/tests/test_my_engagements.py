from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ExecutiveFactory, UserFactory
from visits.models import Engagement, EngagementExecutive
from visits.tests.factories import EngagementFactory, EngagementTypeFactory

URL = reverse("visits:my_engagements")


@pytest.fixture
def executive():
    user = UserFactory(full_name="Jordan Ellis", time_zone="America/New_York", roles=[Role.EXECUTIVE])
    return ExecutiveFactory(user=user)


def days_from_now(days: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


@pytest.mark.django_db
def test_past_engagements_are_listed_newest_first_and_only_the_executives_own(client, executive):
    EngagementFactory(executives=[executive], account=AccountFactory(name="Older Co"), starts_at=days_from_now(-20))
    EngagementFactory(executives=[executive], account=AccountFactory(name="Newer Co"), starts_at=days_from_now(-2))
    EngagementFactory(executives=[ExecutiveFactory()], account=AccountFactory(name="Someone Elses Co"))
    client.force_login(executive.user)

    page = client.get(URL).content.decode()

    assert page.index("Newer Co") < page.index("Older Co")
    assert "Someone Elses Co" not in page


@pytest.mark.django_db
def test_upcoming_engagements_are_listed_soonest_first(client, executive):
    scheduled = Engagement.Status.SCHEDULED
    EngagementFactory(executives=[executive], account=AccountFactory(name="Later Co"), status=scheduled,
                      starts_at=days_from_now(9), duration_minutes=None)  # fmt: skip
    EngagementFactory(executives=[executive], account=AccountFactory(name="Sooner Co"), status=scheduled,
                      starts_at=days_from_now(2), duration_minutes=None)  # fmt: skip
    EngagementFactory(executives=[executive], account=AccountFactory(name="Past Co"), starts_at=days_from_now(-3))
    client.force_login(executive.user)

    page = client.get(URL, {"when": "upcoming"}).content.decode()

    assert page.index("Sooner Co") < page.index("Later Co")
    assert "Past Co" not in page


@pytest.mark.django_db
def test_filters_narrow_the_list_and_pages_keep_them(client, executive):
    visit = EngagementTypeFactory(name="Site walk", slug="site-walk")
    for day in range(30):
        EngagementFactory(executives=[executive], type=visit, starts_at=days_from_now(-1 - day))
    EngagementFactory(executives=[executive], account=AccountFactory(name="Call Co"), starts_at=days_from_now(-1))
    client.force_login(executive.user)

    response = client.get(URL, {"type": visit.pk})

    page = response.content.decode()
    assert response.context["page"].paginator.count == 30
    assert "Call Co" not in page
    assert f"type={visit.pk}&amp;page=2" in page
    assert client.get(URL, {"type": visit.pk, "page": 2}).context["page"].object_list[0].type == visit


@pytest.mark.django_db
def test_a_date_range_backwards_is_explained_and_nothing_is_hidden(client, executive):
    EngagementFactory(executives=[executive], account=AccountFactory(name="Kept Co"), starts_at=days_from_now(-3))
    client.force_login(executive.user)

    page = client.get(URL, {"date_from": "2026-05-10", "date_to": "2026-05-01"}).content.decode()

    assert "The end date is before the start date." in page
    assert "Kept Co" in page


@pytest.mark.django_db
def test_empty_lists_say_what_to_do(client, executive):
    client.force_login(executive.user)

    assert "Log the last customer contact you had" in client.get(URL).content.decode()
    assert "Nothing is scheduled for you yet" in client.get(URL, {"when": "upcoming"}).content.decode()
    assert "No engagements match these filters" in client.get(URL, {"status": "declined"}).content.decode()


@pytest.mark.django_db
def test_times_are_shown_in_the_executives_own_time_zone(client, executive):
    EngagementFactory(executives=[executive], starts_at=dt.datetime(2026, 3, 2, 3, 30, tzinfo=dt.UTC))
    client.force_login(executive.user)

    # 03:30 UTC is 22:30 the evening before in New York.
    assert "1 Mar 2026, 22:30" in client.get(URL).content.decode()


def queries_of_list(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_the_list_takes_the_same_queries_with_5_engagements_and_with_2000(client, executive):
    for day in range(5):
        EngagementFactory(executives=[executive], starts_at=days_from_now(-1 - day))
    client.force_login(executive.user)
    client.get(URL)
    with_5 = queries_of_list(client)

    account, kind = AccountFactory(), EngagementTypeFactory()
    engagements = Engagement.objects.bulk_create(
        Engagement(account=account, type=kind, status=Engagement.Status.COMPLETED, starts_at=days_from_now(-10 - n),
                   duration_minutes=60)
        for n in range(1995)
    )  # fmt: skip
    EngagementExecutive.objects.bulk_create(
        EngagementExecutive(engagement=engagement, executive=executive) for engagement in engagements
    )
    with_2000 = queries_of_list(client)

    assert Engagement.objects.filter(attendances__executive=executive).count() == 2000
    assert with_2000 == with_5 == 8
