"""A lifecycle's steps walked for history that is loaded rather than lived:
only the beginnings and steps it declares, each from a status it allows."""

from __future__ import annotations

import datetime as dt

import pytest

from engagement.lifecycle import Lifecycle, Step, Taken
from feedback.models import ActionItem, Debrief
from mentoring.models import Pairing

AT = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)

# A small lifecycle of its own: asked, then answered or withdrawn; or
# recorded as answered straight away.
STEPS = Lifecycle(
    begins={"ask": "asked", "record": "answered"},
    answer=Step(sources=("asked",), target="answered", doing="answered"),
    withdraw=Step(sources=("asked", "answered"), target="withdrawn", doing="withdrawn"),
)


def taken(*names: str) -> list[Taken]:
    return [Taken(name, None, AT + dt.timedelta(hours=hour), f"note {hour}") for hour, name in enumerate(names)]


def test_a_walk_goes_from_a_beginning_through_each_step_to_the_status_it_leads_to():
    steps = taken("ask", "answer", "withdraw")
    assert STEPS.walk(steps) == [
        ("", "asked", steps[0]),
        ("asked", "answered", steps[1]),
        ("answered", "withdrawn", steps[2]),
    ]
    assert STEPS.reached(steps) == "withdrawn"
    assert STEPS.reached(taken("record")) == "answered"


def test_a_walk_may_start_from_a_status_the_record_already_has():
    [step] = taken("withdraw")
    assert STEPS.walk([step], status="answered") == [("answered", "withdrawn", step)]


@pytest.mark.parametrize(
    ("names", "status"),
    [
        (("answer",), ""),  # a record begins only as the lifecycle says
        (("ask", "ask"), ""),  # a beginning is no step
        (("record", "answer"), ""),  # not from where the step before led
        (("ask", "answer", "answer"), ""),
        (("ask", "reopen"), ""),  # no such step
        (("answer",), "withdrawn"),
    ],
)
def test_a_walk_refuses_a_step_the_lifecycle_does_not_allow_from_where_it_stands(names, status):
    with pytest.raises(ValueError):
        STEPS.walk(taken(*names), status=status)


def test_each_record_that_begins_one_way_begins_as_its_model_makes_it():
    for model in (Pairing, Debrief, ActionItem):
        assert list(model.STEPS.begins.values()) == [model._meta.get_field("status").default]
