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
from engagement.dates import twelve_months_before
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


def accounts_served() -> QuerySet[Account]:
    """The accounts coverage is about: every one not churned."""
    return Account.objects.exclude(status=Account.Status.CHURNED)


KIND_PLURALS = {Account.Kind.CUSTOMER: "customers", Account.Kind.PARTNER: "partners"}


@dataclass(frozen=True)
class CoverageFilters:
    """Which accounts a coverage list shows: one kind (customers and partners
    are never mixed), one tier or all, and how long without contact, or any."""

    kind: str = Account.Kind.CUSTOMER
    tier: int | None = None
    no_contact: str | None = None

    @property
    def query(self) -> str:
        """The filters as a query string, for links and the export."""
        return urlencode(
            [
                (name, value)
                for name, value in (("kind", self.kind), ("tier", self.tier), ("no_contact", self.no_contact))
                if value
            ]
        )

    @property
    def description(self) -> str:
        """The filters in words: "Strategic customers with no executive contact in 90 days"."""
        accounts = KIND_PLURALS[Account.Kind(self.kind)]
        words = f"{Account.Tier(self.tier).label} {accounts}" if self.tier else accounts.capitalize()
        if self.no_contact == NoContact.NEVER:
            return f"{words} never met by an executive"
        if self.no_contact:
            return f"{words} with no executive contact in {self.no_contact} days"
        return words


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


@dataclass(frozen=True)
class KindCoverage:
    """The coverage table of customers, or of partners."""

    kind: str
    label: str
    tiers: tuple[TierCoverage, ...]
    all_tiers: TierCoverage


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
    met, and how many there are. One query, on the accounts alone."""
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
        )
        .order_by()
    )
    counts: dict[tuple[str, int], dict[str, int]] = {}
    for row in rows:
        counts[row["kind"], row["tier"]] = {
            "total": row["total"],
            **{no_contact.value: row[f"no_contact_{no_contact.value}"] for no_contact in NoContact},
        }
    coverage = []
    for kind in Account.Kind:
        by_tier = {tier.value: counts.get((kind.value, tier.value), {}) for tier in Account.Tier}
        summed: dict[str, int] = defaultdict(int)
        for tier_counts in by_tier.values():
            for name, count in tier_counts.items():
                summed[name] += count
        coverage.append(
            KindCoverage(
                kind=kind.value,
                label=KIND_PLURALS[kind].capitalize(),
                tiers=tuple(_tier_coverage(kind.value, tier, tier_counts) for tier, tier_counts in by_tier.items()),
                all_tiers=_tier_coverage(kind.value, None, summed),
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
