"""What the reminder engine hears from mentoring: an active pairing whose next
session is due, or overdue, in its executive's own calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.urls import reverse

from engagement.dates import local_date
from engagement.reminders.models import Reminder
from engagement.reminders.scan import Due, ScanMoment, reminder_source
from mentoring.models import Pairing
from mentoring.selectors import PairingHealth, pairing_health, pairings_with_last_session, session_due_by


def session_due_reason(
    *, account: str, last_session_on: dt.date | None, since: dt.date, cadence_days: int, health: PairingHealth
) -> str:
    """Why the executive is reminded, and by when they should meet the account."""
    if last_session_on is None:
        start = f"You have had no session with {account} since your pairing started on {since:%-d %b}"
    else:
        start = f"Your last session with {account} was on {since:%-d %b}"
    due_by = session_due_by(since=since, cadence_days=cadence_days)
    if health == PairingHealth.LAPSED:
        end = f"one was due by {due_by:%-d %b}, so the pairing has lapsed: meet them as soon as you can."
    else:
        end = f"meet them by {due_by:%-d %b}."
    return f"{start}; a session is due every {cadence_days} days: {end}"


@reminder_source
def session_due_reminders(moment: ScanMoment) -> Iterator[Due]:
    """The executive of each active pairing whose session is due or lapsed on
    their own calendar day. Once per gap between sessions: the episode is
    named by the day the gap began (the last session, or the pairing's start),
    so a new session starts a new one. One query, however many pairings."""
    pairings = pairings_with_last_session(
        moment.within(
            Pairing.objects.filter(
                status=Pairing.Status.ACTIVE, executive__active=True, executive__user__is_active=True
            ),
            "pairing",
        )
    ).values_list(
        "pk",
        "executive_id",
        "executive__user_id",
        "executive__user__time_zone",
        "account__name",
        "session_cadence_days",
        "starts_on",
        "last_session_on",
    )
    for pk, executive_id, user_id, time_zone, account, cadence_days, starts_on, last_session_on in pairings:
        today = moment.as_of or local_date(moment.now, time_zone)
        since = last_session_on or starts_on
        health = pairing_health(days_since=(today - since).days, cadence_days=cadence_days)
        if health == PairingHealth.HEALTHY:
            continue
        yield Due(
            recipient_id=user_id,
            kind=Reminder.Kind.SESSION_DUE,
            episode=f"pairing:{pk}:{since.isoformat()}",
            reason=session_due_reason(
                account=account,
                last_session_on=last_session_on,
                since=since,
                cadence_days=cadence_days,
                health=health,
            ),
            url=reverse("mentoring:pairing_detail", kwargs={"pk": pk}),
            executive_id=executive_id,
        )
