"""Writes of in-app notifications, and how a person gets reminders by email."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from engagement.notifications.models import Notification
from engagement.people.models import User
from engagement.reminders.models import Reminder
from engagement.reminders.scan import next_working_moment


def notification_send(
    *,
    users: Iterable[User | None],
    message: str,
    url: str,
    action: tuple[str, str] | None = None,
    exclude: User | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Tell each of ``users`` (once each, skipping ``exclude``, who acted) in
    the app. ``url`` is the path the message leads to, where to act on it (every
    notification leads somewhere); ``action`` (a label and
    a path) is one thing the reader may do from it at once, by a POST.
    Returns how many were told."""
    recipients = {user.pk for user in users if user is not None and (exclude is None or user.pk != exclude.pk)}
    created_at = now or timezone.now()
    action_label, action_url = action or ("", "")
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=pk,
                message=message[:300],
                url=url,
                action_label=action_label,
                action_url=action_url,
                created_at=created_at,
            )
            for pk in sorted(recipients)
        ]
    )
    return len(recipients)


def notifications_withdraw_leading_to(
    *, user_ids: Iterable[int], url: str, reason: str, now: dt.datetime | None = None
) -> int:
    """Withdraw, with ``reason``, the unread notifications of ``user_ids``
    that lead to ``url``, a page that is gone (an engagement deleted): they
    stay in the list, saying why, and ask nothing more. Returns how many."""
    return Notification.objects.filter(
        user_id__in=list(user_ids), url=url, read_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=now or timezone.now(), withdrawn_reason=reason[:300])


@transaction.atomic
def user_reminder_digest_set(*, user: User, digest: bool, now: dt.datetime | None = None) -> None:
    """Choose how ``user`` gets reminders by email: one email each, or gathered
    into a weekly digest (escalations and meeting reminders still come at once).
    Turning the digest off sends what was waiting for Monday in their next
    working hours, not a week late; turning it on leaves reminders already
    on their way as they are."""
    # The reminder engine builds on this module, so it is imported here.

    user.reminder_digest = digest
    user.save(update_fields=["reminder_digest"])
    if not digest:
        Reminder.objects.filter(recipient=user, channel=Reminder.Channel.DIGEST, status=Reminder.Status.PENDING).update(
            channel=Reminder.Channel.EMAIL,
            due_at=next_working_moment(now or timezone.now(), user.time_zone),
        )


def notifications_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s notifications read: those of ``notification_ids``, or all.
    Returns how many were unread."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())
