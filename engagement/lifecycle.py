"""Lifecycles: the steps a status may take, declared once per lifecycle.

Each lifecycle (an engagement's, a pairing's, an action's, a debrief's) is
one table, beside its model, from the name of a step to the statuses it may
be taken from, the status it leads to, and how the person is told of it
("approved", "marked held"). The services take every step through
``Lifecycle.claim``; the pages read the same table to offer only the steps
the status allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class Step:
    """One change of status: from any of ``sources`` to ``target``. ``doing``
    is the step as the person reads it: "it cannot be <doing> now"."""

    sources: tuple[str, ...]
    target: str
    doing: str


class Lifecycle:
    """The steps of one lifecycle, by name."""

    def __init__(self, **steps: Step) -> None:
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
