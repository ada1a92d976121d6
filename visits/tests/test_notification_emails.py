"""A new request, a schedule change and a cancellation reach people by email
as each chose for that kind; every other step stays in the app."""

from __future__ import annotations

import pytest
from django.core import mail

from engagement.notifications.models import DigestItem, NotificationKind
from engagement.tests.factories import ExecutiveFactory, UserFactory
from visits.services import engagement_approve, engagement_cancel, engagement_reschedule
from visits.tests.test_lifecycle import in_days, plan, request_for, scheduled

SITE = "https://groundwork.example"


@pytest.mark.django_db
def test_a_new_request_emails_the_executive_at_once_and_approving_it_emails_nobody(
    account, executive, account_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        engagement = request_for(account, executive, account_manager)
    with django_capture_on_commit_callbacks(execute=True):
        engagement_approve(engagement=engagement, by=executive.user)

    [message] = mail.outbox
    assert message.to == [executive.user.email]
    assert message.subject.startswith("[Groundwork] Sam Rivera asks for your time with Northwind Traders")
    assert f"Read the request and answer it: {SITE}/engagements/{engagement.pk}/" in message.body


@pytest.mark.django_db
def test_a_reschedule_and_a_cancellation_go_to_each_attendee_as_they_chose(
    account, executive, account_manager, django_capture_on_commit_callbacks
):
    engagement = scheduled(account, executive, account_manager)
    weekly = ExecutiveFactory(user=UserFactory(notification_emails={NotificationKind.SCHEDULE_CHANGED: "digest"}))
    quiet = ExecutiveFactory(user=UserFactory(notification_emails={NotificationKind.CANCELLED: "app_only"}))

    with django_capture_on_commit_callbacks(execute=True):
        engagement_reschedule(
            engagement=engagement,
            by=account_manager,
            plan=plan(starts_at=in_days(12), ends_at=in_days(12.1), executives=(weekly, quiet)),
            reason="Their COO moved the board meeting",
        )

    assert sorted(message.to[0] for message in mail.outbox) == sorted([executive.user.email, quiet.user.email])
    assert all(message.subject.startswith("[Groundwork] Changed:") for message in mail.outbox)
    assert list(DigestItem.objects.values_list("recipient", "kind")) == [
        (weekly.user.pk, NotificationKind.SCHEDULE_CHANGED)
    ]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        engagement_cancel(engagement=engagement, by=account_manager, reason="The customer reorganised")

    # The account manager who called it off is not told; the one who chose the app only is not emailed.
    assert sorted(message.to[0] for message in mail.outbox) == sorted([executive.user.email, weekly.user.email])
    assert all(message.subject.startswith("[Groundwork] Cancelled:") for message in mail.outbox)
