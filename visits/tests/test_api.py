"""The API of engagements: what each role sees, filters, pages, and logging a
held contact through the quick log's service (with its idempotency)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from engagement.accounts.models import Account
from engagement.cadence.rule import ContactState
from engagement.cadence.selectors import executive_contact_status
from engagement.dates import local_today
from engagement.notifications.models import Notification
from engagement.people.models import Executive
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ContactFactory, ExecutiveFactory, UserFactory, api_key
from visits.models import Engagement, EngagementStatusChange
from visits.tests.factories import EngagementFactory, EngagementTypeFactory

LIST = reverse("api:engagement-list")


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(user)}")
    return client


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


@pytest.fixture
def visit_type():
    return EngagementTypeFactory(name="Site walk", slug="site-walk")


def held_contact(account: Account, visit_type, **changes: object) -> dict[str, object]:
    body = {
        "account": account.pk,
        "type": visit_type.pk,
        "on": local_today("UTC").isoformat(),
        "duration_minutes": 90,
        "note": "They want faster delivery to the north plant",
    }
    body.update(changes)
    return body


# --- Reading ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_role_lists_the_engagements_the_pages_show_them():
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    executive, colleague = ExecutiveFactory(), ExecutiveFactory()
    attended = EngagementFactory(executives=[executive])
    at_managed_account = EngagementFactory(account=AccountFactory(account_manager=manager), executives=[colleague])
    elsewhere = EngagementFactory(executives=[colleague])
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    for user, expected in (
        (executive.user, {attended.pk}),
        (manager, {at_managed_account.pk}),
        (admin, {attended.pk, at_managed_account.pk, elsewhere.pk}),
    ):
        assert set(ids(client_of(user).get(LIST))) == expected
    assert client_of(executive.user).get(reverse("api:engagement-detail", args=[elsewhere.pk])).status_code == 404
    assert client_of(executive.user).get(reverse("api:engagement-detail", args=[attended.pk])).status_code == 200


@pytest.mark.django_db
def test_an_engagement_comes_with_its_account_type_executives_and_contacts():
    lead, colleague = ExecutiveFactory(), ExecutiveFactory()
    engagement = EngagementFactory(executives=[lead, colleague], crm_id="00U5g000001")
    buyer = ContactFactory(account=engagement.account)
    engagement.contacts.add(buyer)
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    body = client_of(admin).get(reverse("api:engagement-detail", args=[engagement.pk])).json()

    assert body["account"] == {"id": engagement.account_id, "name": engagement.account.name}
    assert body["type_name"] == engagement.type.name
    assert [(row["id"], row["role"]) for row in body["executives"]] == [(lead.pk, "lead"), (colleague.pk, "attendee")]
    assert body["contacts"] == [buyer.pk]
    assert body["crm_id"] == "00U5g000001"
    assert body["status"] == "completed"


@pytest.mark.django_db
def test_engagements_are_filtered_by_executive_account_dates_and_status():
    executive, colleague = ExecutiveFactory(), ExecutiveFactory()
    account = AccountFactory()
    old = EngagementFactory(executives=[executive], account=account, starts_at=days_ago(60))
    recent = EngagementFactory(executives=[executive], starts_at=days_ago(5))
    planned = EngagementFactory(
        executives=[colleague], account=account, starts_at=days_ago(-5), status=Engagement.Status.SCHEDULED
    )
    client = client_of(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    today = timezone.localdate()

    assert ids(client.get(LIST, {"executive": executive.pk})) == [recent.pk, old.pk]
    assert ids(client.get(LIST, {"account": account.pk})) == [planned.pk, old.pk]
    assert ids(client.get(LIST, {"from": (today - dt.timedelta(days=10)).isoformat()})) == [planned.pk, recent.pk]
    assert ids(client.get(LIST, {"to": (today - dt.timedelta(days=6)).isoformat()})) == [old.pk]
    assert ids(client.get(LIST, {"status": "held"})) == [recent.pk, old.pk]
    assert ids(client.get(LIST, {"status": "scheduled", "account": account.pk})) == [planned.pk]
    # An empty range is no error: nothing falls in it.
    assert ids(client.get(LIST, {"from": today.isoformat(), "to": "2001-01-01"})) == []
    # Days far out stand for the ends of time, not an error.
    assert len(ids(client.get(LIST, {"from": "0001-01-01", "to": "9999-12-31"}))) == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"from": "last week"}, "from"),
        ({"to": "2025-02-30"}, "to"),
        ({"executive": "jordan"}, "executive"),
        ({"executive": "0"}, "executive"),
        ({"account": "1e3"}, "account"),
        ({"status": "done"}, "status"),
        ({"type": "-4"}, "type"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(query, parameter):
    response = client_of(UserFactory(roles=[Role.PROGRAM_ADMIN])).get(LIST, query)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [parameter]


@pytest.mark.django_db
def test_engagements_come_in_pages_by_cursor_newest_first_without_counting_them_all():
    executive = ExecutiveFactory()
    made = [EngagementFactory(executives=[executive], starts_at=days_ago(days)) for days in range(1, 6)]
    client = client_of(UserFactory(roles=[Role.PROGRAM_ADMIN]))

    with CaptureQueriesContext(connection) as queries:
        first = client.get(LIST, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    assert "count" not in first
    assert not [query for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]
    assert [row["id"] for page in (first, second, third) for row in page["results"]] == [e.pk for e in made]
    assert third["next"] is None and third["previous"] is not None


@pytest.mark.django_db
def test_a_cursor_the_api_did_not_give_is_not_found():
    response = client_of(UserFactory(roles=[Role.PROGRAM_ADMIN])).get(LIST, {"cursor": "made-up"})

    assert response.status_code == 404


def queries_for_a_page(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.django_db
def test_a_page_of_engagements_costs_the_same_queries_with_more_data():
    executive = ExecutiveFactory()
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    client = client_of(admin)
    for _ in range(3):
        engagement = EngagementFactory(executives=[executive, ExecutiveFactory()])
        engagement.contacts.add(ContactFactory(account=engagement.account))
    client.get(LIST)
    small = queries_for_a_page(client, LIST)

    for _ in range(30):
        engagement = EngagementFactory(executives=[ExecutiveFactory(), ExecutiveFactory()])
        engagement.contacts.add(ContactFactory(account=engagement.account), ContactFactory(account=engagement.account))
    large = queries_for_a_page(client, LIST)

    # The key and its person's roles, the page, its executives and its contacts.
    assert small == large == 5


@pytest.mark.django_db
def test_engagement_types_are_listed_for_every_role(visit_type):
    executive = ExecutiveFactory()

    rows = client_of(executive.user).get(reverse("api:engagement-type-list")).json()["results"]

    site_walk = next(row for row in rows if row["id"] == visit_type.pk)
    assert (site_walk["name"], site_walk["counts_toward_cadence"]) == ("Site walk", True)


# --- Logging a held contact ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_executive_logs_a_held_contact_that_counts_at_once(visit_type):
    executive = ExecutiveFactory()
    account = AccountFactory(name="Northwind Traders")
    buyer = ContactFactory(account=account)

    response = client_of(executive.user).post(
        LIST, held_contact(account, visit_type, contacts=[buyer.pk]), format="json"
    )

    assert response.status_code == 201, response.content
    engagement = Engagement.objects.get()
    assert response.json()["id"] == engagement.pk
    assert (engagement.status, engagement.account, engagement.duration_minutes) == ("completed", account, 90)
    assert list(engagement.contacts.all()) == [buyer]
    status = executive_contact_status(executive=executive)
    assert (status.days_since, status.state, str(status.exposure_hours)) == (0, ContactState.ON_TRACK, "1.5")
    assert Executive.objects.get(pk=executive.pk).last_contact_on == local_today("UTC")
    assert Account.objects.get(pk=account.pk).last_contact_on == local_today("UTC")


@pytest.mark.django_db
def test_a_colleague_counted_through_the_api_is_told_with_one_tap_to_say_they_were_not_there(visit_type):
    executive = ExecutiveFactory(user=UserFactory(full_name="Jordan Ellis", roles=[Role.EXECUTIVE]))
    colleague = ExecutiveFactory()

    response = client_of(executive.user).post(
        LIST,
        held_contact(AccountFactory(name="Northwind Traders"), visit_type, colleagues=[colleague.pk]),
        format="json",
    )

    assert response.status_code == 201, response.content
    engagement = Engagement.objects.get()
    assert executive_contact_status(executive=colleague).days_since == 0
    [notice] = Notification.objects.filter(user=colleague.user)
    assert notice.message.startswith("Jordan Ellis logged the Site walk with Northwind Traders on ")
    assert notice.action_url == reverse("visits:engagement_not_there", kwargs={"pk": engagement.pk})


@pytest.mark.django_db
def test_a_program_admin_logs_a_contact_for_any_executive_and_is_recorded_as_who_did(visit_type):
    executive = ExecutiveFactory()
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    response = client_of(admin).post(
        LIST, held_contact(AccountFactory(), visit_type, executive=executive.pk), format="json"
    )

    assert response.status_code == 201, response.content
    engagement = Engagement.objects.get()
    assert list(engagement.executives.all()) == [executive]
    assert EngagementStatusChange.objects.get(engagement=engagement).by == admin
    assert executive_contact_status(executive=executive).days_since == 0


@pytest.mark.django_db
def test_an_executive_cannot_log_a_contact_for_a_colleague(visit_type):
    executive, colleague = ExecutiveFactory(), ExecutiveFactory()

    response = client_of(executive.user).post(
        LIST, held_contact(AccountFactory(), visit_type, executive=colleague.pk), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["executive"]
    assert not Engagement.objects.exists()


@pytest.mark.django_db
def test_account_managers_are_refused_a_log_as_on_the_pages(visit_type):
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])

    response = client_of(manager).post(LIST, held_contact(AccountFactory(), visit_type), format="json")

    assert response.status_code == 403
    assert not Engagement.objects.exists()


@pytest.mark.django_db
def test_a_retried_post_with_the_same_idempotency_key_makes_one_engagement(visit_type):
    executive = ExecutiveFactory()
    client = client_of(executive.user)
    body = held_contact(AccountFactory(), visit_type)

    first = client.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="crm-sync-7781")
    again = client.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="crm-sync-7781")
    other = client.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="crm-sync-7782")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json()["id"] == first.json()["id"] != other.json()["id"]
    assert Engagement.objects.count() == 2


@pytest.mark.django_db
def test_the_same_idempotency_key_with_another_body_is_refused_and_makes_nothing(visit_type):
    executive = ExecutiveFactory()
    client = client_of(executive.user)
    account = AccountFactory()
    body = held_contact(account, visit_type, duration_minutes=60)

    first = client.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="crm-sync-7781")
    other = client.post(LIST, {**body, "duration_minutes": 90}, format="json", HTTP_IDEMPOTENCY_KEY="crm-sync-7781")

    assert (first.status_code, other.status_code) == (201, 409)
    assert "sent before with another body" in other.json()["detail"]
    assert list(other.json()) == ["detail"]
    assert Engagement.objects.get().duration_minutes == 60


@pytest.mark.django_db
def test_the_same_contact_sent_again_however_its_json_is_written_is_the_same_request(visit_type):
    executive = ExecutiveFactory()
    client = client_of(executive.user)
    body = held_contact(AccountFactory(), visit_type)
    # The same contact: its fields in another order, and the executive naming themself.
    again = {"executive": executive.pk, **dict(reversed(list(body.items())))}

    first = client.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="crm-sync-7781")
    second = client.post(LIST, again, format="json", HTTP_IDEMPOTENCY_KEY="crm-sync-7781")

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()


@pytest.mark.django_db(transaction=True)
def test_two_identical_requests_at_the_same_moment_make_one_engagement_answered_201_then_200(visit_type):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database is one connection: the race runs on PostgreSQL in CI")
    executive = ExecutiveFactory()
    body = held_contact(AccountFactory(), visit_type)
    # A key each (as two processes of one sync might have): a key's use is
    # written to its row, which the second would otherwise wait on first.
    keys = {"first": api_key(executive.user), "second": api_key(executive.user)}
    first_inserted, first_may_commit = threading.Event(), threading.Event()
    answers: dict[str, Any] = {}

    def send(name: str, *, hold: bool = False) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {keys[name]}")
        try:
            with transaction.atomic():
                answers[name] = client.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="crm-sync-7781")
                if hold:
                    # The first request has made its engagement but not yet committed it.
                    first_inserted.set()
                    first_may_commit.wait(timeout=30)
        finally:
            connections.close_all()

    first = threading.Thread(target=send, args=("first",), kwargs={"hold": True})
    second = threading.Thread(target=send, args=("second",))
    first.start()
    assert first_inserted.wait(timeout=30)
    # The second finds nothing committed, and its insert waits on the first's
    # row in the unique index: then the first commits.
    second.start()
    waiting_on_a_lock(timeout=30)
    first_may_commit.set()
    first.join(timeout=30)
    second.join(timeout=30)

    assert (answers["first"].status_code, answers["second"].status_code) == (201, 200)
    assert answers["second"].json()["id"] == answers["first"].json()["id"]
    assert Engagement.objects.count() == 1


def waiting_on_a_lock(*, timeout: float) -> None:
    """Return once another connection of the test database waits on a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the second request never waited for the first")


@pytest.mark.django_db
def test_the_same_idempotency_key_from_two_people_is_two_keys(visit_type):
    executive, colleague = ExecutiveFactory(), ExecutiveFactory()
    account = AccountFactory()

    mine = client_of(executive.user).post(
        LIST, held_contact(account, visit_type), format="json", HTTP_IDEMPOTENCY_KEY="1"
    )
    theirs = client_of(colleague.user).post(
        LIST, held_contact(account, visit_type), format="json", HTTP_IDEMPOTENCY_KEY="1"
    )

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert Engagement.objects.count() == 2


@pytest.mark.django_db
def test_a_crm_id_sent_again_returns_the_engagement_it_made(visit_type):
    executive = ExecutiveFactory()
    client = client_of(executive.user)
    body = held_contact(AccountFactory(), visit_type, crm_id="00U5g00000A1")

    first = client.post(LIST, body, format="json")
    again = client.post(LIST, {**body, "note": "Sent again by the sync"}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert Engagement.objects.get().crm_id == "00U5g00000A1"


@pytest.mark.django_db
def test_a_crm_id_of_an_engagement_one_may_not_see_is_a_conflict(visit_type):
    EngagementFactory(executives=[ExecutiveFactory()], crm_id="00U5g00000B2")
    executive = ExecutiveFactory()

    response = client_of(executive.user).post(
        LIST, held_contact(AccountFactory(), visit_type, crm_id="00U5g00000B2"), format="json"
    )

    assert response.status_code == 409
    assert Engagement.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "with space", "é", "x" * 256])
def test_an_idempotency_key_that_is_not_visible_ascii_is_refused(visit_type, key):
    executive = ExecutiveFactory()

    response = client_of(executive.user).post(
        LIST, held_contact(AccountFactory(), visit_type), format="json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]


@pytest.mark.django_db
def test_a_bad_body_is_a_400_naming_each_field(visit_type):
    executive = ExecutiveFactory()
    body = {"account": "northwind", "type": visit_type.pk, "on": "yesterday", "duration_minutes": 7}

    response = client_of(executive.user).post(LIST, body, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"account", "on", "duration_minutes"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"account": "1"}, "account"),
        ({"duration_minutes": "90"}, "duration_minutes"),
        ({"duration_minutes": True}, "duration_minutes"),
        ({"crm_id": 7781}, "crm_id"),
        ({"note": ["north plant"]}, "note"),
        ({"contacts": "1"}, "contacts"),
        ({"colleagues": {}}, "colleagues"),
    ],
)
def test_each_value_must_have_the_type_the_schema_gives(visit_type, change, field):
    executive = ExecutiveFactory()
    body = held_contact(AccountFactory(), visit_type)
    body.update({key: value for key, value in change.items() if key != "account"})
    if "account" in change:
        body["account"] = str(body["account"])

    response = client_of(executive.user).post(LIST, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Engagement.objects.exists()


@pytest.mark.django_db
def test_the_quick_logs_rules_apply_a_contact_in_the_future_is_refused(visit_type):
    executive = ExecutiveFactory()
    tomorrow = (local_today("UTC") + dt.timedelta(days=1)).isoformat()

    response = client_of(executive.user).post(
        LIST, held_contact(AccountFactory(), visit_type, on=tomorrow), format="json"
    )

    assert response.status_code == 400
    assert "once it has happened" in response.json()["errors"]["non_field_errors"][0]


@pytest.mark.django_db
def test_people_from_another_account_are_refused(visit_type):
    executive = ExecutiveFactory()

    response = client_of(executive.user).post(
        LIST, held_contact(AccountFactory(), visit_type, contacts=[ContactFactory().pk]), format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"contacts": ["Choose people from the account you met."]}


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_refused_with_415(visit_type):
    executive = ExecutiveFactory()

    response = client_of(executive.user).post(LIST, "account=1", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
