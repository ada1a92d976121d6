"""Celery tasks of the program: thin, taking ids, safe to run twice."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.db import transaction

from engagement.audit import audit_entries_prune
from engagement.import_services import import_job_check, import_job_run
from engagement.models import Reminder
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
    reminders_withdraw_stale,
    scan_moment,
)
from engagement.services import account_last_contact_refresh

logger = logging.getLogger(__name__)

SEND_RETRIES = 5
# Minutes before each retry: 1, 2, 4, 8, 16.
RETRY_BASE_SECONDS = 60


@shared_task(name="engagement.tasks.run_reminders")
def run_reminders(as_of: str | None = None) -> dict[str, int]:
    """Scan for reminders due now (or as of the date ``as_of``), record the
    new ones, withdraw those recorded earlier that no longer hold, and send
    those whose time has come, each by its own task once the records are
    committed. Returns what it did: reminders ``recorded`` (new to this
    scan), ``withdrawn``, ``to_send`` now, ``digests`` to send now, and
    reminders ``waiting`` for their recipients' working hours or digest."""
    moment = scan_moment(as_of)
    with transaction.atomic():
        dues = reminders_due(now=moment.now, as_of=moment.as_of)
        recorded = reminders_record(dues=dues, now=moment.now)
        withdrawn = reminders_withdraw_stale(dues=dues, moment=moment)
        ready = reminders_ready(now=moment.now)
        for reminder_id in ready:
            transaction.on_commit(lambda reminder_id=reminder_id: send_reminder.delay(reminder_id, as_of))
        digests = reminders_digest_ready(now=moment.now)
        for recipient_id in digests:
            transaction.on_commit(lambda recipient_id=recipient_id: send_digest.delay(recipient_id, as_of))
    waiting = Reminder.objects.filter(status=Reminder.Status.PENDING, due_at__gt=moment.now).count()
    summary = {
        "recorded": recorded,
        "withdrawn": withdrawn,
        "to_send": len(ready),
        "digests": len(digests),
        "waiting": waiting,
    }
    logger.info("reminder scan", extra={**summary, "as_of": as_of})
    return summary


@shared_task(name="engagement.tasks.send_reminder", bind=True, acks_late=True, max_retries=SEND_RETRIES)
def send_reminder(self, reminder_id: int, as_of: str | None = None) -> bool:
    """Send one reminder, at most once, if it still holds: claim it, check
    it, send it, mark it sent (or withdrawn). On a mail error, try again
    later with exponential backoff; after the last try it is marked failed
    for program admins to see."""
    moment = scan_moment(as_of)
    if not reminder_claim(reminder_id=reminder_id, now=moment.now):
        return False  # sent already, or another worker has it
    try:
        sent = reminder_deliver(reminder_id=reminder_id, now=moment.now, as_of=moment.as_of)
    except (smtplib.SMTPException, OSError) as error:
        final = self.request.retries >= self.max_retries
        reminder_failed(reminder_id=reminder_id, error=f"{error.__class__.__name__}: {error}", final=final)
        logger.warning(
            "reminder not sent",
            extra={"reminder_id": reminder_id, "error": error.__class__.__name__, "final": final},
        )
        if final:
            return False
        raise self.retry(exc=error, countdown=RETRY_BASE_SECONDS * 2**self.request.retries) from error
    logger.info("reminder sent" if sent else "reminder withdrawn", extra={"reminder_id": reminder_id})
    return sent


@shared_task(name="engagement.tasks.send_digest", bind=True, acks_late=True, max_retries=SEND_RETRIES)
def send_digest(self, recipient_id: int, as_of: str | None = None) -> int:
    """Send one person's weekly digest: claim their due digest reminders,
    withdraw those that no longer hold, send one email listing the rest, mark
    them sent. On a mail error, put them back and try again later with
    exponential backoff; after the last try they are marked failed for
    program admins to see. Returns how many went out."""
    moment = scan_moment(as_of)
    try:
        return reminder_digest_deliver(recipient_id=recipient_id, now=moment.now, as_of=moment.as_of)
    except (smtplib.SMTPException, OSError) as error:
        final = self.request.retries >= self.max_retries
        reminder_digest_failed(
            recipient_id=recipient_id, claimed_at=moment.now, error=f"{error.__class__.__name__}: {error}", final=final
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


@shared_task(name="engagement.tasks.prune_audit_trail")
def prune_audit_trail() -> int:
    """Each night, delete the audit-trail entries older than
    ``AUDIT_RETENTION_DAYS``, in batches; safe to run twice."""
    return audit_entries_prune()


@shared_task(name="engagement.tasks.check_import", acks_late=True)
def check_import(job_id: int) -> str | None:
    """Check every row of an uploaded file for its preview, writing nothing
    but the job; safe to run twice."""
    return import_job_check(job_id=job_id)


@shared_task(name="engagement.tasks.run_import", acks_late=True)
def run_import(job_id: int) -> str | None:
    """Import a queued file whole or not at all; a second run of the same job
    finds it claimed and does nothing."""
    return import_job_run(job_id=job_id)
