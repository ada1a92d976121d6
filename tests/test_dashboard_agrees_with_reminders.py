"""The dashboards and the reminder engine tell the same story.

The engine decides in Python, one executive at a time, whom to remind; the
dashboards count, filter and sort every executive in SQL. For a varied
program (time zones either side of midnight, overrides, a stricter second
program, executives who never met a customer, people who left), the
executives the dashboard shows as due soon, overdue or escalated on a date are
exactly those the engine reminds on that date (every executive here had their
own overdue reminder long ago, which an escalation waits for), and the
program figures and the executives page count and list the same people.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest
from django.urls import reverse

from engagement.cadence import rule
from engagement.cadence.rule import ContactState
from engagement.cadence.selectors import executive_contact_statuses
from engagement.dashboards.standing import executive_standing, program_figures
from engagement.people.models import Executive
from engagement.people.roles import Role
from engagement.reminders.models import Reminder
from engagement.reminders.scan import reminders_due
from engagement.tests.factories import (
    ExecutiveFactory,
    ProgramFactory,
    UserFactory,
    contact_record,
    overdue_reminder_sent,
)

ZONES = [
    "UTC",
    "Pacific/Auckland",
    "Pacific/Kiritimati",  # UTC+14
    "Pacific/Pago_Pago",  # UTC-11
    "America/Los_Angeles",
    "Asia/Kolkata",  # a half-hour offset
]
# Moments either side of midnight somewhere: the same UTC instant is two
# calendar days across the zones above.
MOMENTS = [
    dt.datetime(2025, 6, 16, 0, 30, tzinfo=dt.UTC),
    dt.datetime(2025, 6, 16, 10, 45, tzinfo=dt.UTC),
    dt.datetime(2025, 6, 16, 18, 29, tzinfo=dt.UTC),
    dt.datetime(2025, 6, 16, 23, 50, tzinfo=dt.UTC),
    dt.datetime(2025, 7, 9, 12, 0, tzinfo=dt.UTC),
]


def varied_program(seed: int = 7) -> list[Executive]:
    """Sixty executives whose last contacts straddle every state's edges."""
    rng = random.Random(seed)
    base = dt.datetime(2025, 6, 16, 12, 0, tzinfo=dt.UTC)
    UserFactory(roles=[Role.PROGRAM_ADMIN])  # escalations with no manager go here
    ProgramFactory(name="Six weeks")
    strict = ProgramFactory(name="Monthly", cadence_days=30, warning_days=5, escalation_days=10)
    executives = []
    for index in range(60):
        zone = ZONES[index % len(ZONES)]
        executive = ExecutiveFactory(
            user__time_zone=zone,
            joined_on=(base - dt.timedelta(days=rng.randint(0, 90))).date(),
            cadence_override_days=rng.choice([None, None, None, 21, 60]),
        )
        if index % 4 == 0:
            executive.programs.add(strict)
        if index % 9 == 0:
            executives[-1:] and setattr(executive, "manager", executives[-1])
            executive.save()
        if index % 7 != 3:  # every seventh never met a customer
            for _ in range(rng.randint(1, 3)):
                hours_ago = rng.randint(0, 90 * 24)
                contact_record(
                    executive=executive,
                    occurred_at=base - dt.timedelta(hours=hours_ago),
                    duration_minutes=rng.choice([30, 60, 90, 150]),
                )
        overdue_reminder_sent(executive=executive, at=base - dt.timedelta(days=120))
        executives.append(executive)
    # People reminders leave alone, and so must the dashboard.
    gone = ExecutiveFactory(active=False)
    contact_record(executive=gone, occurred_at=base - dt.timedelta(days=80))
    closed = ExecutiveFactory()
    closed.user.is_active = False
    closed.user.save()
    return executives


def dashboard_states(now: dt.datetime) -> dict[str, set[int]]:
    states: dict[str, set[int]] = defaultdict(set)
    for pk, state in executive_standing(now=now).values_list("pk", "state"):
        states[state].add(pk)
    return states


def reminded(now: dt.datetime) -> dict[str, set[int]]:
    kinds: dict[str, set[int]] = defaultdict(set)
    for due in reminders_due(now=now):
        if due.executive_id is not None:
            kinds[due.kind].add(due.executive_id)
    return kinds


@pytest.mark.django_db
def test_the_dashboard_shows_as_due_soon_overdue_and_escalated_exactly_whom_the_engine_reminds():
    varied_program()
    seen: dict[str, int] = defaultdict(int)

    for now in MOMENTS:
        dashboard, engine = dashboard_states(now), reminded(now)

        assert dashboard[ContactState.DUE_SOON] == engine[Reminder.Kind.DUE_SOON], now
        assert dashboard[ContactState.OVERDUE] | dashboard[ContactState.ESCALATED] == engine[Reminder.Kind.OVERDUE], now
        assert dashboard[ContactState.ESCALATED] == engine[Reminder.Kind.ESCALATION], now
        for state, ids in dashboard.items():
            seen[state] += len(ids)

    # Every state was met, or the comparison above proved little.
    assert all(seen[state] for state in ContactState.values), seen


@pytest.mark.django_db
def test_days_since_and_exposure_in_the_database_match_each_executives_status():
    executives = varied_program(seed=11)

    for now in MOMENTS:
        statuses = executive_contact_statuses(executives=executives, now=now)
        rows = {
            pk: (days, minutes)
            for pk, days, minutes in executive_standing(now=now).values_list("pk", "days_since", "window_minutes")
        }
        assert rows == {pk: (s.days_since, s.exposure_minutes) for pk, s in statuses.items()}, now


@pytest.mark.django_db
def test_program_figures_count_the_executives_in_each_state():
    varied_program(seed=3)
    now = MOMENTS[1]
    states = dashboard_states(now)
    statuses = executive_contact_statuses(
        executives=Executive.objects.filter(active=True, user__is_active=True), now=now
    )
    with_contact = sorted(s.days_since for s in statuses.values() if s.days_since is not None)
    middle = len(with_contact) // 2
    median = with_contact[middle] if len(with_contact) % 2 else (with_contact[middle - 1] + with_contact[middle]) / 2

    figures = program_figures(now=now)

    assert figures.executives == len(statuses) == 60
    assert figures.on_track == len(states[ContactState.ON_TRACK])
    assert figures.due_soon == len(states[ContactState.DUE_SOON])
    assert figures.overdue == len(states[ContactState.OVERDUE])
    assert figures.escalated == len(states[ContactState.ESCALATED])
    assert figures.never == sum(1 for s in statuses.values() if s.last_contact_on is None)
    assert figures.median_days_since == median
    assert figures.meeting_exposure_target == sum(1 for s in statuses.values() if s.exposure_met)
    assert figures.window_minutes == sum(s.exposure_minutes for s in statuses.values())


@pytest.mark.django_db
@pytest.mark.parametrize("state", [ContactState.DUE_SOON, ContactState.OVERDUE, ContactState.ESCALATED])
def test_the_executives_page_filtered_by_state_lists_whom_the_engine_reminds_today(client, state):
    """Today, as the page runs: UTC executives, so that dates are plain."""
    from django.utils import timezone

    now = timezone.now()
    for days_ago in (10, 36, 42, 43, 50, 57, 90):
        executive = ExecutiveFactory(user__full_name=f"Seen {days_ago} days ago")
        contact_record(executive=executive, occurred_at=now - dt.timedelta(days=days_ago))
        overdue_reminder_sent(executive=executive, at=now - dt.timedelta(days=100))
    ExecutiveFactory(user__full_name="Never met", joined_on=timezone.localdate() - dt.timedelta(days=50))
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    engine = reminded(now)
    expected = {
        ContactState.DUE_SOON: engine[Reminder.Kind.DUE_SOON],
        ContactState.OVERDUE: engine[Reminder.Kind.OVERDUE] - engine[Reminder.Kind.ESCALATION],
        ContactState.ESCALATED: engine[Reminder.Kind.ESCALATION],
    }[state]

    response = client.get(reverse("engagement:executives"), {"state": state.value})

    listed = {row.executive.pk for row in response.context["rows"]}
    assert listed == expected
    assert expected  # each state has someone in it here
    dashboard = client.get(reverse("engagement:program_home"))
    assert getattr(dashboard.context["figures"], state.value) == len(expected)


@pytest.mark.django_db
def test_the_rule_changed_in_its_one_table_changes_the_reminders_and_the_dashboards_alike(monkeypatch):
    # Were the program to warn from day 32 on, one line of the rule's table
    # would change, and every reading of the rule with it.
    bounds = dict(rule.STATE_BOUNDS)
    bounds[ContactState.ON_TRACK] = lambda cadence, warning, escalation: cadence - 11
    monkeypatch.setattr(rule, "STATE_BOUNDS", tuple(bounds.items()))
    now = dt.datetime(2025, 6, 16, 12, 0, tzinfo=dt.UTC)
    days_ago = {}
    for days in (30, 31, 32, 34, 35, 42, 43, 56, 57):
        executive = ExecutiveFactory(user__time_zone="UTC", joined_on=dt.date(2025, 1, 1))
        contact_record(executive=executive, occurred_at=now - dt.timedelta(days=days))
        days_ago[executive.pk] = days

    by_engine = {
        pk: status.state
        for pk, status in executive_contact_statuses(executives=Executive.objects.all(), now=now).items()
    }
    by_dashboard = dict(executive_standing(now=now).values_list("pk", "state"))

    assert {days_ago[pk] for pk, state in by_engine.items() if state == ContactState.DUE_SOON} == {32, 34, 35, 42}
    assert by_dashboard == by_engine
