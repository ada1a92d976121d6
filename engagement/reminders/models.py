"""The reminder log: each reminder to each person, recorded once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Reminder(models.Model):
    """One reminder to one person about one thing: the record that makes it go
    out at most once.

    ``episode`` names what it is about and which occurrence: for an
    executive's contact, the day their episode began (their last contact, or
    joining the program) and, for the weekly overdue repeats, which week. The
    unique constraint on (recipient, kind, episode) is the guard against
    sending twice; rows are recorded ``pending`` before anything is sent.
    """

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "Window closes soon"
        OVERDUE = "overdue", "Overdue"
        ESCALATION = "escalation", "Escalation"
        UPCOMING = "upcoming", "Engagement within 24 hours"
        REQUEST_WAITING = "request_waiting", "Request waiting for an answer"
        DEBRIEF_DUE = "debrief_due", "Debrief not written"
        ACTION_OVERDUE = "action_overdue", "Action overdue"
        SESSION_DUE = "session_due", "Mentoring session due"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Delivered"
        FAILED = "failed", "Failed"
        # No longer true when its time came (a contact logged since, a request
        # answered): not sent, and ``withdrawn_reason`` says why.
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email and in the app"
        DIGEST = "digest", "Weekly digest and in the app"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    episode = models.CharField(max_length=100)
    executive = models.ForeignKey(
        "Executive", null=True, blank=True, on_delete=models.CASCADE, related_name="reminders_about",
        help_text="The executive whose contact it is about, if any.",
    )  # fmt: skip
    reason = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True, help_text="Where the reminder leads, a path in Groundwork.")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField(help_text="Not before: the recipient's next working hours.")
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "episode"], name="reminder_once_per_episode")
        ]
        indexes = [models.Index(fields=["status", "due_at"]), models.Index(fields=["kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}"
