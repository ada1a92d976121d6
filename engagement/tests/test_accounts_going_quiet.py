"""An executive's accounts going quiet: those they sponsor or met in the last
two years, with the days since their own last contact against each account's
ideal and most days (the program's unless the account sets its own)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from engagement.accounts.models import Account
from engagement.accounts.selectors import accounts_going_quiet
from engagement.cadence.models import Program
from engagement.tests.factories import AccountFactory, ExecutiveFactory, contact_record
from mentoring.models import Pairing
from mentoring.tests.factories import PairingFactory


def met(executive, account, days_ago: int) -> None:
    contact_record(executive=executive, account=account, occurred_at=timezone.now() - dt.timedelta(days=days_ago))


@pytest.mark.django_db
def test_the_accounts_an_executive_sponsors_or_met_come_most_overdue_first_each_against_its_periods():
    Program.objects.update(account_ideal_days=90, account_max_days=180)
    executive = ExecutiveFactory()
    recent, slipping, own_period = (
        AccountFactory(name="Recent"),
        AccountFactory(name="Slipping"),
        AccountFactory(name="Own period", ideal_contact_days=30, max_contact_days=60),
    )
    sponsored = AccountFactory(name="Sponsored, never met")
    churned, long_ago = AccountFactory(name="Churned", status=Account.Status.CHURNED), AccountFactory(name="Long ago")
    met(executive, recent, 20)
    met(executive, slipping, 400)
    met(executive, slipping, 120)
    met(executive, own_period, 70)
    met(executive, churned, 10)
    met(executive, long_ago, 3 * 365)
    met(ExecutiveFactory(), sponsored, 5)  # another executive's contact does not count
    PairingFactory(executive=executive, account=sponsored, status=Pairing.Status.ACTIVE)

    rows = accounts_going_quiet(executive=executive, today=timezone.localdate())

    assert [(row.account.name, row.days, row.ideal_days, row.max_days, row.state) for row in rows] == [
        ("Sponsored, never met", None, 90, 180, "past_max"),
        ("Own period", 70, 30, 60, "past_max"),
        ("Slipping", 120, 90, 180, "past_ideal"),
        ("Recent", 20, 90, 180, "within"),
    ]


@pytest.mark.django_db
def test_the_executives_home_shows_the_accounts_going_quiet_in_yellow_and_red(client):
    Program.objects.update(account_ideal_days=90, account_max_days=180)
    executive = ExecutiveFactory()
    met(executive, AccountFactory(name="Slipping"), 120)
    met(executive, AccountFactory(name="Silent"), 200)
    client.force_login(executive.user)

    page = client.get(reverse("engagement:executive_home")).content.decode()

    assert "Accounts going quiet" in page
    assert page.index("Silent") < page.index("Slipping")
    assert '<span class="badge text-bg-danger">200, past the most</span>' in page
    assert '<span class="badge text-bg-warning">120, past the ideal</span>' in page


@pytest.mark.django_db
def test_an_account_cannot_set_fewer_most_days_than_ideal_days():
    account = AccountFactory(ideal_contact_days=60, max_contact_days=30)

    with pytest.raises(ValidationError, match="cannot be fewer than the ideal days"):
        account.full_clean()
