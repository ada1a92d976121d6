"""Reads of where executives stand against their cadence. Each returns in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import models
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from engagement.cadence.capture import ContactCapture, contact_capture
from engagement.cadence.models import ExecutiveContact, Program
from engagement.cadence.rule import Cadence, ContactStatus, contact_state, episode_start
from engagement.dates import local_date, local_today
from engagement.people.models import Executive


def _default_program(programs: Iterable[Program]) -> Program:
    return min(programs, key=lambda program: program.pk, default=None) or Program(name="Default")


def executive_cadences(*, overrides: dict[int, int | None]) -> dict[int, Cadence]:
    """The cadence of each executive in ``overrides`` (id -> override days),
    in two queries: the strictest of their active programs (or the first
    active program when they are in none), unless the executive has an
    override."""
    programs = {program.pk: program for program in Program.objects.filter(active=True)}
    default = _default_program(programs.values())
    memberships: dict[int, list[Program]] = defaultdict(list)
    rows = Executive.programs.through.objects.filter(executive_id__in=list(overrides)).values_list(
        "executive_id", "program_id"
    )
    for executive_id, program_id in rows:
        if program_id in programs:
            memberships[executive_id].append(programs[program_id])
    cadences = {}
    for executive_id, override in overrides.items():
        program = min(memberships.get(executive_id, []), key=lambda p: p.cadence_days, default=default)
        cadences[executive_id] = Cadence(
            cadence_days=override or program.cadence_days,
            warning_days=program.warning_days,
            escalation_days=program.escalation_days,
            exposure_hours_target=Decimal(program.exposure_hours_target),
            overdue_repeat_days=program.overdue_repeat_days,
        )
    return cadences


def executive_contact_statuses(
    *,
    executives: Iterable[Executive] | QuerySet[Executive],
    now: dt.datetime | None = None,
    as_of: dt.date | None = None,
    exposure: bool = True,
) -> dict[int, ContactStatus]:
    """The contact status of every executive in ``executives``, by id, today
    in each one's own time zone (or on ``as_of`` for all).

    Four queries whatever the number of executives or contacts: the
    executives, the programs, the memberships, and the exposure of the last
    window summed per executive, day and how the contacts came in
    (``cadence.capture``; the window's edge depends on each executive's own
    time zone, so the last step is done here). Without ``exposure``
    (reminders do not need it) the last is left out.
    """
    now = now or timezone.now()
    if isinstance(executives, QuerySet):
        executive_ids: Iterable[int] | QuerySet = executives.values("pk")
    else:
        executive_ids = [executive.pk for executive in executives]
    rows = list(
        Executive.objects.filter(pk__in=executive_ids).values(
            "pk", "last_contact_on", "joined_on", "cadence_override_days", "user__time_zone"
        )
    )
    cadences = executive_cadences(overrides={row["pk"]: row["cadence_override_days"] for row in rows})
    todays = {row["pk"]: as_of or local_today(row["user__time_zone"], now=now) for row in rows}
    if not rows:
        return {}
    earliest = min(todays[pk] - dt.timedelta(days=cadences[pk].cadence_days) for pk in todays)
    minutes_by_day = (
        ExecutiveContact.objects.filter(executive_id__in=executive_ids, contact_on__gte=earliest)
        .annotate(capture=contact_capture())
        .values_list("executive_id", "contact_on", "capture")
        .annotate(minutes=Sum("duration_minutes"), contacts=Count("pk"))
        .order_by()
    )
    exposure_minutes: dict[int, int] = defaultdict(int)
    captures: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ContactCapture.values, 0))
    for executive_id, contact_on, capture, minutes, contacts in minutes_by_day if exposure else ():
        if contact_on >= todays[executive_id] - dt.timedelta(days=cadences[executive_id].cadence_days):
            exposure_minutes[executive_id] += minutes or 0
            captures[executive_id][capture] += contacts

    statuses = {}
    for row in rows:
        pk, last = row["pk"], row["last_contact_on"]
        cadence, today = cadences[pk], todays[pk]
        start = episode_start(last_contact_on=last, joined_on=row["joined_on"])
        statuses[pk] = ContactStatus(
            executive_id=pk,
            today=today,
            cadence=cadence,
            last_contact_on=last,
            days_since=(today - last).days if last else None,
            due_on=start + dt.timedelta(days=cadence.cadence_days),
            state=contact_state(days_since=(today - start).days, cadence=cadence),
            exposure_minutes=exposure_minutes[pk],
            joined_on=row["joined_on"],
            captured=captures[pk][ContactCapture.AUTOMATIC],
            confirmed=captures[pk][ContactCapture.CONFIRMED],
            typed=captures[pk][ContactCapture.TYPED],
        )
    return statuses


def executive_contact_status(*, executive: Executive, now: dt.datetime | None = None) -> ContactStatus:
    """The contact status of one executive."""
    return executive_contact_statuses(executives=[executive], now=now)[executive.pk]


def last_contacts_if(
    *,
    executive_ids: Iterable[int],
    replaced_engagement_ids: Iterable[int],
    contacts: Iterable[tuple[int, dt.datetime]],
) -> dict[int, dt.date | None]:
    """Each of ``executive_ids``' last contact as it would be if the contacts
    from ``replaced_engagement_ids`` gave way to ``contacts`` (executive id,
    moment), as ``cadence.ledger.executive_contacts_replace`` would leave it: what
    an import would do, before it is done. Two queries."""
    executive_ids = set(executive_ids)
    zones = dict(Executive.objects.filter(pk__in=executive_ids).values_list("pk", "user__time_zone"))
    kept = (
        ExecutiveContact.objects.filter(executive_id__in=executive_ids)
        .exclude(engagement_id__in=list(replaced_engagement_ids))
        .values("executive_id")
        .annotate(last=models.Max("contact_on"))
        .values_list("executive_id", "last")
        .order_by()
    )
    last: dict[int, dt.date | None] = dict.fromkeys(zones)
    last.update(kept)
    for executive_id, moment in contacts:
        if executive_id in zones:
            day, previous = local_date(moment, zones[executive_id]), last[executive_id]
            last[executive_id] = day if previous is None else max(day, previous)
    return last


def executive_recent_contacts(*, executive: Executive, limit: int = 10) -> QuerySet[ExecutiveContact]:
    """The executive's latest customer contacts, newest first."""
    return (
        ExecutiveContact.objects.filter(executive=executive)
        .select_related("account")
        .order_by("-occurred_at", "-pk")[:limit]
    )


def executives_met_count(*, since: dt.date) -> Coalesce:
    """How many executives met the account (``OuterRef("pk")``) on or after ``since``."""
    met = (
        ExecutiveContact.objects.filter(account=OuterRef("pk"), contact_on__gte=since)
        .order_by()
        .values("account")
        .annotate(n=Count("executive", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(met), 0)
