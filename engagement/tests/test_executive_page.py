"""The executive's own page: the countdown to the close of their window, their
contacts month by month, and where they stand among the other executives."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.dashboards.standing import executive_rank, month_start
from engagement.tests.factories import ExecutiveFactory, contact_record

URL = reverse("engagement:executive_home")


def today() -> dt.date:
    """Today in UTC, the time zone of the executives here."""
    return timezone.localdate(timezone.now(), dt.UTC)


def days_ago(days: int, hour: int = 12) -> dt.datetime:
    """``hour`` o'clock UTC, ``days`` days before today."""
    return dt.datetime.combine(today() - dt.timedelta(days=days), dt.time(hour), tzinfo=dt.UTC)


def page_of(client, executive) -> str:
    client.force_login(executive.user)
    response = client.get(URL)
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


# --- The countdown -------------------------------------------------------------------------


@pytest.mark.django_db
def test_before_the_window_closes_the_page_counts_down_the_days_left(client):
    executive = ExecutiveFactory()
    contact_record(executive=executive, occurred_at=days_ago(30))

    html = page_of(client, executive)

    closes_on = today() + dt.timedelta(days=12)
    assert "12 days left" in html
    assert f"Closes in 12 days, on {closes_on:%a} {closes_on.day} {closes_on:%b %Y}" in html
    assert '<progress class="w-100" max="42" value="30"' in html
    assert "30 of 42 days gone since your last contact." in html


@pytest.mark.django_db
def test_on_its_last_day_the_window_closes_today(client):
    executive = ExecutiveFactory()
    contact_record(executive=executive, occurred_at=days_ago(42))

    html = page_of(client, executive)

    assert "Closes today" in html
    assert 'max="42" value="42"' in html


@pytest.mark.django_db
def test_after_the_window_closes_the_page_says_how_many_days_past(client):
    executive = ExecutiveFactory()
    contact_record(executive=executive, occurred_at=days_ago(47))

    html = page_of(client, executive)

    closed_on = today() - dt.timedelta(days=5)
    assert "5 days past" in html
    assert f"Closed 5 days ago, on {closed_on:%a} {closed_on.day} {closed_on:%b %Y}" in html
    # The bar stays full; the text says how far past.
    assert 'max="42" value="42"' in html
    assert "42 of 42 days gone since your last contact, and 5 more." in html


@pytest.mark.django_db
def test_without_a_contact_the_window_counts_from_joining_the_program(client):
    executive = ExecutiveFactory(joined_on=today() - dt.timedelta(days=10))

    html = page_of(client, executive)

    assert "32 days left" in html
    assert "10 of 42 days gone since you joined the program." in html


@pytest.mark.django_db
def test_the_countdown_follows_the_executives_own_cadence(client):
    executive = ExecutiveFactory(cadence_override_days=28)
    executive.cadence_days = 28
    executive.save()
    contact_record(executive=executive, occurred_at=days_ago(7))

    html = page_of(client, executive)

    assert "21 days left" in html
    assert 'max="28" value="7"' in html


# --- Month by month ----------------------------------------------------------------------


def month_row(html: str, month: dt.date) -> str:
    """The number shown in ``month``'s row of the history table."""
    found = re.search(rf'<th scope="row"[^>]*>{month:%b %Y}</th> <td[^>]*> <div[^>]*> <span[^>]*>(\d+)</span>', html)
    assert found, f"no row for {month:%b %Y}"
    return found.group(1)


@pytest.mark.django_db
def test_the_history_counts_contacts_in_each_of_the_last_twelve_months(client):
    executive = ExecutiveFactory()
    this_month = month_start(today())
    for _ in range(2):
        contact_record(executive=executive, occurred_at=days_ago(0, hour=0))
    three_back = month_start(today(), back=3)
    contact_record(executive=executive, occurred_at=dt.datetime.combine(three_back, dt.time(9), tzinfo=dt.UTC))
    eleven_back = month_start(today(), back=11)
    contact_record(executive=executive, occurred_at=dt.datetime.combine(eleven_back, dt.time(0), tzinfo=dt.UTC))
    # The last day of the month before the twelve: not shown.
    contact_record(
        executive=executive,
        occurred_at=dt.datetime.combine(eleven_back - dt.timedelta(days=1), dt.time(23, 59), tzinfo=dt.UTC),
    )
    contact_record(executive=ExecutiveFactory(), occurred_at=days_ago(1))  # someone else's

    html = page_of(client, executive)

    assert month_row(html, this_month) == "2"
    assert month_row(html, three_back) == "1"
    assert month_row(html, eleven_back) == "1"
    assert month_row(html, month_start(today(), back=1)) == "0"
    assert f"{month_start(today(), back=12):%b %Y}</th>" not in html
    assert "4 customer contacts in the last twelve months" in html
    # The newest month first.
    assert html.index(f">{this_month:%b %Y}<") < html.index(f">{eleven_back:%b %Y}<")


# --- Where the executive stands ---------------------------------------------------------------


def executive_with(contacts: list[tuple[int, int]], **fields):
    """An executive with a contact ``days`` ago of ``minutes``, for each pair."""
    executive = ExecutiveFactory(**fields)
    for days, minutes in contacts:
        contact_record(executive=executive, occurred_at=days_ago(days), duration_minutes=minutes)
    return executive


@pytest.fixture
def program():
    """Six active executives (the first the one looking) and one who left.

    Days since the last contact: 10, 50, 5, 20, 36, 2. Exposure in the window:
    90, 0, 30, 60, 120, 180 minutes. On track: the first, third, fourth and
    last (the fifth is due soon, the second overdue)."""
    me = executive_with([(10, 90)])
    others = [
        executive_with([(50, 60)]),
        executive_with([(5, 30)]),
        executive_with([(20, 60)]),
        executive_with([(36, 120)]),
        executive_with([(2, 180)]),
        executive_with([(3, 10)], active=False),
    ]
    return me, others


@pytest.mark.django_db
def test_the_rank_is_counted_over_the_active_executives(program):
    me, _ = program

    rank = executive_rank(executive_id=me.pk, exposure_minutes=90)

    assert (rank.executives, rank.on_track, rank.on_track_share) == (6, 4, 67)
    assert rank.median_days_since == Decimal(15)  # between 10 and 20
    assert rank.median_window_minutes == Decimal(75)  # between 60 and 90
    assert rank.median_window_hours == Decimal("1.3")
    # Of the five others, 0, 30 and 60 minutes are less than 90.
    assert (rank.others, rank.less_exposure, rank.more_exposure_than) == (5, 3, 60)
    # As much is not less: of 0, 30, 60, 120 and 180, two are less than 60.
    assert executive_rank(executive_id=me.pk, exposure_minutes=60).more_exposure_than == 40


@pytest.mark.django_db
def test_the_page_shows_where_the_executive_stands_in_anonymous_figures(client, program):
    me, _ = program

    html = page_of(client, me)

    assert "Figures over all 6 executives in the program" in html
    assert 'Executives on track</dt> <dd class="col-5 fw-semibold">67%</dd>' in html
    assert '<span class="fw-semibold">15</span> (yours: 10)' in html
    assert '<span class="fw-semibold">1.3 hours</span> (yours: 1.5)' in html
    assert 'more exposure this window than <span class="fw-semibold">60%</span> of the other executives' in html


@pytest.mark.django_db
def test_among_too_few_executives_no_figure_is_shown_that_would_name_a_colleague(client):
    me = executive_with([(10, 90)])
    for days in (3, 4, 5):
        executive_with([(days, 60)])

    html = page_of(client, me)

    assert "Shown once the program has at least 5 executives" in html
    assert "more exposure this window than" not in html


@pytest.mark.django_db
def test_the_rank_takes_four_queries_however_many_executives(program):
    me, _ = program
    with CaptureQueriesContext(connection) as few:
        executive_rank(executive_id=me.pk, exposure_minutes=90)
    for days in range(30):
        executive_with([(days, 15 * days)])
    with CaptureQueriesContext(connection) as many:
        rank = executive_rank(executive_id=me.pk, exposure_minutes=90)

    assert rank.executives == 36
    assert len(few) == len(many) == 4


# --- What the page showed before stays -------------------------------------------------------


@pytest.mark.django_db
def test_the_page_keeps_the_status_exposure_recent_contacts_and_what_customers_said(client):
    executive = executive_with([(37, 90)])

    html = page_of(client, executive)

    assert "Due soon" in html
    assert "1.5 of 2.0 hours in the last 42 days" in html
    assert "Recent customer contacts" in html
    assert "What customers said" in html
