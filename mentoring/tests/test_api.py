"""The API of pairings: read, by whoever the pages show them to, with their health."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ExecutiveFactory, UserFactory, api_key, contact_record
from mentoring.models import Pairing, PairingGoal
from mentoring.tests.factories import PairingFactory

LIST = reverse("api:pairing-list")


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(user)}")
    return client


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_pairings_are_read_by_their_executive_the_account_team_and_program_admins():
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    executive = ExecutiveFactory()
    theirs = PairingFactory(executive=executive, account=AccountFactory(account_manager=manager))
    elsewhere = PairingFactory()
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    assert ids(client_of(executive.user).get(LIST)) == [theirs.pk]
    assert ids(client_of(manager).get(LIST)) == [theirs.pk]
    assert set(ids(client_of(admin).get(LIST))) == {theirs.pk, elsewhere.pk}
    assert client_of(executive.user).get(reverse("api:pairing-detail", args=[elsewhere.pk])).status_code == 404


@pytest.mark.django_db
def test_a_pairing_comes_with_its_health_last_session_and_goals():
    executive = ExecutiveFactory()
    pairing = PairingFactory(
        executive=executive, status=Pairing.Status.ACTIVE, starts_on=timezone.localdate() - dt.timedelta(days=90)
    )
    contact_record(executive=executive, account=pairing.account, occurred_at=timezone.now() - dt.timedelta(days=40))
    PairingGoal.objects.create(pairing=pairing, text="Meet the CFO")

    body = client_of(executive.user).get(reverse("api:pairing-detail", args=[pairing.pk])).json()

    assert body["health"] == "lapsed"
    assert body["last_session_on"] == (timezone.localdate() - dt.timedelta(days=40)).isoformat()
    assert [goal["text"] for goal in body["goals"]] == ["Meet the CFO"]
    assert body["executive_name"] == executive.name


@pytest.mark.django_db
def test_pairings_are_filtered_by_executive_account_status_and_health():
    executive = ExecutiveFactory()
    active = PairingFactory(executive=executive, status=Pairing.Status.ACTIVE)
    proposed = PairingFactory(executive=executive)
    other = PairingFactory(status=Pairing.Status.ACTIVE)
    client = client_of(UserFactory(roles=[Role.PROGRAM_ADMIN]))

    assert set(ids(client.get(LIST, {"executive": executive.pk}))) == {active.pk, proposed.pk}
    assert ids(client.get(LIST, {"account": other.account_id})) == [other.pk]
    assert ids(client.get(LIST, {"status": "proposed"})) == [proposed.pk]
    assert set(ids(client.get(LIST, {"health": "healthy"}))) == {active.pk, other.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "parameter"), [({"status": "over"}, "status"), ({"executive": "x"}, "executive")])
def test_a_bad_pairing_filter_is_a_400_naming_it(query, parameter):
    response = client_of(UserFactory(roles=[Role.PROGRAM_ADMIN])).get(LIST, query)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [parameter]
