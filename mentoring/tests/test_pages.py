"""The pairing pages: the program's list and its CSV, an executive's
sponsorships, a pairing with its goals, and proposing from suggestions."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.notifications.models import Notification
from engagement.people.models import Level
from engagement.people.roles import Role
from engagement.tests.factories import (
    AccountFactory,
    ContactFactory,
    ExecutiveFactory,
    SkillFactory,
    UserFactory,
    contact_record,
)
from mentoring.models import Pairing, PairingGoal
from mentoring.tests.factories import PairingFactory

pytestmark = pytest.mark.django_db


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


@pytest.fixture
def admin():
    return UserFactory(full_name="Morgan Admin", roles=[Role.PROGRAM_ADMIN])


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def active_pairing(*, session_days_ago: int | None, name: str, **kwargs) -> Pairing:
    pairing = PairingFactory(status=Pairing.Status.ACTIVE, starts_on=days_ago(200), account__name=name, **kwargs)
    if session_days_ago is not None:
        contact_record(
            executive=pairing.executive,
            account=pairing.account,
            occurred_at=timezone.now() - dt.timedelta(days=session_days_ago),
        )
    return pairing


@pytest.fixture
def three_pairings():
    return {
        "healthy": active_pairing(session_days_ago=3, name="Healthy Co"),
        "due": active_pairing(session_days_ago=27, name="Due Co"),
        "lapsed": active_pairing(session_days_ago=None, name="Lapsed Co"),
    }


def test_the_list_filters_by_health_and_says_so(admin_client, three_pairings):
    PairingFactory(status=Pairing.Status.PROPOSED, account__name="Proposed Co")

    everything = admin_client.get(reverse("mentoring:pairings")).content.decode()
    lapsed = admin_client.get(reverse("mentoring:pairings"), {"health": "lapsed"}).content.decode()

    for name in ("Healthy Co", "Due Co", "Lapsed Co", "Proposed Co"):
        assert name in everything
    assert "Lapsed Co" in lapsed and "Due Co" not in lapsed and "Healthy Co" not in lapsed
    # The longest without a session leads among the active ones.
    assert everything.index("Lapsed Co") < everything.index("Due Co") < everything.index("Healthy Co")


def test_a_filter_that_does_not_fit_is_left_out_and_refuses_a_download(admin_client, three_pairings):
    page = admin_client.get(reverse("mentoring:pairings"), {"health": "sick"})
    refused = admin_client.get(reverse("mentoring:pairings_csv"), {"health": "sick"})

    assert page.status_code == 200
    assert "“sick” is not a health" in page.content.decode()
    assert refused.status_code == 400
    assert "No file was made" in refused.content.decode()


def test_the_csv_holds_the_filtered_pairings_with_their_health(admin_client, three_pairings):
    response = admin_client.get(reverse("mentoring:pairings_csv"), {"status": "active"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert {row["account"]: row["health"] for row in rows} == {
        "Healthy Co": "healthy",
        "Due Co": "due",
        "Lapsed Co": "lapsed",
    }
    assert {row["days_since_session"] for row in rows} == {"3", "27", "200"}


def test_the_executive_accepts_a_proposal_from_their_sponsorships(client, admin):
    pairing = PairingFactory(proposed_by=admin, account__name="Contoso", why_matched="Pricing talent")
    PairingGoal.objects.create(pairing=pairing, text="Meet the CFO")
    client.force_login(pairing.executive.user)

    page = client.get(reverse("mentoring:my_sponsorships")).content.decode()
    answered = client.post(
        reverse("mentoring:pairing_change", args=[pairing.pk]), {"action": "accept", "next": "sponsorships"}
    )

    assert "Contoso" in page and "Pricing talent" in page and "Meet the CFO" in page
    assert answered.status_code == 302 and answered.url == reverse("mentoring:my_sponsorships")
    pairing.refresh_from_db()
    assert pairing.status == Pairing.Status.ACTIVE
    assert Notification.objects.filter(user=admin, message__contains="accepted to sponsor Contoso").exists()


def test_declining_without_a_reason_asks_for_one_and_keeps_the_proposal(client, admin):
    pairing = PairingFactory(proposed_by=admin)
    client.force_login(pairing.executive.user)

    refused = client.post(reverse("mentoring:pairing_change", args=[pairing.pk]), {"action": "decline", "reason": " "})
    declined = client.post(
        reverse("mentoring:pairing_change", args=[pairing.pk]), {"action": "decline", "reason": "Too far away"}
    )

    assert refused.status_code == 400
    assert "Say why the pairing is declined" in refused.content.decode()
    assert declined.status_code == 302
    pairing.refresh_from_db()
    assert (pairing.status, pairing.status_reason) == (Pairing.Status.ENDED, "Declined: Too far away")


def test_only_the_executive_asked_answers_and_others_see_nothing(client, admin):
    pairing = PairingFactory(proposed_by=admin)
    stranger = ExecutiveFactory()
    client.force_login(admin)

    by_admin = client.post(reverse("mentoring:pairing_change", args=[pairing.pk]), {"action": "accept"})
    client.force_login(stranger.user)
    by_stranger = client.get(reverse("mentoring:pairing_detail", args=[pairing.pk]))

    assert by_admin.status_code == 403
    assert by_stranger.status_code == 404
    pairing.refresh_from_db()
    assert pairing.status == Pairing.Status.PROPOSED


def test_the_account_manager_reads_the_pairing_of_their_account_and_keeps_its_goals(client):
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    pairing = PairingFactory(status=Pairing.Status.ACTIVE, account__account_manager=manager)
    goal = PairingGoal.objects.create(pairing=pairing, text="Meet the CFO")
    client.force_login(manager)

    page = client.get(reverse("mentoring:pairing_detail", args=[pairing.pk]))
    changed = client.post(
        reverse("mentoring:pairing_goal_edit", args=[pairing.pk, goal.pk]),
        {f"goal-{goal.pk}-text": "Meet the CFO and the COO", f"goal-{goal.pk}-status": "in_progress",
         f"goal-{goal.pk}-notes": "Booked for March"},
    )  # fmt: skip
    ended = client.post(reverse("mentoring:pairing_change", args=[pairing.pk]), {"action": "end", "reason": "No"})

    assert page.status_code == 200
    assert changed.status_code == 302
    goal.refresh_from_db()
    assert (goal.text, goal.status, goal.notes) == ("Meet the CFO and the COO", "in_progress", "Booked for March")
    assert ended.status_code == 403  # the account team keeps the goals; admins and the executive run the pairing


def test_a_goal_without_words_keeps_what_was_typed(client):
    pairing = PairingFactory(status=Pairing.Status.ACTIVE)
    client.force_login(pairing.executive.user)

    response = client.post(
        reverse("mentoring:pairing_goal_add", args=[pairing.pk]),
        {"new-text": "", "new-status": "open", "new-notes": "Notes typed before the goal"},
    )
    added = client.post(
        reverse("mentoring:pairing_goal_add", args=[pairing.pk]),
        {"new-text": "Renew the contract", "new-status": "open", "new-notes": ""},
    )

    assert response.status_code == 400
    assert "Notes typed before the goal" in response.content.decode()
    assert added.status_code == 302
    assert list(pairing.goals.values_list("text", flat=True)) == ["Renew the contract"]


def test_ending_needs_a_reason_and_then_says_so(client, admin):
    pairing = PairingFactory(status=Pairing.Status.ACTIVE)
    client.force_login(admin)

    refused = client.post(reverse("mentoring:pairing_change", args=[pairing.pk]), {"action": "end"})
    ended = client.post(
        reverse("mentoring:pairing_change", args=[pairing.pk]), {"action": "end", "reason": "Account reorganised"}
    )
    again = client.post(reverse("mentoring:pairing_change", args=[pairing.pk]), {"action": "end", "reason": "Twice"})

    assert refused.status_code == 400 and "Say why the pairing is ended" in refused.content.decode()
    assert ended.status_code == 302
    assert again.status_code == 403  # an ended pairing has nothing left to change
    pairing.refresh_from_db()
    assert pairing.status_reason == "Account reorganised"


def test_an_admin_proposes_from_a_ranked_suggestion(admin_client):
    account = AccountFactory(name="Fabrikam")
    pricing = SkillFactory(name="Pricing")
    account.needs.add(pricing)
    contact = ContactFactory(account=account, name="Dana Director", level=Level.DIRECTOR)
    best = ExecutiveFactory(level=Level.VP, user__full_name="Avery Best")
    best.talents.add(pricing)
    ExecutiveFactory(level=Level.C_SUITE, user__full_name="Casey Chief")
    url = reverse("mentoring:propose", args=[account.pk])

    ranked = admin_client.get(url).content.decode()
    chosen = admin_client.get(url, {"executive": best.pk}).content.decode()
    proposed = admin_client.post(
        url,
        {
            "executive": best.pk,
            "why_matched": "One level above the working contact; Talents the account needs: Pricing.",
            "goals": "Meet the CFO\n\nRenew the contract",
            "primary_contact": contact.pk,
            "session_cadence_days": 30,
            "starts_on": timezone.localdate().isoformat(),
        },
    )

    assert ranked.index("Avery Best") < ranked.index("Casey Chief")
    assert "Talents the account needs: Pricing" in ranked
    assert "One level above the working contact; Talents the account needs: Pricing." in chosen
    pairing = Pairing.objects.get(account=account)
    assert proposed.status_code == 302 and proposed.url == reverse("mentoring:pairing_detail", args=[pairing.pk])
    assert (pairing.executive, pairing.primary_contact, pairing.status) == (best, contact, Pairing.Status.PROPOSED)
    assert list(pairing.goals.values_list("text", flat=True)) == ["Meet the CFO", "Renew the contract"]
    assert Notification.objects.filter(user=best.user, message__contains="sponsor Fabrikam").exists()


def test_a_refused_proposal_says_why_and_keeps_the_form(admin_client):
    account = AccountFactory()
    executive = ExecutiveFactory()
    PairingFactory(executive=executive, account=account, status=Pairing.Status.ACTIVE)

    response = admin_client.post(
        reverse("mentoring:propose", args=[account.pk]),
        {
            "executive": executive.pk,
            "why_matched": "Words worth keeping",
            "goals": "A goal",
            "session_cadence_days": 30,
            "starts_on": "not a date",
        },
    )
    again = admin_client.post(
        reverse("mentoring:propose", args=[account.pk]),
        {
            "executive": executive.pk,
            "why_matched": "Words worth keeping",
            "session_cadence_days": 30,
            "starts_on": timezone.localdate().isoformat(),
        },
    )

    assert response.status_code == 400
    assert "Words worth keeping" in response.content.decode()
    assert "Enter a valid date" in response.content.decode()
    assert again.status_code == 400
    assert "already has a pairing with" in again.content.decode()
    assert Pairing.objects.filter(account=account).count() == 1


def test_the_account_page_shows_its_sponsors_and_lets_an_admin_propose_one(client, admin):
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    account = AccountFactory(name="Tailspin", account_manager=manager)
    sponsor = PairingFactory(account=account, status=Pairing.Status.ACTIVE, executive__user__full_name="Avery Sponsor")
    PairingFactory(account=account, status=Pairing.Status.ENDED, executive__user__full_name="Former Sponsor")
    url = reverse("visits:account_engagements", args=[account.pk])

    client.force_login(manager)
    for_manager = client.get(url).content.decode()
    client.force_login(admin)
    for_admin = client.get(url).content.decode()

    assert reverse("mentoring:pairing_detail", args=[sponsor.pk]) in for_manager
    assert "Avery Sponsor" in for_manager and "Former Sponsor" not in for_manager
    assert reverse("mentoring:propose", args=[account.pk]) not in for_manager
    assert reverse("mentoring:propose", args=[account.pk]) in for_admin


def test_a_reason_too_long_is_said_beside_it_and_kept(client, admin):
    pairing = PairingFactory(proposed_by=admin)
    client.force_login(pairing.executive.user)
    reason = "Too far away. " * 25

    response = client.post(
        reverse("mentoring:pairing_change", args=[pairing.pk]), {"action": "decline", "reason": reason}
    )

    assert response.status_code == 400
    assert "Ensure this value has at most 280 characters" in response.content.decode()
    assert reason.strip() in response.content.decode()
    pairing.refresh_from_db()
    assert pairing.status == Pairing.Status.PROPOSED
