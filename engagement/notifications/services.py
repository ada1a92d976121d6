"""Writes of in-app notifications, their emails, and how a person gets reminders and notifications by email."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from engagement.delivery.emails import emails_queue, templated_email
from engagement.delivery.links import absolute_url
from engagement.delivery.models import MailDelivery
from engagement.errors import ProgramError
from engagement.moments import moments_in_zone
from engagement.notifications.models import (
    KIND_EMAILS,
    DigestItem,
    EmailWhen,
    Notification,
    NotificationKind,
    email_when,
)
from engagement.people.models import User
from engagement.reminders.models import Reminder
from engagement.reminders.scan import next_digest_moment, next_working_moment

# A notification dated longer ago than this is history being written (the
# demo's two years of it), not news: it is not emailed.
EMAILED_WITHIN = dt.timedelta(hours=1)


def notification_send(
    *,
    users: Iterable[User | None],
    message: str,
    url: str,
    action: tuple[str, str] | None = None,
    exclude: User | None = None,
    kind: NotificationKind | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Tell each of ``users`` (once each, skipping ``exclude``, who acted) in
    the app. ``url`` is the path the message leads to, where to act on it (every
    notification leads somewhere); ``action`` (a label and
    a path) is one thing the reader may do from it at once, by a POST. A
    notification of a ``kind`` also goes by email as each reader chose for
    it (``notification_emails_send``). Returns how many were told."""
    people = {user.pk: user for user in users if user is not None and (exclude is None or user.pk != exclude.pk)}
    created_at = now or timezone.now()
    action_label, action_url = action or ("", "")
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                user_id=pk,
                message=message[:300],
                url=url,
                action_label=action_label,
                action_url=action_url,
                created_at=created_at,
            )
            for pk in sorted(people)
        ]
    )
    if kind is not None and created_at >= timezone.now() - EMAILED_WITHIN:
        for notification in notifications:
            notification.user = people[notification.user_id]
        notification_emails_send(notifications=notifications, kind=kind)
    return len(people)


def notification_emails_send(*, notifications: list[Notification], kind: NotificationKind) -> None:
    """Email ``notifications`` of ``kind`` (their ``user`` loaded) as each
    reader chose: at once, kept in the outbox (``OutgoingEmail``, sent by its
    task after the commit, retried while the mail server fails, claimed so
    that it goes once); or kept for their next weekly digest (``DigestItem``);
    or not at all. Two queries however many readers: one INSERT each."""
    at_once, digest = [], []
    for notification in notifications:
        reader = notification.user
        if not reader.is_active or not reader.email:
            continue
        when = email_when(reader.notification_emails, kind)
        if when == EmailWhen.AT_ONCE:
            at_once.append(notification_message(notification=notification, kind=kind))
        elif when == EmailWhen.DIGEST:
            digest.append(
                DigestItem(
                    notification=notification,
                    recipient=reader,
                    kind=kind,
                    due_at=next_digest_moment(notification.created_at, reader.time_zone),
                    created_at=notification.created_at,
                )
            )
    if at_once:
        emails_queue(messages=at_once)
    if digest:
        DigestItem.objects.bulk_create(digest)


def notification_message(*, notification: Notification, kind: str) -> EmailMultiAlternatives:
    """The email of one notification to its reader (``notification.user``),
    in plain text and HTML, with the absolute link to act on it, its moments
    in the reader's time zone."""
    reader = notification.user
    words = KIND_EMAILS[kind]
    home_url = absolute_url(reverse("home"))
    context = {
        "recipient": reader,
        "heading": words.heading,
        "action": words.action,
        "message": moments_in_zone(notification.message, reader.time_zone),
        "url": absolute_url(notification.url) if notification.url else home_url,
        "home_url": home_url,
        "settings_url": absolute_url(reverse("engagement:notification_settings")),
    }
    return templated_email("engagement/email/notification", context, to=reader.email, time_zone=reader.time_zone)


@transaction.atomic
def user_notification_emails_set(
    *, user: User, choices: Mapping[str, str], now: dt.datetime | None = None
) -> dict[str, EmailWhen]:
    """Choose, for each kind in ``choices``, when ``user`` also gets its
    notifications by email. What was waiting for their digest follows the
    new choice: at once, it goes in a digest of its own at the next reminder
    run, not on Monday; in Groundwork only, it is not emailed. Returns their
    choice for every kind."""
    unknown = sorted(set(choices) - set(NotificationKind.values))
    if unknown or any(value not in EmailWhen.values for value in choices.values()):
        raise ProgramError("Choose at once, in the weekly digest or in Groundwork only, for each kind.")
    saved = user.notification_emails if isinstance(user.notification_emails, dict) else {}
    user.notification_emails = {**saved, **choices}
    user.save(update_fields=["notification_emails"])
    waiting = DigestItem.objects.filter(
        recipient=user, status__in=[MailDelivery.Status.PENDING, MailDelivery.Status.RETRYING]
    )
    waiting.filter(kind__in=[kind for kind, when in choices.items() if when == EmailWhen.AT_ONCE]).update(
        due_at=now or timezone.now()
    )
    waiting.filter(kind__in=[kind for kind, when in choices.items() if when == EmailWhen.APP_ONLY]).delete()
    return notification_email_choices(user=user)


def notification_email_choices(*, user: User) -> dict[str, EmailWhen]:
    """When ``user`` gets each kind of notification by email, chosen or by default."""
    return {kind: email_when(user.notification_emails, kind) for kind in NotificationKind.values}


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
