"""Reads for account coverage: which accounts executives have not met lately,
and who met each account. Each returns in a fixed number of queries, and the
CSV columns of their exports. (Key-person risk, which also reads sponsors, is
``mentoring.risk``'s.)

Counts and filters read each account's own copy of its last executive contact
(``Account.last_contact_on``, kept by ``cadence.ledger.account_last_contact_refresh``)
rather than grouping the contacts: over 100,000 accounts and two million
contacts on PostgreSQL the grouping took 1.1 s for the counts, the copy under
50 ms.

"In N days" counts a contact N days ago in, as the twelve months of the other
pages do: a contact exactly 90 days ago is a contact in 90 days.

The heatmap counts whole calendar months back from the reader's today: a
contact on the same day a month before is a month ago, the day after it
under a month (``engagement.dates.months_before``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db import models
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone

from engagement.accounts.models import Account
from engagement.cadence.models import ExecutiveContact
from engagement.cadence.selectors import executives_met_count
from engagement.dates import months_before, twelve_months_before
from engagement.imports.exports import CsvColumn


class NoContact(models.TextChoices):
    """How long an account has gone without an executive contact. Each
    includes the ones after it: an account never met has had no contact in
    365 days, nor in 90."""

    DAYS_90 = "90", "No contact in 90 days"
    DAYS_180 = "180", "No contact in 180 days"
    DAYS_365 = "365", "No contact in 365 days"
    NEVER = "never", "Never met"

    @property
    def days(self) -> int | None:
        return None if self is NoContact.NEVER else int(self.value)


def no_contact_filter(no_contact: NoContact, *, today: dt.date) -> Q:
    """The accounts that have gone ``no_contact`` without an executive contact on ``today``."""
    never = Q(last_contact_on__isnull=True)
    if no_contact.days is None:
        return never
    return never | Q(last_contact_on__lt=today - dt.timedelta(days=no_contact.days))


class MonthsSince(models.TextChoices):
    """How many whole months since an account's last executive contact, in
    the bands of the coverage heatmap. Unlike ``NoContact`` each leaves the
    others out, so that a tier's bands add up to its accounts."""

    UNDER_1 = "0", "Under a month"
    ONE = "1", "1 month"
    TWO = "2", "2 months"
    THREE = "3", "3 months"
    FOUR_TO_5 = "4-5", "4 to 5 months"
    SIX_TO_11 = "6-11", "6 to 11 months"
    TWELVE_OR_MORE = "12+", "12 months or more"
    NEVER = "never", "Never met"

    @property
    def months(self) -> tuple[int, int | None] | None:
        """The band's first and last month (None: no last); None for never met."""
        return _MONTHS_SINCE_BANDS[self.value]

    @property
    def heading(self) -> str:
        """The band as the heatmap's column heading: "6\u201311", "12+", "Never"."""
        return {"0": "Under 1", "never": "Never"}.get(self.value, self.value.replace("-", "\u2013"))

    @property
    def unit(self) -> str:
        """What the heading counts, for those who hear it: "months", or nothing for never."""
        return {"0": "month", "1": "month", "never": ""}.get(self.value, "months")

    @property
    def words(self) -> str:
        """The band after the accounts it counts: "last met 6 to 11 months ago"."""
        return _MONTHS_SINCE_WORDS.get(self.value, f"last met {self.label} ago")


_MONTHS_SINCE_BANDS: dict[str, tuple[int, int | None] | None] = {
    "0": (0, 0),
    "1": (1, 1),
    "2": (2, 2),
    "3": (3, 3),
    "4-5": (4, 5),
    "6-11": (6, 11),
    "12+": (12, None),
    "never": None,
}

_MONTHS_SINCE_WORDS = {
    "0": "last met less than a month ago",
    "12+": "last met 12 or more months ago",
    "never": "never met by an executive",
}


def months_since_filter(band: MonthsSince, *, today: dt.date) -> Q:
    """The accounts whose last executive contact falls in ``band``, counted
    back from ``today``. A contact dated after ``today`` (an executive a day
    ahead of the reader) is under a month ago."""
    months = band.months
    if months is None:
        return Q(last_contact_on__isnull=True)
    first, last = months
    since = Q(last_contact_on__lte=months_before(today, first)) if first else Q(last_contact_on__isnull=False)
    if last is not None:
        since &= Q(last_contact_on__gt=months_before(today, last + 1))
    return since


def accounts_served() -> QuerySet[Account]:
    """The accounts coverage is about: every one not churned."""
    return Account.objects.exclude(status=Account.Status.CHURNED)


KIND_PLURALS = {Account.Kind.CUSTOMER: "customers", Account.Kind.PARTNER: "partners"}
KIND_SINGULARS = {Account.Kind.CUSTOMER: "customer", Account.Kind.PARTNER: "partner"}


@dataclass(frozen=True)
class CoverageFilters:
    """Which accounts a coverage list shows: one kind (customers and partners
    are never mixed), one tier or all, how long without contact, or any, and
    how many months since the last contact (``MonthsSince``), or any."""

    kind: str = Account.Kind.CUSTOMER
    tier: int | None = None
    no_contact: str | None = None
    months: str | None = None

    @property
    def query(self) -> str:
        """The filters as a query string, for links and the export."""
        given = (("kind", self.kind), ("tier", self.tier), ("no_contact", self.no_contact), ("months", self.months))
        return urlencode([(name, value) for name, value in given if value])

    @property
    def description(self) -> str:
        """The filters in words: "Strategic customers with no executive contact in 90 days"."""
        accounts = KIND_PLURALS[Account.Kind(self.kind)]
        words = f"{Account.Tier(self.tier).label} {accounts}" if self.tier else accounts.capitalize()
        since = []
        if self.no_contact == NoContact.NEVER:
            since.append("never met by an executive")
        elif self.no_contact:
            since.append(f"with no executive contact in {self.no_contact} days")
        if self.months and self.months != self.no_contact:
            since.append(MonthsSince(self.months).words)
        return " ".join([words, " and ".join(since)]) if since else words


@dataclass(frozen=True)
class CoverageCell:
    """One count of the coverage table, with the filters of the list behind it."""

    count: int
    filters: CoverageFilters


@dataclass(frozen=True)
class TierCoverage:
    """One row of the coverage table: a tier (None for all tiers), its counts
    by ``NoContact`` in that order, and all its accounts."""

    tier: int | None
    label: str
    cells: tuple[CoverageCell, ...]
    total: CoverageCell


# The heatmap's shades by a cell's share of its row, in whole percent as the
# page prints it: none, under 10, under 25, under 50, and the rest (the shades
# of static/css/groundwork.css, shared with the trends page's heatmap). A
# tier's accounts spread over eight bands, an eighth each if evenly.
HEAT_PERCENTS = (10, 25, 50)


@dataclass(frozen=True)
class HeatCell:
    """One cell of the coverage heatmap: the accounts of a tier in one
    ``MonthsSince`` band, their share of the tier's, and the list behind them."""

    count: int
    row_total: int
    band: MonthsSince
    filters: CoverageFilters

    @property
    def share(self) -> float:
        return self.count / self.row_total if self.row_total else 0.0

    @property
    def percent(self) -> str:
        """The share as the page prints it: "0%", "under 1%", "40%"."""
        if self.count and round(self.share * 100) == 0:
            return "under 1%"
        return f"{round(self.share * 100)}%"

    @property
    def description(self) -> str:
        """What the count counts, after it: "strategic customers last met 6 to 11 months ago"."""
        kind = Account.Kind(self.filters.kind)
        accounts = KIND_SINGULARS[kind] if self.count == 1 else KIND_PLURALS[kind]
        tier = Account.Tier(self.filters.tier).label.lower() if self.filters.tier else "all"
        return f"{tier} {accounts} {self.band.words}"

    @property
    def level(self) -> int:
        """The cell's shade, 0 (none) to 4 (half the row or more)."""
        if not self.count:
            return 0
        return 1 + sum(round(self.share * 100) >= bound for bound in HEAT_PERCENTS)


@dataclass(frozen=True)
class HeatRow:
    """One tier of the coverage heatmap: its cells by ``MonthsSince`` in that order."""

    tier: int
    label: str
    cells: tuple[HeatCell, ...]
    total: int


@dataclass(frozen=True)
class KindCoverage:
    """The coverage table of customers, or of partners, and their heatmap."""

    kind: str
    label: str
    tiers: tuple[TierCoverage, ...]
    all_tiers: TierCoverage
    heatmap: tuple[HeatRow, ...]


def _heat_row(kind: str, tier: int, counts: dict[str, int]) -> HeatRow:
    total = counts.get("total", 0)
    return HeatRow(
        tier=tier,
        label=Account.Tier(tier).label,
        cells=tuple(
            HeatCell(counts.get(f"months:{band.value}", 0), total, band, CoverageFilters(kind, tier, months=band.value))
            for band in MonthsSince
        ),
        total=total,
    )


def _tier_coverage(kind: str, tier: int | None, counts: dict[str, int]) -> TierCoverage:
    return TierCoverage(
        tier=tier,
        label=Account.Tier(tier).label if tier else "All tiers",
        cells=tuple(
            CoverageCell(counts.get(no_contact.value, 0), CoverageFilters(kind, tier, no_contact.value))
            for no_contact in NoContact
        ),
        total=CoverageCell(counts.get("total", 0), CoverageFilters(kind, tier)),
    )


def account_coverage(*, today: dt.date | None = None) -> list[KindCoverage]:
    """Accounts not churned, customers and partners apart, by tier: how many
    have had no executive contact in 90, 180 and 365 days, how many were never
    met, and how many there are; and for the heatmap, how many in each band of
    months since their last contact (``MonthsSince``). One query, on the
    accounts alone, however many there are."""
    today = today or timezone.localdate()
    rows = (
        accounts_served()
        .values("kind", "tier")
        .annotate(
            total=Count("pk"),
            **{
                f"no_contact_{no_contact.value}": Count("pk", filter=no_contact_filter(no_contact, today=today))
                for no_contact in NoContact
            },
            **{
                f"months_{index}": Count("pk", filter=months_since_filter(band, today=today))
                for index, band in enumerate(MonthsSince)
            },
        )
        .order_by()
    )
    counts: dict[tuple[str, int], dict[str, int]] = {}
    for row in rows:
        counts[row["kind"], row["tier"]] = {
            "total": row["total"],
            **{no_contact.value: row[f"no_contact_{no_contact.value}"] for no_contact in NoContact},
            **{f"months:{band.value}": row[f"months_{index}"] for index, band in enumerate(MonthsSince)},
        }
    coverage = []
    for kind in Account.Kind:
        by_tier = {tier.value: counts.get((kind.value, tier.value), {}) for tier in Account.Tier}
        summed: dict[str, int] = defaultdict(int)
        for tier_counts in by_tier.values():
            for name, count in tier_counts.items():
                if not name.startswith("months:"):
                    summed[name] += count
        coverage.append(
            KindCoverage(
                kind=kind.value,
                label=KIND_PLURALS[kind].capitalize(),
                tiers=tuple(_tier_coverage(kind.value, tier, tier_counts) for tier, tier_counts in by_tier.items()),
                all_tiers=_tier_coverage(kind.value, None, summed),
                heatmap=tuple(_heat_row(kind.value, tier, tier_counts) for tier, tier_counts in by_tier.items()),
            )
        )
    return coverage


def coverage_account_list(*, today: dt.date | None = None, count_executives: bool = False) -> QuerySet[Account]:
    """The accounts behind the counts of ``account_coverage`` (which
    ``dashboards.filters.CoverageFilter`` narrows to one count's): never met first,
    then the longest since their last executive contact, with their account
    manager. One query a page, and one to count them.

    With ``count_executives``, how many executives met each in the last
    twelve months too (``executives_last_year``), for an export. A page
    rather asks ``account_executives_met`` about its own rows: under OFFSET
    the count runs for every row skipped as well (page 1,500 of all
    customers took 2.1 s)."""
    today = today or timezone.localdate()
    accounts = accounts_served()
    if count_executives:
        accounts = accounts.annotate(executives_last_year=executives_met_count(since=twelve_months_before(today)))
    return accounts.select_related("account_manager").order_by(F("last_contact_on").asc(nulls_first=True), "name", "pk")


def account_executives_met(*, account_ids: Iterable[int] | QuerySet, since: dt.date) -> dict[int, list[str]]:
    """The names of the executives who met each account of ``account_ids`` on
    or after ``since``, the most recent first, by account id. One query."""
    ids = account_ids if isinstance(account_ids, QuerySet) else list(account_ids)
    rows = (
        ExecutiveContact.objects.filter(account_id__in=ids, contact_on__gte=since)
        .values("account_id", "executive_id", "executive__user__full_name", "executive__user__email")
        .annotate(last=Max("contact_on"))
        .order_by("account_id", "-last", "executive__user__full_name", "executive_id")
    )
    names: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        names[row["account_id"]].append(row["executive__user__full_name"] or row["executive__user__email"])
    return names


@dataclass(frozen=True)
class AccountExecutives:
    """An account with the executives who met it in the last twelve months,
    most recent first (``account_executives_met``), as a list of accounts
    shows them: the first few names, and how many more."""

    account: Account
    names: tuple[str, ...]
    shown: int = 3

    @property
    def first_names(self) -> tuple[str, ...]:
        return self.names[: self.shown]

    @property
    def more(self) -> int:
        return max(0, len(self.names) - self.shown)


def manager_name(account: Account) -> str:
    return account.account_manager.get_full_name() if account.account_manager else ""


def manager_email(account: Account) -> str:
    return account.account_manager.email if account.account_manager else ""


# The exports' columns, in this order; docs/architecture.md lists them.
# New columns go at the end, so that a sheet built on a file keeps working.


def account_csv_columns(of: Callable[[Any], Account] = lambda account: account, *, manager: bool) -> list[CsvColumn]:
    """The columns that name the account ``of`` a row begins with in every
    export of accounts; with ``manager``, its status and account manager too."""
    columns = [
        CsvColumn("account", lambda row: of(row).name),
        CsvColumn("crm_id", lambda row: of(row).crm_id),
        CsvColumn("kind", lambda row: of(row).kind),
        CsvColumn("tier", lambda row: of(row).get_tier_display()),
    ]
    if manager:
        columns += [
            CsvColumn("status", lambda row: of(row).status),
            CsvColumn("account_manager", lambda row: manager_name(of(row))),
            CsvColumn("account_manager_email", lambda row: manager_email(of(row))),
        ]
    return columns


def coverage_csv_columns(*, today: dt.date) -> list[CsvColumn]:
    """The columns of the export of ``coverage_account_list``."""
    return [
        *account_csv_columns(manager=True),
        CsvColumn("last_executive_contact_date", lambda account: account.last_contact_on),
        CsvColumn(
            "days_since_executive_contact",
            lambda account: (today - account.last_contact_on).days if account.last_contact_on else None,
        ),
        CsvColumn("executives_12m", lambda account: account.executives_last_year),
    ]


# The account manager's accounts (``accounts.selectors.account_list_for_manager``),
# each an ``AccountExecutives``.
MANAGER_ACCOUNTS_CSV_COLUMNS = [
    *account_csv_columns(lambda row: row.account, manager=False),
    CsvColumn("last_executive_contact_date", lambda row: row.account.last_contact_on),
    CsvColumn("executives_12m", lambda row: row.account.executives_last_year),
    CsvColumn("executives_met_12m", lambda row: "; ".join(row.names)),
]
