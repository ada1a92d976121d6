"""Reads for pairings, each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Case, F, Min, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from engagement.cadence.models import ExecutiveContact, Program
from engagement.dashboards.standing import DaysBetween
from engagement.people.models import Executive
from mentoring.models import Pairing

# A session falls due this many days before the pairing's cadence runs out.
SESSION_WARNING_DAYS = 7


class PairingHealth(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    DUE = "due", "Session due"
    LAPSED = "lapsed", "Lapsed"


def session_due_by(*, since: dt.date, cadence_days: int) -> dt.date:
    """When the next session is due: the last session (or the start, before
    the first) plus the cadence."""
    return since + dt.timedelta(days=cadence_days)


def pairing_health(*, days_since: int, cadence_days: int) -> PairingHealth:
    """An active pairing's health, ``days_since`` its last session (or its
    start, before the first): healthy, due in the last week of its cadence,
    lapsed once the cadence has run out."""
    if days_since > cadence_days:
        return PairingHealth.LAPSED
    if days_since > cadence_days - SESSION_WARNING_DAYS:
        return PairingHealth.DUE
    return PairingHealth.HEALTHY


def pairings_with_last_session(pairings: QuerySet[Pairing]) -> QuerySet[Pairing]:
    """``pairings`` with ``last_session_on``: the day of the executive's latest
    held engagement with the account since the pairing started (None before
    the first). A session is any engagement that counts as customer contact:
    the executive meeting their account is what the pairing is for."""
    sessions = ExecutiveContact.objects.filter(
        executive_id=OuterRef("executive_id"), account_id=OuterRef("account_id"), contact_on__gte=OuterRef("starts_on")
    ).order_by("-contact_on")
    return pairings.annotate(last_session_on=Subquery(sessions.values("contact_on")[:1]))


def pairings_with_health(pairings: QuerySet[Pairing], *, today: dt.date) -> QuerySet[Pairing]:
    """``pairings`` with ``last_session_on``, ``days_since`` (the last session,
    or the start before the first) and ``health`` on ``today`` (None unless
    active): ``pairing_health``'s rule in SQL, so that a list filters and
    counts by it a page at a time."""
    active = models.Q(status=Pairing.Status.ACTIVE)
    days = DaysBetween(Value(today, output_field=models.DateField()), Coalesce("last_session_on", "starts_on"))
    return pairings_with_last_session(pairings).annotate(
        days_since=days,
        health=Case(
            When(active & models.Q(days_since__gt=F("session_cadence_days")), then=Value(PairingHealth.LAPSED)),
            When(
                active & models.Q(days_since__gt=F("session_cadence_days") - SESSION_WARNING_DAYS),
                then=Value(PairingHealth.DUE),
            ),
            When(active, then=Value(PairingHealth.HEALTHY)),
            default=None,
            output_field=models.CharField(),
        ),
    )


def pairing_health_on(pairing: Pairing, *, today: dt.date) -> PairingHealth | None:
    """The health of ``pairing`` (read with ``pairings_with_last_session``) on
    ``today``; None unless it is active."""
    if pairing.status != Pairing.Status.ACTIVE:
        return None
    last_session_on: dt.date | None = pairing.last_session_on  # type: ignore[attr-defined]  # annotated by the read
    since = last_session_on or pairing.starts_on
    return pairing_health(days_since=(today - since).days, cadence_days=pairing.session_cadence_days)


def default_pairing_limit() -> int:
    """The limit of an executive in no active program: the first active
    program's (three when there is none)."""
    first = Program.objects.filter(active=True).order_by("pk").values_list("pairing_limit", flat=True).first()
    return first if first is not None else Program._meta.get_field("pairing_limit").default


def pairing_limit_expression(default: int) -> models.Expression:
    """Over ``OuterRef("pk")`` of an executive: how many active pairings they
    may hold, the strictest limit of their active programs, else ``default``."""
    strictest = (
        Executive.programs.through.objects.filter(executive_id=OuterRef("pk"), program__active=True)
        .values("executive_id")
        .annotate(limit=Min("program__pairing_limit"))
        .values("limit")[:1]
    )
    return Coalesce(Subquery(strictest), models.Value(default))


def pairing_limit(*, executive: Executive) -> int:
    """How many active pairings ``executive`` may hold: the strictest limit
    of their active programs, or of the first active program when they are
    in none (three when there is no program)."""
    limits = Executive.objects.filter(pk=executive.pk).annotate(limit=pairing_limit_expression(default_pairing_limit()))
    return next(iter(limits.values_list("limit", flat=True)))


def pairing_list(*, pairings: QuerySet[Pairing], today: dt.date) -> QuerySet[Pairing]:
    """``pairings`` with their health, live ones first and then the longest
    without a session: those needing attention lead. One query
    (``mentoring.filters`` narrows it)."""
    listed = pairings_with_health(pairings, today=today).select_related("executive__user", "account", "primary_contact")
    order = Case(
        When(status=Pairing.Status.PROPOSED, then=Value(1)),
        When(status=Pairing.Status.ACTIVE, then=Value(0)),
        When(status=Pairing.Status.PAUSED, then=Value(2)),
        default=Value(3),
    )
    return listed.order_by(order, F("days_since").desc(), "account__name", "pk")


def pairing_sessions(*, pairing: Pairing, limit: int = 10) -> list[ExecutiveContact]:
    """The latest sessions of ``pairing``: its executive's contacts with its
    account since it started, newest first."""
    return list(
        ExecutiveContact.objects.filter(
            executive_id=pairing.executive_id, account_id=pairing.account_id, contact_on__gte=pairing.starts_on
        ).order_by("-contact_on", "-pk")[:limit]
    )


def executives_to_hand_over() -> QuerySet[Executive]:
    """Executives who have left the program (or whose login is off) and still
    hold live pairings, with how many (``live_pairings``). One query."""
    return (
        Executive.objects.filter(models.Q(active=False) | models.Q(user__is_active=False))
        .filter(pairings__status__in=Pairing.LIVE)
        .annotate(live_pairings=models.Count("pairings"))
        .select_related("user")
        .order_by("user__full_name", "pk")
    )


def executive_accounts_carried(*, executive: Executive, since: dt.date) -> QuerySet:
    """The accounts ``executive`` met since ``since``, with their contacts
    there (``theirs``) and everyone's (``everyone``), the most theirs first.
    One query."""
    everyone = (
        ExecutiveContact.objects.filter(account_id=OuterRef("account_id"), contact_on__gte=since)
        .order_by()
        .values("account_id")
        .annotate(n=models.Count("pk"))
        .values("n")
    )
    return (
        ExecutiveContact.objects.filter(executive=executive, contact_on__gte=since)
        .values("account_id", "account__name")
        .annotate(theirs=models.Count("pk"), everyone=Subquery(everyone))
        .order_by("-theirs", "account__name")
    )
