"""Emails built from templates, and the emails of the sign-in pages, which
are kept until the mail server takes them."""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
from contextlib import nullcontext

from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from engagement.delivery.models import OutgoingEmail
from engagement.delivery.outbox import task_enqueue

# A try whose worker died while sending (killed, the machine lost) is taken
# again after this long.
SENDING_STALE_AFTER = dt.timedelta(minutes=10)


def templated_email(
    name: str, context: dict[str, object], *, to: str, time_zone: str | None = None
) -> EmailMultiAlternatives:
    """The email of the templates ``<name>_subject.txt``, ``<name>.txt`` and
    ``<name>.html`` (``name`` such as ``engagement/email/reminder``), its
    times and dates drawn in ``time_zone`` (the reader's) rather than the
    sending worker's."""
    with timezone.override(time_zone) if time_zone else nullcontext():
        message = EmailMultiAlternatives(
            subject=" ".join(render_to_string(f"{name}_subject.txt", context).split()),
            body=render_to_string(f"{name}.txt", context),
            to=[to],
        )
        message.attach_alternative(render_to_string(f"{name}.html", context), "text/html")
    return message


def mail_error_words(error: BaseException) -> str:
    """Why an email did not go, in words a program admin can act on."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "The mail server refused Groundwork's user name or password."
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "The mail server refused the recipient's address."
    if isinstance(error, smtplib.SMTPSenderRefused):
        return "The mail server refused Groundwork's sender address."
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "The mail server closed the connection before the email was sent."
    if isinstance(error, smtplib.SMTPConnectError):
        return "The mail server refused the connection."
    if isinstance(error, smtplib.SMTPResponseException):
        said = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"The mail server answered with an error ({error.smtp_code}: {said})."[:300]
    if isinstance(error, smtplib.SMTPException):
        return f"The mail server refused the email ({error.__class__.__name__}: {error})."[:300]
    if isinstance(error, TimeoutError):
        return "The mail server did not answer in time."
    if isinstance(error, socket.gaierror):
        return "The mail server's address could not be found."
    if isinstance(error, OSError):
        return "The mail server could not be reached."
    return f"The email could not be sent ({error.__class__.__name__})."


# --- Emails of the sign-in pages ------------------------------------------------------


def email_queue(*, message: EmailMultiAlternatives) -> OutgoingEmail:
    """Keep ``message`` and send it from a task after the commit, which tries
    again while the mail server fails: the page that asked never waits on it."""
    return emails_queue(messages=[message])[0]


def emails_queue(*, messages: list[EmailMultiAlternatives]) -> list[OutgoingEmail]:
    """Keep each of ``messages`` (in one INSERT), and send each from its own
    task after the commit, as ``email_queue``."""
    emails = OutgoingEmail.objects.bulk_create(
        [
            OutgoingEmail(
                to=list(message.to),
                from_email=message.from_email,
                subject=message.subject[:300],
                body=message.body,
                html=next((content for content, mimetype in message.alternatives if mimetype == "text/html"), ""),
            )
            for message in messages
        ]
    )
    for email in emails:
        task_enqueue(task="engagement.tasks.send_email", args=(email.pk,))
    return emails


def _sendable(now: dt.datetime) -> Q:
    waiting = Q(status__in=[OutgoingEmail.Status.PENDING, OutgoingEmail.Status.RETRYING])
    return waiting | Q(status=OutgoingEmail.Status.SENDING, claimed_at__lt=now - SENDING_STALE_AFTER)


def email_claim(*, email_id: int, now: dt.datetime | None = None) -> bool:
    """Take a kept email for one try: one conditional UPDATE, so that of two
    senders exactly one sends it."""
    now = now or timezone.now()
    return (
        OutgoingEmail.objects.filter(_sendable(now), pk=email_id).update(
            status=OutgoingEmail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        == 1
    )


def email_deliver(*, email_id: int, now: dt.datetime | None = None) -> None:
    """Send the claimed email, then empty it: its link is in the recipient's
    mailbox, not here any more. A mail error propagates, for the caller to
    note and retry."""
    email = OutgoingEmail.objects.get(pk=email_id)
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.body, from_email=email.from_email, to=list(email.to)
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    message.send()
    OutgoingEmail.objects.filter(pk=email_id, status=OutgoingEmail.Status.SENDING).update(
        status=OutgoingEmail.Status.SENT, sent_at=now or timezone.now(), body="", html="", last_error=""
    )


def email_failed(*, email_id: int, error: str, final: bool) -> None:
    """Note a failed try: waiting for the next, or given up (and emptied: a
    reset link nobody received has no business staying here)."""
    changes: dict[str, object] = {"last_error": error[:300]}
    if final:
        changes |= {"status": OutgoingEmail.Status.FAILED, "body": "", "html": ""}
    else:
        changes["status"] = OutgoingEmail.Status.RETRYING
    OutgoingEmail.objects.filter(pk=email_id, status=OutgoingEmail.Status.SENDING).update(**changes)
