"""In-app notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


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
