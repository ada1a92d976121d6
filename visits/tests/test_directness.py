"""How direct the contact is (the ivory-tower index): each contact carries
its engagement type's directness, and the executive's home, the executives
table and its export, the program dashboard and the API read the same
shares, days and flag from it."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from engagement.cadence.directness import executive_directness
from engagement.cadence.models import ExecutiveContact
from engagement.dashboards.standing import executive_table, program_figures
from engagement.people.models import Executive
from engagement.people.roles import Role
from engagement.tests.factories import ExecutiveFactory, UserFactory, api_key
from visits.models import EngagementType
from visits.services import engagement_type_update
from visits.tests.factories import EngagementFactory, EngagementTypeFactory

pytestmark = pytest.mark.django_db

UNFILTERED, FILTERED = EngagementType.Directness.UNFILTERED, EngagementType.Directness.FILTERED


@pytest.fixture
def types() -> dict[str, EngagementType]:
    return {
        UNFILTERED: EngagementTypeFactory(name="Visit", slug="visit-test"),
        FILTERED: EngagementTypeFactory(name="Briefing", slug="briefing-test", directness=FILTERED),
    }


@pytest.fixture
def program(types) -> dict[str, Executive]:
    """Six executives on a 42-day cadence, in UTC, with contacts of known
    hours, directness and days ago."""

    def met(executive: Executive, days_ago: int, directness: str, minutes: int) -> None:
        EngagementFactory(
            executives=[executive],
            type=types[directness],
            starts_at=timezone.now() - dt.timedelta(days=days_ago),
            duration_minutes=minutes,
        )

    people = {
        name: ExecutiveFactory(user__full_name=name, user__time_zone="UTC")
        for name in ("Ada Byrne", "Bea Okafor", "Cal Dunne", "Dee Moss", "Eve Lund", "Fay Roe")
    }
    # Ada: unfiltered lately; in six months 2 of 6 hours unfiltered, in twelve 4 of 8.
    met(people["Ada Byrne"], 10, UNFILTERED, 120)
    met(people["Ada Byrne"], 20, FILTERED, 60)
    met(people["Ada Byrne"], 100, FILTERED, 180)
    met(people["Ada Byrne"], 300, UNFILTERED, 120)
    # Bea: met five days ago, but her last unfiltered contact is one day past her cadence.
    met(people["Bea Okafor"], 5, FILTERED, 90)
    met(people["Bea Okafor"], 43, UNFILTERED, 60)
    # Cal: the same, with his last unfiltered contact exactly at his cadence.
    met(people["Cal Dunne"], 5, FILTERED, 60)
    met(people["Cal Dunne"], 42, UNFILTERED, 60)
    # Dee: only filtered contact, ever.
    met(people["Dee Moss"], 3, FILTERED, 60)
    # Eve: no contact at all. Fay: overdue altogether, which is not the flag.
    met(people["Fay Roe"], 50, FILTERED, 60)
    met(people["Fay Roe"], 100, UNFILTERED, 60)
    return people


# name: (share 6 months, share 12 months, days since unfiltered, days since any, flag)
EXPECTED = {
    "Ada Byrne": (33, 50, 10, 10, False),
    "Bea Okafor": (40, 40, 43, 5, True),
    "Cal Dunne": (50, 50, 42, 5, False),
    "Dee Moss": (0, 0, None, 3, True),
    "Eve Lund": (None, None, None, None, False),
    "Fay Roe": (50, 50, 100, 50, False),
}


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    return client


def test_the_default_types_carry_their_directness():
    directness = dict(EngagementType.objects.values_list("slug", "directness"))

    assert {slug for slug, value in directness.items() if value == FILTERED} == {"executive-briefing", "event"}
    for slug in ("on-site-visit", "ride-along", "service-call-listening", "customer-journey", "mentoring-session"):
        assert directness[slug] == UNFILTERED


def test_each_contact_carries_its_types_directness(program):
    dee = program["Dee Moss"]

    assert list(ExecutiveContact.objects.filter(executive=dee).values_list("unfiltered", flat=True)) == [False]
    assert ExecutiveContact.objects.filter(executive=program["Ada Byrne"], unfiltered=True).count() == 2


def test_the_selector_gives_each_executives_shares_days_and_flag(program, django_assert_num_queries):
    with django_assert_num_queries(2):
        figures = executive_directness(executives=Executive.objects.all())

    got = {
        name: (
            figures[executive.pk].unfiltered_share_6m,
            figures[executive.pk].unfiltered_share_12m,
            figures[executive.pk].days_since_unfiltered,
            figures[executive.pk].days_since,
            figures[executive.pk].ivory_tower,
        )
        for name, executive in program.items()
    }
    assert got == EXPECTED
    ada = figures[program["Ada Byrne"].pk]
    assert (ada.unfiltered_minutes_6m, ada.minutes_6m, ada.unfiltered_minutes_12m, ada.minutes_12m) == (
        120,
        360,
        240,
        480,
    )


def test_switching_a_type_to_filtered_recounts_its_contacts(program, types):
    visit = types[UNFILTERED]
    visit.directness = FILTERED
    engagement_type_update(engagement_type=visit)

    figures = executive_directness(executives=[program["Ada Byrne"], program["Eve Lund"]])
    ada = figures[program["Ada Byrne"].pk]
    assert (ada.unfiltered_share_6m, ada.days_since_unfiltered, ada.ivory_tower) == (0, None, True)
    assert not ExecutiveContact.objects.filter(unfiltered=True).exists()

    visit.directness = UNFILTERED
    engagement_type_update(engagement_type=visit)

    assert executive_directness(executives=[program["Ada Byrne"]])[program["Ada Byrne"].pk].unfiltered_share_6m == 33


def test_the_table_agrees_with_the_selector(admin_client, program):
    response = admin_client.get(reverse("engagement:executives"), {"sort": "name"})

    got = {
        row.executive.user.full_name: (
            row.unfiltered_share_6m,
            row.unfiltered_share_12m,
            row.executive.days_since_unfiltered,
            row.executive.days_since,
            row.executive.ivory_tower,
        )
        for row in response.context["rows"]
    }
    assert got == EXPECTED
    page = response.content.decode()
    assert '<th scope="colgroup" colspan="2" class="text-center">Unfiltered contact</th>' in page
    assert "Only filtered lately" in page


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # No hours in six months (Eve) sorts past the highest share; ties by name.
        ("unfiltered_6m", ["Dee Moss", "Ada Byrne", "Bea Okafor", "Cal Dunne", "Fay Roe", "Eve Lund"]),
        ("-unfiltered_6m", ["Eve Lund", "Cal Dunne", "Fay Roe", "Bea Okafor", "Ada Byrne", "Dee Moss"]),
        # Never unfiltered sorts as the longest since.
        ("days_unfiltered", ["Ada Byrne", "Cal Dunne", "Bea Okafor", "Fay Roe", "Dee Moss", "Eve Lund"]),
        ("-days_unfiltered", ["Dee Moss", "Eve Lund", "Fay Roe", "Bea Okafor", "Cal Dunne", "Ada Byrne"]),
    ],
)
def test_the_table_sorts_by_directness(admin_client, program, sort, expected):
    response = admin_client.get(reverse("engagement:executives"), {"sort": sort})

    assert [row.executive.user.full_name for row in response.context["rows"]] == expected


def test_the_table_filters_those_with_only_filtered_contact_lately(admin_client, program):
    response = admin_client.get(reverse("engagement:executives"), {"directness": "only_filtered", "sort": "name"})

    assert [row.executive.user.full_name for row in response.context["rows"]] == ["Bea Okafor", "Dee Moss"]
    assert "Only filtered contact lately" in response.content.decode()


def test_a_directness_not_listed_is_reported_and_left_out(admin_client, program):
    response = admin_client.get(reverse("engagement:executives"), {"directness": "ivory"})

    assert len(response.context["rows"]) == 6
    assert "“ivory” is not a directness listed, so every executive is shown." in response.content.decode()


def test_the_export_has_the_directness_columns(admin_client, program):
    response = admin_client.get(reverse("engagement:executives_csv"), {"sort": "name"})

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    got = [
        (
            row["name"],
            row["unfiltered_share_6m_percent"],
            row["unfiltered_share_12m_percent"],
            row["days_since_unfiltered_contact"],
            row["only_filtered_contact_lately"],
        )
        for row in rows
    ]
    assert got == [
        ("Ada Byrne", "33", "50", "10", "no"),
        ("Bea Okafor", "40", "40", "43", "yes"),
        ("Cal Dunne", "50", "50", "42", "no"),
        ("Dee Moss", "0", "0", "", "yes"),
        ("Eve Lund", "", "", "", "no"),
        ("Fay Roe", "50", "50", "100", "no"),
    ]


def test_the_dashboard_gives_the_programs_share_and_flagged_count(admin_client, program):
    response = admin_client.get(reverse("engagement:program_home"))

    figures = response.context["figures"]
    # Six months: 300 of 810 minutes unfiltered; twelve: 420 of 930.
    assert (figures.unfiltered_minutes_6m, figures.minutes_6m) == (300, 810)
    assert (figures.unfiltered_minutes_12m, figures.minutes_12m) == (420, 930)
    assert (figures.unfiltered_share_6m, figures.unfiltered_share_12m, figures.only_filtered) == (37, 45, 2)
    page = response.content.decode()
    assert "How direct the contact is" in page
    assert f'href="{reverse("engagement:executives")}?directness=only_filtered"' in page


def test_the_dashboard_and_the_table_count_the_same_flagged(program):
    now = timezone.now()
    assert program_figures(now=now).only_filtered == executive_table(now=now).filter(ivory_tower=True).count()


def test_the_api_gives_the_same_figures(program):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(UserFactory(roles=[Role.PROGRAM_ADMIN]))}")
    fields = (
        "unfiltered_share_6m",
        "unfiltered_share_12m",
        "days_since_unfiltered",
        "days_since",
        "only_filtered_lately",
    )

    one = api.get(reverse("api:executive-contact-status", args=[program["Bea Okafor"].pk])).json()
    listed = api.get(reverse("api:contact-status-list")).json()["results"]

    assert tuple(one[field] for field in fields) == EXPECTED["Bea Okafor"]
    assert {row["name"]: tuple(row[field] for field in fields) for row in listed} == EXPECTED


def test_the_executives_home_says_how_direct_their_contact_is(client, program):
    client.force_login(program["Dee Moss"].user)
    page = client.get(reverse("engagement:executive_home")).content.decode()
    assert "0% of your hours in six months" in page
    assert "none yet." in page
    assert "You have met customers lately only at briefings, presentations or events." in page

    client.force_login(program["Ada Byrne"].user)
    page = client.get(reverse("engagement:executive_home")).content.decode()
    assert "33% of your hours in six months" in page
    assert "last unfiltered 10 days ago." in page
    assert "only at briefings" not in page


def test_the_api_lists_each_types_directness(types):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(UserFactory(roles=[Role.PROGRAM_ADMIN]))}")

    listed = api.get(reverse("api:engagement-type-list"), {"page_size": 200}).json()["results"]

    directness = {row["slug"]: row["directness"] for row in listed}
    assert (directness["visit-test"], directness["briefing-test"], directness["event"]) == (
        "unfiltered",
        "filtered",
        "filtered",
    )
