"""The program admins' Trends page, and a CSV download of each of its tables."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from engagement.filters import page_of
from engagement.imports.exports import csv_response
from engagement.people.roles import Role, role_required
from visits.filters import HeatmapFilter
from visits.trends import (
    EXECUTIVES_PER_PAGE,
    HEATMAP_CSV_COLUMNS,
    STATES,
    STATES_CSV_COLUMNS,
    TYPES_CSV_COLUMNS,
    WEEKLY_CSV_COLUMNS,
    TrendPeriod,
    TypeMonths,
    WeekContacts,
    WeekStates,
    heatmap_executives,
    heatmap_export_rows,
    heatmap_rows,
    held_engagements_by_type,
    trend_period,
    type_month_rows,
    weekly_contacts,
    weekly_states,
)


def _period() -> TrendPeriod:
    # The viewer's today: the middleware has made their time zone the current one.
    return trend_period(today=timezone.localdate())


def _week_label(row: WeekContacts | WeekStates) -> str:
    return f"{row.week.ends_on:%-d %b %Y}"


def _charts(
    period: TrendPeriod, weeks: list[WeekContacts], states: list[WeekStates], types: list[TypeMonths]
) -> dict[str, dict[str, Any]]:
    """What the page's script draws, passed as JSON (the CSP allows no inline script)."""
    return {
        "weekly": {
            "labels": [_week_label(week) for week in weeks],
            "contacts": [week.contacts for week in weeks],
            "hours": [float(week.hours) for week in weeks],
        },
        "states": {
            "labels": [_week_label(week) for week in states],
            "series": [
                {"state": state.value, "label": state.label, "values": [week.count(state) for week in states]}
                for state in STATES
            ],
        },
        "types": {
            "labels": [f"{month:%b %Y}" for month in period.months],
            "series": [
                {"label": engagement_type.name, "values": list(engagement_type.months)} for engagement_type in types
            ],
        },
    }


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def trends(request: HttpRequest) -> HttpResponse:
    """A year of customer contact: weekly contacts and hours, the executives'
    states at each week end, held engagements by type, and each executive's
    contacts month by month."""
    period = _period()
    weeks = weekly_contacts(period=period)
    states = weekly_states(period=period)
    types = held_engagements_by_type(period=period)
    filters = HeatmapFilter(request.GET or None, queryset=heatmap_executives())
    page, query = page_of(request, filters.qs, EXECUTIVES_PER_PAGE)
    return render(
        request,
        "visits/trends.html",
        {
            "period": period,
            "weeks": weeks,
            "states": states,
            "state_choices": STATES,
            "types": types,
            "charts": _charts(period, weeks, states, types),
            "any_contact": any(week.contacts for week in weeks),
            "any_executive": any(week.executives for week in states),
            "form": filters.form,
            "function_id": filters.values().get("function"),
            "page": page,
            "heatmap": heatmap_rows(period=period, executives=page.object_list),
            "query": query,
        },
    )


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def trends_weekly_csv(request: HttpRequest) -> HttpResponse:
    """Contacts and exposure hours week by week, as CSV."""
    return csv_response(filename="weekly-contacts", columns=WEEKLY_CSV_COLUMNS, rows=weekly_contacts(period=_period()))


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def trends_states_csv(request: HttpRequest) -> HttpResponse:
    """How many executives stood in each state at each week end, as CSV."""
    return csv_response(filename="weekly-states", columns=STATES_CSV_COLUMNS, rows=weekly_states(period=_period()))


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def trends_types_csv(request: HttpRequest) -> HttpResponse:
    """Held engagements by type and month, as CSV: one row per month per type."""
    period = _period()
    rows = type_month_rows(held_engagements_by_type(period=period), period)
    return csv_response(filename="engagements-by-type", columns=TYPES_CSV_COLUMNS, rows=rows)


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def trends_heatmap_csv(request: HttpRequest) -> HttpResponse:
    """Each executive's contacts month by month, as CSV, with the heatmap's
    filter: one row per executive per month, every executive."""
    filters = HeatmapFilter(request.GET or None, queryset=heatmap_executives())
    rows = heatmap_export_rows(period=_period(), executives=filters.qs)
    return csv_response(filename="executive-contacts-by-month", columns=HEATMAP_CSV_COLUMNS, rows=rows)
