"""A scan of the reminder sources, and recording what it finds, once each."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from engagement.dates import WORKDAY_START, in_working_hours
from engagement.people.models import User
from engagement.reminders.models import Reminder

# A weekly digest goes out on Monday morning.
DIGEST_WEEKDAY = 0


@dataclass(frozen=True)
class Due:
    """A reminder a scan found due: to whom, of what kind, for which episode, and why."""

    recipient_id: int
    kind: str
    episode: str
    reason: str
    url: str = ""
    executive_id: int | None = None
    # When it must go out by, whatever the working hours (an engagement's start).
    deadline: dt.datetime | None = None


@dataclass(frozen=True)
class ScanMoment:
    """When a scan runs, and the calendar day it acts as of (``--as-of``).

    ``subjects`` narrows a scan to what some recorded reminders are about, to
    check that they still hold: the ids of each subject, named by the word
    their episodes begin with ("executive", "engagement", "action",
    "pairing"). None is a whole scan.
    """

    now: dt.datetime
    as_of: dt.date | None = None
    subjects: Mapping[str, frozenset[int]] | None = None

    def within(self, queryset: QuerySet, subject: str, field: str = "pk") -> QuerySet:
        """``queryset`` narrowed to the ``subject`` ids this scan looks at
        (all of them in a whole scan; none when it checks other subjects,
        which costs no query)."""
        if self.subjects is None:
            return queryset
        return queryset.filter(**{f"{field}__in": sorted(self.subjects.get(subject, ()))})


def scan_moment(as_of: str | None = None) -> ScanMoment:
    """The moment of a scan run now, or as of the ISO date ``as_of`` (at noon UTC that day)."""
    if not as_of:
        return ScanMoment(now=timezone.now())
    day = dt.date.fromisoformat(as_of)
    return ScanMoment(now=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC), as_of=day)


Source = Callable[[ScanMoment], Iterable[Due]]


SOURCES: list[Source] = []


def reminder_source(source: Source) -> Source:
    """Register ``source`` with the engine: it yields what is due at a moment,
    in a fixed number of queries."""
    if source not in SOURCES:
        SOURCES.append(source)
    return source


def next_working_moment(moment: dt.datetime, time_zone: str) -> dt.datetime:
    """``moment`` if it falls in working hours in ``time_zone``, else the start
    of the next working day there."""
    if in_working_hours(moment, time_zone):
        return moment
    local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    day = local.date() if local.weekday() < 5 and local.time() < WORKDAY_START else local.date() + dt.timedelta(1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, WORKDAY_START, tzinfo=local.tzinfo)


def next_digest_moment(moment: dt.datetime, time_zone: str) -> dt.datetime:
    """The next Monday 09:00 in ``time_zone`` at or after ``moment``."""
    local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    day = local.date() + dt.timedelta(days=(DIGEST_WEEKDAY - local.weekday()) % 7)
    start = dt.datetime.combine(day, WORKDAY_START, tzinfo=local.tzinfo)
    return start if start >= local else start + dt.timedelta(days=7)


def reminders_due(
    *,
    now: dt.datetime | None = None,
    as_of: dt.date | None = None,
    subjects: Mapping[str, Iterable[int]] | None = None,
) -> list[Due]:
    """Everything every source finds due at ``now`` (or on ``as_of``), in
    recipient, kind, episode order; with ``subjects``, only about those
    (``ScanMoment.subjects``)."""
    moment = ScanMoment(
        now=now or timezone.now(),
        as_of=as_of,
        subjects=None if subjects is None else {word: frozenset(ids) for word, ids in subjects.items()},
    )
    found = [due for source in SOURCES for due in source(moment)]
    return sorted(found, key=lambda due: (due.recipient_id, due.kind, due.episode))


def reminders_not_yet_recorded(dues: list[Due]) -> list[Due]:
    """Those of ``dues`` that have no reminder row yet (what a dry run would send)."""
    episodes = {due.episode for due in dues}
    recorded = set(
        Reminder.objects.filter(episode__in=episodes).values_list("recipient_id", "kind", "episode") if episodes else []
    )
    return [due for due in dues if (due.recipient_id, due.kind, due.episode) not in recorded]


def _when(due: Due, *, user: Mapping[str, Any], now: dt.datetime) -> tuple[str, dt.datetime]:
    """The channel and the not-before moment of ``due`` for its recipient."""
    time_zone = user["time_zone"]
    if user["reminder_digest"] and due.kind != Reminder.Kind.ESCALATION and due.deadline is None:
        return Reminder.Channel.DIGEST, next_digest_moment(now, time_zone)
    at = next_working_moment(now, time_zone)
    if due.deadline is not None and at >= due.deadline:
        at = now  # waiting for working hours would miss it
    return Reminder.Channel.EMAIL, at


@transaction.atomic
def reminders_record(*, dues: list[Due], now: dt.datetime | None = None) -> int:
    """Record those of ``dues`` not recorded yet as pending reminders; the
    unique constraint decides, so two scans at once record each reminder
    once. Returns how many were new to this scan."""
    dues = reminders_not_yet_recorded(dues)
    if not dues:
        return 0
    now = now or timezone.now()
    users = {
        row["pk"]: row
        for row in User.objects.filter(pk__in={due.recipient_id for due in dues}).values(
            "pk", "time_zone", "reminder_digest"
        )
    }
    rows = []
    for due in dues:
        channel, due_at = _when(due, user=users[due.recipient_id], now=now)
        rows.append(
            Reminder(
                recipient_id=due.recipient_id,
                kind=due.kind,
                episode=due.episode,
                executive_id=due.executive_id,
                reason=due.reason[:300],
                url=due.url,
                channel=channel,
                due_at=due_at,
                created_at=now,
            )
        )
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)
