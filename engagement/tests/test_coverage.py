"""Account coverage for program admins, key-person risk, the account manager's
accounts with the executives who met them, and the copies of each account's
last executive contact that these pages read."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.accounts.models import Account
from engagement.cadence.ledger import ContactFact, account_last_contact_refresh, executive_contacts_replace
from engagement.cadence.models import ExecutiveContact
from engagement.dashboards.coverage import account_coverage
from engagement.people.roles import Role
from engagement.people.services import executive_time_zone_change
from engagement.tasks import count_account_contacts
from engagement.tests.factories import AccountFactory, ExecutiveFactory, UserFactory, contact_record

COVERAGE_CSV_HEADER = [
    "account",
    "crm_id",
    "kind",
    "tier",
    "status",
    "account_manager",
    "account_manager_email",
    "last_executive_contact_date",
    "days_since_executive_contact",
    "executives_12m",
]
MANAGER_ACCOUNTS_CSV_HEADER = [
    "account",
    "crm_id",
    "kind",
    "tier",
    "last_executive_contact_date",
    "executives_12m",
    "executives_met_12m",
]


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def met(account: Account, days: int, executive=None):
    """An executive contact with ``account`` ``days`` ago (by a new executive unless given)."""
    executive = executive or ExecutiveFactory()
    contact_record(executive=executive, account=account, occurred_at=days_ago(days))
    return executive


def admin_client(client):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    return client


def names_listed(html: str) -> list[str]:
    """The account names of a list's table rows, in order."""
    return re.findall(r'<td><a href="/accounts/\d+/">([^<]+)</a>', html)


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def coverage_program() -> dict[str, Account]:
    """Customers and partners whose last executive contact is at the edges of
    each length of time, some never met, one churned."""
    strategic = Account.Tier.STRATEGIC
    accounts = {
        "recent": AccountFactory(name="Recent", tier=strategic),
        "90": AccountFactory(name="Ninety", tier=strategic),
        "91": AccountFactory(name="Ninety-one", tier=strategic),
        "180": AccountFactory(name="One-eighty", tier=strategic),
        "181": AccountFactory(name="One-eighty-one", tier=strategic),
        "365": AccountFactory(name="Three-sixty-five", tier=strategic),
        "366": AccountFactory(name="Three-sixty-six", tier=strategic),
        "never": AccountFactory(name="Never Met", tier=strategic),
        "churned": AccountFactory(name="Churned Co", tier=strategic, status=Account.Status.CHURNED),
        "key never": AccountFactory(name="Key Never", tier=Account.Tier.KEY),
        "partner": AccountFactory(name="Partner Never", tier=strategic, kind=Account.Kind.PARTNER),
    }
    # The latest contact is what counts, not an older one.
    met(accounts["recent"], 400)
    met(accounts["recent"], 10)
    for days in (90, 91, 180, 181, 365, 366):
        met(accounts[str(days)], days)
    return accounts


# --- The coverage table ----------------------------------------------------------------


@pytest.mark.django_db
def test_accounts_are_counted_by_tier_and_by_how_long_since_an_executive_met_them():
    coverage_program()

    customers, partners = account_coverage(today=timezone.localdate())

    strategic, key, growth, standard = customers.tiers
    # A contact exactly 90 (180, 365) days ago is within those days; never met
    # counts in every column; the churned account is left out.
    assert [cell.count for cell in strategic.cells] == [6, 4, 2, 1]
    assert strategic.total.count == 8
    assert [cell.count for cell in key.cells] == [1, 1, 1, 1]
    assert [cell.count for cell in growth.cells] + [growth.total.count] == [0, 0, 0, 0, 0]
    assert [cell.count for cell in customers.all_tiers.cells] == [7, 5, 3, 2]
    assert customers.all_tiers.total.count == 9
    assert [cell.count for cell in partners.tiers[0].cells] == [1, 1, 1, 1]
    assert partners.all_tiers.total.count == 1
    assert standard.total.count == 0


@pytest.mark.django_db
def test_each_count_on_the_coverage_page_links_to_the_accounts_behind_it(client):
    coverage_program()
    admin_client(client)

    page = client.get(reverse("engagement:coverage")).content.decode()

    accounts_url = reverse("engagement:coverage_accounts")
    link = f'href="{accounts_url}?kind=customer&amp;tier=1&amp;no_contact=90">6<'
    assert link in page
    assert f'href="{accounts_url}?kind=customer&amp;tier=1">8<' in page
    assert f'href="{accounts_url}?kind=partner&amp;no_contact=never">1<' in page
    listed = client.get(f"{accounts_url}?kind=customer&tier=1&no_contact=90").content.decode()
    assert "Strategic customers with no executive contact in 90 days" in listed
    assert "6 accounts" in listed
    # Never met first, then the longest since an executive met them.
    assert names_listed(listed) == [
        "Never Met",
        "Three-sixty-six",
        "Three-sixty-five",
        "One-eighty-one",
        "One-eighty",
        "Ninety-one",
    ]


@pytest.mark.django_db
def test_customers_and_partners_are_listed_apart(client):
    coverage_program()
    admin_client(client)
    url = reverse("engagement:coverage_accounts")

    partners = client.get(f"{url}?kind=partner&no_contact=never").content.decode()
    customers = client.get(f"{url}?kind=customer&no_contact=never").content.decode()

    assert names_listed(partners) == ["Partner Never"]
    assert names_listed(customers) == ["Key Never", "Never Met"]


@pytest.mark.django_db
def test_coverage_page_says_when_there_are_no_accounts(client):
    admin_client(client)

    page = client.get(reverse("engagement:coverage")).content.decode()

    assert "No customers yet, or every one has churned." in page
    assert "No partners yet, or every one has churned." in page


# --- The accounts behind a count -------------------------------------------------------


@pytest.mark.django_db
def test_account_list_shows_the_account_manager_last_contact_and_executives_of_twelve_months(client):
    manager = UserFactory(full_name="Sam Rivera", roles=[Role.ACCOUNT_MANAGER])
    account = AccountFactory(name="Fabrikam", account_manager=manager, tier=Account.Tier.GROWTH)
    first = met(account, 100)
    met(account, 120, executive=first)
    met(account, 200)
    met(account, 400)  # more than twelve months ago: not counted
    admin_client(client)

    page = client.get(f"{reverse('engagement:coverage_accounts')}?tier=3&no_contact=90").content.decode()

    row = re.search(r"<tr>\s*<td><a[^>]*>Fabrikam</a>.*?</tr>", page, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    last = (timezone.localdate() - dt.timedelta(days=100)).strftime("%-d %b %Y")
    assert cells == ["Fabrikam", "Growth", "Sam Rivera", last, "2"]
    assert f'href="{reverse("visits:account_engagements", args=[account.pk])}"' in row


@pytest.mark.django_db
def test_account_list_is_paginated_by_fifty_and_keeps_its_filters(client):
    for number in range(51):
        AccountFactory(name=f"Never {number:02d}", tier=Account.Tier.STANDARD)
    admin_client(client)
    url = reverse("engagement:coverage_accounts")

    first = client.get(f"{url}?kind=customer&tier=4&no_contact=never").content.decode()
    second = client.get(f"{url}?kind=customer&tier=4&no_contact=never&page=2").content.decode()

    assert len(names_listed(first)) == 50
    assert names_listed(second) == ["Never 50"]
    assert "?kind=customer&amp;tier=4&amp;no_contact=never&amp;page=2" in first


@pytest.mark.django_db
def test_filters_that_do_not_fit_are_reported_and_left_out(client):
    coverage_program()
    admin_client(client)

    response = client.get(f"{reverse('engagement:coverage_accounts')}?kind=vendors&tier=9&no_contact=forever")

    assert response.status_code == 200
    page = response.content.decode()
    assert "“vendors” is neither customers nor partners, so customers are shown." in page
    assert "“9” is not a tier, so every tier is shown." in page
    assert "“forever” is not a length of time listed, so every account is shown." in page
    assert "Some filters were not understood and were left out" in page
    assert len(names_listed(page)) == 9  # every customer not churned
    # The export offered is of what the page lists.
    assert f'href="{reverse("engagement:coverage_csv")}?kind=customer"' in page


@pytest.mark.django_db
def test_an_export_with_filters_that_do_not_fit_is_refused_with_the_reason(client):
    admin_client(client)

    coverage = client.get(f"{reverse('engagement:coverage_csv')}?tier=strategic")

    assert coverage.status_code == 400
    assert coverage["Content-Type"].startswith("text/html")
    assert "“strategic” is not a tier" in coverage.content.decode()
    assert "No file was made" in coverage.content.decode()


@pytest.mark.django_db
def test_coverage_export_has_the_rows_of_its_filters_and_stable_columns(client):
    manager = UserFactory(full_name="Sam Rivera", email="sam@groundwork.example")
    accounts = coverage_program()
    Account.objects.filter(pk=accounts["366"].pk).update(account_manager=manager, crm_id="CRM-366")
    admin_client(client)

    rows = csv_rows(client.get(f"{reverse('engagement:coverage_csv')}?kind=customer&tier=1&no_contact=365"))

    assert rows[0] == COVERAGE_CSV_HEADER
    last = (timezone.localdate() - dt.timedelta(days=366)).isoformat()
    assert rows[1:] == [
        ["Never Met", accounts["never"].crm_id, "customer", "Strategic", "active", "", "", "", "", "0"],
        [
            "Three-sixty-six",
            "CRM-366",
            "customer",
            "Strategic",
            "active",
            "Sam Rivera",
            "sam@groundwork.example",
            last,
            "366",
            "0",
        ],
    ]


@pytest.mark.django_db
def test_coverage_export_takes_the_same_queries_for_two_accounts_and_for_forty(client):
    admin_client(client)
    url = f"{reverse('engagement:coverage_csv')}?no_contact=90"

    def queries_for(accounts: int) -> int:
        for _ in range(accounts):
            met(AccountFactory(account_manager=UserFactory()), 200)
        with CaptureQueriesContext(connection) as queries:
            rows = csv_rows(client.get(url))
        assert len(rows) == 1 + Account.objects.count()
        return len(queries)

    assert queries_for(2) == queries_for(38)


# --- Key-person risk -------------------------------------------------------------------


def key_person_program() -> dict[str, Account]:
    """Accounts whose contacts of the last twelve months rest on one
    executive, and accounts that only look like it: the copies of each
    account's last contacts are checked on them."""
    alone, other = ExecutiveFactory(user=UserFactory(full_name="Jordan Ellis")), ExecutiveFactory()
    manager = UserFactory(full_name="Sam Rivera")
    accounts = {
        "one": AccountFactory(name="One Executive", account_manager=manager),
        "two": AccountFactory(name="Two Executives"),
        "old other": AccountFactory(name="Other Met It Long Ago", tier=Account.Tier.STRATEGIC),
        "other at edge": AccountFactory(name="Other Met It A Year Ago"),
        "stale": AccountFactory(name="Met Long Ago"),
        "never": AccountFactory(name="Never Met"),
        "churned": AccountFactory(name="Churned Co", status=Account.Status.CHURNED),
        "partner": AccountFactory(name="Partner Co", kind=Account.Kind.PARTNER),
    }
    for days in (5, 40, 200):
        met(accounts["one"], days, executive=alone)
    met(accounts["two"], 5, executive=alone)
    met(accounts["two"], 300, executive=other)
    met(accounts["old other"], 30, executive=alone)
    met(accounts["old other"], 366, executive=other)  # a day before the twelve months
    met(accounts["other at edge"], 30, executive=alone)
    met(accounts["other at edge"], 365, executive=other)  # the first day of the twelve months
    met(accounts["stale"], 400, executive=alone)
    met(accounts["churned"], 10, executive=alone)
    met(accounts["partner"], 10, executive=alone)
    return accounts


# --- Who may see coverage --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name",
    [
        "engagement:coverage",
        "engagement:coverage_accounts",
        "engagement:coverage_csv",
    ],
)
@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ACCOUNT_MANAGER])
def test_executives_and_account_managers_may_not_see_coverage(client, url_name, role):
    user = ExecutiveFactory().user if role == Role.EXECUTIVE else UserFactory(roles=[role])
    client.force_login(user)

    assert client.get(reverse(url_name)).status_code == 403


# --- The account manager's accounts ----------------------------------------------------


def manager_accounts():
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    busy = AccountFactory(name="Busy Account", account_manager=manager)
    quiet = AccountFactory(name="Quiet Account", account_manager=manager)
    AccountFactory(name="Unmet Account", account_manager=manager)
    for days, name in [(3, "Ada"), (9, "Ben"), (20, "Cy"), (40, "Di"), (60, "Ed")]:
        met(busy, days, executive=ExecutiveFactory(user=UserFactory(full_name=name)))
    met(busy, 400, executive=ExecutiveFactory(user=UserFactory(full_name="Old Friend")))
    ben = busy.executive_contacts.get(executive__user__full_name="Ben").executive
    met(quiet, 100, executive=ben)
    return manager


@pytest.mark.django_db
def test_account_manager_page_names_the_executives_who_met_each_account_most_recent_first(client):
    client.force_login(manager_accounts())

    page = client.get(reverse("engagement:account_manager_home")).content.decode()

    rows = {
        name: " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)
        if (name := next((n for n in ("Busy", "Quiet", "Unmet") if f"{n} Account" in row), None))
    }
    assert "Ada, Ben, Cy and 2 more 5 Request an executive" in rows["Busy"]
    assert "Old Friend" not in page
    assert "Ben 1 Request an executive" in rows["Quiet"]
    assert "Never Nobody 0 Request an executive" in rows["Unmet"]


@pytest.mark.django_db
def test_account_manager_export_lists_every_executive_who_met_each_account(client):
    manager = manager_accounts()
    AccountFactory(name="Someone Else's")
    client.force_login(manager)

    rows = csv_rows(client.get(reverse("engagement:account_manager_accounts_csv")))

    assert rows[0] == MANAGER_ACCOUNTS_CSV_HEADER
    today = timezone.localdate()
    assert [row[0] for row in rows[1:]] == ["Busy Account", "Quiet Account", "Unmet Account"]
    assert rows[1][4:] == [(today - dt.timedelta(days=3)).isoformat(), "5", "Ada; Ben; Cy; Di; Ed"]
    assert rows[2][4:] == [(today - dt.timedelta(days=100)).isoformat(), "1", "Ben"]
    assert rows[3][4:] == ["", "0", ""]


@pytest.mark.django_db
def test_account_manager_export_takes_the_same_queries_for_two_accounts_and_for_twenty(client):
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    client.force_login(manager)

    def queries_for(accounts: int) -> int:
        for _ in range(accounts):
            account = AccountFactory(account_manager=manager)
            met(account, 5)
            met(account, 50)
        with CaptureQueriesContext(connection) as queries:
            rows = csv_rows(client.get(reverse("engagement:account_manager_accounts_csv")))
        assert len(rows) == 1 + Account.objects.count()
        return len(queries)

    assert queries_for(2) == queries_for(18)


# --- Each account's copy of its last executive contact ---------------------------------


def recomputed(account: Account) -> tuple[dt.date | None, int, int | None, int]:
    """What the account's copies should hold, worked out from its contacts
    here: the last contact, the contacts of the twelve months, the executive
    with most of them (the first of equals) and theirs."""
    contacts = list(ExecutiveContact.objects.filter(account=account).values_list("contact_on", "executive_id"))
    since = timezone.localdate() - dt.timedelta(days=365)
    recent = Counter(executive_id for contact_on, executive_id in contacts if contact_on >= since)
    leading = min(recent, key=lambda executive_id: (-recent[executive_id], executive_id), default=None)
    last = max((contact_on for contact_on, _ in contacts), default=None)
    return last, sum(recent.values()), leading, recent[leading] if leading else 0


def stored(account: Account) -> tuple[dt.date | None, int, int | None, int]:
    account.refresh_from_db(fields=["last_contact_on", "contacts_12m", "key_executive", "key_executive_contacts_12m"])
    return account.last_contact_on, account.contacts_12m, account.key_executive_id, account.key_executive_contacts_12m


@pytest.mark.django_db
def test_accounts_last_contacts_stay_right_as_contacts_are_added_changed_and_removed():
    first, second = AccountFactory(), AccountFactory()
    ada, ben = ExecutiveFactory(), ExecutiveFactory()
    today = timezone.localdate()

    def record(engagement_id: int, *facts: tuple) -> None:
        executive_contacts_replace(
            engagement_ids=[engagement_id],
            contacts=[
                ContactFact(engagement_id, executive.pk, account.pk, days_ago(days), 60)
                for executive, account, days in facts
            ],
        )

    def check(expected_first, expected_second) -> None:
        assert stored(first) == recomputed(first) == expected_first
        assert stored(second) == recomputed(second) == expected_second

    def on(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    never = (None, 0, None, 0)
    check(never, never)
    record(1, (ada, first, 30))  # added
    check((on(30), 1, ada.pk, 1), never)
    record(2, (ben, first, 50))  # equals: the first executive leads
    check((on(30), 2, ada.pk, 1), never)
    record(2, (ben, first, 10), (ada, first, 10))  # changed: later, and with a colleague
    check((on(10), 3, ada.pk, 2), never)
    record(2, (ben, second, 10))  # moved to another account
    check((on(30), 1, ada.pk, 1), (on(10), 1, ben.pk, 1))
    record(1)  # removed
    check(never, (on(10), 1, ben.pk, 1))
    record(3, (ben, second, 400), (ada, second, 400))  # before the twelve months
    check(never, (on(10), 1, ben.pk, 1))
    record(2)
    check(never, (on(400), 0, None, 0))


@pytest.mark.django_db
def test_an_executives_new_time_zone_redates_their_accounts_last_contact():
    executive = ExecutiveFactory()
    account = AccountFactory()
    # 03:00 UTC on 2 May is the evening of 1 May in Los Angeles.
    contact_record(executive=executive, account=account, occurred_at=dt.datetime(2025, 5, 2, 3, 0, tzinfo=dt.UTC))
    assert stored(account)[0] == dt.date(2025, 5, 2)

    executive_time_zone_change(user=executive.user, time_zone="America/Los_Angeles")

    assert stored(account)[0] == dt.date(2025, 5, 1)


@pytest.mark.django_db
def test_refreshing_every_account_recomputes_its_copies_and_moves_the_twelve_months_on():
    accounts = key_person_program()
    Account.objects.update(last_contact_on=None, contacts_12m=99, key_executive=None, key_executive_contacts_12m=99)

    count_account_contacts()  # the nightly job

    for account in accounts.values():
        assert stored(account) == recomputed(account)
    assert stored(accounts["two"])[1:] == (2, stored(accounts["one"])[2], 1)
    # A year on, nothing is recorded, and the twelve months are empty.
    account_last_contact_refresh(today=timezone.localdate() + dt.timedelta(days=400))
    assert stored(accounts["one"])[1:] == (0, None, 0)
