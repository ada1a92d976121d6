"""What the reminder engine hears from engagements: a meeting within 24
hours, for everyone attending; a request waiting more than two working days,
for the executive asked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.urls import reverse

from engagement.moments import moment_text
from engagement.reminders.models import Reminder
from engagement.reminders.scan import Due, ScanMoment, reminder_source
from visits.models import Engagement, EngagementExecutive
from visits.selectors import request_waiting_cutoff

UPCOMING_WITHIN = dt.timedelta(hours=24)


def _link(engagement_id: int) -> str:
    return reverse("visits:engagement_detail", kwargs={"pk": engagement_id})


@reminder_source
def upcoming_engagement_reminders(moment: ScanMoment) -> Iterator[Due]:
    """Everyone attending a scheduled engagement that starts within 24 hours,
    told the time (shown in each reader's own zone when read). A rescheduled
    engagement is a new episode (its start is in it). Three queries."""
    soon = moment.within(
        Engagement.objects.filter(
            status=Engagement.Status.SCHEDULED, starts_at__gt=moment.now, starts_at__lte=moment.now + UPCOMING_WITHIN
        ),
        "engagement",
    )
    engagements = {row["pk"]: row for row in soon.values("pk", "starts_at", "type__name", "account__name", "location")}
    executives = EngagementExecutive.objects.filter(
        engagement__in=soon, executive__active=True, executive__user__is_active=True
    ).values_list("engagement_id", "executive__user_id", "executive_id")
    staff = Engagement.staff.through.objects.filter(engagement__in=soon, user__is_active=True).values_list(
        "engagement_id", "user_id"
    )
    for engagement_id, user_id, *executive_id in [*executives, *staff]:
        row = engagements[engagement_id]
        where = f" at {row['location']}" if row["location"] else ""
        yield Due(
            recipient_id=user_id,
            kind=Reminder.Kind.UPCOMING,
            episode=f"engagement:{engagement_id}:{row['starts_at'].isoformat()}",
            reason=f"{row['type__name']} with {row['account__name']} starts {moment_text(row['starts_at'])}{where}.",
            url=_link(engagement_id),
            executive_id=executive_id[0] if executive_id else None,
            deadline=row["starts_at"],
        )


@reminder_source
def request_waiting_reminders(moment: ScanMoment) -> Iterator[Due]:
    """The executive asked, about a request waiting more than two working days
    for their answer. Answering (or a question back) ends the episode. One query."""
    waiting = moment.within(
        EngagementExecutive.objects.filter(
            role=EngagementExecutive.Role.LEAD,
            executive__active=True,
            engagement__status=Engagement.Status.REQUESTED,
            engagement__status_changed_at__lt=request_waiting_cutoff(now=moment.now),
        ),
        "engagement",
        "engagement_id",
    ).values_list(
        "engagement_id",
        "executive__user_id",
        "executive_id",
        "engagement__status_changed_at",
        "engagement__account__name",
        "engagement__requested_by__full_name",
    )
    for engagement_id, user_id, executive_id, since, account, requester in waiting:
        yield Due(
            recipient_id=user_id,
            kind=Reminder.Kind.REQUEST_WAITING,
            episode=f"engagement:{engagement_id}:{since.isoformat()}",
            reason=f"{requester or 'An account manager'} has waited since {moment_text(since, day=True)} "
            "for your answer "
            f"about meeting {account}.",
            url=_link(engagement_id),
            executive_id=executive_id,
        )
