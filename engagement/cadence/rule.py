"""The contact-status rule, stated once: states, cadence, episode;
in Python and, made from the same definitions, in SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models
from django.db.models import Case, Expression, F, Func, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import LessThanOrEqual


class ContactState(models.TextChoices):
    """Where an executive stands against their cadence: one state, the same on
    every page, in the API and for reminders. An executive with no contact yet
    is counted from the day they joined; "no contact yet" is a fact beside the
    state (``last_contact_on`` is None), not a state of its own."""

    ON_TRACK = "on_track", "On track"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    ESCALATED = "escalated", "Escalated"


# The executives table's filter for those with no contact yet (in bookmarks as ``?state=never``).
NO_CONTACT_YET = "never"


@dataclass(frozen=True)
class Cadence:
    """The rule one executive is held to: their program's, or their override."""

    cadence_days: int
    warning_days: int
    escalation_days: int
    exposure_hours_target: Decimal
    overdue_repeat_days: int = 7


@dataclass(frozen=True)
class ContactStatus:
    """Where one executive stands against the six-week rule today."""

    executive_id: int
    today: dt.date
    cadence: Cadence
    last_contact_on: dt.date | None
    days_since: int | None
    due_on: dt.date
    state: ContactState
    exposure_minutes: int
    joined_on: dt.date
    # The contacts of the window by how they came in (``cadence.capture``).
    captured: int = 0
    confirmed: int = 0
    typed: int = 0

    @property
    def exposure_hours(self) -> Decimal:
        """Exposure in the window, in hours to one decimal (for display)."""
        return (Decimal(self.exposure_minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def days_left(self) -> int:
        """Days until the window closes; negative once it has."""
        return (self.due_on - self.today).days

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)

    @property
    def exposure_met(self) -> bool:
        return self.exposure_minutes >= self.cadence.exposure_hours_target * 60

    @property
    def episode_start(self) -> dt.date:
        """Where the current episode began (``episode_start``)."""
        return episode_start(last_contact_on=self.last_contact_on, joined_on=self.joined_on)

    @property
    def counts_from_joining(self) -> bool:
        """Whether the cadence counts from the day they joined rather than
        from their last contact (none yet, or only from before they joined)."""
        return self.episode_start != self.last_contact_on


def episode_start(*, last_contact_on: dt.date | None, joined_on: dt.date) -> dt.date:
    """The day an executive's cadence counts from: the later of their last
    contact and the day they joined the program. A contact from before they
    joined (an imported history) never makes a newcomer overdue."""
    return max(last_contact_on, joined_on) if last_contact_on else joined_on


def episode_start_expression(*, last_contact_on: str = "last_contact_on", joined_on: str = "joined_on") -> Func:
    """``episode_start`` in SQL, over the row's fields of those names."""
    # Coalesced first: SQLite's MAX() of a NULL is NULL, PostgreSQL's GREATEST skips it.
    return Greatest(Coalesce(last_contact_on, joined_on), joined_on)


# The contact-status rule, stated once: each state, in the order an episode
# passes through them, with the last day of the episode it lasts to, from the
# cadence C, the warning W and the escalation delay E; past the last bound,
# escalated. ``contact_state`` reads it in Python, for the reminders, and
# ``contact_state_expression`` in SQL, for the dashboards.
STATE_BOUNDS: tuple[tuple[ContactState, Callable[[Any, Any, Any], Any]], ...] = (
    (ContactState.ON_TRACK, lambda cadence, warning, escalation: cadence - warning - 1),
    (ContactState.DUE_SOON, lambda cadence, warning, escalation: cadence),
    (ContactState.OVERDUE, lambda cadence, warning, escalation: cadence + escalation),
)
PAST_THE_BOUNDS = ContactState.ESCALATED


def contact_states() -> list[ContactState]:
    """Every state, in the order an episode passes through them."""
    return [*(state for state, _last_day in STATE_BOUNDS), PAST_THE_BOUNDS]


def contact_state(*, days_since: int, cadence: Cadence) -> ContactState:
    """The state ``days_since`` whole days after the episode began."""
    for state, last_day in STATE_BOUNDS:
        if days_since <= last_day(cadence.cadence_days, cadence.warning_days, cadence.escalation_days):
            return state
    return PAST_THE_BOUNDS


def contact_state_expression(days: Expression) -> Case:
    """``contact_state`` in SQL: the state for ``days`` since the episode
    began, against each row's own cadence (its ``cadence_days``,
    ``warning_days`` and ``escalation_days``)."""
    cadence = (F("cadence_days"), F("warning_days"), F("escalation_days"))
    return Case(
        *(When(LessThanOrEqual(days, last_day(*cadence)), then=Value(state.value)) for state, last_day in STATE_BOUNDS),
        default=Value(PAST_THE_BOUNDS.value),
        output_field=models.CharField(),
    )
