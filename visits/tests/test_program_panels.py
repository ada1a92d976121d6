"""The engagements panel of the program dashboard: held engagements this
quarter against the last, the debrief completion rate, and the lists its
figures open."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.dashboards.panels import PROGRAM_DASHBOARD_PANELS
from engagement.dates import local_today
from engagement.people.roles import Role, user_roles
from engagement.tests.factories import ExecutiveFactory, UserFactory
from visits.models import Engagement
from visits.panels import Period, program_engagement_figures, quarter_of
from visits.tests.factories import EngagementFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
HELD, DEBRIEFED = Engagement.Status.COMPLETED, Engagement.Status.DEBRIEFED
URL = reverse("visits:my_engagements")


@pytest.fixture
def program_admin():
    return UserFactory(full_name="Priya Natarajan", time_zone="Europe/Paris", roles=[Role.PROGRAM_ADMIN])


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


def engagement(starts_at: dt.datetime, status: str = HELD) -> Engagement:
    return EngagementFactory(starts_at=starts_at, status=status, duration_minutes=60)


# --- The figures, on a known day ----------------------------------------------------------

# Friday 15 May 2026, mid-morning in Paris: day 45 of the second quarter.
NOW = at(dt.date(2026, 5, 15), 10)


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (dt.date(2026, 1, 1), dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        (dt.date(2026, 5, 15), dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        (dt.date(2026, 9, 30), dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        (dt.date(2026, 12, 31), dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        (dt.date(2028, 2, 29), dt.date(2028, 1, 1), dt.date(2028, 3, 31)),
    ],
)
def test_a_day_falls_in_its_calendar_quarter(day, first, last):
    assert quarter_of(day) == Period(first, last)


@pytest.mark.django_db
def test_held_engagements_are_counted_by_quarter_in_the_viewers_time_zone(program_admin):
    # This quarter (from 1 April, in Paris), before now.
    engagement(at(dt.date(2026, 4, 1), 0, 30))  # still 31 March in UTC
    engagement(at(dt.date(2026, 5, 10)), DEBRIEFED)
    engagement(at(dt.date(2026, 5, 15), 9))
    # Not held, or not yet.
    engagement(at(dt.date(2026, 5, 14)), Engagement.Status.CANCELLED)
    engagement(at(dt.date(2026, 5, 12)), Engagement.Status.NOT_HELD)
    engagement(at(dt.date(2026, 5, 20)), Engagement.Status.SCHEDULED)
    # The last quarter: to 14 February (day 45 of it), then the rest.
    engagement(at(dt.date(2026, 1, 1), 0, 0))
    engagement(at(dt.date(2026, 2, 14), 23, 59), DEBRIEFED)
    engagement(at(dt.date(2026, 2, 15), 0, 0))
    engagement(at(dt.date(2026, 3, 31), 23, 30))
    engagement(at(dt.date(2026, 2, 1)), Engagement.Status.CANCELLED)
    # The quarter before.
    engagement(at(dt.date(2025, 12, 31), 23, 59))

    figures = program_engagement_figures(user=program_admin, now=NOW)

    assert figures.this_quarter == Period(dt.date(2026, 4, 1), dt.date(2026, 5, 15))
    assert figures.last_to_date == Period(dt.date(2026, 1, 1), dt.date(2026, 2, 14))
    assert figures.last_quarter == Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert (figures.held_this_quarter, figures.held_last_to_date, figures.held_last_quarter) == (3, 2, 4)
    assert figures.change == 50


@pytest.mark.django_db
def test_fewer_engagements_than_last_quarter_is_a_negative_change(program_admin):
    engagement(at(dt.date(2026, 4, 2)))
    for day in (3, 4, 5):
        engagement(at(dt.date(2026, 1, day)))

    figures = program_engagement_figures(user=program_admin, now=NOW)

    assert (figures.held_this_quarter, figures.held_last_to_date) == (1, 3)
    assert figures.change == -67


@pytest.mark.django_db
def test_with_nothing_held_last_quarter_by_this_day_there_is_no_change_to_show(program_admin):
    engagement(at(dt.date(2026, 4, 2)))
    engagement(at(dt.date(2026, 3, 1)))  # after 14 February: the whole quarter only

    figures = program_engagement_figures(user=program_admin, now=NOW)

    assert (figures.held_this_quarter, figures.held_last_to_date, figures.held_last_quarter) == (1, 0, 1)
    assert figures.change is None
    assert figures.debrief_rate == 0


@pytest.mark.django_db
def test_on_the_last_day_of_a_long_quarter_the_last_counts_to_its_own_end(program_admin):
    # 30 June is day 91 of the second quarter; the first has 90 days.
    engagement(at(dt.date(2026, 3, 31), 23, 30))

    figures = program_engagement_figures(user=program_admin, now=at(dt.date(2026, 6, 30), 18))

    assert figures.last_to_date == Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert figures.held_last_to_date == figures.held_last_quarter == 1


@pytest.mark.django_db
def test_the_debrief_rate_counts_engagements_held_from_90_to_2_days_ago(program_admin):
    # 90 days before 15 May is 14 February; two days before, 13 May.
    engagement(at(dt.date(2026, 2, 13), 23, 59), DEBRIEFED)  # too early
    engagement(at(dt.date(2026, 2, 14), 0, 0), DEBRIEFED)
    engagement(at(dt.date(2026, 3, 1)))
    engagement(at(dt.date(2026, 4, 20)))
    engagement(at(dt.date(2026, 5, 13), 23, 59))
    engagement(at(dt.date(2026, 5, 14), 0, 0), DEBRIEFED)  # too recent to expect a debrief
    engagement(at(dt.date(2026, 4, 1)), Engagement.Status.CANCELLED)

    figures = program_engagement_figures(user=program_admin, now=NOW)

    assert figures.debrief_period == Period(dt.date(2026, 2, 14), dt.date(2026, 5, 13))
    assert (figures.held_for_debrief, figures.debriefed, figures.awaiting_debrief) == (4, 1, 3)
    assert figures.debrief_rate == 25


@pytest.mark.django_db
def test_with_nothing_held_there_is_no_debrief_rate(program_admin):
    figures = program_engagement_figures(user=program_admin, now=NOW)

    assert figures.held_for_debrief == 0
    assert figures.debrief_rate is None


@pytest.mark.django_db
def test_the_figures_take_one_query_however_many_engagements(program_admin):
    user_roles(program_admin)  # read once per request, by the page's access check
    for day in range(5):
        engagement(at(dt.date(2026, 4, 1) + dt.timedelta(days=day)))
    with CaptureQueriesContext(connection) as few:
        program_engagement_figures(user=program_admin, now=NOW)
    for day in range(60):
        engagement(at(dt.date(2026, 1, 1) + dt.timedelta(days=day * 2)), DEBRIEFED if day % 2 else HELD)
    with CaptureQueriesContext(connection) as many:
        figures = program_engagement_figures(user=program_admin, now=NOW)

    assert figures.held_last_quarter == 45
    assert len(few) == len(many) == 1


# --- The panel on the dashboard, and the lists behind it -----------------------------------


def dashboard_panel(user) -> tuple[dict, str]:
    """The engagements panel as the program dashboard gets it: its context and its HTML."""
    request = RequestFactory().get(reverse("engagement:program_home"))
    request.user = user
    panel = next(
        panel
        for panel in PROGRAM_DASHBOARD_PANELS.panels(request)
        if panel.template == "visits/panels/program_engagements.html"
    )
    return panel.context, render_to_string(panel.template, {"panel": panel.context})


def listed(client, url: str) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200
    page = response.context["page"]
    assert not page.has_other_pages()
    return {row.pk for row in page.object_list}


@pytest.mark.django_db
def test_each_figure_links_to_the_list_of_exactly_the_engagements_it_counts(client, program_admin):
    today = local_today("Europe/Paris")
    quarter = quarter_of(today)
    last = quarter_of(quarter.first - dt.timedelta(days=1))
    same_day = min(last.first + (today - quarter.first), last.last)
    rows = [
        engagement(at(quarter.first, 0, 0)),
        engagement(at(quarter.first, 0, 0) - dt.timedelta(minutes=1), DEBRIEFED),
        engagement(at(last.first, 0, 0)),
        engagement(at(same_day, 23, 59), DEBRIEFED),
        engagement(at(last.first, 0, 0) - dt.timedelta(minutes=1)),
        engagement(at(today - dt.timedelta(days=2), 23, 59), DEBRIEFED),
        engagement(at(today - dt.timedelta(days=5))),
        engagement(at(today - dt.timedelta(days=90), 0, 0)),
        engagement(at(today - dt.timedelta(days=91), 23, 59), DEBRIEFED),
        engagement(timezone.now() - dt.timedelta(minutes=1)),
        engagement(at(quarter.first, 0, 0), Engagement.Status.CANCELLED),
        engagement(at(last.first, 12), Engagement.Status.NOT_HELD),
        engagement(timezone.now() + dt.timedelta(days=3), Engagement.Status.SCHEDULED),
    ]

    def held_on(first: dt.date, last_day: dt.date, statuses=(HELD, DEBRIEFED)) -> set[int]:
        return {
            row.pk
            for row in rows
            if row.status in statuses and first <= row.starts_at.astimezone(PARIS).date() <= last_day
        }

    debrief_first, debrief_last = today - dt.timedelta(days=90), today - dt.timedelta(days=2)
    expected = {
        "this_quarter_url": held_on(quarter.first, today),
        "last_to_date_url": held_on(last.first, same_day),
        "last_quarter_url": held_on(last.first, last.last),
        "held_for_debrief_url": held_on(debrief_first, debrief_last),
        "debriefed_url": held_on(debrief_first, debrief_last, (DEBRIEFED,)),
        "awaiting_debrief_url": held_on(debrief_first, debrief_last, (HELD,)),
    }
    context, _ = dashboard_panel(program_admin)
    figures = context["figures"]
    client.force_login(program_admin)

    for link, pks in expected.items():
        assert listed(client, context[link]) == pks, link
    assert len(expected["this_quarter_url"]) == figures.held_this_quarter >= 2
    assert len(expected["last_to_date_url"]) == figures.held_last_to_date >= 2
    assert len(expected["last_quarter_url"]) == figures.held_last_quarter >= 3
    assert len(expected["held_for_debrief_url"]) == figures.held_for_debrief >= 3
    assert len(expected["debriefed_url"]) == figures.debriefed >= 1
    assert len(expected["awaiting_debrief_url"]) == figures.awaiting_debrief >= 2


@pytest.mark.django_db
def test_the_panel_shows_the_figures_and_links_to_the_held_engagements_of_each_period(program_admin):
    today = local_today("Europe/Paris")
    quarter = quarter_of(today)
    engagement(at(quarter.first, 0, 0))
    engagement(at(quarter.first, 0, 0))
    engagement(at(quarter.first, 0, 0) - dt.timedelta(days=1), DEBRIEFED)

    context, html = dashboard_panel(program_admin)

    query = parse_qs(urlsplit(context["this_quarter_url"]).query)
    assert query == {
        "when": ["past"],
        "status": ["held"],
        "date_from": [quarter.first.isoformat()],
        "date_to": [today.isoformat()],
    }
    assert "Engagements held" in html
    assert 'figure-value mb-1">2<' in html
    assert context["this_quarter_url"].replace("&", "&amp;") in html
    assert "Debriefs written" in html


@pytest.mark.django_db
def test_the_engagements_panel_comes_first_on_the_dashboard(program_admin):
    request = RequestFactory().get(reverse("engagement:program_home"))
    request.user = program_admin

    templates = [panel.template for panel in PROGRAM_DASHBOARD_PANELS.panels(request)]

    assert templates.index("visits/panels/program_engagements.html") == 0


# --- The list's filters ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_held_filter_lists_completed_and_debriefed_engagements_only(client, program_admin):
    held = {engagement(timezone.now() - dt.timedelta(days=n), status).pk for n, status in ((3, HELD), (4, DEBRIEFED))}
    engagement(timezone.now() - dt.timedelta(days=5), Engagement.Status.CANCELLED)
    engagement(timezone.now() - dt.timedelta(days=6), Engagement.Status.NOT_HELD)
    client.force_login(program_admin)

    assert listed(client, f"{URL}?status=held") == held


@pytest.mark.django_db
def test_a_date_filter_means_the_viewers_own_calendar_days_across_a_clock_change(client):
    # Clocks in Paris go forward at 02:00 on 29 March 2026.
    viewer = ExecutiveFactory(user=UserFactory(time_zone="Europe/Paris", roles=[Role.EXECUTIVE]))
    before = EngagementFactory(executives=[viewer], starts_at=at(dt.date(2026, 3, 28), 23, 59))
    first = EngagementFactory(executives=[viewer], starts_at=at(dt.date(2026, 3, 29), 0, 0))
    last = EngagementFactory(executives=[viewer], starts_at=at(dt.date(2026, 3, 29), 23, 59))
    after = EngagementFactory(executives=[viewer], starts_at=at(dt.date(2026, 3, 30), 0, 0))
    client.force_login(viewer.user)

    assert listed(client, f"{URL}?date_from=2026-03-29&date_to=2026-03-29") == {first.pk, last.pk}
    assert listed(client, f"{URL}?date_to=2026-03-28") == {before.pk}
    assert listed(client, f"{URL}?date_from=2026-03-30") >= {after.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=bogus", "Select a valid choice"),
        ("date_from=2026-13-45", "Enter a valid date"),
        ("date_from=0001-01-01", "Choose a date between 1900 and 2999"),
        ("date_to=9999-12-31", "Choose a date between 1900 and 2999"),
        ("type=not-a-type", "Select a valid choice"),
    ],
)
def test_a_bad_filter_is_explained_and_the_list_still_shows(client, program_admin, query, message):
    kept = engagement(timezone.now() - dt.timedelta(days=3))
    client.force_login(program_admin)

    response = client.get(f"{URL}?when=past&{query}")

    assert response.status_code == 200
    assert message in response.content.decode()
    assert kept in response.context["page"].object_list
