"""What the reminder engine hears from feedback: a debrief not written two
days after the engagement was held, and an action past its due date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Exists, OuterRef
from django.urls import reverse

from engagement.dates import local_date
from engagement.moments import moment_text
from engagement.reminders.models import Reminder
from engagement.reminders.scan import Due, ScanMoment, reminder_source
from feedback.models import ActionItem, Debrief
from visits.models import Engagement, EngagementExecutive

DEBRIEF_DUE_AFTER = dt.timedelta(days=2)
# Held longer ago than this and still not debriefed: nobody is reminded any more.
DEBRIEF_REMINDED_FOR = dt.timedelta(days=30)


@reminder_source
def debrief_due_reminders(moment: ScanMoment) -> Iterator[Due]:
    """Everyone who took part in an engagement held two days ago or more that
    owes a debrief and nobody has debriefed yet: the executives who attended and have not
    submitted theirs, and the account manager. Once per person and
    engagement. Three queries."""
    held = moment.within(
        Engagement.objects.filter(
            status=Engagement.Status.COMPLETED,
            # A contact logged without "I'll add a debrief" owes none.
            debrief_wanted=True,
            status_changed_at__lte=moment.now - DEBRIEF_DUE_AFTER,
            status_changed_at__gt=moment.now - DEBRIEF_REMINDED_FOR,
        ),
        "engagement",
    )
    fields = ("pk", "starts_at", "type__name", "account__name", "account__account_manager_id")
    engagements = {row["pk"]: row for row in held.values(*fields, "account__account_manager__is_active")}
    if not engagements:
        return
    submitted = Debrief.objects.filter(
        engagement=OuterRef("engagement"), author=OuterRef("executive__user"), status=Debrief.Status.SUBMITTED
    )
    attending = (
        EngagementExecutive.objects.filter(
            engagement__in=list(engagements), executive__active=True, executive__user__is_active=True
        )
        .exclude(Exists(submitted))
        .values_list("engagement_id", "executive__user_id", "executive_id")
    )
    recipients: list[tuple[int, int, int | None]] = list(attending)
    recipients += [
        (pk, row["account__account_manager_id"], None)
        for pk, row in engagements.items()
        if row["account__account_manager__is_active"]
    ]
    seen: set[tuple[int, int]] = set()
    for engagement_id, user_id, executive_id in recipients:
        if user_id is None or (engagement_id, user_id) in seen:
            continue
        seen.add((engagement_id, user_id))
        row = engagements[engagement_id]
        yield Due(
            recipient_id=user_id,
            kind=Reminder.Kind.DEBRIEF_DUE,
            episode=f"engagement:{engagement_id}:debrief",
            reason=f"The {row['type__name']} with {row['account__name']} on {moment_text(row['starts_at'], day=True)} "
            "has no debrief yet: write down what the customer said while it is fresh.",
            url=reverse("feedback:debrief", kwargs={"pk": engagement_id}),
            executive_id=executive_id,
        )


@reminder_source
def action_overdue_reminders(moment: ScanMoment) -> Iterator[Due]:
    """The owner of each open action past its due date in their own time
    zone, once per due date (moving the date starts again). One query."""
    # Nobody's today is more than a day from UTC's: read a day either side,
    # then compare in each owner's own zone.
    latest = moment.as_of or moment.now.astimezone(dt.UTC).date() + dt.timedelta(days=1)
    overdue = moment.within(
        ActionItem.objects.filter(status__in=ActionItem.OPEN_STATUSES, due_on__lt=latest, owner__is_active=True),
        "action",
    ).values_list("pk", "owner_id", "owner__time_zone", "due_on", "title", "engagement__account__name")
    for action_id, owner_id, time_zone, due_on, title, account in overdue:
        today = moment.as_of or local_date(moment.now, time_zone)
        if due_on >= today:
            continue
        days = (today - due_on).days
        yield Due(
            recipient_id=owner_id,
            kind=Reminder.Kind.ACTION_OVERDUE,
            episode=f"action:{action_id}:{due_on.isoformat()}",
            reason=f"“{title}” ({account}) was due {days} day{'s' if days != 1 else ''} ago, on {due_on:%-d %b}.",
            url=reverse("feedback:action_detail", kwargs={"pk": action_id}),
        )
