"""A reminder is true when it is read: one that waited for working hours or
for the weekly digest is checked again when it goes out, and an in-app
notification whose words stopped being true says so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from zeal import zeal_context

from config.celery import app as celery_app
from engagement.notifications.models import Notification
from engagement.notifications.selectors import notification_unread_count
from engagement.people.models import Executive
from engagement.people.roles import Role
from engagement.reminders.models import Reminder
from engagement.reminders.scan import reminders_due, reminders_record
from engagement.reminders.sending import reminder_claim, reminder_deliver
from engagement.tasks import run_reminders
from engagement.tests.factories import ExecutiveFactory, UserFactory, contact_record
from visits.models import Engagement
from visits.tests.factories import EngagementFactory

UTC = dt.UTC
# A Friday evening in UTC: outside working hours, so reminders wait for Monday.
FRIDAY_EVENING = dt.datetime(2025, 7, 11, 19, 0, tzinfo=UTC)
SATURDAY = dt.datetime(2025, 7, 12, 11, 0, tzinfo=UTC)
MONDAY_9AM = dt.datetime(2025, 7, 14, 9, 0, tzinfo=UTC)


def executive_seen(days_before: int, *, at: dt.datetime = FRIDAY_EVENING, **kwargs: Any) -> Executive:
    """A UTC executive, in the program for years, last in touch ``days_before`` days before ``at``."""
    executive = ExecutiveFactory(joined_on=dt.date(2023, 1, 2), **kwargs)
    contact_record(executive=executive, occurred_at=at - dt.timedelta(days=days_before))
    return executive


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Iterator[Callable[[dt.datetime], dict[str, int]]]:
    """The periodic scan at a moment, its senders run at once (at that moment)."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True

    def run(moment: dt.datetime) -> dict[str, int]:
        dues = reminders_due(now=moment)
        reminders_record(dues=dues, now=moment)
        sent = 0
        for reminder in Reminder.objects.filter(status=Reminder.Status.PENDING, due_at__lte=moment):
            with zeal_context():  # each by a task of its own
                if reminder_claim(reminder_id=reminder.pk, now=moment):
                    sent += reminder_deliver(reminder_id=reminder.pk, now=moment)
        return {"sent": sent}

    try:
        yield run
    finally:
        conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.mark.django_db
def test_an_overdue_reminder_that_waited_for_monday_is_withdrawn_when_a_contact_was_logged_meanwhile(run):
    executive = executive_seen(60, user__full_name="Grace Hopper")
    run(FRIDAY_EVENING)
    waiting = Reminder.objects.get(recipient=executive.user, kind=Reminder.Kind.OVERDUE)
    assert (waiting.status, waiting.due_at) == (Reminder.Status.PENDING, MONDAY_9AM)

    contact_record(executive=executive, occurred_at=SATURDAY)  # logged for her on Saturday
    run(MONDAY_9AM)

    assert mail.outbox == []
    assert not Notification.objects.filter(user=executive.user).exists()
    waiting.refresh_from_db()
    assert waiting.status == Reminder.Status.WITHDRAWN
    assert waiting.withdrawn_reason == "A customer contact on 12 Jul 2025 started a new window."
    assert waiting.withdrawn_at == MONDAY_9AM
    assert waiting.sent_at is None


@pytest.mark.django_db
def test_a_reminder_that_still_holds_goes_out_with_its_reason_as_it_stands_when_sent(run):
    executive = executive_seen(43)  # one day past the window on Friday
    run(FRIDAY_EVENING)

    run(MONDAY_9AM)

    [message] = mail.outbox
    assert "4 days past the window" in message.body
    assert "1 day past the window" not in message.body
    reminder = Reminder.objects.get(recipient=executive.user, kind=Reminder.Kind.OVERDUE)
    assert (reminder.status, reminder.sent_at) == (Reminder.Status.SENT, MONDAY_9AM)
    assert reminder.reason == "4 days past the window (last contact 29 May 2025)."
    [notification] = Notification.objects.filter(user=executive.user)
    assert notification.message == f"Overdue: {reminder.reason}"
    assert notification.reminder == reminder


@pytest.mark.django_db
def test_a_due_soon_reminder_overtaken_by_the_window_closing_gives_way_to_the_overdue_one(run):
    executive = executive_seen(42, user__full_name="Ada Byrne")  # due soon on Friday, overdue by Monday
    run(FRIDAY_EVENING)

    run(MONDAY_9AM)

    assert [message.to for message in mail.outbox] == [[executive.user.email]]
    assert "past the window" in mail.outbox[0].body
    kinds = dict(Reminder.objects.filter(recipient=executive.user).values_list("kind", "status"))
    assert kinds == {Reminder.Kind.DUE_SOON: Reminder.Status.WITHDRAWN, Reminder.Kind.OVERDUE: Reminder.Status.SENT}
    assert Reminder.objects.get(kind=Reminder.Kind.DUE_SOON).withdrawn_reason == "Ada Byrne is overdue now."


@pytest.mark.django_db
def test_of_two_weekly_overdue_reminders_waiting_together_only_the_later_goes_out(run):
    # Overdue day 7 on Friday evening (the last of the first week); day 8 on Saturday.
    executive = executive_seen(49)
    run(FRIDAY_EVENING)
    reminders_record(dues=reminders_due(now=SATURDAY), now=SATURDAY)
    assert Reminder.objects.filter(recipient=executive.user, status=Reminder.Status.PENDING).count() == 2

    run(MONDAY_9AM)

    assert len(mail.outbox) == 1
    statuses = sorted(Reminder.objects.filter(recipient=executive.user).values_list("episode", "status"))
    assert [status for _episode, status in statuses] == [Reminder.Status.WITHDRAWN, Reminder.Status.SENT]
    assert Reminder.objects.get(status=Reminder.Status.WITHDRAWN).withdrawn_reason == (
        "A later reminder of the same replaced it."
    )


@pytest.mark.django_db
def test_the_scan_withdraws_a_waiting_reminder_that_no_longer_holds_with_why(eager_run_reminders):
    manager = executive_seen(3)
    executive = executive_seen(44, manager=manager)
    request = EngagementFactory(
        status=Engagement.Status.REQUESTED,
        status_changed_at=FRIDAY_EVENING - dt.timedelta(days=5),
        starts_at=FRIDAY_EVENING + dt.timedelta(days=20),
        executives=[executive],
    )
    eager_run_reminders(FRIDAY_EVENING)
    assert set(Reminder.objects.values_list("kind", "status")) == {
        (Reminder.Kind.OVERDUE, Reminder.Status.PENDING),
        (Reminder.Kind.REQUEST_WAITING, Reminder.Status.PENDING),
    }

    Engagement.objects.filter(pk=request.pk).update(status=Engagement.Status.APPROVED)
    summary = eager_run_reminders(SATURDAY)

    assert summary["withdrawn"] == 1
    withdrawn = Reminder.objects.get(kind=Reminder.Kind.REQUEST_WAITING)
    assert withdrawn.status == Reminder.Status.WITHDRAWN
    assert withdrawn.withdrawn_reason == ("The request no longer waits for this answer: it was answered or called off.")
    assert Reminder.objects.get(kind=Reminder.Kind.OVERDUE).status == Reminder.Status.PENDING


@pytest.fixture
def eager_run_reminders(django_capture_on_commit_callbacks: Any) -> Callable[[dt.datetime], dict[str, int]]:
    """The periodic task itself, run at a moment (``timezone.now`` set to it)."""

    def run(moment: dt.datetime) -> dict[str, int]:
        from unittest import mock

        with (
            mock.patch("django.utils.timezone.now", return_value=moment),
            django_capture_on_commit_callbacks(execute=False),
        ):
            return run_reminders()

    return run


@pytest.mark.django_db
def test_a_notification_whose_words_stopped_being_true_says_so_and_stops_asking(client, run, eager_run_reminders):
    executive = executive_seen(60, at=MONDAY_9AM, user__full_name="Grace Hopper")
    run(MONDAY_9AM)
    [notification] = Notification.objects.filter(user=executive.user)
    client.force_login(executive.user)
    assert notification_unread_count(user=executive.user) == 1

    later = MONDAY_9AM + dt.timedelta(hours=2)
    contact_record(executive=executive, occurred_at=later)
    html = client.get(reverse("engagement:notifications")).content.decode()

    assert "No longer applies" in html
    assert "A customer contact on 14 Jul 2025 started a new window." in html
    notification.refresh_from_db()
    assert notification.withdrawn_at is None  # a page read writes nothing
    eager_run_reminders(later + dt.timedelta(minutes=15))
    notification.refresh_from_db()
    assert notification.withdrawn_reason == "A customer contact on 14 Jul 2025 started a new window."
    assert notification_unread_count(user=executive.user) == 0
    assert "No longer applies" in client.get(reverse("engagement:notifications")).content.decode()


@pytest.mark.django_db
def test_a_notification_that_still_holds_stays_unread(client, run, eager_run_reminders):
    executive = executive_seen(60, at=MONDAY_9AM)
    UserFactory(roles=[Role.PROGRAM_ADMIN])
    run(MONDAY_9AM)
    client.force_login(executive.user)

    eager_run_reminders(MONDAY_9AM + dt.timedelta(hours=1))
    html = client.get(reverse("engagement:notifications")).content.decode()

    assert "No longer applies" not in html
    assert notification_unread_count(user=executive.user) == 1
