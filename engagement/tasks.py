"""Celery tasks of the program: thin, taking ids, safe to run twice."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable
from typing import TypeVar

from celery import Task, shared_task
from django.db import transaction
from django.utils import timezone

from engagement.audit.trail import audit_entries_prune
from engagement.cadence.ledger import account_last_contact_refresh
from engagement.delivery.emails import email_claim, email_deliver, email_failed, mail_error_words
from engagement.delivery.outbox import task_enqueue, unsent_tasks_send
from engagement.imports.services import import_job_check, import_job_run
from engagement.people.invitations import invitation_claim, invitation_deliver, invitation_failed
from engagement.reminders.models import Reminder
from engagement.reminders.scan import reminders_due, reminders_record, scan_moment
from engagement.reminders.sending import (
    reminder_claim,
    reminder_deliver,
    reminder_digest_deliver,
    reminder_digest_failed,
    reminder_failed,
    reminders_digest_ready,
    reminders_ready,
)
from engagement.reminders.standing import reminders_withdraw_stale

logger = logging.getLogger(__name__)
T = TypeVar("T")

SEND_RETRIES = 5
# Minutes before each retry: 1, 2, 4, 8, 16.
RETRY_BASE_SECONDS = 60
MAIL_ERRORS = (smtplib.SMTPException, OSError)


class GaveUp(Exception):
    """The last try of an email failed: its failure is recorded, and nobody retries it."""


def _retry_in(task: Task) -> int | None:
    """Seconds before the next try of ``task``'s email, or None after the last."""
    if task.request.retries >= task.max_retries:
        return None
    return RETRY_BASE_SECONDS * 2**task.request.retries


def mail_or_retry(task: Task, send: Callable[[], T], failed: Callable[[BaseException, int | None], None]) -> T:
    """What ``send`` returns, for a task that sends one email. On a mail
    error, ``failed`` records it with the seconds before the next try (None
    after the last), then the task is retried with exponential backoff, or,
    after its last try, ``GaveUp`` is raised for the task to end quietly."""
    try:
        return send()
    except MAIL_ERRORS as error:
        countdown = _retry_in(task)
        failed(error, countdown)
        if countdown is None:
            raise GaveUp from error
        raise task.retry(exc=error, countdown=countdown) from error


def _as_text(error: BaseException) -> str:
    return f"{error.__class__.__name__}: {error}"


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
            task_enqueue(task=send_reminder, args=(reminder_id, as_of))
        digests = reminders_digest_ready(now=moment.now)
        for recipient_id in digests:
            task_enqueue(task=send_digest, args=(recipient_id, as_of))
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

    def failed(error: BaseException, retry_in: int | None) -> None:
        reminder_failed(reminder_id=reminder_id, error=_as_text(error), final=retry_in is None)
        logger.warning(
            "reminder not sent",
            extra={"reminder_id": reminder_id, "error": error.__class__.__name__, "final": retry_in is None},
        )

    try:
        sent = mail_or_retry(
            self, lambda: reminder_deliver(reminder_id=reminder_id, now=moment.now, as_of=moment.as_of), failed
        )
    except GaveUp:
        return False
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

    def failed(error: BaseException, retry_in: int | None) -> None:
        reminder_digest_failed(
            recipient_id=recipient_id, claimed_at=moment.now, error=_as_text(error), final=retry_in is None
        )

    try:
        return mail_or_retry(
            self, lambda: reminder_digest_deliver(recipient_id=recipient_id, now=moment.now, as_of=moment.as_of), failed
        )
    except GaveUp:
        return 0


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


@shared_task(name="engagement.tasks.send_invitation", bind=True, acks_late=True, max_retries=SEND_RETRIES)
def send_invitation(self: Task, invitation_id: int) -> bool:
    """Send one invitation, at most once per ask: claim it, send it, mark it
    sent. On a mail error, note why in plain words and try again later with
    exponential backoff; after the last try it shows as not sent, for a
    program admin to resend."""
    if not invitation_claim(invitation_id=invitation_id):
        return False  # sent already, or another worker has it

    def failed(error: BaseException, retry_in: int | None) -> None:
        retry_at = timezone.now() + dt.timedelta(seconds=retry_in) if retry_in is not None else None
        invitation_failed(invitation_id=invitation_id, error=mail_error_words(error), retry_at=retry_at)
        logger.warning(
            "invitation not sent",
            extra={"invitation_id": invitation_id, "error": error.__class__.__name__, "final": retry_at is None},
        )

    try:
        mail_or_retry(self, lambda: invitation_deliver(invitation_id=invitation_id), failed)
    except GaveUp:
        return False
    logger.info("invitation sent", extra={"invitation_id": invitation_id})
    return True


@shared_task(name="engagement.tasks.send_email", bind=True, acks_late=True, max_retries=SEND_RETRIES)
def send_email(self: Task, email_id: int) -> bool:
    """Send one email of the sign-in pages (a password reset link), at most
    once: claim it, send it, empty it. On a mail error, try again later with
    exponential backoff; after the last try it is given up and emptied."""
    if not email_claim(email_id=email_id):
        return False  # sent already, or another worker has it

    def failed(error: BaseException, retry_in: int | None) -> None:
        email_failed(email_id=email_id, error=mail_error_words(error), final=retry_in is None)
        logger.warning(
            "email not sent",
            extra={"email_id": email_id, "error": error.__class__.__name__, "final": retry_in is None},
        )

    try:
        mail_or_retry(self, lambda: email_deliver(email_id=email_id), failed)
    except GaveUp:
        return False
    return True


@shared_task(name="engagement.tasks.send_unsent_tasks")
def send_unsent_tasks() -> int:
    """Queue the tasks the broker could not take when they were queued, each
    once, now that it answers (this task reached a worker through it)."""
    return unsent_tasks_send()
