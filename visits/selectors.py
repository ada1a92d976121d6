"""Reads for engagements. Each returns in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone

from engagement.models import Account, Contact, Executive
from visits.models import Engagement

ACCOUNT_SEARCH_LIMIT = 8


def account_search(*, query: str, limit: int = ACCOUNT_SEARCH_LIMIT) -> list[Account]:
    """Accounts whose name (or CRM id) matches ``query``, names that start with
    it first. Empty for a query under two characters."""
    query = " ".join(query.split())
    if len(query) < 2:
        return []
    matches = (
        Account.objects.filter(Q(name__icontains=query) | Q(crm_id__iexact=query))
        .exclude(status=Account.Status.CHURNED)
        .only("pk", "name", "kind", "tier", "region")
        .order_by("name", "pk")[: limit * 4]
    )
    lowered = query.lower()
    return sorted(matches, key=lambda account: (not account.name.lower().startswith(lowered), account.name))[:limit]


def account_contacts(*, account_ids: Iterable[int]) -> QuerySet[Contact]:
    """The active contacts of the accounts, by name."""
    return Contact.objects.filter(account_id__in=list(account_ids), active=True).order_by("name", "pk")


def colleague_search(*, query: str, exclude: Executive, limit: int = ACCOUNT_SEARCH_LIMIT) -> QuerySet[Executive]:
    """Active executives other than ``exclude`` whose name matches ``query``."""
    query = " ".join(query.split())
    if len(query) < 2:
        return Executive.objects.none()
    return (
        Executive.objects.filter(active=True, user__full_name__icontains=query)
        .exclude(pk=exclude.pk)
        .select_related("user")
        .order_by("user__full_name", "pk")[:limit]
    )


def engagement_list_for_executive(
    *,
    executive: Executive,
    when: str = "past",
    engagement_type_id: int | None = None,
    status: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Engagement]:
    """The engagements ``executive`` attends: ``upcoming`` (soonest first) or
    ``past`` (newest first), narrowed by the filters."""
    now = now or timezone.now()
    engagements = Engagement.objects.filter(attendances__executive=executive).select_related("account", "type")
    if when == "upcoming":
        engagements = engagements.filter(starts_at__gte=now).order_by("starts_at", "pk")
    else:
        engagements = engagements.filter(starts_at__lt=now).order_by("-starts_at", "-pk")
    if engagement_type_id:
        engagements = engagements.filter(type_id=engagement_type_id)
    if status:
        engagements = engagements.filter(status=status)
    if date_from:
        engagements = engagements.filter(starts_at__date__gte=date_from)
    if date_to:
        engagements = engagements.filter(starts_at__date__lte=date_to)
    return engagements
