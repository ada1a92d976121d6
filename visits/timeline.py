"""The engagements on each account's timeline (``engagement.accounts.timeline``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.text import Truncator

from engagement.accounts.models import Account
from engagement.accounts.timeline import TimelineEntry, TimelineKind, timeline_kind
from engagement.people.models import User
from visits.access import engagements_visible_to
from visits.models import Engagement, EngagementExecutive

# The longest one-line summary, in characters, before it is cut with an ellipsis.
SUMMARY_LENGTH = 160


def account_engagement_rows(account: Account) -> QuerySet[Engagement]:
    """Every engagement with ``account``, whatever its status: a request
    declined or a meeting called off is part of its story too."""
    return Engagement.objects.filter(account=account)


def engagement_entries(reader: User, ids: Sequence[int]) -> dict[int, TimelineEntry]:
    """The engagements ``ids`` as entries, linked where ``reader`` may open
    them. Three queries."""
    engagements = (
        Engagement.objects.filter(pk__in=ids)
        .select_related("type")
        .prefetch_related(
            Prefetch(
                "attendances",
                queryset=EngagementExecutive.objects.select_related("executive__user").order_by("-role", "pk"),
            )
        )
    )
    opens = set(engagements_visible_to(reader).filter(pk__in=ids).values_list("pk", flat=True))
    entries = {}
    for engagement in engagements:
        names = [attendance.executive.user.full_name for attendance in engagement.attendances.all()]
        about = engagement.objective or engagement.notes
        summary = f"{engagement.type.name}, {engagement.get_status_display().lower()}"
        entries[engagement.pk] = TimelineEntry(
            kind="engagements",
            at=engagement.starts_at,
            who=", ".join(names) or "No executive recorded",
            summary=Truncator(f"{summary}: {about}" if about else summary).chars(SUMMARY_LENGTH),
            url=reverse("visits:engagement_detail", args=[engagement.pk]) if engagement.pk in opens else "",
        )
    return entries


timeline_kind(
    TimelineKind(
        slug="engagements",
        label="Engagements",
        rows=account_engagement_rows,
        at="starts_at",
        entries=engagement_entries,
        position=10,
    )
)
