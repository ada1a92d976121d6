"""Handing a leaving executive's pairings over to others, from suggestions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.notifications.models import Notification
from engagement.people.models import Level
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ExecutiveFactory, SkillFactory, UserFactory, contact_record
from mentoring.models import Pairing, PairingGoal
from mentoring.tests.factories import PairingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    return client


@pytest.fixture
def leaver():
    executive = ExecutiveFactory(user__full_name="Lee Leaving", level=Level.VP)
    skill = SkillFactory(name="Pricing")
    account = AccountFactory(name="Adatum")
    account.needs.add(skill)
    pairing = PairingFactory(
        executive=executive, account=account, status=Pairing.Status.ACTIVE, session_cadence_days=60
    )
    PairingGoal.objects.create(pairing=pairing, text="Meet the CFO", status=PairingGoal.Status.IN_PROGRESS)
    PairingGoal.objects.create(pairing=pairing, text="Done already", status=PairingGoal.Status.ACHIEVED)
    PairingFactory(executive=executive, account=AccountFactory(name="Old Co"), status=Pairing.Status.ENDED)
    contact_record(executive=executive, account=account, occurred_at=timezone.now() - dt.timedelta(days=10))
    executive.active = False
    executive.save()
    successor = ExecutiveFactory(user__full_name="Sasha Successor", level=Level.VP)
    successor.talents.add(skill)
    return {"executive": executive, "pairing": pairing, "successor": successor, "account": account}


def test_the_pairings_list_points_to_the_executives_who_left_with_pairings(admin_client, leaver):
    page = admin_client.get(reverse("mentoring:pairings")).content.decode()

    assert reverse("mentoring:handover", args=[leaver["executive"].pk]) in page
    assert "Hand over Lee Leaving's 1 pairing" in page


def test_the_handover_page_lists_live_pairings_with_suggestions_and_accounts_met(admin_client, leaver):
    page = admin_client.get(reverse("mentoring:handover", args=[leaver["executive"].pk])).content.decode()

    assert "Adatum" in page and "Old Co" not in page.split("accounts-heading")[0]
    assert f'value="{leaver["successor"].pk}"' in page
    assert "Talents the account needs: Pricing" in page
    assert reverse("mentoring:propose", args=[leaver["account"].pk]) in page


def test_handing_over_ends_the_old_pairing_and_proposes_the_rest_to_the_successor(admin_client, leaver):
    response = admin_client.post(
        reverse("mentoring:handover", args=[leaver["executive"].pk]),
        {"pairing": leaver["pairing"].pk, "executive": leaver["successor"].pk},
    )

    assert response.status_code == 302
    leaver["pairing"].refresh_from_db()
    assert leaver["pairing"].status == Pairing.Status.ENDED
    assert leaver["pairing"].status_reason == "Handed over to Sasha Successor."
    new = Pairing.objects.get(executive=leaver["successor"])
    assert (new.account, new.status, new.session_cadence_days) == (leaver["account"], Pairing.Status.PROPOSED, 60)
    assert list(new.goals.values_list("text", flat=True)) == ["Meet the CFO"]
    assert Notification.objects.filter(user=leaver["successor"].user, message__contains="Adatum").exists()


def test_a_handover_the_rules_refuse_changes_nothing_and_says_why(admin_client, leaver):
    PairingFactory(executive=leaver["successor"], account=leaver["account"], status=Pairing.Status.PROPOSED)

    refused = admin_client.post(
        reverse("mentoring:handover", args=[leaver["executive"].pk]),
        {"pairing": leaver["pairing"].pk, "executive": leaver["successor"].pk},
    )
    nobody = admin_client.post(
        reverse("mentoring:handover", args=[leaver["executive"].pk]), {"pairing": leaver["pairing"].pk}
    )

    assert refused.status_code == 400 and "already has a pairing with Adatum" in refused.content.decode()
    assert nobody.status_code == 400 and "Choose who takes it over." in nobody.content.decode()
    leaver["pairing"].refresh_from_db()
    assert leaver["pairing"].status == Pairing.Status.ACTIVE


def test_a_pairing_of_someone_else_cannot_be_handed_over_from_this_page(admin_client, leaver):
    other = PairingFactory(status=Pairing.Status.ACTIVE)

    response = admin_client.post(
        reverse("mentoring:handover", args=[leaver["executive"].pk]),
        {"pairing": other.pk, "executive": leaver["successor"].pk},
    )

    assert response.status_code == 400
    other.refresh_from_db()
    assert other.status == Pairing.Status.ACTIVE
