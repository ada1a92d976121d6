"""Executives read the pages of the accounts they sponsor or met lately: the
link on their pairing page opens, with nothing on it to act for the account
team, and the API reads those accounts as the page does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from engagement.accounts.models import Account
from engagement.people.roles import Role
from engagement.tests.factories import (
    AccountFactory,
    ContactFactory,
    ExecutiveFactory,
    UserFactory,
    api_key,
    contact_record,
)
from mentoring.models import Pairing
from mentoring.tests.factories import PairingFactory
from visits.models import Engagement
from visits.tests.factories import EngagementFactory, EngagementTypeFactory

pytestmark = pytest.mark.django_db


def account_page(account: Account) -> str:
    return reverse("visits:account_engagements", args=[account.pk])


def met(executive, account: Account, *, days_ago: int) -> None:
    """A held engagement of ``executive`` with ``account``, ``days_ago`` days ago."""
    contact_record(executive=executive, account=account, occurred_at=timezone.now() - dt.timedelta(days=days_ago))


@pytest.fixture
def executive():
    return ExecutiveFactory(user__full_name="Avery Sponsor")


def test_an_executive_follows_their_pairing_to_the_account_and_reads_it_without_the_account_teams_controls(
    client, executive
):
    account = AccountFactory(name="Tailspin Toys", account_manager=UserFactory(roles=[Role.ACCOUNT_MANAGER]))
    ContactFactory(account=account, name="Dana Buyer")
    pairing = PairingFactory(executive=executive, account=account, status=Pairing.Status.ACTIVE)
    other_sponsor = PairingFactory(
        account=account, status=Pairing.Status.ACTIVE, executive__user__full_name="Robin Cosponsor"
    )
    EngagementFactory(account=account, executives=[executive], notes="Walked the north plant")
    client.force_login(executive.user)

    pairing_page = client.get(reverse("mentoring:pairing_detail", args=[pairing.pk])).content.decode()
    response = client.get(account_page(account))

    assert f'href="{account_page(account)}"' in pairing_page
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 class="h3 mb-0">Tailspin Toys</h1>' in page
    assert "Dana Buyer" in page and "Walked the north plant" in page
    assert ">Your engagements</h2>" in page
    # Nothing of the account team's or a program admin's to do here.
    assert reverse("visits:engagement_request") not in page
    assert reverse("mentoring:propose", args=[account.pk]) not in page
    assert reverse("engagement:audit") not in page
    # Their own pairing opens from the sponsors; another's, which they may not open, is only named.
    assert reverse("mentoring:pairing_detail", args=[pairing.pk]) in page
    assert "Robin Cosponsor" in page
    assert reverse("mentoring:pairing_detail", args=[other_sponsor.pk]) not in page


def test_the_account_team_still_finds_its_controls_on_the_page(client):
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    account = AccountFactory(account_manager=manager)
    client.force_login(manager)

    page = client.get(account_page(account)).content.decode()

    assert f"{reverse('visits:engagement_request')}?account={account.pk}" in page
    assert "Engagement history" in page


@pytest.mark.parametrize(
    ("status", "opens"),
    [
        (Pairing.Status.ACTIVE, True),
        (Pairing.Status.PAUSED, True),
        # Asked to sponsor it: they read the account before they answer.
        (Pairing.Status.PROPOSED, True),
        # Ended or declined: no longer theirs, unless they met it lately (below).
        (Pairing.Status.ENDED, False),
    ],
)
def test_which_pairings_open_the_account_to_their_executive(client, executive, status, opens):
    pairing = PairingFactory(executive=executive, status=status)
    client.force_login(executive.user)

    pairing_page = client.get(reverse("mentoring:pairing_detail", args=[pairing.pk])).content.decode()
    response = client.get(account_page(pairing.account))

    assert response.status_code == (200 if opens else 404)
    assert (f'href="{account_page(pairing.account)}"' in pairing_page) is opens
    assert pairing.account.name in pairing_page


@pytest.mark.parametrize(("days_ago", "opens"), [(3, True), (700, True), (800, False)])
def test_an_account_met_in_the_last_two_years_opens_to_the_executive(client, executive, days_ago, opens):
    account = AccountFactory()
    met(executive, account, days_ago=days_ago)
    client.force_login(executive.user)

    assert client.get(account_page(account)).status_code == (200 if opens else 404)


def test_an_ended_pairing_whose_account_they_met_lately_still_links_to_it(client, executive):
    pairing = PairingFactory(executive=executive, status=Pairing.Status.ENDED)
    met(executive, pairing.account, days_ago=40)
    client.force_login(executive.user)

    pairing_page = client.get(reverse("mentoring:pairing_detail", args=[pairing.pk])).content.decode()

    assert f'href="{account_page(pairing.account)}"' in pairing_page
    assert client.get(account_page(pairing.account)).status_code == 200


def test_an_account_sponsored_or_met_by_someone_else_stays_closed(client, executive):
    colleague = ExecutiveFactory()
    sponsored = PairingFactory(executive=colleague, status=Pairing.Status.ACTIVE).account
    visited = AccountFactory()
    met(colleague, visited, days_ago=3)
    client.force_login(executive.user)

    assert client.get(account_page(sponsored)).status_code == 404
    assert client.get(account_page(visited)).status_code == 404


def test_an_executive_no_longer_in_the_program_reads_none_of_their_old_accounts(client, executive):
    sponsored = PairingFactory(executive=executive, status=Pairing.Status.ACTIVE).account
    visited = AccountFactory()
    met(executive, visited, days_ago=3)
    executive.active = False
    executive.save(update_fields=["active"])
    client.force_login(executive.user)

    assert client.get(account_page(sponsored)).status_code == 404
    assert client.get(account_page(visited)).status_code == 404


def test_what_acts_for_an_account_stays_refused_to_the_executive_who_reads_it(client, executive):
    account = PairingFactory(executive=executive, status=Pairing.Status.ACTIVE).account
    client.force_login(executive.user)
    request = {
        "account": account.pk,
        "executive": executive.pk,
        "engagement_type": EngagementTypeFactory().pk,
        "objective": "Meet their new COO",
    }

    answers = [
        client.post(reverse("visits:engagement_request"), request).status_code,
        client.get(f"{reverse('visits:request_executives')}?account={account.pk}").status_code,
        client.post(reverse("mentoring:propose", args=[account.pk]), {"executive": executive.pk}).status_code,
        client.post(account_page(account), {"name": "Renamed"}).status_code,
    ]

    assert answers == [403, 403, 403, 405]
    assert not Engagement.objects.exists()
    assert Pairing.objects.count() == 1
    account.refresh_from_db()
    assert account.name != "Renamed"


def test_the_api_reads_every_account_whose_page_opens_to_the_executive(client, executive):
    """Executives look up every account not churned in the API (the quick log
    offers them all); an account whose page is open to them reads there too,
    churned or not, with its people."""
    churned = {"status": Account.Status.CHURNED}
    accounts = {
        "sponsored": PairingFactory(executive=executive, status=Pairing.Status.ACTIVE, account__status="churned"),
        "proposed": PairingFactory(executive=executive, status=Pairing.Status.PROPOSED, account__status="churned"),
        "ended": PairingFactory(executive=executive, status=Pairing.Status.ENDED, account__status="churned"),
        "met lately": AccountFactory(**churned),
        "met long ago": AccountFactory(**churned),
        "elsewhere": AccountFactory(**churned),
    }
    accounts = {name: getattr(value, "account", value) for name, value in accounts.items()}
    met(executive, accounts["met lately"], days_ago=30)
    met(executive, accounts["met long ago"], days_ago=900)
    people = {name: ContactFactory(account=account) for name, account in accounts.items()}
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(executive.user)}")
    client.force_login(executive.user)

    pages = {name: client.get(account_page(account)).status_code for name, account in accounts.items()}
    in_api = {
        name: api.get(reverse("api:account-detail", args=[account.pk])).status_code
        for name, account in accounts.items()
    }
    people_in_api = {
        name: api.get(reverse("api:contact-detail", args=[person.pk])).status_code for name, person in people.items()
    }

    opened = {"sponsored": 200, "proposed": 200, "ended": 404, "met lately": 200, "met long ago": 404}
    assert pages == {**opened, "elsewhere": 404}
    assert in_api == pages
    assert people_in_api == pages
