"""Key-person risk: 80% of an account's executive contact from one executive,
or an only sponsor who has left, each with a suggested second executive."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.accounts.models import Account
from engagement.dashboards.filters import KeyPersonRiskFilter
from engagement.people.models import Level
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ExecutiveFactory, SkillFactory, UserFactory, contact_record
from mentoring.models import Pairing
from mentoring.risk import key_person_risk_list
from mentoring.tests.factories import PairingFactory

pytestmark = pytest.mark.django_db

HEADER = [
    "account",
    "crm_id",
    "kind",
    "tier",
    "status",
    "account_manager",
    "account_manager_email",
    "executive",
    "executive_email",
    "executive_contacts_12m",
    "last_executive_contact_date",
    "executive_share_12m_percent",
    "all_executive_contacts_12m",
    "sponsors_left",
]


def met(account: Account, days: int, executive) -> None:
    contact_record(executive=executive, account=account, occurred_at=timezone.now() - dt.timedelta(days=days))


def names_listed(html: str) -> list[str]:
    return re.findall(r'<td><a href="/accounts/\d+/">([^<]+)</a>', html)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    return client


@pytest.fixture
def program():
    """Accounts at risk and accounts that only look like it."""
    jordan = ExecutiveFactory(user__full_name="Jordan Ellis", level=Level.VP)
    other = ExecutiveFactory(user__full_name="Riley Other", level=Level.VP)
    gone = ExecutiveFactory(user__full_name="Gone Sponsor", active=False)
    manager = UserFactory(full_name="Sam Rivera")
    accounts = {
        "alone": AccountFactory(name="One Executive", account_manager=manager, crm_id="CRM-1"),
        "eighty": AccountFactory(name="Four In Five", tier=Account.Tier.STRATEGIC),
        "seventy-five": AccountFactory(name="Three In Four"),
        "old other": AccountFactory(name="Other Met It Long Ago"),
        "edge": AccountFactory(name="Other Met It A Year Ago"),
        "sponsor gone": AccountFactory(name="Sponsor Left"),
        "sponsor replaced": AccountFactory(name="Sponsor Replaced"),
        "never": AccountFactory(name="Never Met"),
        "churned": AccountFactory(name="Churned Co", status=Account.Status.CHURNED),
        "partner": AccountFactory(name="Partner Co", kind=Account.Kind.PARTNER),
    }
    for days in (5, 40, 200):
        met(accounts["alone"], days, jordan)
    for days in (5, 6, 7, 8):
        met(accounts["eighty"], days, jordan)
    met(accounts["eighty"], 9, other)
    for days in (5, 6, 7):
        met(accounts["seventy-five"], days, jordan)
    met(accounts["seventy-five"], 9, other)
    met(accounts["old other"], 30, jordan)
    met(accounts["old other"], 366, other)  # a day before the twelve months
    met(accounts["edge"], 30, jordan)
    met(accounts["edge"], 365, other)  # the first day of the twelve months
    PairingFactory(executive=gone, account=accounts["sponsor gone"], status=Pairing.Status.ACTIVE)
    PairingFactory(executive=gone, account=accounts["sponsor replaced"], status=Pairing.Status.PAUSED)
    PairingFactory(executive=other, account=accounts["sponsor replaced"], status=Pairing.Status.ACTIVE)
    met(accounts["churned"], 10, jordan)
    met(accounts["partner"], 10, jordan)
    return {"accounts": accounts, "jordan": jordan, "other": other}


def test_the_80_percent_rule_and_the_gone_sponsor_find_exactly_the_accounts_at_risk(admin_client, program):
    page = admin_client.get(reverse("mentoring:key_person_risk")).content.decode()
    partners = admin_client.get(reverse("mentoring:key_person_risk"), {"kind": "partner"}).content.decode()

    # Strategic first, then by name.
    assert names_listed(page) == ["Four In Five", "One Executive", "Other Met It Long Ago", "Sponsor Left"]
    assert "80% of executive contact (4 of 5)" in page
    assert "100% of executive contact (3 of 3)" in page
    handover = r"<a href=\"/pairings/handover/\d+/\">Gone Sponsor</a>"
    assert re.search(rf"Only sponsor left the program: {handover}", page)
    assert names_listed(partners) == ["Partner Co"]


def test_each_account_gets_a_second_executive_other_than_the_one_it_rests_on(admin_client, program):
    account = program["accounts"]["alone"]
    skill = SkillFactory(name="Pricing")
    account.needs.add(skill)
    second = ExecutiveFactory(user__full_name="Avery Second", level=Level.VP)
    second.talents.add(skill)
    program["jordan"].talents.add(skill)

    page = admin_client.get(reverse("mentoring:key_person_risk")).content.decode()

    row = re.search(r"<tr>\s*<td><a[^>]*>One Executive</a>.*?</tr>", page, re.S).group(0)
    assert "Avery Second" in row
    assert f"{reverse('mentoring:propose', args=[account.pk])}?executive={second.pk}" in row


def test_the_page_takes_the_same_queries_for_few_accounts_and_many(admin_client, program):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            admin_client.get(reverse("mentoring:key_person_risk"))
        return len(captured)

    few = queries()
    for _ in range(12):
        met(AccountFactory(account_manager=UserFactory()), 3, ExecutiveFactory())
    assert KeyPersonRiskFilter(None, queryset=key_person_risk_list()).qs.count() == 16
    assert queries() == few


def test_the_export_lists_the_executive_their_share_and_the_sponsors_who_left(admin_client, program):
    response = admin_client.get(reverse("mentoring:key_person_risk_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert rows[0] == HEADER
    assert [row[0] for row in rows[1:]] == ["Four In Five", "One Executive", "Other Met It Long Ago", "Sponsor Left"]
    assert rows[2] == [
        "One Executive",
        "CRM-1",
        "customer",
        "Key",
        "active",
        "Sam Rivera",
        program["accounts"]["alone"].account_manager.email,
        "Jordan Ellis",
        program["jordan"].user.email,
        "3",
        (timezone.localdate() - dt.timedelta(days=5)).isoformat(),
        "100",
        "3",
        "",
    ]
    assert rows[4][7:] == ["", "", "", "", "", "0", "Gone Sponsor"]


def test_a_download_with_filters_that_do_not_fit_is_refused_and_says_so(admin_client, program):
    response = admin_client.get(reverse("mentoring:key_person_risk_csv"), {"kind": "all"})

    assert response.status_code == 400
    assert "No file was made" in response.content.decode()
    assert "“all” is neither customers nor partners" in response.content.decode()


def test_the_page_says_when_nothing_hangs_on_one_executive(admin_client):
    account = AccountFactory()
    met(account, 3, ExecutiveFactory())
    met(account, 4, ExecutiveFactory())

    page = admin_client.get(reverse("mentoring:key_person_risk")).content.decode()

    assert "No customers hang on one executive" in page
