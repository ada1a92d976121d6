from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Case, Value, When

from engagement.accounts.selectors import executive_suggestions
from engagement.people.models import Level
from engagement.tests.factories import (
    AccountFactory,
    ExecutiveFactory,
    SkillFactory,
    UserFactory,
    contact_record,
)


@pytest.mark.django_db
def test_suggestions_rank_level_fit_then_talents_then_load_and_give_reasons():
    negotiation, logistics = SkillFactory(name="Negotiation"), SkillFactory(name="Logistics")
    account = AccountFactory()
    account.needs.add(negotiation, logistics)
    both = ExecutiveFactory(user=UserFactory(full_name="Bea Both"), level=Level.SVP)
    both.talents.add(negotiation, logistics)
    one = ExecutiveFactory(user=UserFactory(full_name="Oli One"), level=Level.VP)
    one.talents.add(negotiation)
    too_senior = ExecutiveFactory(user=UserFactory(full_name="Cy Chief"), level=Level.C_SUITE)
    too_senior.talents.add(negotiation, logistics)
    ExecutiveFactory(user=UserFactory(full_name="Ina Inactive"), level=Level.SVP, active=False)
    contact_record(executive=one, account=account, occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=20))

    suggestions = executive_suggestions(account=account, contact_level=Level.DIRECTOR, load=Value(0))

    assert [s.executive.user.full_name for s in suggestions] == ["Bea Both", "Oli One", "Cy Chief"]
    assert suggestions[0].reasons == [
        "Two levels above the working contact",
        "Talents the account needs: Logistics, Negotiation",
        "No open engagements",
    ]
    assert "Met this account once in the last twelve months" in suggestions[1].reasons
    assert suggestions[2].reasons[0] == "3 levels above the contact"


@pytest.mark.django_db
def test_with_the_same_fit_the_less_loaded_executive_comes_first():
    account = AccountFactory()
    busy = ExecutiveFactory(user=UserFactory(full_name="Busy Bee"), level=Level.VP)
    free = ExecutiveFactory(user=UserFactory(full_name="Free Fay"), level=Level.VP)
    load = Case(When(pk=busy.pk, then=Value(4)), default=Value(0))

    suggestions = executive_suggestions(account=account, contact_level=Level.MANAGER, load=load)

    assert [s.executive for s in suggestions] == [free, busy]
    assert "4 open engagements" in suggestions[1].reasons


@pytest.mark.django_db
def test_without_a_working_contact_or_needs_every_active_executive_may_be_suggested():
    account = AccountFactory()
    executives = [ExecutiveFactory(), ExecutiveFactory()]

    suggestions = executive_suggestions(account=account, contact_level=None, load=Value(0))

    assert {s.executive for s in suggestions} == set(executives)
    assert all(s.levels_above is None for s in suggestions)
    assert all("No talent that the account lists as a need" in s.reasons for s in suggestions)
