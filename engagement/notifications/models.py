"""In-app notifications."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone

from engagement.delivery.models import MailDelivery


class NotificationKind(models.TextChoices):
    """What a notification is about, for those a person may also get by email.
    A new kind is a member here, its line in ``KIND_EMAILS``, and the
    ``kind`` passed to ``notification_send`` where it is sent."""

    NEW_REQUEST = "new_request", "A new request for your time"
    SCHEDULE_CHANGED = "schedule_changed", "A meeting scheduled or changed"
    CANCELLED = "cancelled", "A meeting called off"


class EmailWhen(models.TextChoices):
    """When a notification of a kind also reaches its reader by email."""

    AT_ONCE = "at_once", "By email at once"
    DIGEST = "digest", "In the weekly digest email"
    APP_ONLY = "app_only", "In Groundwork only"


@dataclass(frozen=True)
class KindEmail:
    """How a kind's email reads, and when it goes to someone who never chose."""

    heading: str
    action: str
    default: EmailWhen


KIND_EMAILS: dict[str, KindEmail] = {
    NotificationKind.NEW_REQUEST: KindEmail(
        heading="A new request for your time", action="Read the request and answer it", default=EmailWhen.AT_ONCE
    ),
    NotificationKind.SCHEDULE_CHANGED: KindEmail(
        heading="A meeting was scheduled or changed", action="Open the engagement", default=EmailWhen.AT_ONCE
    ),
    NotificationKind.CANCELLED: KindEmail(
        heading="A meeting was called off", action="Open the engagement", default=EmailWhen.AT_ONCE
    ),
}


def email_when(choices: dict[str, str], kind: str) -> EmailWhen:
    """When a notification of ``kind`` reaches someone by email, by their
    ``choices`` (``User.notification_emails``), else the kind's default."""
    chosen = choices.get(kind) if isinstance(choices, dict) else None
    return EmailWhen(chosen) if chosen in EmailWhen.values else KIND_EMAILS[kind].default


class Notification(models.Model):
    """An in-app message for one user: read it on the notifications page.

    ``message`` may hold moments written with ``engagement.moments.moment_text``;
    they are shown in the reader's time zone when read. A notification sent for
    a reminder keeps it in ``reminder``: when what it says no longer holds (a
    contact was logged since), it is withdrawn, and shown as such.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    message = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True, help_text="Where the message leads, a path in Groundwork.")
    # One thing the reader may do at once, from the notification itself (a POST
    # to ``action_url``), such as "I was not there".
    action_label = models.CharField(max_length=40, blank=True)
    action_url = models.CharField(max_length=300, blank=True)
    reminder = models.ForeignKey(
        "Reminder", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.message

    @property
    def is_unread(self) -> bool:
        """Waiting for its reader: not read, and not withdrawn (which asks nothing of them)."""
        return self.read_at is None and not self.withdrawn_reason


class DigestItem(MailDelivery):
    """A notification waiting for its reader's weekly digest email, by their
    choice for its kind. The digest claims it with one conditional UPDATE
    (``claimed_at`` tells whose claim it is), so that however often the
    digest's task runs, it is in exactly one digest email."""

    notification = models.OneToOneField(Notification, on_delete=models.CASCADE, related_name="digest_item")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_items")
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    due_at = models.DateTimeField(help_text="Its reader's next digest: Monday morning in their time zone.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "due_at"]), models.Index(fields=["recipient", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient}"
