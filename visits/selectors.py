"""Reads for engagements. Each returns in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from engagement.models import Account, Contact, Executive

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
