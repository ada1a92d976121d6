"""The demo's pairings: executives sponsoring accounts they meet, most in good
health, some behind; the demo executive with a proposal to answer."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter

import pytest
from django.db.models import F, QuerySet

from engagement.cadence.models import Program
from engagement.demo import DEMO_ADMIN_EMAIL, DEMO_EXECUTIVE_EMAIL
from engagement.notifications.models import Notification
from engagement.tests.test_seed_demo import TODAY, seed, wipe
from mentoring.models import Pairing, PairingGoal
from mentoring.selectors import PairingHealth, pairing_health_on, pairings_with_last_session

pytestmark = pytest.mark.django_db

today = dt.date.fromisoformat(TODAY)


def healths(pairings: QuerySet[Pairing]) -> Counter[PairingHealth | None]:
    return Counter(pairing_health_on(pairing, today=today) for pairing in pairings_with_last_session(pairings))


def test_demo_pairings_are_mostly_healthy_some_behind_and_within_the_limit():
    seed(scale=0.2, today=today)
    pairings = Pairing.objects.all()
    active = pairings.filter(status=Pairing.Status.ACTIVE)

    by_health = healths(active)
    assert by_health[PairingHealth.DUE] >= 1
    assert by_health[PairingHealth.LAPSED] >= 1
    assert by_health[PairingHealth.HEALTHY] > max(by_health[PairingHealth.DUE], by_health[PairingHealth.LAPSED])
    assert {Pairing.Status.PAUSED, Pairing.Status.ENDED} <= set(pairings.values_list("status", flat=True))

    limit = Program.objects.get().pairing_limit
    per_executive = Counter(active.values_list("executive_id", flat=True))
    assert max(per_executive.values()) <= limit
    # Every active pairing has had sessions: a due or lapsed one is behind
    # because its executive stopped meeting the account, not because it is new.
    assert all(pairing.last_session_on for pairing in pairings_with_last_session(active))
    # Each has one to three goals, and a contact at its own account.
    goals = Counter(PairingGoal.objects.values_list("pairing_id", flat=True))
    assert set(goals) == set(pairings.values_list("pk", flat=True))
    assert set(goals.values()) <= {1, 2, 3}
    assert not pairings.exclude(primary_contact__account=F("account")).exists()
    assert not pairings.filter(why_matched="").exists()
    # Paused and ended ones say why; ended ones since when.
    behind = pairings.filter(status__in=[Pairing.Status.PAUSED, Pairing.Status.ENDED])
    assert not behind.filter(status_reason="").exists()
    # Accepting (or resuming) one says nothing: the reason is the last step's.
    assert not active.exclude(status_reason="").exists()
    assert not pairings.filter(status=Pairing.Status.ENDED, ends_on__isnull=True).exists()
    assert not active.filter(starts_on__gt=today - dt.timedelta(days=30)).exists()


def test_demo_executive_sponsors_one_healthy_account_one_behind_and_has_a_proposal_to_answer():
    seed(scale=0.05, today=today)
    pairings = Pairing.objects.filter(executive__user__email=DEMO_EXECUTIVE_EMAIL)

    by_health = healths(pairings.filter(status=Pairing.Status.ACTIVE))
    assert by_health[PairingHealth.HEALTHY] == 1
    assert by_health[PairingHealth.DUE] + by_health[PairingHealth.LAPSED] == 1
    [proposal] = pairings.filter(status=Pairing.Status.PROPOSED)
    assert proposal.proposed_by.email == DEMO_ADMIN_EMAIL
    assert proposal.goals.count() == 2
    assert proposal.created_at.date() < today <= proposal.starts_on
    [told] = Notification.objects.filter(user__email=DEMO_EXECUTIVE_EMAIL, message__contains=proposal.account.name)
    assert told.read_at is None
    assert not pairings.exclude(status__in=[Pairing.Status.ACTIVE, Pairing.Status.PROPOSED]).exists()


def fingerprint() -> str:
    pairings = sorted(
        Pairing.objects.values_list(
            "executive__user__email", "account__crm_id", "primary_contact__name", "why_matched",
            "session_cadence_days", "starts_on", "ends_on", "status", "status_reason", "status_changed_at",
            "proposed_by__email", "created_at",
        ),
        key=repr,
    )  # fmt: skip
    goals = sorted(
        PairingGoal.objects.values_list(
            "pairing__executive__user__email", "pairing__account__crm_id", "text", "status", "notes", "position"
        ),
        key=repr,
    )
    return hashlib.sha256(repr((pairings, goals)).encode()).hexdigest()


def test_demo_pairings_are_deterministic_for_a_seed_and_a_day():
    seed(scale=0.05, today=today)
    first = fingerprint()
    Pairing.objects.all().delete()  # they protect the executives and accounts wipe() deletes
    wipe()
    seed(scale=0.05, today=today)
    assert fingerprint() == first
    Pairing.objects.all().delete()
    wipe()
    seed(scale=0.05, today=today, seed=99)
    assert fingerprint() != first
