"""How contacts came in, on the program dashboard and in the executives table
and its export: the contacts of each executive's current window counted by
their engagement's capture (captured from a calendar, confirmed from one,
typed), from the queries that already read the window."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from engagement.cadence.capture import ContactCapture
from engagement.dashboards.standing import executive_table, program_figures
from engagement.people.models import Executive
from engagement.people.roles import Role
from engagement.tests.factories import ExecutiveFactory, UserFactory, api_key
from visits.models import Engagement
from visits.tests.factories import EngagementFactory

pytestmark = pytest.mark.django_db

AUTOMATIC, CONFIRMED, TYPED = Engagement.Capture.AUTOMATIC, Engagement.Capture.CONFIRMED, Engagement.Capture.TYPED


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    return client


def held(executive: Executive, days_ago: int, capture: str, status: str = Engagement.Status.COMPLETED) -> None:
    EngagementFactory(
        executives=[executive],
        starts_at=timezone.now() - dt.timedelta(days=days_ago),
        capture=capture,
        status=status,
    )


@pytest.fixture
def ada_and_bea() -> tuple[Executive, Executive]:
    """Ada (a 42-day window): one contact captured, one confirmed, three
    typed, and two that do not count: a captured meeting not held yet, and
    a captured one 60 days ago, before her window. Bea: one captured, one
    confirmed (debriefed: held too)."""
    ada = ExecutiveFactory(user__full_name="Ada Byrne", user__time_zone="UTC")
    held(ada, 3, AUTOMATIC)
    held(ada, 10, CONFIRMED)
    for days in (20, 30, 35):
        held(ada, days, TYPED)
    held(ada, -2, AUTOMATIC, status=Engagement.Status.SCHEDULED)
    held(ada, 2, AUTOMATIC, status=Engagement.Status.NOT_HELD)
    held(ada, 60, AUTOMATIC)
    bea = ExecutiveFactory(user__full_name="Bea Okafor", user__time_zone="UTC")
    held(bea, 1, AUTOMATIC)
    held(bea, 5, CONFIRMED, status=Engagement.Status.DEBRIEFED)
    return ada, bea


def test_the_program_names_the_engagements_ways_in():
    assert {(c.value, c.label) for c in ContactCapture} == {(c.value, c.label) for c in Engagement.Capture}


def test_the_dashboard_counts_the_windows_contacts_by_how_they_came_in(admin_client, ada_and_bea):
    response = admin_client.get(reverse("engagement:program_home"))

    figures = response.context["figures"]
    assert (figures.captured, figures.confirmed, figures.typed, figures.window_contacts) == (2, 2, 3, 7)
    assert [(sort, count, share) for sort, _, count, share, _ in figures.captures] == [
        ("captured", 2, 29),
        ("confirmed", 2, 29),
        ("typed", 3, 43),
    ]
    page = response.content.decode()
    assert "How contacts came in" in page
    assert "The 7 customer contacts of the executives' current windows." in page
    executives = reverse("engagement:executives")
    for sort in ("captured", "confirmed", "typed"):
        assert f'href="{executives}?sort=-{sort}"' in page


def test_the_dashboard_without_contacts_in_the_windows_says_so(admin_client):
    ExecutiveFactory()

    response = admin_client.get(reverse("engagement:program_home"))

    figures = response.context["figures"]
    assert (figures.captured, figures.confirmed, figures.typed) == (0, 0, 0)
    assert [share for _, _, _, share, _ in figures.captures] == [None, None, None]
    assert "No customer contact in the executives' current windows yet." in response.content.decode()


def test_the_table_shows_each_executives_contacts_by_how_they_came_in(admin_client, ada_and_bea):
    response = admin_client.get(reverse("engagement:executives"), {"sort": "name"})

    counts = {
        row.executive.user.full_name: (row.executive.captured, row.executive.confirmed, row.executive.typed)
        for row in response.context["rows"]
    }
    assert counts == {"Ada Byrne": (1, 1, 3), "Bea Okafor": (1, 1, 0)}
    columns = response.context["columns"]
    after_hours = [c.label for c in columns].index("Hours in window") + 1
    assert [(c.label, c.group, c.group_span) for c in columns[after_hours : after_hours + 3]] == [
        ("Captured", "Contacts in window, by how they came in", 3),
        ("Confirmed", "Contacts in window, by how they came in", 0),
        ("Typed", "Contacts in window, by how they came in", 0),
    ]
    page = response.content.decode()
    assert '<th scope="colgroup" colspan="3" class="text-center">Contacts in window, by how they came in</th>' in page
    # Every column outside a group spans both heading rows.
    assert page.count('rowspan="2"') == len([c for c in columns if not c.group]) == len(columns) - 5


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-typed", ["Ada Byrne", "Bea Okafor"]),
        ("typed", ["Bea Okafor", "Ada Byrne"]),
        ("-captured", ["Ada Byrne", "Bea Okafor"]),  # a tie: by name
        ("confirmed", ["Ada Byrne", "Bea Okafor"]),
    ],
)
def test_the_table_sorts_by_each_way_in(admin_client, ada_and_bea, sort, expected):
    response = admin_client.get(reverse("engagement:executives"), {"sort": sort})

    assert [row.executive.user.full_name for row in response.context["rows"]] == expected
    column = next(c for c in response.context["columns"] if c.sort == sort.removeprefix("-"))
    assert column.direction == ("descending" if sort.startswith("-") else "ascending")


def test_the_export_has_each_executives_contacts_by_how_they_came_in(admin_client, ada_and_bea):
    response = admin_client.get(reverse("engagement:executives_csv"), {"sort": "name"})

    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [
        (row["name"], row["contacts_window_captured"], row["contacts_window_confirmed"], row["contacts_window_typed"])
        for row in rows
    ] == [("Ada Byrne", "1", "1", "3"), ("Bea Okafor", "1", "1", "0")]


def test_the_api_gives_each_executives_contacts_by_how_they_came_in(ada_and_bea):
    ada, _ = ada_and_bea
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(UserFactory(roles=[Role.PROGRAM_ADMIN]))}")
    fields = ("contacts_window_captured", "contacts_window_confirmed", "contacts_window_typed")

    one = api.get(reverse("api:executive-contact-status", args=[ada.pk])).json()
    listed = api.get(reverse("api:contact-status-list")).json()["results"]

    assert tuple(one[field] for field in fields) == (1, 1, 3)
    assert [(row["name"], *(row[field] for field in fields)) for row in listed] == [
        ("Ada Byrne", 1, 1, 3),
        ("Bea Okafor", 1, 1, 0),
    ]


def test_each_window_ends_on_the_executives_own_today_on_the_dashboard_as_in_the_table():
    # Noon UTC is two in the morning of the next day in Kiritimati, and
    # Kiritimati the only zone there: its day is the exception.
    now = dt.datetime(2026, 5, 15, 12, 0, tzinfo=dt.UTC)
    for name, zone in (("Ada Byrne", "UTC"), ("Bea Okafor", "Europe/London")):
        ExecutiveFactory(user__full_name=name, user__time_zone=zone)
    kiri = ExecutiveFactory(user__full_name="Kiri Tane", user__time_zone="Pacific/Kiritimati")
    first = dt.date(2026, 5, 16) - dt.timedelta(days=kiri.cadence_days)  # the first day of Kiri's window
    kiritimati = zoneinfo.ZoneInfo("Pacific/Kiritimati")
    for day, capture in ((first, AUTOMATIC), (first - dt.timedelta(days=1), CONFIRMED)):
        EngagementFactory(
            executives=[kiri], starts_at=dt.datetime.combine(day, dt.time(14), tzinfo=kiritimati), capture=capture
        )

    figures = program_figures(now=now)
    row = executive_table(now=now).get(pk=kiri.pk)

    assert (figures.captured, figures.confirmed, figures.typed) == (1, 0, 0)
    assert (row.captured, row.confirmed, row.typed) == (1, 0, 0)
