"""Pairings and their goals in the audit trail: each change of status, made by
one conditional UPDATE, is recorded with who made it."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagement.people.roles import Role
from engagement.tests.audit_page import audit_entries
from engagement.tests.factories import AccountFactory, ExecutiveFactory, UserFactory
from mentoring.models import Pairing, PairingGoal
from mentoring.services import (
    PairingError,
    pairing_accept,
    pairing_end,
    pairing_hand_over,
    pairing_pause,
    pairing_propose,
    pairing_resume,
)
from mentoring.tests.factories import PairingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return UserFactory(full_name="Morgan Admin", roles=[Role.PROGRAM_ADMIN])


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def history(client, pairing: Pairing) -> list[str]:
    return audit_entries(client, object=f"mentoring.pairing:{pairing.pk}")


def test_an_ended_pairing_shows_who_ended_it_and_why(admin_client, admin):
    executive = ExecutiveFactory()
    pairing = PairingFactory(executive=executive, account=AccountFactory(name="Northwind"))
    pairing_accept(pairing=pairing, by=executive.user)

    pairing_end(pairing=pairing, by=admin, reason="Goals achieved")

    latest = history(admin_client, pairing)[0]
    assert latest.startswith(f"Morgan Admin changed pairing {executive.name} sponsors Northwind")
    assert "Status: Active → Ended" in latest
    assert "Status reason: — → Goals achieved" in latest
    assert f"Ends on: — → {timezone.localdate():%-d %b %Y}" in latest


def test_each_change_of_status_is_recorded_once_by_who_made_it(admin_client, admin):
    executive = ExecutiveFactory(user=UserFactory(full_name="Jordan Ellis", roles=[Role.EXECUTIVE]))
    pairing = pairing_propose(executive=executive, account=AccountFactory(), by=admin, goals=["Meet the CFO"])

    pairing_accept(pairing=pairing, by=executive.user)
    pairing_pause(pairing=pairing, by=admin, reason="Parental leave")
    pairing_resume(pairing=pairing, by=executive.user)

    entries = history(admin_client, pairing)
    assert [entry.split(" changed pairing")[0] for entry in entries[:3]] == [
        "Jordan Ellis",
        "Morgan Admin",
        "Jordan Ellis",
    ]
    assert "Status: Paused → Active" in entries[0]
    assert "Status: Active → Paused" in entries[1]
    assert "Status: Proposed → Active" in entries[2]
    # Made outside a request: its creation names nobody (a page names who is signed in).
    assert entries[3].startswith("System created pairing")


def test_a_change_refused_because_the_pairing_moved_on_records_nothing(admin):
    pairing = PairingFactory(status=Pairing.Status.ACTIVE)
    seen_by_other = Pairing.objects.get(pk=pairing.pk)
    pairing_end(pairing=pairing, by=admin, reason="Account reorganised")
    recorded = LogEntry.objects.count()

    with pytest.raises(PairingError):
        pairing_pause(pairing=seen_by_other, by=admin, reason="Too late")

    assert LogEntry.objects.count() == recorded


def test_a_goal_changed_on_the_pairing_page_is_recorded(client):
    manager = UserFactory(full_name="Sam Rivera", roles=[Role.ACCOUNT_MANAGER])
    pairing = PairingFactory(status=Pairing.Status.ACTIVE, account__account_manager=manager)
    goal = PairingGoal.objects.create(pairing=pairing, text="Meet the CFO")
    client.force_login(manager)

    client.post(
        reverse("mentoring:pairing_goal_edit", args=[pairing.pk, goal.pk]),
        {f"goal-{goal.pk}-text": "Meet the CFO and the COO", f"goal-{goal.pk}-status": "achieved",
         f"goal-{goal.pk}-notes": ""},
    )  # fmt: skip

    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    latest = audit_entries(client, object=f"mentoring.pairinggoal:{goal.pk}")[0]
    assert latest.startswith("Sam Rivera changed pairing goal Meet the CFO and the COO")
    assert "Goal: Meet the CFO → Meet the CFO and the COO" in latest
    assert "Status: Open → Achieved" in latest
    assert "Notes" not in latest  # unchanged
    # Linked to its pairing's page.
    assert (
        reverse("mentoring:pairing_detail", args=[pairing.pk])
        in client.get(reverse("engagement:audit"), {"object": f"mentoring.pairinggoal:{goal.pk}"}).content.decode()
    )


def test_a_handover_records_the_old_pairing_ended_and_the_new_one_proposed(admin_client, admin):
    leaver, successor = ExecutiveFactory(), ExecutiveFactory()
    pairing = PairingFactory(executive=leaver, status=Pairing.Status.ACTIVE)

    new = pairing_hand_over(pairing=pairing, to=successor, by=admin)

    assert "Status: Active → Ended" in history(admin_client, pairing)[0]
    assert history(admin_client, new)[0].startswith(f"System created pairing {successor.name} sponsors")


def test_the_pairing_page_offers_its_history_to_program_admins_only(admin_client):
    pairing = PairingFactory(status=Pairing.Status.ACTIVE)
    link = f"{reverse('engagement:audit')}?object=mentoring.pairing%3A{pairing.pk}"

    assert link in admin_client.get(reverse("mentoring:pairing_detail", args=[pairing.pk])).content.decode()
    client = Client()
    client.force_login(pairing.executive.user)
    assert link not in client.get(reverse("mentoring:pairing_detail", args=[pairing.pk])).content.decode()
