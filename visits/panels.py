"""Panels other apps add to the engagement page (its debriefs and the
customer's answers, from feedback), so that this app imports none of them.
A source takes the request, the engagement and the viewer's rights.

And the panel this app adds to the program dashboard: engagements held this
quarter against the last, and how many of them were debriefed; and where the
program's dashboards read how each contact came in (its engagement's
``capture``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Expression, OuterRef, Q, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from engagement.cadence.capture import contact_capture_from
from engagement.dashboards.panels import Panel, PanelRegistry, program_dashboard_panel
from engagement.dates import local_today
from engagement.people.models import User
from visits.access import engagements_visible_to
from visits.models import Engagement
from visits.selectors import HELD, day_start

ENGAGEMENT_PANELS = PanelRegistry()
engagement_panel = ENGAGEMENT_PANELS.register

# A debrief is due two days after the engagement (the reminder goes then), so
# the completion rate leaves out the last two days; it looks back 90.
DEBRIEF_GRACE_DAYS = 2
DEBRIEF_LOOKBACK_DAYS = 90
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """Calendar days from ``first`` to ``last``, both included."""

    first: dt.date
    last: dt.date


def quarter_of(day: dt.date) -> Period:
    """The calendar quarter ``day`` falls in."""
    first = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    last_month = first.month + 2
    return Period(first, dt.date(first.year, last_month, calendar.monthrange(first.year, last_month)[1]))


def _percent(part: int, whole: int) -> int | None:
    if not whole:
        return None
    return int((Decimal(part) * 100 / whole).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class EngagementFigures:
    """Held engagements (completed or debriefed) by when they took place, in
    the viewer's calendar days."""

    this_quarter: Period  # from its first day to today
    last_quarter: Period  # the whole of it
    last_to_date: Period  # the last quarter up to the same day of the quarter as today
    debrief_period: Period
    held_this_quarter: int
    held_last_to_date: int
    held_last_quarter: int
    held_for_debrief: int  # held in the debrief period
    debriefed: int  # of those, debriefed

    @property
    def change(self) -> int | None:
        """This quarter so far against the last to the same day, in percent;
        None when the last had none by then."""
        if not self.held_last_to_date:
            return None
        return _percent(self.held_this_quarter - self.held_last_to_date, self.held_last_to_date)

    @property
    def debrief_rate(self) -> int | None:
        return _percent(self.debriefed, self.held_for_debrief)

    @property
    def awaiting_debrief(self) -> int:
        return self.held_for_debrief - self.debriefed


def program_engagement_figures(*, user: User, now: dt.datetime | None = None) -> EngagementFigures:
    """The held engagements ``user`` sees (a program admin: all), counted by
    quarter and debriefed or not, with days and quarters in ``user``'s time
    zone: one query over the (status, starts_at) index, from the first day
    of the last quarter on."""
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(user.time_zone)
    today = local_today(user.time_zone, now=now)
    quarter = quarter_of(today)
    last = quarter_of(quarter.first - _DAY)
    # Day 92 of a quarter is the last day of a 90-day one.
    same_day = min(last.first + (today - quarter.first), last.last)
    debrief = Period(today - dt.timedelta(days=DEBRIEF_LOOKBACK_DAYS), today - dt.timedelta(days=DEBRIEF_GRACE_DAYS))

    def between(period: Period) -> Q:
        return Q(starts_at__gte=day_start(period.first, zone), starts_at__lt=day_start(period.last + _DAY, zone))

    # The debrief period starts at least 90 days ago, never before the last
    # quarter (which is 90 days or more), so one range covers every figure.
    counts = (
        engagements_visible_to(user)
        .filter(status__in=Engagement.HELD_STATUSES, starts_at__gte=day_start(last.first, zone), starts_at__lt=now)
        .aggregate(
            this_quarter=Count("starts_at", filter=Q(starts_at__gte=day_start(quarter.first, zone))),
            last_to_date=Count("starts_at", filter=between(Period(last.first, same_day))),
            last_quarter=Count("starts_at", filter=between(last)),
            for_debrief=Count("starts_at", filter=between(debrief)),
            debriefed=Count("starts_at", filter=between(debrief) & Q(status=Engagement.Status.DEBRIEFED)),
        )
    )
    return EngagementFigures(
        this_quarter=Period(quarter.first, today),
        last_quarter=last,
        last_to_date=Period(last.first, same_day),
        debrief_period=debrief,
        held_this_quarter=counts["this_quarter"],
        held_last_to_date=counts["last_to_date"],
        held_last_quarter=counts["last_quarter"],
        held_for_debrief=counts["for_debrief"],
        debriefed=counts["debriefed"],
    )


def engagement_list_url(*, status: str, period: Period) -> str:
    """The list of past engagements with ``status`` (or HELD) on the days of ``period``."""
    query = {"when": "past", "status": status, "date_from": period.first, "date_to": period.last}
    return f"{reverse('visits:my_engagements')}?{urlencode(query)}"


@program_dashboard_panel
def program_engagements(request: HttpRequest) -> Panel:
    """Engagements held this quarter against the last, and the share debriefed."""
    figures = program_engagement_figures(user=request.user)
    return Panel(
        "visits/panels/program_engagements.html",
        {
            "figures": figures,
            "this_quarter_url": engagement_list_url(status=HELD, period=figures.this_quarter),
            "last_to_date_url": engagement_list_url(status=HELD, period=figures.last_to_date),
            "last_quarter_url": engagement_list_url(status=HELD, period=figures.last_quarter),
            "held_for_debrief_url": engagement_list_url(status=HELD, period=figures.debrief_period),
            "debriefed_url": engagement_list_url(status=Engagement.Status.DEBRIEFED, period=figures.debrief_period),
            "awaiting_debrief_url": engagement_list_url(
                status=Engagement.Status.COMPLETED, period=figures.debrief_period
            ),
        },
    )


@contact_capture_from
def engagement_capture() -> Expression:
    """How a contact of the program came in: the ``capture`` of the engagement
    it comes from, read by its primary key."""
    return Subquery(Engagement.objects.filter(pk=OuterRef("engagement_id")).order_by().values("capture")[:1])
