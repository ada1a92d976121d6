"""What sponsorship changes: the groups, each measure's figures and interval
worked out by hand, the "not enough data" rule, and the page, its lists,
their CSV and the API saying the same."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import statistics
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.accounts.models import Account
from engagement.people.roles import Role
from engagement.tests.factories import (
    AccountFactory,
    ExecutiveFactory,
    FunctionFactory,
    UserFactory,
    api_key,
    contact_record,
)
from feedback.models import ActionItem
from feedback.tests.factories import ActionItemFactory, SurveyFactory
from mentoring.impact import (
    COMPARISON,
    MIN_GROUP,
    SPONSORED,
    impact_span,
    newcombe_interval,
    sponsorship_impact,
    t_critical_95,
    welch_interval,
)
from mentoring.models import Pairing
from mentoring.tests.factories import PairingFactory

pytestmark = pytest.mark.django_db

KEY = Account.Tier.KEY
# Executive contacts in the twelve months of each sponsored and each other account.
SPONSORED_CONTACTS = [3, 4, 5, 6, 7, 3, 4, 5, 6, 7]
OTHER_CONTACTS = [1, 2, 3, 1, 2, 3, 1, 2, 3, 2, 0]  # the last: a pairing that ended 400 days ago
# Answered surveys' value and recommend scores, one survey each on the first accounts.
SPONSORED_VALUES = [5, 4, 5, 4, 5, 3, 5, 4, 5, 4]
OTHER_VALUES = [3, 4, 2, 3, 4, 3, 3, 2, 4, 3]
SPONSORED_RECOMMEND = [9, 8, 10, 9, 7, 10, 9, 8, 9, 10]
OTHER_RECOMMEND = [6, 7, 8, 5, 9, 7, 6, 8, 7, 6]
# Days from raising to closing a routed action: nine on the other side, one too few.
SPONSORED_ACTION_DAYS = [2, 4, 6, 8, 10, 2, 4, 6, 8, 10]
OTHER_ACTION_DAYS = [5, 10, 15, 20, 5, 10, 15, 20, 5]


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def moment_ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def contacts(account: Account, count: int, *, days: int = 20) -> None:
    executive = ExecutiveFactory()
    for n in range(count):
        contact_record(executive=executive, account=account, occurred_at=moment_ago(days + n))


@pytest.fixture
def program():
    """Ten sponsored Key accounts, eleven others, the Key accounts that are in
    neither group, and Strategic accounts that must not mix in."""
    sponsored = [AccountFactory(name=f"Sponsored {n:02}", tier=KEY) for n in range(10)]
    others = [AccountFactory(name=f"Other {n:02}", tier=KEY) for n in range(11)]
    for account in sponsored:
        PairingFactory(account=account, status=Pairing.Status.ACTIVE, starts_on=days_ago(200))
    # Ended long before the twelve months: no pairing in them, so compared.
    PairingFactory(account=others[10], status=Pairing.Status.ENDED, starts_on=days_ago(700), ends_on=days_ago(400))
    for account, count in zip(sponsored, SPONSORED_CONTACTS, strict=True):
        contacts(account, count)
    for account, count in zip(others, OTHER_CONTACTS, strict=True):
        contacts(account, count)
    contacts(sponsored[0], 4, days=380)  # before the twelve months: not counted
    # In neither group: sponsored for under 90 days, paused, ended within the year.
    young = AccountFactory(name="Young sponsorship", tier=KEY)
    PairingFactory(account=young, status=Pairing.Status.ACTIVE, starts_on=days_ago(30))
    paused = AccountFactory(name="Paused sponsorship", tier=KEY)
    PairingFactory(account=paused, status=Pairing.Status.PAUSED, starts_on=days_ago(200))
    ended = AccountFactory(name="Ended this year", tier=KEY)
    PairingFactory(account=ended, status=Pairing.Status.ENDED, starts_on=days_ago(300), ends_on=days_ago(100))
    for account in (young, paused, ended):
        contacts(account, 30)
    # Strategic accounts: as many rows, far other figures.
    strategic = [AccountFactory(name=f"Strategic {n:02}", tier=Account.Tier.STRATEGIC) for n in range(12)]
    for account in strategic[:6]:
        PairingFactory(account=account, status=Pairing.Status.ACTIVE, starts_on=days_ago(200))
    for account in strategic:
        contacts(account, 12)
    surveys_and_actions(sponsored, others)
    values_and_renewals(sponsored, others)
    return {"sponsored": sponsored, "others": others}


def surveys_and_actions(sponsored: list[Account], others: list[Account]) -> None:
    for account, value, recommend in zip(sponsored, SPONSORED_VALUES, SPONSORED_RECOMMEND, strict=True):
        SurveyFactory(engagement__account=account, answered_at=moment_ago(10), value=value, recommend=recommend)
    for account, value, recommend in zip(others[:10], OTHER_VALUES, OTHER_RECOMMEND, strict=True):
        SurveyFactory(engagement__account=account, answered_at=moment_ago(10), value=value, recommend=recommend)
    SurveyFactory(engagement__account=sponsored[0], answered_at=moment_ago(400), value=1, recommend=0)  # too old
    SurveyFactory(engagement__account=sponsored[1])  # sent, not answered

    function = FunctionFactory()
    for accounts, durations in ((sponsored, SPONSORED_ACTION_DAYS), (others, OTHER_ACTION_DAYS)):
        for account, days in zip(accounts, durations, strict=False):
            closed = moment_ago(5)
            ActionItemFactory(
                engagement__account=account,
                function=function,
                status=ActionItem.Status.DONE,
                created_at=closed - dt.timedelta(days=days),
                closed_at=closed,
            )
    # Not routed, or still open: not counted.
    ActionItemFactory(engagement__account=sponsored[0], status=ActionItem.Status.DONE, closed_at=moment_ago(1))
    ActionItemFactory(engagement__account=sponsored[0], function=function, created_at=moment_ago(50))


def values_and_renewals(sponsored: list[Account], others: list[Account]) -> None:
    # Annual values: nine sponsored (one too few), ten others.
    for n, account in enumerate(sponsored[:9]):
        account.annual_value = Decimal(100000 + 10000 * n)
    for n, account in enumerate(others[:10]):
        account.annual_value = Decimal(50000 + 5000 * n)
    # Renewals due in the twelve months: 8 of 10 sponsored renewed, 5 of 10 others.
    for accounts, renewed in ((sponsored, 8), (others[:10], 5)):
        for n, account in enumerate(accounts):
            account.renewal_on, account.renewed = days_ago(60), n < renewed
    sponsored[9].renewal_on = days_ago(400)  # due before the twelve months: not counted
    others[9].renewed = None  # not known yet: not counted
    for account in [*sponsored, *others]:
        account.save()


def figures(tier: int = KEY) -> dict:
    span = impact_span(today=timezone.localdate(), now=timezone.now())
    return {c.measure.slug: c for c in sponsorship_impact(span=span) if c.tier == tier}


def welch_by_hand(a: list[float], b: list[float], t: float) -> tuple[float, float, float]:
    difference = statistics.mean(a) - statistics.mean(b)
    margin = t * math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))
    return difference, difference - margin, difference + margin


def welch_df(a: list[float], b: list[float]) -> float:
    x, y = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    return (x + y) ** 2 / (x * x / (len(a) - 1) + y * y / (len(b) - 1))


# --- The statistics -------------------------------------------------------------------------


def test_t_critical_values_are_students_with_the_degrees_of_freedom_rounded_down():
    assert t_critical_95(1) == 12.706
    assert t_critical_95(15.35) == 2.131
    assert t_critical_95(17.99) == 2.110
    assert t_critical_95(45) == 2.021  # between the tabulated 40 and 50: 40's, the wider
    assert t_critical_95(10**6) == 1.962


def test_newcombes_interval_matches_his_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, table II, example (a), method 10.
    difference, low, high = newcombe_interval(56, 70, 48, 80)

    assert difference == pytest.approx(0.2)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_two_groups_without_any_variance_have_the_difference_as_their_interval():
    assert welch_interval(10, 3.0, 0.0, 12, 1.0, 0.0) == (2.0, 2.0, 2.0)


# --- The comparison --------------------------------------------------------------------------


def test_executive_contacts_per_account_compare_with_welchs_interval(program):
    contacts_ = figures()["contacts"]

    assert (contacts_.sponsored.n, contacts_.comparison.n) == (10, 11)
    assert contacts_.sponsored.mean == pytest.approx(5.0)
    assert contacts_.comparison.mean == pytest.approx(20 / 11)
    assert math.floor(welch_df(SPONSORED_CONTACTS, OTHER_CONTACTS)) == 15
    expected = welch_by_hand(SPONSORED_CONTACTS, OTHER_CONTACTS, t=2.131)
    assert (contacts_.difference, contacts_.low, contacts_.high) == pytest.approx(expected)
    assert contacts_.difference_text == "+3.2"
    assert contacts_.interval_text == "+2.0 to +4.4"


def test_survey_scores_compare_per_answered_survey(program):
    value, recommend = figures()["survey_value"], figures()["survey_recommend"]

    assert (value.sponsored.n, value.comparison.n, value.sponsored.accounts) == (10, 10, 10)
    assert (value.sponsored.mean, value.comparison.mean) == pytest.approx((4.4, 3.1))
    assert math.floor(welch_df(SPONSORED_VALUES, OTHER_VALUES)) == 17
    assert (value.difference, value.low, value.high) == pytest.approx(
        welch_by_hand(SPONSORED_VALUES, OTHER_VALUES, t=2.110)
    )
    assert (recommend.sponsored.mean, recommend.comparison.mean) == pytest.approx((8.9, 6.9))
    assert math.floor(welch_df(SPONSORED_RECOMMEND, OTHER_RECOMMEND)) == 17
    assert (recommend.difference, recommend.low, recommend.high) == pytest.approx(
        welch_by_hand(SPONSORED_RECOMMEND, OTHER_RECOMMEND, t=2.110)
    )


def test_too_few_on_either_side_is_not_enough_data_and_no_figure(program):
    actions, value = figures()["action_days"], figures()["annual_value"]

    # Nine routed actions closed on the other side; nine annual values on the sponsored one.
    assert (actions.sponsored.n, actions.comparison.n) == (10, MIN_GROUP - 1)
    assert actions.sponsored.mean == pytest.approx(statistics.mean(SPONSORED_ACTION_DAYS), abs=1e-3)
    assert not actions.enough and actions.difference is None and actions.interval_text == ""
    assert (value.sponsored.n, value.comparison.n) == (MIN_GROUP - 1, 10)
    assert not value.enough and value.difference is None


def test_the_renewal_rate_compares_with_newcombes_interval(program):
    renewal = figures()["renewal"]

    # Sponsored: 8 of 9 due in the twelve months (the tenth was due before);
    # others: 5 of 9 known (the tenth not known yet).
    assert (renewal.sponsored.n, renewal.comparison.n) == (9, 9)
    assert not renewal.enough


def test_the_renewal_rate_with_enough_accounts(program):
    for n, account in enumerate(AccountFactory.create_batch(3, tier=KEY)):
        PairingFactory(account=account, status=Pairing.Status.ACTIVE, starts_on=days_ago(100))
        account.renewal_on, account.renewed = days_ago(10), n == 0
        account.save()
    program["others"][9].renewed = False
    program["others"][9].save()

    renewal = figures()["renewal"]

    # Sponsored: 8 of 9 and 1 of 3 = 9 of 12; others: 5 of 10.
    assert (renewal.sponsored.n, renewal.comparison.n) == (12, 10)
    assert (renewal.sponsored.mean, renewal.comparison.mean) == pytest.approx((0.75, 0.5))
    # Wilson's intervals by hand: 9/12 is 0.4677 to 0.9111, 5/10 is 0.2366 to 0.7634.
    low = 0.25 - math.sqrt((0.75 - 0.46770) ** 2 + (0.76341 - 0.5) ** 2)
    high = 0.25 + math.sqrt((0.91109 - 0.75) ** 2 + (0.5 - 0.23659) ** 2)
    assert (renewal.difference, renewal.low, renewal.high) == pytest.approx((0.25, low, high), abs=1e-4)
    assert renewal.difference_text == "+25 points"


def test_another_tier_is_not_mixed_in(program):
    strategic = figures(Account.Tier.STRATEGIC)["contacts"]
    key = figures()["contacts"]

    assert (strategic.sponsored.n, strategic.comparison.n) == (6, 6)
    assert strategic.sponsored.mean == 12.0 and not strategic.enough
    assert key.sponsored.n + key.comparison.n == 21  # not the Strategic twelve, nor the three in neither group


def test_the_comparison_takes_the_same_queries_however_many_accounts(program, django_assert_num_queries):
    span = impact_span(today=timezone.localdate(), now=timezone.now())
    with django_assert_num_queries(6):
        sponsorship_impact(span=span)
    for account in AccountFactory.create_batch(20, tier=KEY):
        contacts(account, 1)
    with django_assert_num_queries(6):
        sponsorship_impact(span=span)


# --- The page, its lists, their CSV and the API -------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    return client


def rows_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def list_query(measure: str, group: str) -> str:
    return f"?measure={measure}&tier={KEY}&group={group}"


def test_the_page_shows_each_figure_with_its_count_linking_to_its_accounts(program, admin_client):
    page = admin_client.get(reverse("mentoring:impact"), {"tier": KEY}).content.decode()

    link = reverse("mentoring:impact_accounts") + list_query("contacts", SPONSORED).replace("&", "&amp;")
    assert f'href="{link}"' in page
    assert "+3.2" in page and "+2.0 to +4.4" in page
    assert "5.0" in page and "1.8" in page
    # Too few on a side: the counts, then "not enough data" and no figure.
    assert page.count("Not enough data") == 3  # routed actions, annual value, renewals
    actions = page.split('id="measure-action_days"', 1)[1].split("</section>", 1)[0]
    assert "Not enough data" in actions and not re.search(r"\d\.\d", actions)


def test_a_groups_list_and_its_csv_hold_the_accounts_its_figure_counts(program, admin_client):
    listed = admin_client.get(reverse("mentoring:impact_accounts") + list_query("contacts", COMPARISON))
    rows = rows_of(admin_client.get(reverse("mentoring:impact_accounts_csv") + list_query("contacts", COMPARISON)))

    names = [account.name for account in program["others"]]
    assert [row["account"] for row in rows] == names
    assert [int(row["rows"]) for row in rows] == [1] * 11  # one row per account: the account itself
    assert [float(row["mean"]) for row in rows] == OTHER_CONTACTS
    assert all(name in listed.content.decode() for name in names)
    assert "Sponsored 00" not in listed.content.decode()

    surveys_csv = reverse("mentoring:impact_accounts_csv") + list_query("survey_value", SPONSORED)
    surveys = rows_of(admin_client.get(surveys_csv))
    assert sum(int(row["rows"]) for row in surveys) == figures()["survey_value"].sponsored.n == 10
    assert statistics.mean(float(row["mean"]) for row in surveys) == pytest.approx(4.4)


def test_a_list_of_no_such_measure_tier_or_group_is_not_found(admin_client):
    url = reverse("mentoring:impact_accounts")
    for query in ("?measure=nope&tier=2&group=sponsored", "?measure=contacts&tier=9&group=sponsored", "?tier=2"):
        assert admin_client.get(url + query).status_code == 404


def test_the_api_gives_the_pages_figures_to_program_admins_only(program, client):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    headers = {"Authorization": f"Bearer {api_key(admin)}"}

    body = client.get(reverse("api:sponsorship-impact-list"), {"page_size": 200}, headers=headers).json()

    rows = {(row["tier"], row["measure"]): row for row in body["results"]}
    assert body["count"] == len(Account.Tier) * 6
    contacts_ = rows[(KEY, "contacts")]
    page = figures()["contacts"]
    assert contacts_["sponsored"] == {"n": 10, "accounts": 10, "mean": pytest.approx(5.0)}
    assert contacts_["not_sponsored"]["n"] == 11
    assert (contacts_["difference"], contacts_["low"], contacts_["high"]) == pytest.approx(
        (page.difference, page.low, page.high)
    )
    actions = rows[(KEY, "action_days")]
    assert actions["enough_data"] is False
    assert (actions["difference"], actions["sponsored"]["mean"], actions["not_sponsored"]["mean"]) == (None,) * 3
    assert actions["not_sponsored"]["n"] == 9

    executive = UserFactory(roles=[Role.EXECUTIVE])
    refused = client.get(
        reverse("api:sponsorship-impact-list"), headers={"Authorization": f"Bearer {api_key(executive)}"}
    )
    assert refused.status_code == 403
