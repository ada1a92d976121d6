"""A pairing's lifecycle is one table (``Pairing.STEPS``): each service takes
its step from exactly the statuses the table names and lands on the status it
names; the pairing's page offers the steps its status allows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from engagement.people.roles import Role
from engagement.tests.factories import UserFactory
from mentoring.models import Pairing
from mentoring.services import (
    PairingError,
    pairing_accept,
    pairing_decline,
    pairing_end,
    pairing_pause,
    pairing_resume,
)
from mentoring.tests.factories import PairingFactory

pytestmark = pytest.mark.django_db

# Each step of the table, taken through its service by the executive of the pairing.
SERVICES = {
    "accept": lambda pairing, by: pairing_accept(pairing=pairing, by=by),
    "decline": lambda pairing, by: pairing_decline(pairing=pairing, by=by, reason="Too far away"),
    "pause": lambda pairing, by: pairing_pause(pairing=pairing, by=by, reason="Parental leave"),
    "resume": lambda pairing, by: pairing_resume(pairing=pairing, by=by),
    "end": lambda pairing, by: pairing_end(pairing=pairing, by=by, reason="Account reorganised"),
}


def test_every_step_of_the_table_has_its_service():
    assert set(SERVICES) == set(Pairing.STEPS.steps)


@pytest.mark.parametrize("status", Pairing.Status.values)
@pytest.mark.parametrize("step", sorted(SERVICES))
def test_each_step_is_taken_from_the_statuses_its_table_names_and_refused_from_the_others(step, status):
    pairing = PairingFactory(status=status)
    rule = Pairing.STEPS[step]

    if status in rule.sources:
        SERVICES[step](pairing, pairing.executive.user)
        assert Pairing.objects.get(pk=pairing.pk).status == rule.target
    else:
        with pytest.raises(PairingError, match=f"This pairing is {Pairing.Status(status).label.lower()} now"):
            SERVICES[step](pairing, pairing.executive.user)
        assert Pairing.objects.get(pk=pairing.pk).status == status


@pytest.mark.parametrize("status", Pairing.Status.values)
def test_the_page_offers_its_executive_the_steps_the_status_allows(client, status):
    pairing = PairingFactory(status=status, executive__user=UserFactory(roles=[Role.EXECUTIVE]))
    client.force_login(pairing.executive.user)

    page = client.get(reverse("mentoring:pairing_detail", args=[pairing.pk])).content.decode()

    offered = {step for step in SERVICES if f'name="action" value="{step}"' in page}
    assert offered == Pairing.STEPS.steps_from(status)
