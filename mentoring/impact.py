"""What sponsorship changes: sponsored accounts against comparable
unsponsored ones of the same tier, measure by measure.

The groups, for each tier, over the twelve months to today:

- **Sponsored**: accounts with an *active* pairing that began at least
  ``SPONSORED_FOR_DAYS`` ago. A paused pairing is left out of both groups: it
  is a sponsorship that has stopped for now, so it would blur what an active
  one does, and it is not "no sponsorship" either.
- **Comparison**: accounts of the same tier with no pairing at all (proposed,
  active, paused or ended) whose span touches the twelve months. Accounts
  sponsored for less than ``SPONSORED_FOR_DAYS``, or paused, or whose
  pairing ended within the year, are in neither group.

The measures are every ``AccountMeasure`` registered in
``engagement.accounts.measures`` (executive contacts, survey scores, days to
close routed actions, annual value, renewals). Each is read in one query
grouped by tier and group, whatever the number of accounts, and the
statistics below are pure functions of those counts, means and variances.

The interval of a difference of means is Welch's: each group keeps its own
variance (sponsored accounts may well vary more than others), with the
Welch-Satterthwaite degrees of freedom. scipy is not a dependency, so the
critical value of Student's t comes from a small table, rounding the degrees
of freedom down (a slightly wider interval, never a narrower one). The
interval of a difference of rates is Newcombe's hybrid score interval, built
from each group's Wilson interval: unlike the plain normal one, it stays
inside what rates can be and keeps its coverage with rates near 0 or 1 and
groups of a few dozen. Below ``MIN_GROUP`` rows in either group the
comparison says there is not enough data and gives no figure.

This is a comparison, not an experiment: sponsored accounts were chosen to
be sponsored, and the page says so.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Avg, Case, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value, When

from engagement.accounts.measures import RATE, AccountMeasure, Span, account_measures
from engagement.accounts.models import Account
from engagement.dates import twelve_months_before
from mentoring.models import Pairing

# A comparison with fewer rows than this in either group says "not enough data".
MIN_GROUP = 10
# How long an active pairing has run before its account counts as sponsored.
SPONSORED_FOR_DAYS = 90
SPONSORED, COMPARISON = "sponsored", "comparison"
GROUPS = {SPONSORED: "Sponsored", COMPARISON: "Not sponsored"}
Z_95 = 1.959964

# Two-sided 95% critical values of Student's t by degrees of freedom; past 30,
# the value at the tabulated degrees just below (so never too small).
_T_95 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
    11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086,
    21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042,
    40: 2.021, 50: 2.009, 60: 2.000, 80: 1.990, 100: 1.984, 120: 1.980, 200: 1.972, 500: 1.965, 1000: 1.962,
}  # fmt: skip


# --- Statistics (pure) --------------------------------------------------------------------


def t_critical_95(df: float) -> float:
    """Student's t two-sided 95% critical value for ``df`` degrees of freedom,
    from the table at the tabulated degrees at or just below ``df``."""
    return _T_95[max([1, *(degrees for degrees in _T_95 if degrees <= df)])]


def welch_interval(
    n1: int, mean1: float, variance1: float, n2: int, mean2: float, variance2: float
) -> tuple[float, float, float]:
    """The difference of means (first less second) and its 95% interval, by
    Welch's t: each group's own sample variance, Welch-Satterthwaite degrees of
    freedom. Both groups alike (no variance in either): the interval is the
    difference itself."""
    difference = mean1 - mean2
    a, b = variance1 / n1, variance2 / n2
    standard_error = math.sqrt(a + b)
    if standard_error == 0:
        return difference, difference, difference
    df = (a + b) ** 2 / ((a * a / (n1 - 1) if n1 > 1 else 0) + (b * b / (n2 - 1) if n2 > 1 else 0))
    margin = t_critical_95(df) * standard_error
    return difference, difference - margin, difference + margin


def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval of a rate of ``successes`` in ``n``."""
    p, z2 = successes / n, Z_95 * Z_95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return centre - half, centre + half


def newcombe_interval(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float, float]:
    """The difference of rates (first less second) and its 95% interval by
    Newcombe's hybrid score method (his method 10), from the Wilson intervals."""
    p1, p2 = k1 / n1, k2 / n2
    (low1, high1), (low2, high2) = wilson_interval(k1, n1), wilson_interval(k2, n2)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = difference + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    return difference, low, high


# --- Groups and measures (reads) ---------------------------------------------------------


def impact_span(*, today: dt.date, now: dt.datetime) -> Span:
    """The twelve months to ``today``, as every page counts them."""
    since = twelve_months_before(today)
    since_at = now - (today - since)
    return Span(since=since, today=today, since_at=since_at, now=now)


def _path(account: str, field: str) -> str:
    return field if account == "pk" else f"{account}__{field}"


def account_group(account: str, span: Span) -> Case:
    """The group of the account at ``account`` (a path from the rows, "pk" for
    accounts): SPONSORED, COMPARISON, or "" for neither."""
    pairings = Pairing.objects.filter(account_id=OuterRef(account))
    sponsored = pairings.filter(
        status=Pairing.Status.ACTIVE, starts_on__lte=span.today - dt.timedelta(days=SPONSORED_FOR_DAYS)
    )
    in_span = pairings.filter(starts_on__lte=span.today).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=span.since))
    return Case(
        When(Exists(sponsored), then=Value(SPONSORED)),
        When(~Exists(in_span), then=Value(COMPARISON)),
        default=Value(""),
        output_field=models.CharField(),
    )


def measure_rows(measure: AccountMeasure, span: Span) -> QuerySet:
    """The measure's rows with their account's tier (``m_tier``), group
    (``m_group``, only rows in a group) and figure (``m_value``)."""
    return (
        measure.rows(span)
        .annotate(
            m_tier=F(_path(measure.account, "tier")),
            m_group=account_group(measure.account, span),
            m_value=measure.value(span),
        )
        .exclude(m_group="")
    )


@dataclass(frozen=True)
class GroupFigures:
    """One group's rows under a measure: how many, about how many accounts,
    their mean (for a rate, the share of yes) and sample variance."""

    n: int = 0
    accounts: int = 0
    mean: float | None = None
    variance: float | None = None


@dataclass(frozen=True)
class GroupRow:
    figures: GroupFigures
    text: str

    @property
    def n(self) -> int:
        return self.figures.n

    @property
    def accounts(self) -> int:
        return self.figures.accounts


@dataclass(frozen=True)
class Comparison:
    """A measure in one tier: each group's figures and, with enough rows in
    both, the difference (sponsored less not sponsored) and its 95% interval."""

    measure: AccountMeasure
    tier: int
    sponsored: GroupFigures
    comparison: GroupFigures
    difference: float | None = None
    low: float | None = None
    high: float | None = None

    @property
    def enough(self) -> bool:
        return self.difference is not None

    @property
    def tier_label(self) -> str:
        return Account.Tier(self.tier).label

    def group(self, group: str) -> GroupFigures:
        return self.sponsored if group == SPONSORED else self.comparison

    @property
    def rows(self) -> list[tuple[tuple[str, str], GroupRow]]:
        """Each group as the page draws it: (slug, name) and its figures, the
        figure written only when there is enough data to compare."""
        return [
            ((group, name), GroupRow(figures, figure_text(self.measure, figures.mean) if self.enough else ""))
            for group, name, figures in (
                (SPONSORED, GROUPS[SPONSORED], self.sponsored),
                (COMPARISON, GROUPS[COMPARISON], self.comparison),
            )
        ]

    @property
    def difference_text(self) -> str:
        return difference_text(self.measure, self.difference)

    @property
    def interval_text(self) -> str:
        if not self.enough:
            return ""
        return f"{difference_text(self.measure, self.low)} to {difference_text(self.measure, self.high)}"


def group_figures(n: int, accounts: int, total: float | None, squares: float | None) -> GroupFigures:
    """A group's figures from its rows' count, sum and sum of squares (SQLite's
    variance fails on a single row; these read alike in every database)."""
    if not n or total is None or squares is None:
        return GroupFigures(n=n, accounts=accounts)
    mean = total / n
    variance = max(0.0, (squares - n * mean * mean) / (n - 1)) if n > 1 else None
    return GroupFigures(n=n, accounts=accounts, mean=mean, variance=variance)


def comparison_of(measure: AccountMeasure, tier: int, sponsored: GroupFigures, other: GroupFigures) -> Comparison:
    """The comparison of two groups' figures: "not enough data" (no difference)
    below ``MIN_GROUP`` rows in either."""
    if sponsored.n < MIN_GROUP or other.n < MIN_GROUP or sponsored.mean is None or other.mean is None:
        return Comparison(measure, tier, sponsored, other)
    if measure.kind == RATE:
        k1, k2 = round(sponsored.mean * sponsored.n), round(other.mean * other.n)
        difference, low, high = newcombe_interval(k1, sponsored.n, k2, other.n)
    else:
        difference, low, high = welch_interval(
            sponsored.n, sponsored.mean, sponsored.variance or 0.0, other.n, other.mean, other.variance or 0.0
        )
    return Comparison(measure, tier, sponsored, other, difference, low, high)


def sponsorship_impact(*, span: Span, measures: Iterable[AccountMeasure] | None = None) -> list[Comparison]:
    """Every measure's comparison in every tier, tier by tier in measure order:
    one query per measure, whatever the number of accounts."""
    measures = list(account_measures() if measures is None else measures)
    found: dict[tuple[str, int, str], GroupFigures] = {}
    for measure in measures:
        grouped = (
            measure_rows(measure, span)
            .values("m_tier", "m_group")
            .annotate(
                n=Count("pk"),
                accounts=Count(measure.account, distinct=True),
                total=Sum("m_value", output_field=models.FloatField()),
                squares=Sum(F("m_value") * F("m_value"), output_field=models.FloatField()),
            )
            .order_by()
        )
        for row in grouped:
            found[(measure.slug, row["m_tier"], row["m_group"])] = group_figures(
                row["n"], row["accounts"], row["total"], row["squares"]
            )
    return [
        comparison_of(
            measure,
            tier,
            found.get((measure.slug, tier, SPONSORED), GroupFigures()),
            found.get((measure.slug, tier, COMPARISON), GroupFigures()),
        )
        for tier in Account.Tier.values
        for measure in measures
    ]


def impact_accounts(*, measure: AccountMeasure, span: Span, tier: int, group: str) -> QuerySet:
    """The accounts a group's figure counts, each with its own rows (``n``) and
    their mean (``mean``), by name: what the figure's link opens."""
    return (
        measure_rows(measure, span)
        .filter(m_tier=tier, m_group=group)
        .values(
            account_id=F(measure.account),
            account_name=F(_path(measure.account, "name")),
            account_status=F(_path(measure.account, "status")),
        )
        .annotate(n=Count("pk"), mean=Avg("m_value"))
        .order_by("account_name", "account_id")
    )


def measure_named(slug: str) -> AccountMeasure | None:
    return next((measure for measure in account_measures() if measure.slug == slug), None)


# --- How figures read ---------------------------------------------------------------------


def figure_text(measure: AccountMeasure, value: float | None) -> str:
    """A group's figure as the page writes it: a rate as a percentage, a mean
    with the measure's decimals and thousands grouped."""
    if value is None:
        return ""
    if measure.kind == RATE:
        return f"{value * 100:.0f}%"
    return f"{value:,.{measure.decimals}f}"


def difference_text(measure: AccountMeasure, value: float | None) -> str:
    """A difference with its sign: percentage points for a rate."""
    if value is None:
        return ""
    sign = "+" if value > 0 else "\u2212" if value < 0 else "±"  # a minus sign, as wide as the plus
    if measure.kind == RATE:
        return f"{sign}{abs(value) * 100:.0f} points"
    return f"{sign}{abs(value):,.{measure.decimals}f}"
