"""The reminder engine: who is reminded of what and when, once each, whatever
the clock, the crashes and the mail server do."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import threading
import zoneinfo
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from zeal import zeal_context, zeal_ignore

from config.celery import app as celery_app
from engagement.cadence.rule import ContactState
from engagement.cadence.selectors import executive_contact_statuses
from engagement.notifications.models import Notification
from engagement.people.models import Executive, User
from engagement.people.roles import Role
from engagement.reminders.models import Reminder
from engagement.reminders.scan import reminders_due, reminders_record
from engagement.reminders.sending import reminder_claim, reminder_deliver, reminder_resend, reminders_ready
from engagement.tasks import run_reminders, send_reminder
from engagement.tests.factories import ExecutiveFactory, UserFactory, contact_record, overdue_reminder_sent
from visits.models import Engagement
from visits.tests.factories import EngagementFactory

SITE = "https://groundwork.example"
UTC = dt.UTC
AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
# Day 0 of the edge tests, a Monday in the southern winter and the northern
# summer: no clock change anywhere here for the next three months.
DAY0 = dt.date(2025, 6, 2)
# Noon UTC on day 43, a Tuesday: what ``run_reminders(as_of=...)`` takes as now.
NOW = dt.datetime(2025, 7, 15, 12, tzinfo=UTC)
# A sender started by a scan as of that day checks its reminder as of it too.
AS_OF = NOW.date().isoformat()
FAILING_BACKEND = "engagement.tests.test_reminders.FailingBackend"
LOCMEM_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CONTACT_KINDS = {Reminder.Kind.DUE_SOON, Reminder.Kind.OVERDUE, Reminder.Kind.ESCALATION}


class FailingBackend(BaseEmailBackend):
    """A mail server that hangs up on every message."""

    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def noon(day: int) -> dt.datetime:
    """Noon UTC on day ``day`` after DAY0."""
    return dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(12), tzinfo=UTC)


def executive_seen(at: dt.datetime, **kwargs: Any) -> Executive:
    """An executive in the program for years whose last customer contact was at ``at``."""
    kwargs.setdefault("joined_on", dt.date(2023, 1, 2))
    executive = ExecutiveFactory(**kwargs)
    contact_record(executive=executive, occurred_at=at)
    return executive


def executive_in(time_zone: str, at: dt.datetime, **kwargs: Any) -> Executive:
    return executive_seen(at, user=UserFactory(time_zone=time_zone, roles=[Role.EXECUTIVE]), **kwargs)


def found(executive: Executive, now: dt.datetime) -> set[tuple[str, int]]:
    """(kind, recipient id) of every reminder a scan at ``now`` finds about ``executive``."""
    return {(due.kind, due.recipient_id) for due in reminders_due(now=now) if due.executive_id == executive.pk}


def scan(now: dt.datetime) -> None:
    reminders_record(dues=reminders_due(now=now), now=now)


def recorded(kind: str, recipient: User) -> Reminder:
    """The one reminder of ``kind`` to ``recipient`` (a test's own read, not
    the code under test: outside the N+1 check)."""
    with zeal_ignore():
        return Reminder.objects.get(kind=kind, recipient=recipient)


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Tasks run at once, where they are queued. The Celery app read its
    settings when it was made, so its own configuration is changed (and put
    back)."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.fixture
def run(eager_tasks: None, django_capture_on_commit_callbacks: Any) -> Callable[[dt.datetime], None]:
    """Run the periodic task as of a day (at noon UTC), the sends it queues after
    its commit included."""

    def run(moment: dt.datetime = NOW) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            run_reminders(as_of=moment.date().isoformat())

    return run


# --- The edges, for an executive in UTC last seen on day 0 ---------------------------


@pytest.mark.django_db
def test_due_soon_starts_on_day_35_not_day_34():
    executive = executive_seen(noon(0))

    assert found(executive, noon(34)) == set()
    assert found(executive, noon(35)) == {(Reminder.Kind.DUE_SOON, executive.user_id)}


@pytest.mark.django_db
def test_overdue_starts_on_day_43_not_day_42():
    executive = executive_seen(noon(0))

    assert found(executive, noon(42)) == {(Reminder.Kind.DUE_SOON, executive.user_id)}
    assert found(executive, noon(43)) == {(Reminder.Kind.OVERDUE, executive.user_id)}


def warned(executive: Executive, day: int | dt.datetime) -> Reminder:
    """Send ``executive`` their overdue reminder at noon on ``day`` (or at a
    moment), as a scan and its sender would."""
    at = noon(day) if isinstance(day, int) else day
    scan(at)
    with zeal_ignore():
        reminder = Reminder.objects.filter(kind=Reminder.Kind.OVERDUE, recipient=executive.user).latest("created_at")
    assert reminder_claim(reminder_id=reminder.pk, now=at)
    assert reminder_deliver(reminder_id=reminder.pk, now=at)
    reminder.refresh_from_db()
    return reminder


@pytest.mark.django_db
def test_escalation_on_day_57_goes_to_the_executives_manager():
    manager = executive_seen(noon(50))
    executive = executive_seen(noon(0), manager=manager)
    UserFactory(roles=[Role.PROGRAM_ADMIN])
    warned(executive, 43)

    assert found(executive, noon(56)) == {(Reminder.Kind.OVERDUE, executive.user_id)}
    assert found(executive, noon(57)) == {
        (Reminder.Kind.OVERDUE, executive.user_id),
        (Reminder.Kind.ESCALATION, manager.user_id),
    }


@pytest.mark.django_db
def test_nobody_is_escalated_whose_own_overdue_reminder_never_went_out():
    manager = executive_seen(noon(50))
    executive = executive_seen(noon(0), manager=manager)
    scan(noon(43))  # recorded, but never sent (the mail server was down for good)

    assert found(executive, noon(57)) == {(Reminder.Kind.OVERDUE, executive.user_id)}
    assert found(executive, noon(90)) == {(Reminder.Kind.OVERDUE, executive.user_id)}


@pytest.mark.django_db
def test_the_escalation_waits_the_escalation_delay_after_the_executives_own_reminder_went_out():
    manager = executive_seen(noon(50))
    # Reminded late, on day 50 (the engine was not running before).
    executive = executive_seen(noon(0), manager=manager)
    warned(executive, 50)

    assert (Reminder.Kind.ESCALATION, manager.user_id) not in found(executive, noon(57))
    assert (Reminder.Kind.ESCALATION, manager.user_id) not in found(executive, noon(63))
    assert (Reminder.Kind.ESCALATION, manager.user_id) in found(executive, noon(64))


@pytest.mark.django_db
def test_an_overdue_reminder_of_an_earlier_episode_does_not_count_as_a_warning():
    manager = executive_seen(noon(50))
    executive = executive_seen(noon(-60), manager=manager)
    warned(executive, -10)  # overdue in the episode before the contact of day 0
    contact_record(executive=executive, occurred_at=noon(0))

    assert (Reminder.Kind.ESCALATION, manager.user_id) not in found(executive, noon(57))


@pytest.mark.django_db
def test_escalation_without_a_manager_goes_to_every_active_program_admin():
    executive = executive_seen(noon(0))
    admins = [UserFactory(roles=[Role.PROGRAM_ADMIN]) for _ in range(2)]
    UserFactory(roles=[Role.PROGRAM_ADMIN], is_active=False)
    warned(executive, 43)

    escalations = {recipient for kind, recipient in found(executive, noon(57)) if kind == Reminder.Kind.ESCALATION}

    assert escalations == {admin.pk for admin in admins}


@pytest.mark.django_db
def test_escalation_goes_to_the_program_admins_when_the_manager_has_left_the_program():
    manager = executive_seen(noon(50), active=False)
    executive = executive_seen(noon(0), manager=manager)
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    warned(executive, 43)

    assert (Reminder.Kind.ESCALATION, admin.pk) in found(executive, noon(57))
    assert (Reminder.Kind.ESCALATION, manager.user_id) not in found(executive, noon(57))


@pytest.mark.django_db
def test_escalation_goes_to_the_program_admins_when_the_managers_login_is_deactivated():
    manager = executive_seen(noon(50), user=UserFactory(is_active=False, roles=[Role.EXECUTIVE]))
    executive = executive_seen(noon(0), manager=manager)
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    warned(executive, 43)

    escalations = {recipient for kind, recipient in found(executive, noon(57)) if kind == Reminder.Kind.ESCALATION}

    assert escalations == {admin.pk}


@pytest.mark.django_db
def test_overdue_reminder_is_recorded_once_then_again_a_week_later():
    executive = executive_seen(noon(0))
    rows_after_each_day = []

    for day in range(43, 51):
        scan(noon(day))
        rows_after_each_day.append(Reminder.objects.filter(executive=executive, kind=Reminder.Kind.OVERDUE).count())

    assert rows_after_each_day == [1, 1, 1, 1, 1, 1, 1, 2]
    assert Reminder.objects.filter(executive=executive).values("episode").distinct().count() == 2


@pytest.mark.django_db
def test_an_executive_never_contacted_counts_from_joining_the_program():
    executive = ExecutiveFactory(joined_on=DAY0)

    assert found(executive, noon(34)) == set()
    [due] = reminders_due(now=noon(35))
    assert (due.kind, due.recipient_id) == (Reminder.Kind.DUE_SOON, executive.user_id)
    assert due.episode == f"executive:{executive.pk}:{DAY0.isoformat()}"
    assert "no contact since joining 2 Jun 2025" in due.reason
    assert found(executive, noon(43)) == {(Reminder.Kind.OVERDUE, executive.user_id)}


@pytest.mark.django_db
def test_an_inactive_executive_gets_no_reminder_and_causes_no_escalation():
    UserFactory(roles=[Role.PROGRAM_ADMIN])
    gone = executive_seen(noon(0), active=False)
    deactivated = executive_seen(noon(0), user=UserFactory(is_active=False, roles=[Role.EXECUTIVE]))

    assert reminders_due(now=noon(60)) == []
    assert found(gone, noon(60)) == found(deactivated, noon(60)) == set()


# --- Time zones around midnight ----------------------------------------------------


@pytest.mark.django_db
def test_an_executive_in_auckland_is_due_soon_when_their_own_day_35_begins():
    kiwi = executive_in("Pacific/Auckland", dt.datetime(2025, 6, 2, 10, tzinfo=AUCKLAND))
    londoner = executive_seen(noon(0))
    # 23:00 and 01:00 in Auckland, both on 6 July (day 34) in UTC.
    before_midnight = dt.datetime(2025, 7, 6, 11, tzinfo=UTC)
    after_midnight = dt.datetime(2025, 7, 6, 13, tzinfo=UTC)

    assert found(kiwi, before_midnight) == set()
    assert found(kiwi, after_midnight) == {(Reminder.Kind.DUE_SOON, kiwi.user_id)}
    assert found(londoner, after_midnight) == set()


@pytest.mark.django_db
def test_an_executive_in_los_angeles_is_overdue_only_when_their_own_day_43_begins():
    angeleno = executive_in("America/Los_Angeles", dt.datetime(2025, 6, 2, 10, tzinfo=LOS_ANGELES))
    # 20:00 on 14 July (day 42) and 01:00 on 15 July (day 43) in Los Angeles,
    # both on 15 July in UTC.
    evening = dt.datetime(2025, 7, 15, 3, tzinfo=UTC)
    night = dt.datetime(2025, 7, 15, 8, tzinfo=UTC)

    assert found(angeleno, evening) == {(Reminder.Kind.DUE_SOON, angeleno.user_id)}
    assert found(angeleno, night) == {(Reminder.Kind.OVERDUE, angeleno.user_id)}


# --- Working hours -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reminder_found_on_a_saturday_waits_for_monday_9am():
    saturday = dt.datetime(2025, 6, 7, 10, tzinfo=UTC)
    monday_9am = dt.datetime(2025, 6, 9, 9, tzinfo=UTC)
    executive = executive_seen(saturday - dt.timedelta(days=38))
    scan(saturday)

    reminder = recorded(Reminder.Kind.DUE_SOON, executive.user)

    assert reminder.due_at == monday_9am
    assert reminder.pk not in reminders_ready(now=saturday)
    assert reminder.pk not in reminders_ready(now=monday_9am - dt.timedelta(minutes=1))
    assert reminders_ready(now=monday_9am) == [reminder.pk]


@pytest.mark.django_db
def test_a_reminder_found_at_8pm_in_los_angeles_waits_for_9am_there_the_next_day():
    wednesday_8pm = dt.datetime(2025, 6, 11, 20, tzinfo=LOS_ANGELES)
    thursday_9am = dt.datetime(2025, 6, 12, 9, tzinfo=LOS_ANGELES)
    executive = executive_in("America/Los_Angeles", wednesday_8pm - dt.timedelta(days=38))
    scan(wednesday_8pm)

    reminder = recorded(Reminder.Kind.DUE_SOON, executive.user)

    assert reminder.due_at == thursday_9am
    assert reminders_ready(now=thursday_9am - dt.timedelta(minutes=1)) == []
    assert reminders_ready(now=thursday_9am) == [reminder.pk]


@pytest.mark.django_db
def test_a_reminder_found_after_midnight_in_auckland_waits_for_9am_there():
    monday_1am = dt.datetime(2025, 7, 7, 1, tzinfo=AUCKLAND)
    executive = executive_in("Pacific/Auckland", dt.datetime(2025, 6, 2, 10, tzinfo=AUCKLAND))
    scan(monday_1am)

    reminder = recorded(Reminder.Kind.DUE_SOON, executive.user)

    assert reminder.due_at == dt.datetime(2025, 7, 7, 9, tzinfo=AUCKLAND)


@pytest.mark.django_db
def test_a_reminder_found_at_10am_on_a_weekday_is_ready_at_once():
    tuesday_10am = dt.datetime(2025, 6, 10, 10, tzinfo=UTC)
    executive = executive_seen(tuesday_10am - dt.timedelta(days=38))
    scan(tuesday_10am)

    reminder = recorded(Reminder.Kind.DUE_SOON, executive.user)

    assert reminder.due_at == tuesday_10am
    assert reminders_ready(now=tuesday_10am) == [reminder.pk]


@pytest.mark.django_db
def test_a_meeting_reminder_goes_at_once_when_the_next_working_hours_come_after_the_meeting():
    executive = executive_in("America/Los_Angeles", dt.datetime(2025, 6, 2, 10, tzinfo=LOS_ANGELES))
    friday_8pm = dt.datetime(2025, 6, 13, 20, tzinfo=LOS_ANGELES)
    EngagementFactory(
        executives=[executive],
        status=Engagement.Status.SCHEDULED,
        starts_at=dt.datetime(2025, 6, 14, 8, tzinfo=LOS_ANGELES),  # Saturday breakfast
    )
    scan(friday_8pm)

    reminder = recorded(Reminder.Kind.UPCOMING, executive.user)

    assert reminder.due_at == friday_8pm
    assert reminder.pk in reminders_ready(now=friday_8pm)


@pytest.mark.django_db
def test_a_meeting_reminder_waits_for_working_hours_that_come_before_the_meeting():
    executive = executive_in("America/Los_Angeles", dt.datetime(2025, 6, 2, 10, tzinfo=LOS_ANGELES))
    sunday_2pm = dt.datetime(2025, 6, 15, 14, tzinfo=LOS_ANGELES)
    EngagementFactory(
        executives=[executive],
        status=Engagement.Status.SCHEDULED,
        starts_at=dt.datetime(2025, 6, 16, 11, tzinfo=LOS_ANGELES),
    )
    scan(sunday_2pm)

    reminder = recorded(Reminder.Kind.UPCOMING, executive.user)

    assert reminder.due_at == dt.datetime(2025, 6, 16, 9, tzinfo=LOS_ANGELES)
    assert reminder.pk not in reminders_ready(now=sunday_2pm)


# --- A new contact ends the episode ------------------------------------------------


@pytest.mark.django_db
def test_a_new_contact_starts_a_new_episode_reminded_again_when_it_drifts():
    executive = executive_seen(noon(0))
    scan(noon(43))
    [first] = Reminder.objects.filter(executive=executive, kind=Reminder.Kind.OVERDUE)

    contact_record(executive=executive, occurred_at=noon(44))
    scan(noon(44))
    assert Reminder.objects.filter(executive=executive).count() == 1

    scan(noon(44 + 35))
    scan(noon(44 + 43))

    first_then_second = Reminder.objects.filter(executive=executive, kind=Reminder.Kind.OVERDUE).order_by("created_at")
    assert first_then_second.count() == 2
    assert first_then_second.first() == first
    second = first_then_second.last()
    assert second.episode != first.episode
    assert second.episode.startswith(f"executive:{executive.pk}:{(DAY0 + dt.timedelta(days=44)).isoformat()}")
    assert recorded(Reminder.Kind.DUE_SOON, executive.user).episode == (
        f"executive:{executive.pk}:{(DAY0 + dt.timedelta(days=44)).isoformat()}"
    )


# --- Once each: scans and senders, in a row and at once ----------------------------


@pytest.mark.django_db
def test_two_scans_in_a_row_record_and_send_each_reminder_once(run):
    due_soon = executive_seen(NOW - dt.timedelta(days=38))
    overdue = executive_seen(NOW - dt.timedelta(days=45))

    run(NOW)
    rows = Reminder.objects.count()
    sent = sorted(message.to[0] for message in mail.outbox)
    run(NOW)

    assert rows == 2
    assert sent == sorted([due_soon.user.email, overdue.user.email])
    assert Reminder.objects.count() == rows
    assert len(mail.outbox) == 2
    assert set(Reminder.objects.values_list("status", flat=True)) == {Reminder.Status.SENT}


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_record_each_reminder_once():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database is one connection: the race runs on PostgreSQL in CI")
    seen = [executive_seen(NOW - dt.timedelta(days=days_ago)) for days_ago in (38, 45, 60)]
    warning = overdue_reminder_sent(executive=seen[-1], at=NOW - dt.timedelta(days=16))
    UserFactory(roles=[Role.PROGRAM_ADMIN])
    dues = reminders_due(now=NOW)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def record() -> None:
        try:
            start.wait()
            reminders_record(dues=dues, now=NOW)
        except BaseException as error:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(dues) == 4  # due soon, overdue, overdue, escalation
    assert sorted(Reminder.objects.exclude(pk=warning.pk).values_list("recipient_id", "kind", "episode")) == sorted(
        (due.recipient_id, due.kind, due.episode) for due in dues
    )


@pytest.mark.django_db
def test_of_two_claims_of_one_reminder_only_the_first_wins():
    executive = executive_seen(NOW - dt.timedelta(days=38))
    scan(NOW)
    reminder = recorded(Reminder.Kind.DUE_SOON, executive.user)

    assert reminder_claim(reminder_id=reminder.pk, now=NOW) is True
    assert reminder_claim(reminder_id=reminder.pk, now=NOW) is False
    reminder.refresh_from_db()
    assert (reminder.status, reminder.claimed_at, reminder.attempts) == (Reminder.Status.SENDING, NOW, 1)


@pytest.mark.django_db(transaction=True)
def test_two_senders_claiming_one_reminder_at_once_exactly_one_wins():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database is one connection: the race runs on PostgreSQL in CI")
    executive = executive_seen(NOW - dt.timedelta(days=38))
    scan(NOW)
    reminder = recorded(Reminder.Kind.DUE_SOON, executive.user)
    start = threading.Barrier(2)
    outcomes: list[bool | BaseException] = []

    def claim() -> None:
        try:
            start.wait()
            outcomes.append(reminder_claim(reminder_id=reminder.pk, now=NOW))
        except BaseException as error:  # noqa: BLE001 - reported below, in the test's thread
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [False, True]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.SENDING, 1)


# --- Crashes ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reminder_recorded_but_never_sent_goes_out_at_the_next_run_exactly_once(run):
    executive = executive_seen(NOW - dt.timedelta(days=38))
    # The worker dies after the scan committed: the sends it queued never run.
    with mock.patch.object(send_reminder._get_current_object(), "apply_async"):
        run(NOW)
    reminder = recorded(Reminder.Kind.DUE_SOON, executive.user)
    assert (reminder.status, mail.outbox) == (Reminder.Status.PENDING, [])

    run(NOW + dt.timedelta(minutes=15))
    run(NOW + dt.timedelta(minutes=30))

    assert [message.to for message in mail.outbox] == [[executive.user.email]]
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SENT


@pytest.mark.django_db
def test_a_stale_claim_is_taken_back_and_sent_once(run):
    executive = executive_seen(NOW - dt.timedelta(days=38))
    scan(NOW)
    reminder = recorded(Reminder.Kind.DUE_SOON, executive.user)
    # A sender claimed it twenty minutes ago, and died.
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Reminder.Status.SENDING, claimed_at=NOW - dt.timedelta(minutes=20), attempts=1
    )

    assert reminders_ready(now=NOW) == [reminder.pk]
    run(NOW)
    run(NOW)

    assert [message.to for message in mail.outbox] == [[executive.user.email]]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.SENT, 2)


@pytest.mark.django_db
def test_a_fresh_claim_is_left_to_its_sender(run):
    executive = executive_seen(NOW - dt.timedelta(days=38))
    scan(NOW)
    reminder = recorded(Reminder.Kind.DUE_SOON, executive.user)
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Reminder.Status.SENDING, claimed_at=NOW - dt.timedelta(minutes=5), attempts=1
    )

    assert reminders_ready(now=NOW) == []
    assert reminder_claim(reminder_id=reminder.pk, now=NOW) is False
    run(NOW)

    assert mail.outbox == []
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.SENDING, 1)


# --- The mail server fails --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("retries", "countdown"), [(0, 60), (1, 120), (2, 240), (3, 480), (4, 960)])
def test_a_failed_send_goes_back_to_pending_and_is_retried_later_each_time_twice_as_late(settings, retries, countdown):
    executive = executive_seen(NOW - dt.timedelta(days=38))
    scan(NOW)
    reminder = recorded(Reminder.Kind.DUE_SOON, executive.user)
    settings.EMAIL_BACKEND = FAILING_BACKEND
    task = send_reminder._get_current_object()

    with mock.patch.object(task, "retry", return_value=Retry("retry", when=countdown)) as retry:
        result = send_reminder.apply(args=[reminder.pk, AS_OF], retries=retries)

    assert result.state == "RETRY"
    assert retry.call_args.kwargs["countdown"] == countdown
    assert isinstance(retry.call_args.kwargs["exc"], smtplib.SMTPServerDisconnected)
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.PENDING
    assert reminder.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert mail.outbox == []
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_after_the_last_retry_the_reminder_is_failed_until_resent_then_sent_once(settings, monkeypatch, request):
    executive = executive_seen(NOW - dt.timedelta(days=38))
    scan(NOW)
    reminder = recorded(Reminder.Kind.DUE_SOON, executive.user)
    settings.EMAIL_BACKEND = FAILING_BACKEND
    task = send_reminder._get_current_object()

    # Applied at once, each retry runs at once too: the first try and five more
    # (before tasks run eagerly with errors raised, which would stop at the first).
    with mock.patch.object(task, "retry", wraps=task.retry) as retry:
        send_reminder.apply(args=[reminder.pk, AS_OF], throw=False)

    assert [call.kwargs["countdown"] for call in retry.call_args_list] == [60, 120, 240, 480, 960]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.FAILED, 6)
    assert reminder.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert reminder.pk not in reminders_ready(now=NOW + dt.timedelta(days=1))
    assert mail.outbox == []

    # A program admin sends it again the next morning, once the mail server is back.
    settings.EMAIL_BACKEND = LOCMEM_BACKEND
    next_morning = NOW + dt.timedelta(hours=21)
    monkeypatch.setattr(timezone, "now", lambda: next_morning)
    assert reminder_resend(reminder_id=reminder.pk) is True
    assert reminder_resend(reminder_id=reminder.pk) is False
    run = request.getfixturevalue("run")
    run(NOW + dt.timedelta(days=1))
    run(NOW + dt.timedelta(days=1))

    assert [message.to for message in mail.outbox] == [[executive.user.email]]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.last_error) == (Reminder.Status.SENT, "")


# --- Delivery ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_reminder_is_one_email_in_text_and_html_with_absolute_links_and_one_notification(run):
    manager = executive_seen(NOW - dt.timedelta(days=3))
    executive = executive_seen(NOW - dt.timedelta(days=60), manager=manager)
    first = warned(executive, NOW - dt.timedelta(days=14))
    mail.outbox.clear()

    run(NOW)

    overdue = Reminder.objects.exclude(pk=first.pk).get(kind=Reminder.Kind.OVERDUE, recipient=executive.user)
    escalation = recorded(Reminder.Kind.ESCALATION, manager.user)
    assert sorted(message.to[0] for message in mail.outbox) == sorted([executive.user.email, manager.user.email])
    for message in mail.outbox:
        [(html, mimetype)] = message.alternatives
        assert mimetype == "text/html"
        links = re.findall(r'href="([^"]+)"', html)
        assert links
        assert all(link.startswith((f"{SITE}/", "mailto:")) for link in links), links
        text_links = re.findall(r"\w+://\S+", message.body)
        assert text_links
        assert all(link.startswith(f"{SITE}/") for link in text_links), text_links
    for reminder in (overdue, escalation):
        reminder.refresh_from_db()
        [notification] = Notification.objects.filter(reminder=reminder)
        assert notification.user_id == reminder.recipient_id
        assert reminder.reason in notification.message
        assert notification.url == reminder.url


@pytest.mark.django_db
def test_a_reminder_already_sent_is_not_sent_again():
    executive = executive_seen(NOW - dt.timedelta(days=38))
    scan(NOW)
    reminder = recorded(Reminder.Kind.DUE_SOON, executive.user)
    assert send_reminder.apply(args=[reminder.pk, AS_OF]).get() is True

    assert send_reminder.apply(args=[reminder.pk, AS_OF]).get() is False
    with zeal_context():
        assert reminder_deliver(reminder_id=reminder.pk, now=NOW) is False

    assert len(mail.outbox) == 1
    assert Notification.objects.filter(user=executive.user).count() == 1


# --- The command -------------------------------------------------------------------------


def send_reminders(*args: str) -> list[list[str]]:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return [line.split("\t") for line in out.getvalue().splitlines()]


@pytest.mark.django_db
def test_dry_run_prints_a_line_per_reminder_and_changes_nothing():
    manager = executive_seen(NOW - dt.timedelta(days=3))
    due_soon = executive_seen(NOW - dt.timedelta(days=38))
    escalated = executive_seen(NOW - dt.timedelta(days=60), manager=manager)
    warned(escalated, NOW - dt.timedelta(days=14))
    before = list(Reminder.objects.values_list("pk", "status"))
    mail.outbox.clear()
    Notification.objects.all().delete()

    lines = send_reminders("--dry-run", "--as-of", "2025-07-15")

    assert all(len(line) == 4 and line[3] for line in lines), lines
    assert sorted(line[:3] for line in lines) == sorted(
        [
            ["due_soon", due_soon.user.email, due_soon.user.email],
            ["escalation", manager.user.email, escalated.user.email],
            ["overdue", escalated.user.email, escalated.user.email],
        ]
    )
    assert list(Reminder.objects.values_list("pk", "status")) == before
    assert mail.outbox == []
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_dry_run_says_so_when_nothing_is_due():
    executive_seen(NOW - dt.timedelta(days=3))

    assert send_reminders("--dry-run", "--as-of", "2025-07-15") == [
        ["Nothing to send: no reminder is due that was not recorded already."]
    ]


@pytest.mark.django_db
def test_a_second_run_says_it_recorded_nothing_new(eager_tasks, django_capture_on_commit_callbacks):
    executive_seen(NOW - dt.timedelta(days=38))
    executive_seen(NOW - dt.timedelta(days=45))

    with django_capture_on_commit_callbacks(execute=True):
        first = send_reminders("--as-of", "2025-07-15")
    with django_capture_on_commit_callbacks(execute=True):
        second = send_reminders("--as-of", "2025-07-15")

    assert first == [["2 new reminders recorded: 2 sent now."]]
    assert second == [["No new reminder is due: every one due was recorded already."]]
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_send_reminders_refuses_a_date_it_cannot_read():
    with pytest.raises(CommandError, match=r"--as-of wants a date as YYYY-MM-DD, not '15/07/2025'"):
        send_reminders("--dry-run", "--as-of", "15/07/2025")


@pytest.mark.django_db
def test_dry_run_after_a_real_run_prints_nothing_new(eager_tasks, django_capture_on_commit_callbacks):
    executive_seen(NOW - dt.timedelta(days=38))
    executive_seen(NOW - dt.timedelta(days=60), manager=executive_seen(NOW - dt.timedelta(days=3)))

    with django_capture_on_commit_callbacks(execute=True):
        send_reminders("--as-of", "2025-07-15")

    # Due soon, and overdue; the escalation waits until the overdue reminder has been out a fortnight.
    assert len(mail.outbox) == 2
    assert send_reminders("--dry-run", "--as-of", "2025-07-15") == [
        ["Nothing to send: no reminder is due that was not recorded already."]
    ]


@pytest.mark.django_db
def test_on_the_demo_data_the_dry_run_reminds_exactly_the_drifting_executives_once(
    eager_tasks, django_capture_on_commit_callbacks
):
    call_command("seed_demo", "--today", "2026-03-02", stdout=StringIO())
    statuses = executive_contact_statuses(executives=Executive.objects.filter(active=True), as_of=dt.date(2026, 3, 2))
    drifting = {ContactState.DUE_SOON, ContactState.OVERDUE, ContactState.ESCALATED}
    expected = set(
        Executive.objects.filter(
            pk__in=[pk for pk, status in statuses.items() if status.state in drifting]
        ).values_list("user__email", flat=True)
    )

    lines = send_reminders("--dry-run", "--as-of", "2026-03-02")

    assert expected
    assert {line[2] for line in lines if line[0] in CONTACT_KINDS} == expected
    with django_capture_on_commit_callbacks(execute=True):
        send_reminders("--as-of", "2026-03-02")
    assert mail.outbox
    assert [line for line in send_reminders("--dry-run", "--as-of", "2026-03-02") if line[0] in CONTACT_KINDS] == []


# --- Scale ---------------------------------------------------------------------------------


def executives_in_every_state(count: int, *, manager: Executive) -> None:
    """``count`` executives, cycling through on track, due soon, overdue,
    escalated with a manager, and never contacted (escalated, no manager);
    the escalated ones were warned three weeks ago."""
    for index in range(count):
        match index % 5:
            case 0:
                executive_seen(NOW - dt.timedelta(days=10))
            case 1:
                executive_seen(NOW - dt.timedelta(days=38))
            case 2:
                executive_seen(NOW - dt.timedelta(days=45))
            case 3:
                executive = executive_seen(NOW - dt.timedelta(days=60), manager=manager)
                overdue_reminder_sent(executive=executive, at=NOW - dt.timedelta(days=21))
            case _:
                executive = ExecutiveFactory(joined_on=dt.date(2024, 1, 8))
                overdue_reminder_sent(executive=executive, at=NOW - dt.timedelta(days=21))


@pytest.mark.django_db
def test_the_scan_takes_as_many_queries_for_50_executives_as_for_5():
    UserFactory(roles=[Role.PROGRAM_ADMIN])
    manager = executive_seen(NOW - dt.timedelta(days=3))
    executives_in_every_state(5, manager=manager)
    with CaptureQueriesContext(connection) as few:
        small = reminders_due(now=NOW)
    executives_in_every_state(45, manager=manager)
    with CaptureQueriesContext(connection) as many:
        large = reminders_due(now=NOW)

    assert len(small) == 6  # due soon, overdue, overdue + escalation, overdue + escalation
    assert len(large) == 10 * len(small)
    assert len(many.captured_queries) == len(few.captured_queries)
