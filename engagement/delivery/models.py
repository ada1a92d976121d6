"""What waits for the mail server or the broker to answer."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class MailDelivery(models.Model):
    """An email on its way to the mail server: its state and its tries,
    claimed by one worker at a time and retried with backoff."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        RETRYING = "retrying", "Waiting to be retried"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not sent"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, help_text="Why the last try failed, in plain words.")

    class Meta:
        abstract = True


class OutgoingEmail(MailDelivery):
    """An email of the sign-in pages (a password reset link) or a
    notification its reader chose to get at once, kept until the mail server
    takes it. Its body is emptied once it is sent or given up, so that no
    working link stays in the database."""

    to = models.JSONField(default=list)
    from_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    html = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class UnsentTask(models.Model):
    """A background task the broker could not take when it was queued. The
    periodic ``send_unsent_tasks`` queues it once the broker answers again,
    then deletes it; every task is safe to run twice, should that ever happen."""

    name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True, help_text="Why the broker refused it last.")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
