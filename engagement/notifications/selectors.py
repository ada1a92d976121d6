"""Reads of in-app notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from engagement.notifications.models import Notification
from engagement.people.models import User


def notification_list(*, user: User) -> QuerySet[Notification]:
    """``user``'s notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notification_unread_count(*, user: User) -> int:
    """How many of ``user``'s notifications are unread (a withdrawn one asks
    nothing of them): one COUNT query."""
    return Notification.objects.filter(user=user, read_at__isnull=True, withdrawn_at__isnull=True).count()
