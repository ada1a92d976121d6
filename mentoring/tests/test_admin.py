"""Pairings in the Django admin: corrected there, while their status moves
only through its steps on the pairing's page, and their goals are written by
the same services as on that page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from engagement.people.roles import Role
from engagement.tests.audit_page import audit_entries
from engagement.tests.factories import UserFactory
from engagement.tests.test_admin import admin_form_data
from mentoring.models import Pairing, PairingGoal
from mentoring.services import pairing_goal_create
from mentoring.tests.factories import PairingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return UserFactory(full_name="Morgan Admin", roles=[Role.PROGRAM_ADMIN])


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def test_a_status_posted_to_the_pairing_admin_changes_nothing(admin_client):
    pairing = PairingFactory(status=Pairing.Status.ACTIVE, session_cadence_days=30)
    url = reverse("admin:mentoring_pairing_change", args=[pairing.pk])
    page = admin_client.get(url).content.decode()

    response = admin_client.post(
        url,
        admin_form_data(page, status=Pairing.Status.ENDED, status_reason="Ended by hand", session_cadence_days="60"),
    )

    assert response.status_code == 302
    pairing.refresh_from_db()
    assert (pairing.status, pairing.status_reason, pairing.session_cadence_days) == (Pairing.Status.ACTIVE, "", 60)
    # Its status is shown, with the way to its steps.
    assert reverse("mentoring:pairing_detail", args=[pairing.pk]) in page


def test_pairings_are_proposed_in_groundwork_not_added_in_the_admin(admin_client):
    response = admin_client.get(reverse("admin:mentoring_pairing_add"))

    assert response.status_code == 403


def test_a_goal_is_added_after_the_pairings_others():
    pairing = PairingFactory(status=Pairing.Status.ACTIVE)
    pairing_goal_create(pairing=pairing, text="Meet the CFO")
    pairing_goal_create(pairing=pairing, text="Renew the contract", status=PairingGoal.Status.IN_PROGRESS)

    goals = list(pairing.goals.values_list("text", "status", "position"))

    assert goals == [("Meet the CFO", "open", 1), ("Renew the contract", "in_progress", 2)]


def test_goals_added_and_changed_in_the_admin_are_recorded_by_who_did_it(admin_client):
    pairing = PairingFactory(status=Pairing.Status.ACTIVE)
    kept = pairing_goal_create(pairing=pairing, text="Meet the CFO")
    url = reverse("admin:mentoring_pairing_change", args=[pairing.pk])
    data = admin_form_data(admin_client.get(url).content.decode())
    data |= {
        "goals-0-status": PairingGoal.Status.ACHIEVED,
        "goals-TOTAL_FORMS": "2",
        "goals-1-pairing": str(pairing.pk),
        "goals-1-position": "5",
        "goals-1-text": "Open the Nordic market",
        "goals-1-status": PairingGoal.Status.OPEN,
        "goals-1-notes": "",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert list(pairing.goals.values_list("text", "status", "position")) == [
        ("Meet the CFO", "achieved", 1),
        ("Open the Nordic market", "open", 5),
    ]
    added = pairing.goals.get(text="Open the Nordic market")
    assert audit_entries(admin_client, object=f"mentoring.pairinggoal:{added.pk}")[0].startswith(
        "Morgan Admin created pairing goal Open the Nordic market"
    )
    changed = audit_entries(admin_client, object=f"mentoring.pairinggoal:{kept.pk}")[0]
    assert changed.startswith("Morgan Admin changed pairing goal Meet the CFO")
    assert "Status: Open → Achieved" in changed
