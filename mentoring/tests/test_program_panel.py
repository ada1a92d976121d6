"""The pairings panel of the program dashboard: active pairings by health,
proposals waiting for an answer and paused pairings, each opening the list of
the pairings it counts; and an empty state that tells admins how to start."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.people.roles import Role
from engagement.tests.factories import UserFactory, contact_record
from mentoring.models import Pairing
from mentoring.panels import PairingFigures, program_pairing_figures
from mentoring.tests.factories import PairingFactory

pytestmark = pytest.mark.django_db

ACTIVE, PROPOSED, PAUSED, ENDED = (
    Pairing.Status.ACTIVE,
    Pairing.Status.PROPOSED,
    Pairing.Status.PAUSED,
    Pairing.Status.ENDED,
)
PANEL = "mentoring/panels/program_pairings.html"


@pytest.fixture
def program_admin():
    return UserFactory(full_name="Priya Natarajan", roles=[Role.PROGRAM_ADMIN])


def pairing(status: str, *, today: dt.date, started: int = 200, met: int | None = None) -> Pairing:
    """A monthly pairing that started ``started`` days before ``today``, whose
    last session was ``met`` days before it (None: none yet)."""
    made = PairingFactory(status=status, starts_on=today - dt.timedelta(days=started))
    if met is not None:
        occurred_at = dt.datetime.combine(today - dt.timedelta(days=met), dt.time(12), tzinfo=dt.UTC)
        contact_record(executive=made.executive, account=made.account, occurred_at=occurred_at)
    return made


def program_of_pairings(today: dt.date) -> dict[str, list[Pairing]]:
    """Pairings of every status and health on ``today``, by what the panel calls them."""
    return {
        "healthy": [pairing(ACTIVE, today=today, met=5), pairing(ACTIVE, today=today, started=10)],
        "due": [pairing(ACTIVE, today=today, met=24)],
        "lapsed": [pairing(ACTIVE, today=today, met=40), pairing(ACTIVE, today=today, started=60)],
        "proposed": [pairing(PROPOSED, today=today), pairing(PROPOSED, today=today)],
        "paused": [pairing(PAUSED, today=today, met=90)],
        "ended": [pairing(ENDED, today=today, met=90)],
    }


def test_the_figures_count_active_pairings_by_health_and_those_waiting_on_someone():
    today = dt.date(2025, 6, 10)
    program_of_pairings(today)

    assert program_pairing_figures(today=today) == PairingFigures(
        total=9, active=5, healthy=2, due=1, lapsed=2, proposed=2, paused=1
    )


def test_a_pairing_falls_due_a_week_before_its_cadence_runs_out_and_lapses_after():
    today = dt.date(2025, 6, 10)
    for met in (23, 24, 30, 31):
        pairing(ACTIVE, today=today, met=met)

    figures = program_pairing_figures(today=today)

    assert (figures.healthy, figures.due, figures.lapsed) == (1, 2, 1)


def test_the_figures_take_one_query_however_many_pairings():
    today = dt.date(2025, 6, 10)
    pairing(ACTIVE, today=today, met=24)
    with CaptureQueriesContext(connection) as few:
        program_pairing_figures(today=today)
    program_of_pairings(today)
    with CaptureQueriesContext(connection) as many:
        figures = program_pairing_figures(today=today)

    assert figures.active == 6
    assert len(few) == len(many) == 1


def test_each_figure_links_to_the_list_of_exactly_the_pairings_it_counts(client, program_admin):
    client.force_login(program_admin)
    made = program_of_pairings(timezone.localdate())
    expected = {
        "active_url": ({"status": ["active"]}, made["healthy"] + made["due"] + made["lapsed"]),
        "healthy_url": ({"health": ["healthy"]}, made["healthy"]),
        "due_url": ({"health": ["due"]}, made["due"]),
        "lapsed_url": ({"health": ["lapsed"]}, made["lapsed"]),
        "proposed_url": ({"status": ["proposed"]}, made["proposed"]),
        "paused_url": ({"status": ["paused"]}, made["paused"]),
    }

    response = client.get(reverse("engagement:program_home"))

    [panel] = [panel for panel in response.context["panels"] if panel.template == PANEL]
    html = response.content.decode()
    for name, (query, pairings) in expected.items():
        url = panel.context[name]
        assert (urlsplit(url).path, parse_qs(urlsplit(url).query)) == (reverse("mentoring:pairings"), query)
        assert f'href="{url}"' in html
        assert listed(client, url) == {pairing.pk for pairing in pairings}, name
        assert getattr(panel.context["figures"], name.removesuffix("_url")) == len(pairings), name


def listed(client, url: str) -> set[int]:
    """The pairings the list at ``url`` shows, all on one page."""
    response = client.get(url)
    assert response.status_code == 200
    page = response.context["page"]
    assert not page.has_other_pages()
    return {pairing.pk for pairing in page.object_list}


def test_the_program_dashboard_shows_the_pairings_figures(client, program_admin):
    client.force_login(program_admin)
    program_of_pairings(timezone.localdate())

    response = client.get(reverse("engagement:program_home"))

    html = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert '<h2 id="pairings-heading" class="h5">Pairings</h2>' in html
    figures = html.split('id="pairings-heading"', 1)[1]
    for label, count in [
        ("Active pairings", 5),
        ("Healthy", 2),
        ("Session due", 1),
        ("Lapsed", 2),
        ("Proposals waiting for an answer", 2),
        ("Paused", 1),
    ]:
        assert f'<p class="text-body-secondary mb-1">{label}</p> <p class="figure-value mb-1">{count}</p>' in figures
    assert "No pairings yet" not in html


def test_with_no_pairings_the_dashboard_says_how_to_propose_one(client, program_admin):
    client.force_login(program_admin)

    html = client.get(reverse("engagement:program_home")).content.decode()

    assert "No pairings yet: propose one from an account's page." in html
    assert "Proposals waiting for an answer" not in html
