"""Writes for engagements."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import QuerySet

from engagement.services import ContactFact, executive_contacts_replace
from visits.models import Engagement, EngagementExecutive, EngagementType


def _contact_facts(engagement_ids: Iterable[int] | QuerySet) -> Iterator[ContactFact]:
    attendances = (
        EngagementExecutive.objects.filter(
            engagement_id__in=engagement_ids,
            engagement__status__in=Engagement.HELD_STATUSES,
            engagement__type__counts_toward_cadence=True,
        )
        .values_list(
            "engagement_id",
            "executive_id",
            "engagement__account_id",
            "engagement__starts_at",
            "engagement__ends_at",
            "engagement__duration_minutes",
            "engagement__type__default_duration_minutes",
        )
        .order_by("engagement_id", "executive_id")
    )
    for engagement_id, executive_id, account_id, starts_at, ends_at, actual, default in attendances.iterator(
        chunk_size=5000
    ):
        if actual is None:
            # Not recorded: take the planned length, else the type's usual one.
            actual = int((ends_at - starts_at).total_seconds() // 60) if ends_at and ends_at > starts_at else default
        yield ContactFact(
            engagement_id=engagement_id,
            executive_id=executive_id,
            account_id=account_id,
            occurred_at=starts_at,
            duration_minutes=actual,
        )


@transaction.atomic
def engagement_contacts_sync(*, engagement_ids: Iterable[int] | QuerySet) -> int:
    """Bring the program's record of customer contact in line with the
    engagements in ``engagement_ids`` (ids, or a ``values("pk")`` queryset):
    each held engagement of a counting type is one contact for every executive
    who attended it; any other engagement, or one deleted, is none. Call it
    after every change to an engagement's status, time, type, account or
    executives. Returns how many contacts the engagements now make."""
    return executive_contacts_replace(engagement_ids=engagement_ids, contacts=_contact_facts(engagement_ids))


@transaction.atomic
def engagement_delete(*, engagement_ids: Iterable[int]) -> None:
    """Delete engagements, and the customer contact they made."""
    engagement_ids = list(engagement_ids)
    Engagement.objects.filter(pk__in=engagement_ids).delete()
    engagement_contacts_sync(engagement_ids=engagement_ids)


@transaction.atomic
def engagement_type_update(*, engagement_type: EngagementType) -> None:
    """Save an engagement type; when whether it counts changed, recount its engagements."""
    counted_before = (
        EngagementType.objects.filter(pk=engagement_type.pk).values_list("counts_toward_cadence", flat=True).first()
    )
    engagement_type.save()
    if counted_before is not None and counted_before != engagement_type.counts_toward_cadence:
        engagement_contacts_sync(engagement_ids=Engagement.objects.filter(type=engagement_type).values("pk"))
