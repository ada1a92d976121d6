"""API tokens: program admins make a key for someone (shown once), see every
key, and revoke one after a confirmation."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from engagement.api.models import ApiToken
from engagement.people.roles import Role
from engagement.tests.factories import ExecutiveFactory, UserFactory, api_key

LIST = reverse("engagement:api_tokens")
CREATE = reverse("engagement:api_token_create")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(full_name="Alex Morgan", roles=[Role.PROGRAM_ADMIN]))
    return client


def api_answer(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client.get(reverse("api:engagement-list")).status_code


@pytest.mark.django_db
def test_a_program_admin_makes_a_key_that_is_shown_once_and_works(admin_client):
    executive = ExecutiveFactory(user=UserFactory(email="jordan@groundwork.example", roles=[Role.EXECUTIVE]))

    made = admin_client.post(CREATE, {"email": "Jordan@groundwork.example", "name": "CRM sync"})

    key = made.context["key"]
    token = ApiToken.objects.get()
    assert made.status_code == 200
    assert {part.strip() for part in made["Cache-Control"].split(",")} == {"no-store", "private"}
    assert key in made.content.decode()
    assert "it will not be shown again" in made.content.decode()
    assert (token.user, token.name, token.created_by.full_name) == (executive.user, "CRM sync", "Alex Morgan")
    assert api_answer(key) == 200
    listing = admin_client.get(LIST).content.decode()
    assert "CRM sync" in listing and token.prefix in listing and key not in listing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"email": "nobody@groundwork.example", "name": "CRM sync"}, "email", "Nobody active in Groundwork"),
        ({"email": "gone@groundwork.example", "name": "CRM sync"}, "email", "Nobody active in Groundwork"),
        ({"email": "jordan@groundwork.example", "name": ""}, "name", "This field is required."),
    ],
)
def test_a_key_needs_an_active_person_and_a_purpose(admin_client, posted, field, message):
    UserFactory(email="jordan@groundwork.example")
    UserFactory(email="gone@groundwork.example", is_active=False)

    response = admin_client.post(CREATE, posted)

    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_revoking_asks_first_and_the_key_is_refused_afterwards(admin_client):
    person = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    key = api_key(person)
    token = ApiToken.objects.get()
    url = reverse("engagement:api_token_revoke", args=[token.pk])

    asked = admin_client.get(url)
    still_working = api_answer(key)
    revoked = admin_client.post(url, follow=True)
    again = admin_client.post(url, follow=True)

    assert asked.status_code == 200 and "Revoke the key" in asked.content.decode()
    assert still_working == 200
    assert "is revoked: it no longer works" in revoked.content.decode()
    assert "was already revoked" in again.content.decode()
    assert api_answer(key) == 401
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by.full_name == "Alex Morgan"


@pytest.mark.django_db
def test_the_list_says_so_when_there_is_no_key_yet(admin_client):
    response = admin_client.get(LIST)

    assert "No key has been made yet." in response.content.decode()


@pytest.mark.django_db
def test_the_program_menu_leads_to_api_tokens(admin_client):
    page = admin_client.get(reverse("engagement:program_home")).content.decode()

    assert f'href="{LIST}">API tokens</a>' in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ACCOUNT_MANAGER])
def test_people_who_are_not_program_admins_cannot_make_or_revoke_keys(client, role):
    client.force_login(UserFactory(roles=[role]))
    token_key = api_key(UserFactory())
    token = ApiToken.objects.get()

    refused = [
        client.get(LIST),
        client.post(CREATE, {"email": token.user.email, "name": "Mine now"}),
        client.post(reverse("engagement:api_token_revoke", args=[token.pk])),
    ]

    assert [response.status_code for response in refused] == [403, 403, 403]
    assert ApiToken.objects.count() == 1
    assert ApiToken.objects.get().revoked_at is None
    assert token_key.startswith(token.prefix)
