"""The API of debriefs and actions: read, by whoever the pages show them to."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ExecutiveFactory, UserFactory, api_key
from feedback.models import ActionItem, Debrief
from feedback.tests.factories import ActionItemFactory, DebriefFactory, HeldEngagementFactory, ThemeFactory


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(user)}")
    return client


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_debriefs_are_read_by_whoever_may_see_their_engagement():
    lead, colleague = ExecutiveFactory(), ExecutiveFactory()
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    attended = HeldEngagementFactory(executives=[lead], account=AccountFactory(account_manager=manager))
    theirs = DebriefFactory(engagement=attended, author=lead.user)
    elsewhere = DebriefFactory(engagement=HeldEngagementFactory(executives=[colleague]), author=colleague.user)
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    url = reverse("api:debrief-list")

    assert ids(client_of(lead.user).get(url)) == [theirs.pk]
    assert ids(client_of(manager).get(url)) == [theirs.pk]
    assert set(ids(client_of(admin).get(url))) == {theirs.pk, elsewhere.pk}
    assert client_of(lead.user).get(reverse("api:debrief-detail", args=[elsewhere.pk])).status_code == 404


@pytest.mark.django_db
def test_a_draft_stays_with_its_author():
    lead = ExecutiveFactory()
    draft = DebriefFactory(
        engagement=HeldEngagementFactory(executives=[lead]), author=lead.user, status=Debrief.Status.DRAFT
    )

    assert ids(client_of(lead.user).get(reverse("api:debrief-list"))) == []
    assert client_of(lead.user).get(reverse("api:debrief-detail", args=[draft.pk])).status_code == 404


@pytest.mark.django_db
def test_a_debrief_carries_the_customers_words_as_quotes_and_its_themes():
    lead = ExecutiveFactory()
    debrief = DebriefFactory(
        engagement=HeldEngagementFactory(executives=[lead]),
        author=lead.user,
        heard="We waited three weeks.\n\nNobody called back.",
    )
    debrief.themes.add(ThemeFactory(name="Support"))

    body = client_of(lead.user).get(reverse("api:debrief-detail", args=[debrief.pk])).json()

    assert body["quotes"] == ["We waited three weeks.", "Nobody called back."]
    assert body["themes"] == ["Support"]
    assert body["author"] == {"id": lead.user.pk, "name": lead.user.full_name, "email": lead.user.email}


@pytest.mark.django_db
def test_debriefs_are_filtered_by_engagement():
    lead = ExecutiveFactory()
    wanted = DebriefFactory(engagement=HeldEngagementFactory(executives=[lead]), author=lead.user)
    DebriefFactory(engagement=HeldEngagementFactory(executives=[lead]), author=lead.user)

    response = client_of(lead.user).get(reverse("api:debrief-list"), {"engagement": wanted.engagement_id})

    assert ids(response) == [wanted.pk]


@pytest.mark.django_db
def test_actions_are_read_by_their_owner_even_routed_from_an_engagement_they_never_saw():
    owner, lead = ExecutiveFactory(), ExecutiveFactory()
    routed = ActionItemFactory(engagement=HeldEngagementFactory(executives=[lead]), owner=owner.user)
    ActionItemFactory()
    url = reverse("api:action-list")

    assert ids(client_of(owner.user).get(url)) == [routed.pk]
    assert ids(client_of(lead.user).get(url)) == [routed.pk]
    assert client_of(owner.user).get(reverse("api:debrief-list")).json()["results"] == []


@pytest.mark.django_db
def test_an_action_of_someone_elses_account_is_not_found_by_an_account_manager():
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    theirs = ActionItemFactory(engagement=HeldEngagementFactory(account=AccountFactory(account_manager=manager)))
    elsewhere = ActionItemFactory()

    assert ids(client_of(manager).get(reverse("api:action-list"))) == [theirs.pk]
    assert client_of(manager).get(reverse("api:action-detail", args=[elsewhere.pk])).status_code == 404


@pytest.mark.django_db
def test_actions_are_filtered_by_status_and_a_status_that_means_nothing_is_a_400():
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    done = ActionItemFactory(status=ActionItem.Status.DONE)
    ActionItemFactory()
    client = client_of(admin)

    assert ids(client.get(reverse("api:action-list"), {"status": "done"})) == [done.pk]
    refused = client.get(reverse("api:action-list"), {"status": "finished"})
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["status"]


@pytest.mark.django_db
def test_debriefs_and_actions_are_read_only():
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    client = client_of(admin)

    assert client.post(reverse("api:debrief-list"), {}, format="json").status_code == 405
    assert client.post(reverse("api:action-list"), {}, format="json").status_code == 405
