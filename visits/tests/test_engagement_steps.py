"""An engagement's lifecycle is one table (``Engagement.STEPS``): each
service takes its step from exactly the statuses the table names, lands on
the status it names, and tells the person the table's words otherwise; the
engagement's page offers the steps its status allows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.errors import ProgramError
from engagement.people.roles import Role
from engagement.tests.factories import ExecutiveFactory, UserFactory
from visits.models import Engagement
from visits.services import (
    Plan,
    engagement_answer,
    engagement_approve,
    engagement_ask,
    engagement_cancel,
    engagement_complete,
    engagement_debriefed,
    engagement_decline,
    engagement_not_held,
    engagement_reschedule,
    engagement_schedule,
)
from visits.tests.factories import EngagementFactory

pytestmark = pytest.mark.django_db


def plan() -> Plan:
    starts_at = timezone.now() + dt.timedelta(days=10)
    return Plan(starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=1), location="Their plant in Leeds")


# Each step of the table, taken through its service.
SERVICES = {
    "approve": lambda engagement, by: engagement_approve(engagement=engagement, by=by),
    "decline": lambda engagement, by: engagement_decline(engagement=engagement, by=by, reason="Not my area"),
    "ask": lambda engagement, by: engagement_ask(engagement=engagement, by=by, question="Who else attends?"),
    "answer": lambda engagement, by: engagement_answer(engagement=engagement, by=by, answer="Their COO"),
    "schedule": lambda engagement, by: engagement_schedule(engagement=engagement, by=by, plan=plan()),
    "reschedule": lambda engagement, by: engagement_reschedule(
        engagement=engagement, by=by, plan=plan(), reason="Their COO moved it"
    ),
    "cancel": lambda engagement, by: engagement_cancel(engagement=engagement, by=by, reason="Their reorganisation"),
    "complete": lambda engagement, by: engagement_complete(engagement=engagement, by=by, duration_minutes=50),
    "not_held": lambda engagement, by: engagement_not_held(engagement=engagement, by=by, reason="no_show"),
    "debriefed": lambda engagement, by: engagement_debriefed(engagement=engagement, by=by),
}


def test_every_step_of_the_table_has_its_service():
    assert set(SERVICES) == set(Engagement.STEPS.steps)


@pytest.mark.parametrize("status", Engagement.Status.values)
@pytest.mark.parametrize("step", sorted(SERVICES))
def test_each_step_is_taken_from_the_statuses_its_table_names_and_refused_from_the_others(step, status):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    ended = timezone.now() - dt.timedelta(days=1)
    engagement = EngagementFactory(executives=[ExecutiveFactory()], status=status, starts_at=ended)
    rule = Engagement.STEPS[step]

    if status in rule.sources:
        SERVICES[step](engagement, admin)
        assert Engagement.objects.get(pk=engagement.pk).status == rule.target
    elif step == "debriefed" and status == Engagement.Status.DEBRIEFED:
        # A second debrief leaves it debriefed, without a word.
        SERVICES[step](engagement, admin)
        assert Engagement.objects.get(pk=engagement.pk).status == status
    else:
        with pytest.raises(ProgramError) as refused:
            SERVICES[step](engagement, admin)
        assert Engagement.objects.get(pk=engagement.pk).status == status
        assert str(refused.value) in (
            f"This engagement cannot be {rule.doing} now: it is {Engagement.Status(status).label.lower()}. "
            "Nothing was changed.",
            f"This request was already decided: {Engagement.Status(status).label.lower()}. Nothing was changed.",
        )


# The engagement page's buttons for each step, as a program admin sees them.
BUTTONS = {
    "approve": 'id="decide-heading"',
    "answer": 'id="answer-heading"',
    "schedule": ">Schedule</a>",
    "reschedule": ">Reschedule or change attendees</a>",
    "cancel": ">Cancel</a>",
    "complete": 'id="outcome-heading"',
}


@pytest.mark.parametrize("status", Engagement.Status.values)
def test_the_page_offers_the_steps_the_status_allows(client, status):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    ended = timezone.now() - dt.timedelta(days=1)
    engagement = EngagementFactory(executives=[ExecutiveFactory()], status=status, starts_at=ended)

    page = client.get(reverse("visits:engagement_detail", args=[engagement.pk])).content.decode()

    offered = {step for step, button in BUTTONS.items() if button in page}
    assert offered == set(BUTTONS) & Engagement.STEPS.steps_from(status)
