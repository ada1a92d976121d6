"""Measures of how an account is doing over a span of time, whichever app
holds their rows, for pages that compare groups of accounts.

Executive contacts, annual value and renewals are this app's; survey scores
and actions belong to ``feedback``, which this app does not import. Each
registers an ``AccountMeasure`` here (``account_measure``), as apps register
timeline kinds and panels: the rows it counts over a span, which account each
row is about, and the figure each row holds. A reader such as ``mentoring``'s
sponsorship impact groups and averages those rows in the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from engagement.accounts.models import Account
from engagement.cadence.models import ExecutiveContact

MEAN, RATE = "mean", "rate"


@dataclass(frozen=True)
class Span:
    """The span a measure counts: the days from ``since`` to ``today``, and the
    same as moments (``since_at`` to ``now``) for rows dated by a moment."""

    since: dt.date
    today: dt.date
    since_at: dt.datetime
    now: dt.datetime


@dataclass(frozen=True)
class AccountMeasure:
    """A figure per row about an account: averaged (``MEAN``), or a share of
    yes (``RATE``, each row holding 1 or 0)."""

    slug: str
    label: str
    # What one row is, in the singular and plural ("answered survey").
    per: str
    per_plural: str
    # The rows the measure counts over the span.
    rows: Callable[[Span], QuerySet]
    # The path from a row to its account ("pk" when the rows are accounts).
    account: str
    # The figure each row holds over the span, as an expression on the rows.
    value: Callable[[Span], models.Expression]
    # What the figure is and how it is read, in a few plain words.
    explains: str
    kind: str = MEAN
    decimals: int = 1
    position: int = 0


ACCOUNT_MEASURES: dict[str, AccountMeasure] = {}


def account_measure(measure: AccountMeasure) -> AccountMeasure:
    """Register ``measure`` for pages that compare accounts."""
    ACCOUNT_MEASURES[measure.slug] = measure
    return measure


def account_measures() -> list[AccountMeasure]:
    """Every registered measure, in the order pages show them."""
    return sorted(ACCOUNT_MEASURES.values(), key=lambda measure: (measure.position, measure.label))


def _contacts_count(span: Span) -> models.Expression:
    # Every account counts, with no contact as zero: the rows are the accounts.
    contacts = (
        ExecutiveContact.objects.filter(
            account_id=OuterRef("pk"), contact_on__gte=span.since, contact_on__lte=span.today
        )
        .values("account_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(contacts, output_field=models.IntegerField()), Value(0))


account_measure(
    AccountMeasure(
        slug="contacts",
        label="Executive contacts",
        per="account",
        per_plural="accounts",
        rows=lambda span: Account.objects.all(),
        account="pk",
        value=_contacts_count,
        explains="executive contacts with each account over the twelve months, none counting as zero",
        position=10,
    )
)
account_measure(
    AccountMeasure(
        slug="annual_value",
        label="Annual value",
        per="account with an annual value",
        per_plural="accounts with an annual value",
        rows=lambda span: Account.objects.filter(annual_value__isnull=False),
        account="pk",
        value=lambda span: F("annual_value"),
        explains="each account's annual value as the accounts file last gave it, in the program's currency",
        decimals=0,
        position=50,
    )
)
account_measure(
    AccountMeasure(
        slug="renewal",
        label="Renewal rate",
        per="account due to renew",
        per_plural="accounts due to renew",
        rows=lambda span: Account.objects.filter(
            renewal_on__gte=span.since, renewal_on__lte=span.today, renewed__isnull=False
        ),
        account="pk",
        value=lambda span: Case(When(Q(renewed=True), then=Value(1.0)), default=Value(0.0)),
        explains="the share of accounts due to renew in the twelve months, whose renewal is known, that renewed",
        kind=RATE,
        position=60,
    )
)
