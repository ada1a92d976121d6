"""Celery tasks of engagements: thin, taking ids, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from visits.calendar_reads import (
    calendar_connection_claim,
    calendar_connections_due_take,
    calendar_read,
    calendar_read_delay,
)
from visits.calendar_suggestions import calendar_meeting_auto_confirm, calendar_meetings_to_log

logger = logging.getLogger(__name__)


@shared_task(name="visits.tasks.read_calendars")
def read_calendars() -> int:
    """Queue a read of each calendar due one, each at its own moment of the
    coming period. The connections' own rows are the queue: one whose task
    the broker does not take is due again once its lease ends, so nothing is
    lost while the broker is down. Returns how many were queued."""
    queued = 0
    for batch in calendar_connections_due_take(timezone.now()):
        for connection_id in batch:
            try:
                read_calendar.apply_async(args=[connection_id], countdown=calendar_read_delay(connection_id))
            except Exception:  # noqa: BLE001 - whatever the transport raises, the lease brings it back
                logger.warning("The broker did not take the read of calendar %s; it is read later.", connection_id)
                continue
            queued += 1
    return queued


@shared_task(name="visits.tasks.read_calendar", acks_late=True)
def read_calendar(connection_id: int) -> str:
    """Read one calendar, unless another worker is reading it (or it was deleted)."""
    now = timezone.now()
    if not calendar_connection_claim(connection_id, now):
        return "claimed elsewhere or deleted"
    return calendar_read(connection_id, now).result


@shared_task(name="visits.tasks.log_calendar_meetings")
def log_calendar_meetings() -> int:
    """Queue the logging of each ended customer meeting of the executives
    who chose to have them logged without asking. A meeting whose task is
    lost is found again by the next run; each event is logged once however
    often it is queued. Returns how many were queued."""
    queued = 0
    for meeting_id in calendar_meetings_to_log(now=timezone.now()):
        try:
            log_calendar_meeting.delay(meeting_id)
        except Exception:  # noqa: BLE001 - whatever the transport raises, the next run finds it again
            logger.warning("The broker did not take the logging of calendar meeting %s; it is tried later.", meeting_id)
            continue
        queued += 1
    return queued


@shared_task(name="visits.tasks.log_calendar_meeting")
def log_calendar_meeting(meeting_id: int) -> bool:
    """Log one ended customer meeting of someone who chose not to be asked."""
    return calendar_meeting_auto_confirm(meeting_pk=meeting_id, now=timezone.now())
