"""Celery tasks of the program: thin, taking ids, safe to run twice."""

from __future__ import annotations

import datetime as dt
import smtplib

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from engagement.reminders import (
    reminder_claim,
    reminder_deliver,
    reminder_digest_deliver,
    reminder_digest_failed,
    reminder_failed,
    reminders_digest_ready,
    reminders_due,
    reminders_ready,
    reminders_record,
)
from engagement.services import account_last_contact_refresh

SEND_RETRIES = 5
# Minutes before each retry: 1, 2, 4, 8, 16.
RETRY_BASE_SECONDS = 60


@shared_task(name="engagement.tasks.run_reminders")
def run_reminders(as_of: str | None = None) -> int:
    """Scan for reminders due now (or as of the date ``as_of``), record them,
    and send those whose time has come, each by its own task once the records
    are committed. Returns how many reminders were due."""
    day = dt.date.fromisoformat(as_of) if as_of else None
    now = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC) if day else timezone.now()
    with transaction.atomic():
        recorded = reminders_record(dues=reminders_due(now=now, as_of=day), now=now)
        for reminder_id in reminders_ready(now=now):
            transaction.on_commit(lambda reminder_id=reminder_id: send_reminder.delay(reminder_id))
        for recipient_id in reminders_digest_ready(now=now):
            transaction.on_commit(lambda recipient_id=recipient_id: send_digest.delay(recipient_id))
    return recorded


@shared_task(name="engagement.tasks.send_reminder", bind=True, acks_late=True, max_retries=SEND_RETRIES)
def send_reminder(self, reminder_id: int) -> bool:
    """Send one reminder, at most once: claim it, send it, mark it sent. On a
    mail error, try again later with exponential backoff; after the last try
    it is marked failed for program admins to see."""
    if not reminder_claim(reminder_id=reminder_id):
        return False  # sent already, or another worker has it
    try:
        return reminder_deliver(reminder_id=reminder_id)
    except (smtplib.SMTPException, OSError) as error:
        final = self.request.retries >= self.max_retries
        reminder_failed(reminder_id=reminder_id, error=f"{error.__class__.__name__}: {error}", final=final)
        if final:
            return False
        raise self.retry(exc=error, countdown=RETRY_BASE_SECONDS * 2**self.request.retries) from error


@shared_task(name="engagement.tasks.send_digest", bind=True, acks_late=True, max_retries=SEND_RETRIES)
def send_digest(self, recipient_id: int) -> int:
    """Send one person's weekly digest: claim their due digest reminders, send
    one email listing them, mark them sent. On a mail error, put them back and
    try again later with exponential backoff; after the last try they are
    marked failed for program admins to see. Returns how many went out."""
    now = timezone.now()
    try:
        return reminder_digest_deliver(recipient_id=recipient_id, now=now)
    except (smtplib.SMTPException, OSError) as error:
        final = self.request.retries >= self.max_retries
        reminder_digest_failed(
            recipient_id=recipient_id, claimed_at=now, error=f"{error.__class__.__name__}: {error}", final=final
        )
        if final:
            return 0
        raise self.retry(exc=error, countdown=RETRY_BASE_SECONDS * 2**self.request.retries) from error


@shared_task(name="engagement.tasks.count_account_contacts")
def count_account_contacts() -> int:
    """Each night, every account's executive contact of the twelve months
    moves on a day (``Account.contacts_12m`` and its leading executive): one
    UPDATE, safe to run twice."""
    return account_last_contact_refresh()
