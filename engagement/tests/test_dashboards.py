"""The program dashboard and the executives table: the figures, the filters,
the sorts, the export, and the cadence copy that lets the database tell each
executive's state."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.cadence.models import Program
from engagement.cadence.selectors import executive_cadences
from engagement.dashboards.standing import month_start
from engagement.people.models import Executive, Level
from engagement.people.roles import Role
from engagement.reminders.models import Reminder
from engagement.tests.factories import (
    ExecutiveFactory,
    FunctionFactory,
    ProgramFactory,
    UserFactory,
    contact_record,
)

pytestmark = pytest.mark.django_db

EXPORT_HEADER = [
    "email",
    "name",
    "title",
    "function",
    "level",
    "manager_email",
    "last_contact_date",
    "days_since_contact",
    "state",
    "window_closes_on",
    "contacts_6w",
    "exposure_hours_6w",
    "exposure_hours_window",
    "exposure_hours_target",
    "contacts_12m",
    "exposure_hours_12m",
    "last_reminder_sent_at",
    "last_reminder_kind",
    "contacts_window_captured",
    "contacts_window_confirmed",
    "contacts_window_typed",
    "unfiltered_share_6m_percent",
    "unfiltered_share_12m_percent",
    "days_since_unfiltered_contact",
    "only_filtered_contact_lately",
]


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    return client


def seen(name: str, *days_ago: int, minutes: int = 60, **kwargs: object) -> Executive:
    """A UTC executive named ``name`` with a contact ``days_ago`` days ago, each."""
    executive = ExecutiveFactory(user__full_name=name, **kwargs)
    now = timezone.now()
    for days in days_ago:
        contact_record(executive=executive, occurred_at=now - dt.timedelta(days=days), duration_minutes=minutes)
    return executive


def names(response) -> list[str]:
    return [row.executive.user.full_name for row in response.context["rows"]]


def exported(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


# --- The cadence copy ------------------------------------------------------------------


def stored_cadence(executive: Executive) -> tuple[int, int, int, int]:
    executive.refresh_from_db()
    return (
        executive.cadence_days,
        executive.warning_days,
        executive.escalation_days,
        executive.exposure_target_minutes,
    )


def computed_cadence(executive: Executive) -> tuple[int, int, int, int]:
    cadence = executive_cadences(overrides={executive.pk: executive.cadence_override_days})[executive.pk]
    return (
        cadence.cadence_days,
        cadence.warning_days,
        cadence.escalation_days,
        int(cadence.exposure_hours_target * 60),
    )


def test_each_executive_carries_the_cadence_of_their_strictest_program_or_override():
    ProgramFactory(name="Default")
    executive = ExecutiveFactory()
    assert stored_cadence(executive) == computed_cadence(executive) == (42, 7, 14, 120)

    monthly = ProgramFactory(
        name="Monthly", cadence_days=30, warning_days=5, escalation_days=10, exposure_hours_target=Decimal("3.5")
    )
    executive.programs.add(monthly)
    assert stored_cadence(executive) == (30, 5, 10, 210)

    monthly.cadence_days = 28
    monthly.save()
    assert stored_cadence(executive) == (28, 5, 10, 210)

    executive.cadence_override_days = 21
    executive.save()
    assert stored_cadence(executive) == (21, 5, 10, 210)

    monthly.executives.remove(executive)  # from the program's side
    executive.cadence_override_days = None
    executive.save()
    assert stored_cadence(executive) == computed_cadence(executive) == (42, 7, 14, 120)

    executive.programs.add(monthly)
    monthly.active = False
    monthly.save()
    assert stored_cadence(executive) == computed_cadence(executive) == (42, 7, 14, 120)

    monthly.active = True
    monthly.save()
    monthly.executives.clear()
    assert stored_cadence(executive) == (42, 7, 14, 120)

    Program.objects.get(name="Default").delete()
    assert stored_cadence(executive) == computed_cadence(executive)


# --- The program dashboard -----------------------------------------------------------------


def test_the_dashboard_counts_executives_by_state_and_links_each_figure_to_its_list(admin_client):
    seen("On track", 3, minutes=150)
    seen("Due soon", 38)
    seen("Overdue", 50)
    seen("Escalated", 70)
    ExecutiveFactory(user__full_name="New", joined_on=timezone.localdate() - dt.timedelta(days=2))

    response = admin_client.get(reverse("engagement:program_home"))

    figures = response.context["figures"]
    assert (figures.executives, figures.on_track, figures.due_soon, figures.overdue, figures.escalated) == (
        5,
        2,
        1,
        1,
        1,
    )
    assert figures.never == 1
    assert figures.on_track_share == 40
    assert figures.median_days_since == Decimal("44")  # 3, 38, 50, 70
    assert figures.meeting_exposure_target == 1  # 2.5 hours against 2
    assert figures.window_minutes == 150 + 60  # the one 38 days ago is in its window
    assert figures.exposure_hours_per_executive == Decimal("0.7")  # 3.5 hours over five
    page = response.content.decode()
    executives = reverse("engagement:executives")
    for link in ("?state=on_track", "?state=due_soon", "?state=overdue", "?state=escalated", "?state=never"):
        assert f'href="{executives}{link}"' in page
    assert "40%" in page


def test_the_dashboard_without_executives_says_how_to_start(admin_client):
    response = admin_client.get(reverse("engagement:program_home"))

    assert "No executives in the program yet" in response.content.decode()


# --- The executives table ------------------------------------------------------------------


def test_the_table_shows_each_executives_contacts_hours_months_and_last_reminder(admin_client):
    executive = seen("Ada", 2, 20, 100, 200, minutes=90)
    Reminder.objects.create(
        recipient=executive.user,
        executive=executive,
        kind=Reminder.Kind.OVERDUE,
        episode="x",
        reason="r",
        status=Reminder.Status.SENT,
        due_at=timezone.now(),
        sent_at=timezone.now() - dt.timedelta(days=3),
    )

    response = admin_client.get(reverse("engagement:executives"))

    [row] = response.context["rows"]
    assert row.executive.days_since == 2
    assert row.executive.contacts_6w == 2
    assert row.hours_6w == Decimal("3.0")
    assert row.window_hours == Decimal("3.0")
    assert row.executive.contacts_12m == 4
    assert row.hours_12m == Decimal("6.0")
    assert row.reminder_kind == "Overdue"
    today = timezone.localdate()
    expected = [0] * 12
    for days in (2, 20, 100, 200):
        month = month_start(today - dt.timedelta(days=days))
        back = (today.year - month.year) * 12 + today.month - month.month
        if back < 12:
            expected[11 - back] += 1
    assert list(row.months) == expected
    page = response.content.decode()
    assert "Contacts by month, " in page
    assert "<svg" in page


def test_the_table_filters_by_function_level_manager_state_and_name(admin_client):
    sales, service = FunctionFactory(name="Sales"), FunctionFactory(name="Service")
    boss = seen("Boss", 1, function=sales, level=Level.C_SUITE)
    seen("Sales VP", 40, function=sales, level=Level.VP, manager=boss)
    seen("Service VP", 40, function=service, level=Level.VP)
    seen("Service Director", 60, function=service, level=Level.DIRECTOR, manager=boss)
    url = reverse("engagement:executives")

    assert names(admin_client.get(url, {"function": sales.pk, "sort": "name"})) == ["Boss", "Sales VP"]
    assert names(admin_client.get(url, {"level": Level.VP, "sort": "name"})) == ["Sales VP", "Service VP"]
    assert names(admin_client.get(url, {"manager": boss.pk, "sort": "name"})) == ["Sales VP", "Service Director"]
    assert names(admin_client.get(url, {"state": "due_soon", "sort": "name"})) == ["Sales VP", "Service VP"]
    assert names(admin_client.get(url, {"q": "director"})) == ["Service Director"]
    assert names(admin_client.get(url, {"function": service.pk, "state": "escalated"})) == ["Service Director"]


def test_a_filter_value_that_does_not_fit_is_reported_and_left_out(admin_client):
    seen("Ada", 1)
    seen("Grace", 50)

    response = admin_client.get(
        reverse("engagement:executives"), {"function": "nine", "level": "99", "state": "lost", "sort": "salary"}
    )

    assert response.status_code == 200
    assert names(response) == ["Grace", "Ada"]  # unfiltered, most urgent first
    page = response.content.decode()
    assert "This filter was left out." in page
    assert page.count("is-invalid") == 3


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Ada", "Bea", "Cy", "Never"]),
        ("-name", ["Never", "Cy", "Bea", "Ada"]),
        ("state", ["Cy", "Bea", "Never", "Ada"]),
        ("days", ["Ada", "Bea", "Cy", "Never"]),
        ("-days", ["Never", "Cy", "Bea", "Ada"]),
        ("contacts_6w", ["Cy", "Never", "Bea", "Ada"]),
        ("-hours_window", ["Ada", "Bea", "Cy", "Never"]),
        ("-contacts_12m", ["Cy", "Ada", "Bea", "Never"]),
    ],
)
def test_the_table_sorts_by_each_column_both_ways(admin_client, sort, expected):
    seen("Ada", 1, 2, 3, minutes=60)
    seen("Bea", 40, minutes=30)
    seen("Cy", 60, 70, 80, 90, 300)
    ExecutiveFactory(user__full_name="Never", joined_on=timezone.localdate() - dt.timedelta(days=20))

    response = admin_client.get(reverse("engagement:executives"), {"sort": sort})

    assert names(response) == expected
    column = next(c for c in response.context["columns"] if c.sort == sort.removeprefix("-"))
    assert column.direction == ("descending" if sort.startswith("-") else "ascending")


def test_the_table_pages_fifty_executives_at_a_time(admin_client):
    for index in range(51):
        seen(f"Executive {index:02d}", index)

    first = admin_client.get(reverse("engagement:executives"), {"sort": "name"})
    second = admin_client.get(reverse("engagement:executives"), {"sort": "name", "page": 2})

    assert len(first.context["rows"]) == 50
    assert names(second) == ["Executive 50"]
    assert "sort=name&amp;page=2" in first.content.decode()


def test_a_filter_that_matches_nobody_says_so(admin_client):
    seen("Ada", 1)

    response = admin_client.get(reverse("engagement:executives"), {"state": "escalated"})

    assert "No executive matches these filters" in response.content.decode()


def test_the_export_has_the_documented_columns_and_the_tables_filters_and_order(admin_client):
    sales = FunctionFactory(name="Sales")
    boss = seen("Boss", 1, function=sales, level=Level.C_SUITE, minutes=45)
    seen("=cmd()", 50, function=sales, manager=boss, minutes=120)
    seen("Elsewhere", 50)

    response = admin_client.get(reverse("engagement:executives_csv"), {"function": sales.pk, "sort": "days"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="executives-')
    rows = exported(response)
    assert list(rows[0]) == EXPORT_HEADER
    assert [row["name"] for row in rows] == ["Boss", "'=cmd()"]  # a formula stays text
    boss_row, other = rows
    today = timezone.localdate()
    assert boss_row["email"] == boss.user.email
    assert boss_row["level"] == "C-suite"
    assert boss_row["function"] == "Sales"
    assert boss_row["last_contact_date"] == (today - dt.timedelta(days=1)).isoformat()
    assert boss_row["days_since_contact"] == "1"
    assert boss_row["state"] == "on_track"
    assert boss_row["contacts_6w"] == "1"
    assert boss_row["exposure_hours_window"] == "0.8"
    assert boss_row["exposure_hours_target"] == "2.0"
    assert boss_row["window_closes_on"] == (today + dt.timedelta(days=41)).isoformat()
    assert other["manager_email"] == boss.user.email
    assert other["state"] == "overdue"
    assert other["contacts_6w"] == "0"
    assert other["exposure_hours_12m"] == "2.0"
    assert other["last_reminder_sent_at"] == ""


def test_the_executives_pages_are_for_program_admins_only(client):
    client.force_login(UserFactory(roles=[Role.EXECUTIVE, Role.ACCOUNT_MANAGER]))

    assert client.get(reverse("engagement:executives")).status_code == 403
    assert client.get(reverse("engagement:executives_csv")).status_code == 403


def test_the_export_reads_the_same_number_of_queries_for_3_executives_and_for_30(admin_client):
    def export_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(reverse("engagement:executives_csv"))
            rows = exported(response)
        return len(captured), len(rows)

    for index in range(3):
        seen(f"First {index}", index + 1)
    queries_3, rows_3 = export_queries()
    for index in range(27):
        seen(f"Then {index}", index + 1)
    queries_30, rows_30 = export_queries()

    assert (rows_3, rows_30) == (3, 30)
    assert queries_30 == queries_3


def test_an_export_with_a_filter_that_does_not_fit_is_refused_with_the_reason(admin_client):
    seen("Ada", 1)

    response = admin_client.get(reverse("engagement:executives_csv"), {"level": "99"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "This filter was left out." in response.content.decode()
    assert "No file was made" in response.content.decode()
    # The table itself, asked with the same filter, shows the rows without it.
    assert (
        "No file was made" not in admin_client.get(reverse("engagement:executives"), {"level": "99"}).content.decode()
    )
