"""Survey scores and the time routed actions take to close, as measures of
each account (engagement.accounts.measures), for pages that compare groups of
accounts."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, QuerySet

from engagement.accounts.measures import AccountMeasure, Span, account_measure
from feedback.models import ActionItem, Survey

SECONDS_A_DAY = 86400.0


class DaysBetween(models.Func):
    """The days, with their fraction, from ``start`` to a later ``end``."""

    output_field = models.FloatField()
    arity = 2

    def __init__(self, start: Any, end: Any) -> None:
        # The SQL subtracts the second from the first.
        super().__init__(end, start)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s))", arg_joiner=") - julianday(")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = f"(EXTRACT(EPOCH FROM (%(expressions)s)) / {SECONDS_A_DAY})"
        return self.as_sql(compiler, connection, template=template, arg_joiner=" - ")


def _answered(span: Span) -> QuerySet[Survey]:
    return Survey.objects.filter(answered_at__gte=span.since_at, answered_at__lte=span.now)


def _routed_closed(span: Span) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(
        function__isnull=False,
        status__in=ActionItem.CLOSED_STATUSES,
        closed_at__gte=span.since_at,
        closed_at__lte=span.now,
    ).filter(
        # Closed before it was raised, as copied-in data can say: no time it took.
        closed_at__gte=F("created_at")
    )


account_measure(
    AccountMeasure(
        slug="survey_value",
        label="Survey: value of the meeting",
        per="answered survey",
        per_plural="answered surveys",
        rows=lambda span: _answered(span).filter(value__isnull=False),
        account="engagement__account",
        value=lambda span: F("value"),
        explains="how valuable the customer found the meeting, from 1 to 5, per survey answered in the twelve months",
        decimals=2,
        position=20,
    )
)
account_measure(
    AccountMeasure(
        slug="survey_recommend",
        label="Survey: likely to recommend",
        per="answered survey",
        per_plural="answered surveys",
        rows=lambda span: _answered(span).filter(recommend__isnull=False),
        account="engagement__account",
        value=lambda span: F("recommend"),
        explains="how likely the customer is to recommend us, from 0 to 10, per survey answered in the twelve months",
        decimals=2,
        position=30,
    )
)
account_measure(
    AccountMeasure(
        slug="action_days",
        label="Days to close a routed action",
        per="routed action closed",
        per_plural="routed actions closed",
        rows=_routed_closed,
        account="engagement__account",
        value=lambda span: DaysBetween(F("created_at"), F("closed_at")),
        explains="days from raising an action routed to another function to closing it, per action closed in the "
        "twelve months",
        position=40,
    )
)
