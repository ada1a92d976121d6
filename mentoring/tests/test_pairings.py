"""Proposing a pairing, the executive's answer, each later change of status,
and a pairing's health from its sessions."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from engagement.accounts.models import Account
from engagement.notifications.models import Notification
from engagement.people.roles import Role
from engagement.tests.factories import (
    AccountFactory,
    ContactFactory,
    ExecutiveFactory,
    ProgramFactory,
    UserFactory,
    contact_record,
)
from mentoring.models import Pairing
from mentoring.selectors import PairingHealth, pairing_health, pairing_health_on, pairings_with_last_session
from mentoring.services import (
    PairingError,
    pairing_accept,
    pairing_decline,
    pairing_end,
    pairing_pause,
    pairing_propose,
    pairing_resume,
)
from mentoring.tests.factories import PairingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return UserFactory(full_name="Morgan Admin", roles=[Role.PROGRAM_ADMIN])


def test_a_proposal_with_its_goals_reaches_the_executive(admin):
    executive = ExecutiveFactory()
    account = AccountFactory(name="Northwind")
    contact = ContactFactory(account=account)

    pairing = pairing_propose(
        executive=executive,
        account=account,
        by=admin,
        why_matched="Supply-chain talent the account needs",
        goals=["Open the board-level conversation", "  ", "Renew the service contract"],
        primary_contact=contact,
    )

    assert pairing.status == Pairing.Status.PROPOSED
    assert pairing.proposed_by == admin
    assert pairing.session_cadence_days == 30
    assert [goal.text for goal in pairing.goals.all()] == [
        "Open the board-level conversation",
        "Renew the service contract",
    ]
    told = Notification.objects.get(user=executive.user)
    assert told.message == "Morgan Admin proposes that you sponsor Northwind. Accept or decline it."
    # It leads to the proposal, where the executive accepts or declines it.
    assert told.url == reverse("mentoring:pairing_detail", kwargs={"pk": pairing.pk})


def test_a_second_live_pairing_of_the_same_executive_and_account_is_refused(admin):
    pairing = PairingFactory()

    with pytest.raises(PairingError, match="already has a pairing with"):
        pairing_propose(executive=pairing.executive, account=pairing.account, by=admin)

    pairing_end(pairing=pairing, by=admin, reason="The account moved to another region")
    again = pairing_propose(executive=pairing.executive, account=pairing.account, by=admin)
    assert again.status == Pairing.Status.PROPOSED


def test_the_programs_limit_of_pairings_holds_at_proposal_and_at_acceptance(admin):
    executive = ExecutiveFactory()
    executive.programs.add(ProgramFactory(pairing_limit=2))
    first = pairing_propose(executive=executive, account=AccountFactory(), by=admin)
    pairing_propose(executive=executive, account=AccountFactory(), by=admin)

    with pytest.raises(PairingError, match="2 pairings, the program's limit"):
        pairing_propose(executive=executive, account=AccountFactory(), by=admin)

    pairing_decline(pairing=first, by=executive.user, reason="Too far from my area")
    third = pairing_propose(executive=executive, account=AccountFactory(), by=admin)
    assert third.status == Pairing.Status.PROPOSED


def test_nothing_is_proposed_for_a_departed_executive_a_churned_account_or_a_stranger_contact(admin):
    account = AccountFactory()
    with pytest.raises(PairingError, match="no longer in the program"):
        pairing_propose(executive=ExecutiveFactory(active=False), account=account, by=admin)
    with pytest.raises(PairingError, match="no longer a customer"):
        pairing_propose(executive=ExecutiveFactory(), account=AccountFactory(status=Account.Status.CHURNED), by=admin)
    with pytest.raises(PairingError, match="works at another account"):
        pairing_propose(executive=ExecutiveFactory(), account=account, by=admin, primary_contact=ContactFactory())
    assert not Pairing.objects.exists()


def test_the_executive_accepts_and_the_proposer_is_told(admin):
    pairing = pairing_propose(
        executive=ExecutiveFactory(), account=AccountFactory(name="Contoso"), by=admin, starts_on=dt.date(2020, 1, 1)
    )

    pairing_accept(pairing=pairing, by=pairing.executive.user)

    assert pairing.status == Pairing.Status.ACTIVE
    assert pairing.starts_on == timezone.localdate()  # a start in the past begins now
    assert Notification.objects.filter(user=admin, message__contains="accepted to sponsor Contoso").exists()


def test_only_the_executive_asked_answers_a_proposal(admin):
    pairing = PairingFactory()

    with pytest.raises(PairingError, match="Only the executive asked"):
        pairing_accept(pairing=pairing, by=admin)
    with pytest.raises(PairingError, match="Only the executive asked"):
        pairing_decline(pairing=pairing, by=ExecutiveFactory().user, reason="No")
    assert Pairing.objects.get(pk=pairing.pk).status == Pairing.Status.PROPOSED


def test_a_second_answer_to_the_same_proposal_changes_nothing(admin):
    pairing = PairingFactory()
    stale = Pairing.objects.get(pk=pairing.pk)
    pairing_decline(pairing=pairing, by=pairing.executive.user, reason="Not my industry")

    with pytest.raises(PairingError, match="ended now"):
        pairing_accept(pairing=stale, by=stale.executive.user)

    pairing.refresh_from_db()
    assert pairing.status == Pairing.Status.ENDED
    assert pairing.status_reason == "Declined: Not my industry"
    assert pairing.ends_on == timezone.localdate()


def test_a_pairing_is_paused_resumed_and_ended_each_with_its_reason(admin):
    pairing = PairingFactory(status=Pairing.Status.ACTIVE)

    with pytest.raises(PairingError, match="Say why the pairing is paused"):
        pairing_pause(pairing=pairing, by=admin, reason=" ")
    pairing_pause(pairing=pairing, by=admin, reason="Parental leave")
    assert (pairing.status, pairing.status_reason) == (Pairing.Status.PAUSED, "Parental leave")
    with pytest.raises(PairingError, match="paused now"):
        pairing_pause(pairing=pairing, by=admin, reason="Again")

    pairing_resume(pairing=pairing, by=admin)
    assert pairing.status == Pairing.Status.ACTIVE

    pairing_end(pairing=pairing, by=admin, reason="Goals achieved")
    assert (pairing.status, pairing.status_reason, pairing.ends_on) == (
        Pairing.Status.ENDED,
        "Goals achieved",
        timezone.localdate(),
    )
    with pytest.raises(PairingError, match="ended now"):
        pairing_resume(pairing=pairing, by=admin)


@pytest.mark.parametrize(
    ("days_since", "health"),
    [
        (0, PairingHealth.HEALTHY),
        (23, PairingHealth.HEALTHY),
        (24, PairingHealth.DUE),
        (30, PairingHealth.DUE),
        (31, PairingHealth.LAPSED),
    ],
)
def test_health_follows_the_days_since_the_last_session_against_a_monthly_cadence(days_since, health):
    assert pairing_health(days_since=days_since, cadence_days=30) == health


def test_a_session_is_the_executives_contact_with_the_account_since_the_pairing_started():
    today = timezone.localdate()
    now = timezone.now()
    pairing = PairingFactory(status=Pairing.Status.ACTIVE, starts_on=today - dt.timedelta(days=60))
    contact_record(executive=pairing.executive, account=pairing.account, occurred_at=now - dt.timedelta(days=90))
    contact_record(executive=pairing.executive, occurred_at=now - dt.timedelta(days=2))  # another account

    read = pairings_with_last_session(Pairing.objects.filter(pk=pairing.pk)).get()
    assert read.last_session_on is None  # the old contact came before the pairing
    assert pairing_health_on(read, today=today) == PairingHealth.LAPSED  # 60 days since it started

    contact_record(executive=pairing.executive, account=pairing.account, occurred_at=now - dt.timedelta(days=26))
    read = pairings_with_last_session(Pairing.objects.filter(pk=pairing.pk)).get()
    assert read.last_session_on == today - dt.timedelta(days=26)
    assert pairing_health_on(read, today=today) == PairingHealth.DUE

    contact_record(executive=pairing.executive, account=pairing.account, occurred_at=now - dt.timedelta(days=1))
    read = pairings_with_last_session(Pairing.objects.filter(pk=pairing.pk)).get()
    assert pairing_health_on(read, today=today) == PairingHealth.HEALTHY


def test_only_an_active_pairing_has_a_health():
    for status in (Pairing.Status.PROPOSED, Pairing.Status.PAUSED, Pairing.Status.ENDED):
        PairingFactory(status=status)

    for pairing in pairings_with_last_session(Pairing.objects.all()):
        assert pairing_health_on(pairing, today=timezone.localdate()) is None


@pytest.mark.django_db(transaction=True)
def test_two_proposals_at_the_same_moment_cannot_pass_the_limit_together():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database is one connection: the race runs on PostgreSQL in CI")
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    executive = ExecutiveFactory()
    executive.programs.add(ProgramFactory(pairing_limit=1))
    accounts = [AccountFactory(), AccountFactory()]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def propose(account):
        start.wait()
        try:
            pairing_propose(executive=executive, account=account, by=admin)
            outcomes.append("proposed")
        except PairingError as error:
            outcomes.append(str(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=propose, args=(account,)) for account in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("proposed") == 1
    assert "the program's limit" in next(outcome for outcome in outcomes if outcome != "proposed")
    assert Pairing.objects.filter(executive=executive).count() == 1
