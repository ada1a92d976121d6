"""An engagement's history written in bulk, for history that is loaded rather
than lived (the demo's two years of engagements): the same rows the services
record one step at a time, each step read from ``Engagement.STEPS``, so that
a loaded engagement can only have reached its status the way a person could.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from visits.models import Engagement, EngagementStatusChange

# How an engagement begins, before any step: asked for (``engagement_request``)
# or logged as held (``engagement_log_contact``).
BEGINNINGS = {"request": Engagement.Status.REQUESTED, "log": Engagement.Status.COMPLETED}


@dataclass(frozen=True)
class Taken:
    """One step taken: a beginning or a step of ``Engagement.STEPS``, by whom,
    when, and what they said."""

    step: str
    by_id: int | None
    at: dt.datetime
    note: str = ""


def history_walk(taken: Sequence[Taken], *, status: str = "") -> list[tuple[str, str, Taken]]:
    """Each step as (from, to, step), from ``status`` (blank: a new
    engagement, whose first step is a beginning). Raises ValueError on a step
    the lifecycle does not allow from where the steps before it led."""
    walked = []
    for step in taken:
        if not status:
            target = BEGINNINGS[step.step]
        elif Engagement.STEPS.allows(step.step, status):
            target = Engagement.STEPS[step.step].target
        else:
            raise ValueError(f"An engagement {status} cannot be {step.step}.")
        walked.append((status, target, step))
        status = target
    return walked


def history_status(taken: Sequence[Taken], *, status: str = "") -> str:
    """The status ``taken`` leads to from ``status``."""
    return history_walk(taken, status=status)[-1][1]


def history_create(
    histories: Iterable[tuple[int, Sequence[Taken]]], *, status: str = "", batch_size: int = 5000
) -> int:
    """Write the history of each (engagement id, steps) in bulk, from
    ``status`` (blank: new engagements); returns how many rows."""
    rows = [
        EngagementStatusChange(
            engagement_id=engagement_id,
            from_status=from_status,
            to_status=to_status,
            by_id=step.by_id,
            at=step.at,
            note=step.note,
        )
        for engagement_id, taken in histories
        for from_status, to_status, step in history_walk(taken, status=status)
    ]
    EngagementStatusChange.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)
