"""The coverage page's heatmap: accounts by tier against whole months since
their last executive contact, counted back from the reader's today, each
count a link to the accounts behind it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagement.accounts.models import Account
from engagement.dashboards.coverage import MonthsSince, account_coverage
from engagement.dates import months_before
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, UserFactory

STRATEGIC, KEY = Account.Tier.STRATEGIC, Account.Tier.KEY
# Noon in London on 15 July 2026: the reader's today is 15 July wherever they are but far east or west.
NOW = dt.datetime(2026, 7, 15, 12, tzinfo=dt.UTC)
TODAY = dt.date(2026, 7, 15)

# Each strategic customer's last executive contact, by name, and the band it falls in on TODAY.
STRATEGIC_CUSTOMERS = {
    "Today Co": (dt.date(2026, 7, 15), MonthsSince.UNDER_1),
    "A Day Short": (dt.date(2026, 6, 16), MonthsSince.UNDER_1),
    "One Month": (dt.date(2026, 6, 15), MonthsSince.ONE),
    "Two Months": (dt.date(2026, 5, 15), MonthsSince.TWO),
    "Nearly Three": (dt.date(2026, 4, 16), MonthsSince.TWO),
    "Three Months": (dt.date(2026, 4, 15), MonthsSince.THREE),
    "Five Months": (dt.date(2026, 2, 15), MonthsSince.FOUR_TO_5),
    "Nearly Six": (dt.date(2026, 1, 16), MonthsSince.FOUR_TO_5),
    "Six Months": (dt.date(2026, 1, 15), MonthsSince.SIX_TO_11),
    "Nearly Twelve": (dt.date(2025, 7, 16), MonthsSince.SIX_TO_11),
    "Twelve Months": (dt.date(2025, 7, 15), MonthsSince.TWELVE_OR_MORE),
    "Never Met": (None, MonthsSince.NEVER),
}


def heatmap_program() -> dict[tuple[str, int, MonthsSince], set[str]]:
    """Accounts at each band's edges, some never met, some churned; the
    names each heatmap cell should count, by kind, tier and band."""
    expected: dict[tuple[str, int, MonthsSince], set[str]] = {}

    def account(name: str, last: dt.date | None, band: MonthsSince | None, **fields) -> None:
        AccountFactory(name=name, last_contact_on=last, **fields)
        if band is not None:
            kind, tier = fields.get("kind", Account.Kind.CUSTOMER), fields["tier"]
            expected.setdefault((kind, tier, band), set()).add(name)

    for name, (last, band) in STRATEGIC_CUSTOMERS.items():
        account(name, last, band, tier=STRATEGIC)
    # Prospects and accounts at risk are counted, as the coverage table counts them.
    account("Key Prospect", None, MonthsSince.NEVER, tier=KEY, status=Account.Status.PROSPECT)
    account("Key At Risk", dt.date(2024, 1, 1), MonthsSince.TWELVE_OR_MORE, tier=KEY, status=Account.Status.AT_RISK)
    # Churned accounts are not, met or never met.
    account("Churned Met", dt.date(2026, 6, 15), None, tier=STRATEGIC, status=Account.Status.CHURNED)
    account("Churned Never", None, None, tier=KEY, status=Account.Status.CHURNED)
    # Partners have a heatmap of their own.
    account("Partner Co", dt.date(2026, 6, 15), MonthsSince.ONE, tier=STRATEGIC, kind=Account.Kind.PARTNER)
    return expected


def counts(rows) -> dict[int, list[int]]:
    return {row.tier: [cell.count for cell in row.cells] for row in rows}


def admin(client, time_zone: str = "UTC"):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN], time_zone=time_zone))
    return client


def names_listed(html: str) -> set[str]:
    return set(re.findall(r'<td><a href="/accounts/\d+/">([^<]+)</a>', html))


def csv_names(response) -> set[str]:
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return {row[0] for row in rows[1:]}


def cell_link(kind: str, tier: int, band: MonthsSince, count: int) -> str:
    """A cell's link as the page writes it: the count, then what it counts in words."""
    kind_words = {"customer": "customer", "partner": "partner"}[kind] + ("s" if count != 1 else "")
    query = f"kind={kind}&amp;tier={tier}&amp;months={band.value.replace('+', '%2B')}"
    words = f"{Account.Tier(tier).label.lower()} {kind_words} {band.words}"
    url = reverse("engagement:coverage_accounts")
    return f'<a href="{url}?{query}">{count}<span class="visually-hidden"> {words}</span></a>'


def test_months_before_keeps_the_day_or_the_end_of_a_shorter_month():
    assert months_before(dt.date(2026, 7, 15), 0) == dt.date(2026, 7, 15)
    assert months_before(dt.date(2026, 7, 15), 6) == dt.date(2026, 1, 15)
    assert months_before(dt.date(2026, 7, 15), 12) == dt.date(2025, 7, 15)
    assert months_before(dt.date(2026, 1, 10), 1) == dt.date(2025, 12, 10)
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2024, 3, 31), 1) == dt.date(2024, 2, 29)
    assert months_before(dt.date(2026, 12, 31), 1) == dt.date(2026, 11, 30)


@pytest.mark.django_db
def test_each_cell_counts_a_tiers_accounts_in_one_band_of_months_and_leaves_churned_ones_out():
    heatmap_program()

    customers, partners = account_coverage(today=TODAY)

    # Under 1, 1, 2, 3, 4-5, 6-11, 12+, never: a contact on the same day one
    # (six, twelve) months before today is one (six, twelve) months ago.
    assert counts(customers.heatmap) == {
        STRATEGIC: [2, 1, 2, 1, 2, 2, 1, 1],
        KEY: [0, 0, 0, 0, 0, 0, 1, 1],
        Account.Tier.GROWTH: [0] * 8,
        Account.Tier.STANDARD: [0] * 8,
    }
    assert counts(partners.heatmap)[STRATEGIC] == [0, 1, 0, 0, 0, 0, 0, 0]
    # A tier's bands add up to its accounts, the coverage table's "All accounts".
    strategic = customers.heatmap[0]
    assert strategic.total == customers.tiers[0].total.count == 12
    assert [(cell.percent, cell.level) for cell in strategic.cells[:2]] == [("17%", 2), ("8%", 1)]
    key = customers.heatmap[1]
    assert [(cell.percent, cell.level) for cell in key.cells[-2:]] == [("50%", 4), ("50%", 4)]
    assert [(cell.percent, cell.level) for cell in customers.heatmap[2].cells] == [("0%", 0)] * 8


@pytest.mark.django_db
def test_the_last_day_of_a_longer_month_is_a_month_before_the_last_of_a_shorter_one():
    AccountFactory(name="End of February", tier=STRATEGIC, last_contact_on=dt.date(2026, 2, 28))
    AccountFactory(name="First of March", tier=STRATEGIC, last_contact_on=dt.date(2026, 3, 1))
    AccountFactory(name="Tomorrow", tier=STRATEGIC, last_contact_on=dt.date(2026, 4, 1))

    customers, _ = account_coverage(today=dt.date(2026, 3, 31))

    # 28 February is a month before 31 March; a contact dated after today
    # (an executive a day ahead of the reader) is under a month ago.
    assert counts(customers.heatmap)[STRATEGIC] == [2, 1, 0, 0, 0, 0, 0, 0]


@pytest.mark.django_db
def test_the_grid_is_one_query_however_many_accounts():
    AccountFactory.create_batch(3, tier=STRATEGIC, last_contact_on=dt.date(2026, 1, 1))
    with CaptureQueriesContext(connection) as few:
        account_coverage(today=TODAY)
    AccountFactory.create_batch(30, tier=KEY, last_contact_on=dt.date(2025, 1, 1))
    AccountFactory.create_batch(30, tier=Account.Tier.GROWTH, kind=Account.Kind.PARTNER)
    with CaptureQueriesContext(connection) as many:
        account_coverage(today=TODAY)
    assert len(few) == len(many) == 1


@pytest.mark.django_db
@mock.patch("django.utils.timezone.now", return_value=NOW)
def test_each_cell_links_to_exactly_its_accounts_and_a_zero_links_nowhere(now, client):
    expected = heatmap_program()
    admin(client)

    page = client.get(reverse("engagement:coverage")).content.decode()

    accounts_url = reverse("engagement:coverage_accounts")
    for kind in Account.Kind:
        for tier in Account.Tier:
            for band in MonthsSince:
                names = expected.get((kind.value, tier.value, band), set())
                query = f"kind={kind.value}&tier={tier.value}&months={band.value}"
                if not names:
                    assert f'?{query.replace("&", "&amp;")}"' not in page.replace("%2B", "+")
                    continue
                assert cell_link(kind.value, tier.value, band, len(names)) in page
                # The list and its export apply the same filter the count did.
                listed = client.get(accounts_url, {"kind": kind.value, "tier": tier.value, "months": band.value})
                assert names_listed(listed.content.decode()) == names, query
                export = client.get(
                    reverse("engagement:coverage_csv"), {"kind": kind.value, "tier": tier.value, "months": band.value}
                )
                assert csv_names(export) == names, query
    # The zeros are printed, with their share.
    assert '<td class="text-end heat heat-0">0<span class="d-block small">0%' in page


@pytest.mark.django_db
@mock.patch("django.utils.timezone.now", return_value=NOW)
def test_the_list_of_a_cell_says_what_it_holds_and_keeps_the_filter(now, client):
    heatmap_program()
    admin(client)

    listed = client.get(reverse("engagement:coverage_accounts"), {"kind": "customer", "tier": 1, "months": "6-11"})

    page = listed.content.decode()
    assert '<h1 id="accounts-heading" class="h3 mb-0">Strategic customers last met 6 to 11 months ago</h1>' in page
    assert "/program/coverage/accounts.csv?kind=customer&amp;tier=1&amp;months=6-11" in page
    assert names_listed(page) == {"Six Months", "Nearly Twelve"}


@pytest.mark.django_db
@mock.patch("django.utils.timezone.now", return_value=NOW)
def test_a_band_that_is_not_listed_is_reported_and_every_account_shown(now, client):
    heatmap_program()
    admin(client)

    listed = client.get(reverse("engagement:coverage_accounts"), {"kind": "customer", "tier": 1, "months": "7"})

    page = listed.content.decode()
    assert "“7” is not a number of months listed, so every account is shown." in page
    assert len(names_listed(page)) == len(STRATEGIC_CUSTOMERS)
    refused = client.get(reverse("engagement:coverage_csv"), {"months": "7"})
    assert refused.status_code == 400


@pytest.mark.django_db
def test_months_are_counted_from_the_readers_today_in_their_time_zone(client):
    # 23:00 on 31 July in London is 1 August in Tokyo: a contact on 1 July is
    # under a month ago for the one, a month ago for the other.
    AccountFactory(name="First of July", tier=STRATEGIC, last_contact_on=dt.date(2026, 7, 1))
    tokyo = UserFactory(roles=[Role.PROGRAM_ADMIN], time_zone="Asia/Tokyo")
    london = UserFactory(roles=[Role.PROGRAM_ADMIN], time_zone="Europe/London")
    accounts_url = reverse("engagement:coverage_accounts")

    with mock.patch("django.utils.timezone.now", return_value=dt.datetime(2026, 7, 31, 22, tzinfo=dt.UTC)):
        client.force_login(tokyo)
        page = client.get(reverse("engagement:coverage")).content.decode()
        assert cell_link("customer", STRATEGIC, MonthsSince.ONE, 1) in page
        assert names_listed(client.get(accounts_url, {"tier": 1, "months": "1"}).content.decode()) == {"First of July"}

        client.force_login(london)
        page = client.get(reverse("engagement:coverage")).content.decode()
        assert cell_link("customer", STRATEGIC, MonthsSince.UNDER_1, 1) in page
        assert names_listed(client.get(accounts_url, {"tier": 1, "months": "0"}).content.decode()) == {"First of July"}
        assert names_listed(client.get(accounts_url, {"tier": 1, "months": "1"}).content.decode()) == set()
