"""The program admins' Trends page: each figure against a small history whose
answers are worked out by hand, the exports, the empty page, who may open it,
and its queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, DateField, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.cadence.models import ExecutiveContact, Program
from engagement.cadence.rule import contact_state_expression
from engagement.dashboards.standing import DaysBetween
from engagement.people.models import Executive
from engagement.people.roles import Role
from engagement.tests.factories import (
    ExecutiveFactory,
    FunctionFactory,
    ProgramFactory,
    UserFactory,
    contact_record,
)
from visits.filters import HeatmapFilter
from visits.models import Engagement
from visits.tests.factories import EngagementFactory, EngagementTypeFactory
from visits.trends import (
    STATES,
    heat_level,
    heatmap_executives,
    heatmap_rows,
    held_engagements_by_type,
    trend_period,
    weekly_contacts,
    weekly_states,
)

pytestmark = pytest.mark.django_db

URL = reverse("visits:trends")
# A Wednesday. Its period's weeks start on Monday 17 March 2025 and end on
# Sundays, the last on today.
TODAY = dt.date(2026, 3, 11)
PERIOD = trend_period(today=TODAY)
UTC = dt.UTC


def on(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=UTC)


def executive(
    name: str, *, joined_on: dt.date = dt.date(2024, 1, 1), program: Program | None = None, **kwargs: object
) -> Executive:
    """An executive held to ``program``'s cadence, or to the first program's."""
    person = ExecutiveFactory(user__full_name=name, joined_on=joined_on, **kwargs)
    if program is not None:
        person.programs.add(program)
        person.refresh_from_db()
    return person


def met(executive: Executive, *days: dt.date, minutes: int = 60) -> None:
    for day in days:
        contact_record(executive=executive, occurred_at=on(day), duration_minutes=minutes)


def week_ending(day: dt.date) -> int:
    """The index of the week of the period that ends on ``day``."""
    return next(week.index for week in PERIOD.weeks if week.ends_on == day)


def states_on(day: dt.date) -> tuple[int, int, int, int]:
    row = weekly_states(period=PERIOD)[week_ending(day)]
    return row.on_track, row.due_soon, row.overdue, row.escalated


def exported(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture(autouse=True)
def standard_program():
    """The first program: the cadence of every executive in no other (42 days, 7 of warning, 14 to escalation)."""
    return ProgramFactory(name="Standard")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(full_name="Morgan Admin", roles=[Role.PROGRAM_ADMIN]))
    return client


# --- The period ------------------------------------------------------------------


def test_the_period_is_52_weeks_from_monday_to_sunday_ending_today_and_12_months():
    weeks = PERIOD.weeks

    assert len(weeks) == 52
    assert (weeks[0].starts_on, weeks[0].ends_on) == (dt.date(2025, 3, 17), dt.date(2025, 3, 23))
    assert all(week.starts_on.weekday() == 0 for week in weeks)
    assert all(week.ends_on.weekday() == 6 for week in weeks[:-1])
    assert (weeks[-1].starts_on, weeks[-1].ends_on) == (dt.date(2026, 3, 9), TODAY)
    assert PERIOD.months[0] == dt.date(2025, 4, 1)
    assert PERIOD.months[-1] == dt.date(2026, 3, 1)
    assert len(PERIOD.months) == 12


# --- Weekly contacts and hours ---------------------------------------------------------


def test_weekly_contacts_count_each_weeks_contacts_and_add_up_their_hours():
    jordan = executive("Jordan Ellis")
    met(jordan, dt.date(2026, 3, 2), minutes=60)  # Monday of the week before
    met(jordan, dt.date(2026, 3, 8), minutes=90)  # and its Sunday
    met(jordan, dt.date(2026, 3, 10), minutes=30)  # this week, so far
    met(jordan, dt.date(2025, 3, 17), minutes=45)  # the period's first day
    met(jordan, dt.date(2025, 3, 16), minutes=600)  # the day before it: not counted
    # Someone who has since left the program: their contact still happened.
    met(executive("Lee Left", active=False), dt.date(2026, 3, 4), minutes=15)

    weeks = weekly_contacts(period=PERIOD)

    figures = {week.week.index: (week.contacts, week.hours) for week in weeks if week.contacts}
    assert figures == {
        0: (1, Decimal("0.8")),
        50: (3, Decimal("2.8")),
        51: (1, Decimal("0.5")),
    }
    assert len(weeks) == 52


def test_a_contact_falls_in_the_week_of_the_executives_own_date():
    # 23:30 on Sunday in New York is already Monday in UTC: the executive's
    # Sunday is what counts.
    new_york = executive("Nia York", user__time_zone="America/New_York")
    contact_record(executive=new_york, occurred_at=dt.datetime(2026, 3, 9, 3, 30, tzinfo=UTC))

    weeks = weekly_contacts(period=PERIOD)

    assert weeks[50].contacts == 1
    assert weeks[51].contacts == 0


# --- States at each week end -------------------------------------------------------


def test_an_executives_state_at_each_week_end_follows_the_days_since_their_last_contact():
    dana = executive("Dana Drift")
    met(dana, dt.date(2025, 2, 1))  # before the period
    met(dana, dt.date(2025, 4, 2))
    met(dana, dt.date(2025, 7, 1))

    # On track, due soon, overdue, escalated.
    assert states_on(dt.date(2025, 3, 23)) == (0, 0, 1, 0)  # 50 days since 1 February
    assert states_on(dt.date(2025, 3, 30)) == (0, 0, 0, 1)  # 57 days
    assert states_on(dt.date(2025, 4, 6)) == (1, 0, 0, 0)  # 4 days since 2 April
    assert states_on(dt.date(2025, 5, 4)) == (1, 0, 0, 0)  # 32 days
    assert states_on(dt.date(2025, 5, 11)) == (0, 1, 0, 0)  # 39 days
    assert states_on(dt.date(2025, 5, 18)) == (0, 0, 1, 0)  # 46 days
    assert states_on(dt.date(2025, 5, 25)) == (0, 0, 1, 0)  # 53 days
    assert states_on(dt.date(2025, 6, 1)) == (0, 0, 0, 1)  # 60 days
    assert states_on(dt.date(2025, 6, 29)) == (0, 0, 0, 1)  # 88 days
    assert states_on(dt.date(2025, 7, 6)) == (1, 0, 0, 0)  # 5 days since 1 July
    assert states_on(TODAY) == (0, 0, 0, 1)  # 253 days


def test_the_edges_of_each_state_are_those_of_the_rule():
    sunday = dt.date(2025, 6, 29)
    for days in (34, 35, 42, 43, 56, 57):
        met(executive(f"{days} days"), sunday - dt.timedelta(days=days))

    # 34 on track; 35 and 42 due soon; 43 and 56 overdue; 57 escalated.
    assert states_on(sunday) == (1, 2, 2, 1)


def test_an_executive_without_a_contact_counts_from_the_day_they_joined_and_not_before():
    executive("Nat Newcomer", joined_on=dt.date(2025, 6, 10))

    assert sum(states_on(dt.date(2025, 6, 8))) == 0  # not joined yet
    assert states_on(dt.date(2025, 6, 15)) == (1, 0, 0, 0)  # 5 days since joining
    assert states_on(dt.date(2025, 7, 13)) == (1, 0, 0, 0)  # 33 days
    assert states_on(dt.date(2025, 7, 20)) == (0, 1, 0, 0)  # 40 days
    assert states_on(dt.date(2025, 7, 27)) == (0, 0, 1, 0)  # 47 days
    assert states_on(dt.date(2025, 8, 10)) == (0, 0, 0, 1)  # 61 days


def test_a_contact_from_before_joining_counts_once_the_executive_has_joined():
    early = executive("Ezra Early", joined_on=dt.date(2025, 5, 1))
    met(early, dt.date(2025, 4, 20))

    assert sum(states_on(dt.date(2025, 4, 27))) == 0
    assert states_on(dt.date(2025, 5, 4)) == (1, 0, 0, 0)  # 14 days since 20 April
    assert states_on(dt.date(2025, 5, 25)) == (0, 1, 0, 0)  # 35 days


def test_each_executive_is_held_to_their_own_cadence():
    strict = executive("Sam Strict", program=ProgramFactory(cadence_days=28, warning_days=7, escalation_days=14))
    relaxed = executive("Rae Relaxed")
    met(strict, dt.date(2025, 4, 2))
    met(relaxed, dt.date(2025, 4, 2))

    # 25 days: due soon at 28 days' cadence (21 to 28), on track at 42.
    assert states_on(dt.date(2025, 4, 27)) == (1, 1, 0, 0)
    # 32 days: overdue at 28 (29 to 42), on track at 42.
    assert states_on(dt.date(2025, 5, 4)) == (1, 0, 1, 0)


def test_only_executives_active_now_with_an_open_login_are_counted():
    met(executive("Ida Inactive", active=False), dt.date(2025, 4, 2))
    met(executive("Lou Locked", user__is_active=False), dt.date(2025, 4, 2))
    met(executive("Pat Present"), dt.date(2025, 4, 2))

    assert states_on(dt.date(2025, 4, 6)) == (1, 0, 0, 0)


def test_the_states_agree_with_the_dashboards_rule_at_every_week_end():
    """The dashboard's own SQL form of the rule, asked of each executive at
    each week end, gives the same counts as the trend."""
    function = FunctionFactory()
    people = [
        executive("Always There"),
        executive("Now And Then", program=ProgramFactory(cadence_days=28, warning_days=5, escalation_days=10)),
        executive("Late Joiner", joined_on=dt.date(2025, 9, 3)),
        executive("Never Met", joined_on=dt.date(2025, 11, 20), function=function),
        executive("Long Gone"),
        executive("Weekly", program=ProgramFactory(cadence_days=7, warning_days=7, escalation_days=3)),
    ]
    met(people[0], *(dt.date(2025, 3, 1) + dt.timedelta(days=days) for days in range(0, 380, 9)))
    met(people[1], *(dt.date(2025, 1, 5) + dt.timedelta(days=days) for days in range(0, 420, 37)))
    met(people[2], dt.date(2025, 10, 1), dt.date(2026, 1, 15), dt.date(2026, 1, 15))
    met(people[4], dt.date(2024, 6, 1))
    met(people[5], *(dt.date(2025, 3, 18) + dt.timedelta(days=days) for days in range(0, 300, 11)))

    trend = weekly_states(period=PERIOD)

    for row in trend:
        end = Value(row.week.ends_on, output_field=DateField())
        last = (
            ExecutiveContact.objects.filter(executive_id=OuterRef("pk"), contact_on__lte=row.week.ends_on)
            .order_by("-contact_on")
            .values("contact_on")[:1]
        )
        by_rule = dict(
            Executive.objects.filter(active=True, user__is_active=True, joined_on__lte=row.week.ends_on)
            .annotate(state=contact_state_expression(DaysBetween(end, Coalesce(Subquery(last), F("joined_on")))))
            .values_list("state")
            .annotate(n=Count("pk"))
            .order_by()
        )
        assert [row.count(state) for state in STATES] == [by_rule.get(state.value, 0) for state in STATES], (
            row.week.ends_on
        )


# --- Held engagements by type ---------------------------------------------------------


def test_held_engagements_are_counted_by_type_and_month_in_the_viewers_time_zone():
    visit = EngagementTypeFactory(name="Plant tour", slug="trend-tour", position=1)
    event = EngagementTypeFactory(name="Summit", slug="trend-summit", position=2, counts_toward_cadence=False)
    held = [
        (visit, Engagement.Status.COMPLETED, on(dt.date(2025, 4, 3))),
        (visit, Engagement.Status.DEBRIEFED, on(dt.date(2025, 4, 30))),
        (visit, Engagement.Status.COMPLETED, on(dt.date(2026, 3, 10))),
        (event, Engagement.Status.COMPLETED, on(dt.date(2025, 12, 24))),
        # The last evening of February in UTC is March in Berlin.
        (event, Engagement.Status.COMPLETED, dt.datetime(2026, 2, 28, 23, 30, tzinfo=UTC)),
    ]
    for engagement_type, status, starts_at in held:
        EngagementFactory(type=engagement_type, status=status, starts_at=starts_at)
    # Not held, or before the twelve months.
    EngagementFactory(type=visit, status=Engagement.Status.SCHEDULED, starts_at=on(dt.date(2025, 5, 5)))
    EngagementFactory(type=visit, status=Engagement.Status.CANCELLED, starts_at=on(dt.date(2025, 5, 5)))
    EngagementFactory(type=visit, status=Engagement.Status.NOT_HELD, starts_at=on(dt.date(2025, 5, 5)))
    EngagementFactory(type=visit, status=Engagement.Status.COMPLETED, starts_at=on(dt.date(2025, 3, 31)))

    in_utc = held_engagements_by_type(period=PERIOD, tzinfo=UTC)
    in_berlin = held_engagements_by_type(period=PERIOD, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))

    # April 2025 to March 2026.
    assert [(row.name, row.months) for row in in_utc] == [
        ("Plant tour", (2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
        ("Summit", (0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0)),
    ]
    assert in_berlin[1].months == (0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1)


# --- The heatmap ------------------------------------------------------------------------


def test_the_heatmap_shows_each_executives_contacts_per_month_by_name():
    sales = FunctionFactory(name="Sales")
    zoe = executive("Zoe Zimmer", function=sales)
    amy = executive("Amy Archer")
    met(zoe, dt.date(2025, 4, 1), dt.date(2025, 4, 30), dt.date(2026, 3, 10))
    met(zoe, dt.date(2025, 3, 31))  # before the twelve months
    met(amy, *(dt.date(2026, 1, day) for day in range(1, 7)))
    executive("Ivy Inactive", active=False)

    rows = heatmap_rows(period=PERIOD, executives=heatmap_executives())
    sales_only = heatmap_rows(
        period=PERIOD, executives=HeatmapFilter({"function": str(sales.pk)}, queryset=heatmap_executives()).qs
    )

    assert [(row.executive.user.full_name, row.months) for row in rows] == [
        ("Amy Archer", (0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0)),
        ("Zoe Zimmer", (2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
    ]
    assert rows[0].cells[9] == (6, 4)
    assert rows[1].cells[0] == (2, 2)
    assert [row.executive.user.full_name for row in sales_only] == ["Zoe Zimmer"]


@pytest.mark.parametrize(("count", "level"), [(0, 0), (1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (40, 4)])
def test_a_months_shade_darkens_with_its_contacts(count, level):
    assert heat_level(count) == level


# --- The page -----------------------------------------------------------------------------


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def test_the_page_draws_each_chart_from_its_figures_with_the_numbers_beside_it(admin_client):
    jordan = executive("Jordan Ellis", function=FunctionFactory(name="Service"))
    contact_record(executive=jordan, occurred_at=days_ago(0), duration_minutes=90)
    EngagementFactory(type=EngagementTypeFactory(name="Ride-along", slug="trend-ride"), starts_at=days_ago(0))

    response = admin_client.get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<canvas") == 3
    assert page.count("Show the numbers") == 3
    assert page.count("Download CSV") == 4
    charts = response.context["charts"]
    assert charts["weekly"]["contacts"][-1] == 1
    assert charts["weekly"]["hours"][-1] == 1.5
    assert [series["state"] for series in charts["states"]["series"]] == [s.value for s in STATES]
    assert charts["states"]["series"][0]["values"][-1] == 1
    assert {"label": "Ride-along", "values": [0] * 11 + [1]} in charts["types"]["series"]
    for name in ("weekly", "states", "types"):
        assert f'id="trends-{name}-data"' in page
    assert "Today's cadence of each executive is applied to the past" in page
    assert 'class="text-end heat heat-1">1</td>' in page
    assert "style=" not in page


def test_the_page_without_any_data_says_so_instead_of_drawing_empty_charts(admin_client):
    response = admin_client.get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert "<canvas" not in page
    assert "Download CSV" not in page
    assert "No customer contact in the last 52 weeks." in page
    assert "No active executives yet. Once executives join" in page
    assert "No engagement was held in the last twelve months." in page


def test_the_heatmap_pages_fifty_executives_by_name_and_keeps_the_filter(admin_client):
    sales = FunctionFactory(name="Sales")
    for index in range(51):
        executive(f"Seller {index:02d}", function=sales)
    executive("Aaron Other")

    first = admin_client.get(URL, {"function": sales.pk})
    second = admin_client.get(URL, {"function": sales.pk, "page": 2})

    assert [row.executive.user.full_name for row in first.context["heatmap"]][:2] == ["Seller 00", "Seller 01"]
    assert len(first.context["heatmap"]) == 50
    assert [row.executive.user.full_name for row in second.context["heatmap"]] == ["Seller 50"]
    assert f"?function={sales.pk}&amp;page=2" in first.content.decode()
    assert f'href="{reverse("visits:trends_heatmap_csv")}?function={sales.pk}"' in first.content.decode()


def test_a_function_that_does_not_exist_is_reported_and_every_executive_shown(admin_client):
    executive("Jordan Ellis")

    response = admin_client.get(URL, {"function": "999999"})

    assert response.status_code == 200
    assert "There is no such function, so every function is shown." in response.content.decode()
    assert len(response.context["heatmap"]) == 1


def test_a_function_without_executives_says_so(admin_client):
    empty = FunctionFactory(name="Legal")
    executive("Jordan Ellis")

    response = admin_client.get(URL, {"function": empty.pk})

    assert "No active executive in this function." in response.content.decode()


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ACCOUNT_MANAGER])
@pytest.mark.parametrize(
    "name",
    ["visits:trends", "visits:trends_weekly_csv", "visits:trends_states_csv", "visits:trends_types_csv",
     "visits:trends_heatmap_csv"],
)  # fmt: skip
def test_trends_are_for_program_admins_only(client, role, name):
    client.force_login(ExecutiveFactory().user if role == Role.EXECUTIVE else UserFactory(roles=[role]))

    assert client.get(reverse(name)).status_code == 403


# --- The exports ------------------------------------------------------------------------


def test_the_weekly_export_has_one_row_per_week_with_contacts_and_hours(admin_client):
    jordan = executive("Jordan Ellis")
    contact_record(executive=jordan, occurred_at=days_ago(0), duration_minutes=45)

    rows = exported(admin_client.get(reverse("visits:trends_weekly_csv")))

    assert rows[0] == ["week_start", "week_end", "contacts", "exposure_hours"]
    assert len(rows) == 53
    period = trend_period(today=timezone.localdate())
    assert rows[1][:2] == [period.weeks[0].starts_on.isoformat(), period.weeks[0].ends_on.isoformat()]
    assert rows[-1] == [period.weeks[-1].starts_on.isoformat(), timezone.localdate().isoformat(), "1", "0.8"]


def test_the_states_export_has_one_row_per_week_end_by_state(admin_client):
    executive("Jordan Ellis", joined_on=timezone.localdate() - dt.timedelta(days=3))

    rows = exported(admin_client.get(reverse("visits:trends_states_csv")))

    assert rows[0] == ["week_start", "week_end", "on_track", "due_soon", "overdue", "escalated", "executives"]
    assert len(rows) == 53
    assert rows[-1][2:] == ["1", "0", "0", "0", "1"]
    assert rows[1][2:] == ["0", "0", "0", "0", "0"]


def test_the_types_export_has_one_row_per_month_and_type(admin_client):
    visit = EngagementTypeFactory(name="Plant tour", slug="trend-tour", position=1)
    event = EngagementTypeFactory(name="Summit", slug="trend-summit", position=2)
    EngagementFactory(type=visit, starts_at=days_ago(0))
    EngagementFactory(type=event, starts_at=days_ago(0))

    rows = exported(admin_client.get(reverse("visits:trends_types_csv")))

    assert rows[0] == ["month", "engagement_type", "held_engagements"]
    assert len(rows) == 1 + 12 * 2
    this_month = f"{timezone.localdate():%Y-%m}"
    assert rows[-2:] == [[this_month, "Plant tour", "1"], [this_month, "Summit", "1"]]
    assert rows[1][2] == "0"


def test_the_heatmap_export_has_every_executive_of_the_filter_month_by_month(admin_client):
    sales = FunctionFactory(name="Sales")
    for index in range(3):
        executive(f"Seller {index}", function=sales, user__email=f"seller{index}@groundwork.example")
    executive("Aaron Other")
    contact_record(executive=Executive.objects.get(user__full_name="Seller 2"), occurred_at=days_ago(0))

    rows = exported(admin_client.get(reverse("visits:trends_heatmap_csv"), {"function": sales.pk}))

    assert rows[0] == ["email", "name", "function", "month", "contacts"]
    assert len(rows) == 1 + 3 * 12
    assert {row[1] for row in rows[1:]} == {"Seller 0", "Seller 1", "Seller 2"}
    assert rows[-1] == ["seller2@groundwork.example", "Seller 2", "Sales", f"{timezone.localdate():%Y-%m}", "1"]
    assert rows[1][3] == f"{trend_period(today=timezone.localdate()).months[0]:%Y-%m}"


# --- Queries ---------------------------------------------------------------------------------


def grow(executives: int, start: int = 0) -> None:
    """Executives each with a few contacts and a held engagement of their own type."""
    for index in range(start, start + executives):
        person = executive(f"Person {index:03d}", function=FunctionFactory(name=f"Function {index % 3}"))
        for days in (2, 40, 200):
            contact_record(executive=person, occurred_at=days_ago(days))
        EngagementFactory(
            executives=[person],
            type=EngagementTypeFactory(name=f"Type {index}", slug=f"trend-type-{index}"),
            starts_at=days_ago(5),
        )


def queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "name", ["visits:trends", "visits:trends_weekly_csv", "visits:trends_states_csv", "visits:trends_types_csv",
             "visits:trends_heatmap_csv"],
)  # fmt: skip
def test_the_page_and_its_exports_read_as_many_queries_for_3_executives_as_for_12(admin_client, name):
    url = reverse(name)
    grow(3)
    function = FunctionFactory(name="Function 1")
    admin_client.get(url)
    with_3 = queries(admin_client, url, {"function": function.pk})
    grow(9, start=3)
    with_12 = queries(admin_client, url, {"function": function.pk})

    assert ExecutiveContact.objects.count() == 12 * 4
    assert with_12 == with_3


def test_the_chart_data_is_valid_json_for_the_script(admin_client):
    grow(2)

    page = admin_client.get(URL).content.decode()

    start = page.index('<script id="trends-states-data" type="application/json">') + len(
        '<script id="trends-states-data" type="application/json">'
    )
    data = json.loads(page[start : page.index("</script>", start)])
    assert len(data["labels"]) == 52
    assert [series["label"] for series in data["series"]] == ["On track", "Due soon", "Overdue", "Escalated"]
