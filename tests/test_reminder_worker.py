"""A real Celery worker runs the reminder scan and delivers what it finds, end
to end through a broker: in memory, and on Redis where there is one."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_failure, task_postrun
from django.core import mail

from config.celery import app as celery_app
from engagement.notifications.models import Notification
from engagement.reminders.models import Reminder
from engagement.tasks import run_reminders
from engagement.tests.factories import ExecutiveFactory, contact_record

# Noon UTC on a Tuesday: in working hours for an executive in UTC.
NOW = dt.datetime(2025, 7, 15, 12, tzinfo=dt.UTC)
SEND_REMINDER = "engagement.tasks.send_reminder"
BROKERS = [
    pytest.param("memory://", id="memory"),
    pytest.param(os.environ.get("REDIS_URL", ""), id="redis"),
]


@contextmanager
def broker(url: str) -> Iterator[None]:
    """The Celery app on the broker at ``url``, for the duration; its
    connection pools are dropped on the way in and out, so that nothing
    already connected to the usual broker is used."""
    conf = celery_app.conf
    saved = {
        "broker_url": conf.broker_url,
        "broker_transport_options": conf.broker_transport_options,
        "worker_hijack_root_logger": conf.worker_hijack_root_logger,
        "task_always_eager": conf.task_always_eager,
    }

    def drop_pools() -> None:
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.broker_url = url
    # Through the broker to the worker, not run in the test's own thread.
    conf.task_always_eager = False
    # The in-memory broker is polled: a tenth of a second keeps the test short.
    conf.broker_transport_options = {"polling_interval": 0.1} if url.startswith("memory://") else {}
    # The test runner keeps its own log handlers.
    conf.worker_hijack_root_logger = False
    drop_pools()
    try:
        with celery_app.connection_for_write() as connection:
            # Left over from an interrupted run on a shared Redis.
            connection.default_channel.queue_purge(conf.task_default_queue)
        yield
    finally:
        drop_pools()
        for name, value in saved.items():
            setattr(conf, name, value)


@contextmanager
def reminders_sent() -> Iterator[threading.Event]:
    """An event set once the worker has sent a reminder (or a task has failed,
    so the test stops waiting and shows what happened)."""
    done = threading.Event()

    def on_postrun(sender: Any = None, retval: Any = None, **kwargs: Any) -> None:
        if sender is not None and sender.name == SEND_REMINDER and retval is True:
            done.set()

    def on_failure(**kwargs: Any) -> None:
        done.set()

    task_postrun.connect(on_postrun, weak=False)
    task_failure.connect(on_failure, weak=False)
    try:
        yield done
    finally:
        task_postrun.disconnect(on_postrun)
        task_failure.disconnect(on_failure)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker_url", BROKERS)
def test_a_worker_runs_the_scan_and_delivers_the_reminder_by_email_and_in_the_app(broker_url):
    if not broker_url:
        pytest.skip("REDIS_URL is not set: the Redis broker is tried where there is one (CI, with PostgreSQL)")
    executive = ExecutiveFactory(joined_on=dt.date(2023, 1, 2))
    contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=38))

    # The worker's thread has a database connection of its own, which sees
    # the committed test data; the test waits on a signal rather than
    # reading the database beside it.
    with (
        broker(broker_url),
        reminders_sent() as done,
        start_worker(celery_app, perform_ping_check=False, shutdown_timeout=10),
    ):
        run_reminders.delay(NOW.date().isoformat())
        assert done.wait(timeout=8), "the worker sent no reminder within 8 seconds"

    reminder = Reminder.objects.get(recipient=executive.user)
    assert (reminder.kind, reminder.status, reminder.attempts) == (Reminder.Kind.DUE_SOON, Reminder.Status.SENT, 1)
    assert [message.to for message in mail.outbox] == [[executive.user.email]]
    assert Notification.objects.filter(user=executive.user).count() == 1
