"""Reads for pairings, each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery

from engagement.models import ExecutiveContact
from mentoring.models import Pairing

# A session falls due this many days before the pairing's cadence runs out.
SESSION_WARNING_DAYS = 7


class PairingHealth(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    DUE = "due", "Session due"
    LAPSED = "lapsed", "Lapsed"


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


def pairing_health_on(pairing: Pairing, *, today: dt.date) -> PairingHealth | None:
    """The health of ``pairing`` (read with ``pairings_with_last_session``) on
    ``today``; None unless it is active."""
    if pairing.status != Pairing.Status.ACTIVE:
        return None
    since = pairing.last_session_on or pairing.starts_on
    return pairing_health(days_since=(today - since).days, cadence_days=pairing.session_cadence_days)
