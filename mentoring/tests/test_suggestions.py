"""Match suggestions: who would best sponsor an account, and the reasons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engagement.people.models import Level
from engagement.tests.factories import (
    AccountFactory,
    ContactFactory,
    ExecutiveFactory,
    ProgramFactory,
    SkillFactory,
    contact_record,
)
from mentoring.models import Pairing
from mentoring.suggestions import pairing_suggestions, working_contact
from mentoring.tests.factories import PairingFactory

pytestmark = pytest.mark.django_db


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


@pytest.fixture
def account():
    account = AccountFactory(name="Northwind")
    account.skills = {name: SkillFactory(name=name) for name in ("Logistics", "Pricing", "Security")}
    account.needs.add(*account.skills.values())
    ContactFactory(account=account, name="Dana Director", level=Level.DIRECTOR)
    ContactFactory(account=account, name="Chris CFO", level=Level.C_SUITE)
    return account


def skills(account, *names):
    return [account.skills[name] for name in names]


def ranked(account, **kwargs):
    return [suggestion.executive for suggestion in pairing_suggestions(account=account, **kwargs)]


def test_the_working_contact_is_the_most_junior_active_one(account):
    ContactFactory(account=account, name="Gone Manager", level=Level.MANAGER, active=False)
    assert working_contact(account=account).name == "Dana Director"


def test_each_measure_moves_an_executive_up_or_down(account):
    # Against a director: VP and SVP fit, C-suite does not.
    fits_and_knows = ExecutiveFactory(level=Level.VP)
    fits_and_knows.talents.add(*skills(account, "Logistics", "Pricing"))
    fits_only = ExecutiveFactory(level=Level.SVP)
    fits_only.talents.add(*skills(account, "Logistics", "Pricing"))
    too_senior = ExecutiveFactory(level=Level.C_SUITE)
    too_senior.talents.add(*skills(account, "Logistics", "Pricing"))
    no_talent = ExecutiveFactory(level=Level.VP)
    # Met the account once: one point more than the otherwise equal SVP.
    contact_record(executive=fits_and_knows, account=account, occurred_at=days_ago(20))
    # A third executive carries the rest, so nobody above is the account's key person.
    carrier = ExecutiveFactory(level=Level.DIRECTOR)
    for days in (30, 40):
        contact_record(executive=carrier, account=account, occurred_at=days_ago(days))

    assert ranked(account)[:4] == [fits_and_knows, fits_only, too_senior, no_talent]


def test_the_reasons_say_why(account):
    executive = ExecutiveFactory(level=Level.SVP)
    executive.talents.add(*skills(account, "Pricing", "Logistics"))
    PairingFactory(executive=executive, status=Pairing.Status.ACTIVE)
    contact_record(executive=executive, account=account, occurred_at=days_ago(10))
    other = ExecutiveFactory(level=Level.VP)
    for days in (40, 50, 60, 70):
        contact_record(executive=other, account=account, occurred_at=days_ago(days))

    suggestion = next(s for s in pairing_suggestions(account=account) if s.executive == executive)

    assert suggestion.reasons == [
        "Two levels above the working contact",
        "Talents the account needs: Logistics, Pricing",
        "Sponsors or has been asked for 1 of 3 accounts",
        "Met this account once in the last twelve months",
    ]
    newcomer = ExecutiveFactory(level=Level.VP)
    suggestion = next(s for s in pairing_suggestions(account=account) if s.executive == newcomer)
    assert "Would spread the account's relationship to one more executive" in suggestion.reasons


def test_the_one_executive_who_carries_the_account_drops_behind(account):
    carrier = ExecutiveFactory(level=Level.VP)
    carrier.talents.add(*skills(account, "Logistics"))
    for days in range(10, 100, 10):
        contact_record(executive=carrier, account=account, occurred_at=days_ago(days))
    newcomer = ExecutiveFactory(level=Level.VP)
    newcomer.talents.add(*skills(account, "Logistics"))

    suggestions = pairing_suggestions(account=account)

    assert [s.executive for s in suggestions][:2] == [newcomer, carrier]
    assert suggestions[1].share == 100
    assert "Already carries 100% of its executive contact: no second relationship" in suggestions[1].reasons


def test_load_counts_against_and_the_limit_leaves_out(account):
    busy = ExecutiveFactory(level=Level.VP)
    free = ExecutiveFactory(level=Level.VP)
    full = ExecutiveFactory(level=Level.VP)
    full.programs.add(ProgramFactory(pairing_limit=1))
    PairingFactory(executive=busy, status=Pairing.Status.ACTIVE)
    PairingFactory(executive=full, status=Pairing.Status.PROPOSED)
    PairingFactory(executive=free, status=Pairing.Status.ENDED)

    assert ranked(account) == [free, busy]


def test_left_out_are_those_already_paired_inactive_or_excluded(account):
    paired = ExecutiveFactory(level=Level.VP)
    PairingFactory(executive=paired, account=account, status=Pairing.Status.PAUSED)
    ExecutiveFactory(level=Level.VP, active=False)
    gone = ExecutiveFactory(level=Level.VP)
    gone.user.is_active = False
    gone.user.save()
    excluded = ExecutiveFactory(level=Level.VP)
    kept = ExecutiveFactory(level=Level.VP)

    assert ranked(account, exclude=[excluded.pk]) == [kept]


def test_another_contact_changes_the_level_that_fits(account):
    vp = ExecutiveFactory(level=Level.VP)
    chief = ExecutiveFactory(level=Level.C_SUITE)
    cfo = ContactFactory._meta.model.objects.get(account=account, name="Chris CFO")

    assert ranked(account) == [vp, chief]
    # Nobody is above a C-suite contact: no level fits, the order falls back on the rest.
    assert pairing_suggestions(account=account, contact=cfo)[0].levels_above in (-2, 0)


def test_the_top_five_come_from_everyone_in_a_fixed_number_of_queries(account):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            suggestions = pairing_suggestions(account=account)
        assert len(suggestions) == min(5, len(ExecutiveFactory._meta.model.objects.all()))
        return len(captured)

    for _ in range(3):
        executive = ExecutiveFactory(level=Level.VP)
        executive.talents.add(*skills(account, "Security"))
        contact_record(executive=executive, account=account, occurred_at=days_ago(5))
    few = queries()
    for index in range(60):
        executive = ExecutiveFactory(level=Level.VP if index % 2 else Level.SVP)
        executive.talents.add(*skills(account, "Security", "Pricing")[: index % 3])
        PairingFactory(executive=executive, status=Pairing.Status.ACTIVE)
    assert queries() == few == 8
