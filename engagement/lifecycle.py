"""Lifecycles: the steps a status may take, declared once per lifecycle.

Each lifecycle (an engagement's, a pairing's, an action's, a debrief's) is
one table, beside its model, from the name of a step to the statuses it may
be taken from, the status it leads to, and how the person is told of it
("approved", "marked held"), with the ways a record begins. The services take
every step through ``Lifecycle.claim``; the pages read the same table to offer
only the steps the status allows; history that is loaded rather than lived
(the demo's two years) is walked through the same steps (``Lifecycle.walk``),
so that no loaded record reaches a status no person could.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class Step:
    """One change of status: from any of ``sources`` to ``target``. ``doing``
    is the step as the person reads it: "it cannot be <doing> now"."""

    sources: tuple[str, ...]
    target: str
    doing: str


@dataclass(frozen=True)
class Taken:
    """One step taken, for history written in bulk: a beginning or a step of
    a lifecycle, by whom, when, and what they said (the note the service
    records with it)."""

    step: str
    by_id: int | None
    at: dt.datetime
    note: str = ""


class Lifecycle:
    """The steps of one lifecycle, by name, and ``begins``: how a record
    starts, before any step (the name of each beginning, and its status)."""

    def __init__(self, *, begins: Mapping[str, str], **steps: Step) -> None:
        self.begins = dict(begins)
        self.steps = steps

    def __getitem__(self, name: str) -> Step:
        return self.steps[name]

    def allows(self, name: str, status: str) -> bool:
        """Whether step ``name`` may be taken from ``status``."""
        return status in self.steps[name].sources

    def steps_from(self, status: str) -> frozenset[str]:
        """The names of the steps that may be taken from ``status``."""
        return frozenset(name for name, step in self.steps.items() if status in step.sources)

    def claim(self, instance: models.Model, *, step: str, **changes: object) -> bool:
        """Take ``step`` on ``instance``, from the status it was read in (the
        one the person acted on), with ``changes``: one conditional UPDATE,
        which changes the row only if that status allows the step and nobody
        changed it since. Of two people acting on the same row at once,
        exactly one gets True; the other is told what happened instead. The
        UPDATE sends no signal: the caller records what it changed."""
        seen = instance.status  # type: ignore[attr-defined]
        if not self.allows(step, seen):
            return False
        rows = type(instance)._default_manager.filter(pk=instance.pk, status=seen)
        return rows.update(status=self.steps[step].target, **changes) == 1

    def walk(self, taken: Sequence[Taken], *, status: str = "") -> list[tuple[str, str, Taken]]:
        """Each of ``taken`` as (from, to, step), from ``status`` (blank: a new
        record, whose first step is a beginning). Raises ValueError on a step
        the lifecycle does not allow from where the steps before it led."""
        walked = []
        for step in taken:
            if not status and step.step in self.begins:
                target = self.begins[step.step]
            elif step.step in self.steps and self.allows(step.step, status):
                target = self.steps[step.step].target
            else:
                raise ValueError(f"A record {status or 'not yet begun'} cannot be {step.step}.")
            walked.append((status, target, step))
            status = target
        return walked

    def reached(self, taken: Sequence[Taken], *, status: str = "") -> str:
        """The status ``taken`` leads to from ``status``."""
        return self.walk(taken, status=status)[-1][1]
