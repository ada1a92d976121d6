"""With the Celery broker down, every page that queues a task still answers
as usual, nothing is lost, and what could not be queued is queued once the
broker is back: logging a contact (page and API), surveys, reminders and
imports. One test stops and starts a real Redis of its own."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_failure, task_postrun
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from config.celery import app as celery_app
from engagement.cadence.models import Program
from engagement.dates import local_today
from engagement.delivery.models import UnsentTask
from engagement.delivery.outbox import UNSENT_STALE_CLAIM, broker_refusals_forget, unsent_tasks_send
from engagement.imports.models import ImportJob
from engagement.people.roles import Role
from engagement.reminders.models import Reminder
from engagement.tasks import run_reminders, send_unsent_tasks
from engagement.tests.factories import (
    AccountFactory,
    ContactFactory,
    ExecutiveFactory,
    UserFactory,
    api_key,
    contact_record,
)
from engagement.tests.import_helpers import csv_bytes, last_job, upload
from feedback.models import Survey
from visits.models import Engagement
from visits.tests.factories import EngagementFactory, EngagementTypeFactory

LOG_URL = reverse("visits:log_contact")
SURVEYS_AFTER_HELD = "feedback.tasks.send_surveys_after_held"
# Noon UTC on a Tuesday: in working hours for an executive in UTC.
NOW = dt.datetime(2025, 7, 15, 12, tzinfo=dt.UTC)


def closed_port() -> int:
    """A port on this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def broker(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tasks go to the broker at ``url`` for the duration, not run in the
    test's thread; connection pools are dropped on the way in and out."""
    conf = celery_app.conf
    # Celery prefers the environment over its configuration.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    saved = {"broker_url": conf.broker_url, "task_always_eager": conf.task_always_eager}

    def drop_pools() -> None:
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.broker_url, conf.task_always_eager = url, False
    drop_pools()
    broker_refusals_forget()
    try:
        yield
    finally:
        drop_pools()
        broker_refusals_forget()
        for name, value in saved.items():
            setattr(conf, name, value)


def unsent() -> list[tuple[str, list[Any]]]:
    return list(UnsentTask.objects.order_by("pk").values_list("name", "args"))


@pytest.fixture
def executive():
    user = UserFactory(full_name="Jordan Ellis", time_zone="UTC", roles=[Role.EXECUTIVE])
    executive = ExecutiveFactory(user=user)
    program = Program.objects.create(name="Customer first", surveys_after_held=True)
    executive.programs.add(program)
    return executive


@pytest.fixture
def account():
    return AccountFactory(name="Northwind Traders")


@pytest.fixture
def buyer(account):
    return ContactFactory(account=account, name="Ana Buyer", email="ana.buyer@northwind.example")


def log_form(account, buyer, **changes: object) -> dict[str, object]:
    return {
        "account": account.pk,
        "type": EngagementTypeFactory().pk,
        "on": local_today("UTC").isoformat(),
        "duration_minutes": 60,
        "contacts": [buyer.pk],
        "note": "They want faster delivery",
        "submission_key": str(uuid.uuid4()),
        **changes,
    }


# --- Logging a contact -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_contact_logged_while_the_broker_is_down_shows_the_usual_page_and_its_survey_goes_once_it_is_back(
    client, executive, account, buyer, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(executive.user)

    with broker(f"redis://127.0.0.1:{closed_port()}/0", monkeypatch):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(LOG_URL, log_form(account, buyer), follow=True)
        took = time.monotonic() - started

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("engagement:executive_home")
    assert "Logged: 1 hour with Northwind Traders" in response.content.decode()
    engagement = Engagement.objects.get()
    assert unsent() == [(SURVEYS_AFTER_HELD, [engagement.pk])]
    assert took < 3, f"the page waited {took:.1f}s on a broker that is down"
    assert mail.outbox == []

    # The broker is back (tasks run here, as a worker would run them).
    with django_capture_on_commit_callbacks(execute=True):
        first = unsent_tasks_send()
    with django_capture_on_commit_callbacks(execute=True):
        second = unsent_tasks_send()

    assert (first, second) == (1, 0)
    assert unsent() == []
    assert [message.to for message in mail.outbox] == [[buyer.email]]
    assert Survey.objects.get().sent_at is not None


@pytest.mark.django_db
def test_a_contact_logged_through_the_api_while_the_broker_is_down_is_created_and_its_task_kept(
    executive, account, buyer, monkeypatch, django_capture_on_commit_callbacks
):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(executive.user)}")
    body = {"account": account.pk, "type": EngagementTypeFactory().pk, "on": local_today("UTC").isoformat()}

    with (
        broker(f"redis://127.0.0.1:{closed_port()}/0", monkeypatch),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api.post(
            reverse("api:engagement-list"), {**body, "duration_minutes": 30, "contacts": [buyer.pk]}, format="json"
        )

    assert response.status_code == 201, response.content
    assert unsent() == [(SURVEYS_AFTER_HELD, [Engagement.objects.get().pk])]


# --- Surveys, reminders, imports ----------------------------------------------------------------


@pytest.mark.django_db
def test_surveys_sent_while_the_broker_is_down_go_out_once_when_it_is_back(
    client, executive, account, buyer, monkeypatch, django_capture_on_commit_callbacks
):
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    account.account_manager = manager
    account.save(update_fields=["account_manager"])
    held = EngagementFactory(account=account, executives=[executive])
    held.contacts.add(buyer, ContactFactory(account=account, email="bo@northwind.example"))
    client.force_login(manager)

    with (
        broker(f"redis://127.0.0.1:{closed_port()}/0", monkeypatch),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("feedback:surveys_send", kwargs={"pk": held.pk}), follow=True)

    assert response.status_code == 200
    assert "The survey is on its way to 2 contacts." in response.content.decode()
    surveys = sorted(Survey.objects.values_list("pk", flat=True))
    assert sorted(args[0] for _, args in unsent()) == surveys
    assert {name for name, _ in unsent()} == {"feedback.tasks.send_survey"}

    with django_capture_on_commit_callbacks(execute=True):
        assert unsent_tasks_send() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert unsent_tasks_send() == 0

    assert sorted(message.to[0] for message in mail.outbox) == ["ana.buyer@northwind.example", "bo@northwind.example"]


@pytest.mark.django_db
def test_reminders_found_while_the_broker_is_down_are_sent_once_when_it_is_back(
    monkeypatch, django_capture_on_commit_callbacks
):
    executive = ExecutiveFactory(joined_on=dt.date(2023, 1, 2))
    contact_record(executive=executive, occurred_at=NOW - dt.timedelta(days=38))

    # The scan runs in a worker: the broker stops under it.
    with (
        broker(f"redis://127.0.0.1:{closed_port()}/0", monkeypatch),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = run_reminders.apply(args=[NOW.date().isoformat()])

    assert result.successful(), result.traceback
    reminder = Reminder.objects.get(recipient=executive.user)
    # Sent as of the day the scan acted on, as the scan would have sent it.
    assert unsent() == [("engagement.tasks.send_reminder", [reminder.pk, NOW.date().isoformat()])]

    with django_capture_on_commit_callbacks(execute=True):
        assert send_unsent_tasks.apply().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert send_unsent_tasks.apply().get() == 0

    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SENT
    assert [message.to for message in mail.outbox] == [[executive.user.email]]


EXECUTIVES_FILE = csv_bytes(
    [["Email", "Name", "Title"], ["dana.lee@groundwork.example", "Dana Lee", "VP Service"]],
)


@pytest.mark.django_db
def test_an_import_started_while_the_broker_is_down_shows_as_queued_and_runs_when_it_is_back(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    upload(client, "executives", EXECUTIVES_FILE)
    job = last_job()
    assert job.status == ImportJob.Status.READY

    with (
        broker(f"redis://127.0.0.1:{closed_port()}/0", monkeypatch),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("engagement:import_start", kwargs={"pk": job.pk}), follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Importing 1 rows. This page follows it." in page
    assert "Waiting for a worker to start the import of 1 rows" in page
    assert "Failed" not in page
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    assert unsent() == [("engagement.tasks.run_import", [job.pk])]

    with django_capture_on_commit_callbacks(execute=True):
        assert unsent_tasks_send() == 1

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.summary["created"] == 1


# --- The sweep ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_task_claimed_by_another_sweep_is_left_to_it_until_that_claim_is_stale(
    executive, account, django_capture_on_commit_callbacks
):
    engagement = EngagementFactory(account=account, executives=[executive])
    task = UnsentTask.objects.create(name=SURVEYS_AFTER_HELD, args=[engagement.pk])
    now = timezone.now()
    UnsentTask.objects.filter(pk=task.pk).update(claimed_at=now - dt.timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        while_claimed = unsent_tasks_send(now=now)
        after_it_went_stale = unsent_tasks_send(now=now + UNSENT_STALE_CLAIM)

    assert (while_claimed, after_it_went_stale) == (0, 1)
    assert unsent() == []


@pytest.mark.django_db
def test_a_sweep_while_the_broker_is_still_down_keeps_every_task(monkeypatch):
    UnsentTask.objects.create(name="feedback.tasks.send_survey", args=[1])
    UnsentTask.objects.create(name="feedback.tasks.send_survey", args=[2])

    with broker(f"redis://127.0.0.1:{closed_port()}/0", monkeypatch):
        queued = unsent_tasks_send()

    assert queued == 0
    rows = list(UnsentTask.objects.order_by("pk").values_list("args", "claimed_at", "attempts"))
    # The first was tried and let go; the second waits its turn.
    assert rows == [([1], None, 1), ([2], None, 0)]
    assert UnsentTask.objects.get(args=[1]).error.startswith("OperationalError")


@pytest.mark.django_db
def test_a_broker_that_accepts_connections_and_never_answers_fails_the_publish_in_seconds(
    executive, account, buyer, client, monkeypatch, django_capture_on_commit_callbacks
):
    # A socket that listens and never speaks: a hung Redis, or a half-open connection.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        client.force_login(executive.user)

        with broker(f"redis://127.0.0.1:{silent.getsockname()[1]}/0", monkeypatch):
            started = time.monotonic()
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(LOG_URL, log_form(account, buyer))
            took = time.monotonic() - started

    assert response.status_code == 302
    assert len(unsent()) == 1
    assert took < 10, f"the page waited {took:.1f}s on a broker that never answers"


# --- A real Redis that stops and starts again ---------------------------------------------------------


class RedisServer:
    """A redis-server of the test's own, on a port of its own, which the test
    stops and starts (the shared one is never touched)."""

    def __init__(self) -> None:
        self.port = closed_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def queued(self) -> list[str]:
        """The names of the tasks waiting in Celery's default queue."""
        client = redis.Redis(port=self.port)
        return [json.loads(message)["headers"]["task"] for message in client.lrange("celery", 0, -1)]


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@contextmanager
def tasks_done(*names: str) -> Iterator[threading.Event]:
    """An event set once a worker has run each of ``names`` (or a task failed,
    so the test stops waiting and shows what happened)."""
    done = threading.Event()
    waiting = set(names)

    def on_postrun(sender: Any = None, **kwargs: Any) -> None:
        waiting.discard(getattr(sender, "name", None))
        if not waiting:
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
def test_with_a_real_redis_that_stops_a_contact_is_logged_and_its_survey_sent_once_it_starts_again(
    client, redis_server, executive, account, buyer, monkeypatch
):
    client.force_login(executive.user)
    with broker(redis_server.url, monkeypatch):
        assert client.get("/healthz").status_code == 200

        redis_server.stop()
        started = time.monotonic()
        response = client.post(LOG_URL, log_form(account, buyer), follow=True)
        took = time.monotonic() - started
        health = client.get("/healthz")

        assert response.status_code == 200
        assert "Logged: 1 hour with Northwind Traders" in response.content.decode()
        assert took < 3, f"the page waited {took:.1f}s on a broker that is down"
        engagement = Engagement.objects.get()
        assert unsent() == [(SURVEYS_AFTER_HELD, [engagement.pk])]
        assert health.status_code == 503
        assert health.json()["broker"].startswith("error")

        redis_server.start()
        assert client.get("/healthz").status_code == 200
        first, second = unsent_tasks_send(), unsent_tasks_send()

        assert (first, second) == (1, 0)
        assert unsent() == []
        assert redis_server.queued() == [SURVEYS_AFTER_HELD]

        # A worker takes it from Redis: the survey goes out, once.
        with (
            tasks_done(SURVEYS_AFTER_HELD, "feedback.tasks.send_survey") as done,
            start_worker(celery_app, perform_ping_check=False, shutdown_timeout=10),
        ):
            assert done.wait(timeout=15), "the worker did not send the survey within 15 seconds"

    assert Engagement.objects.count() == 1
    assert [message.to for message in mail.outbox] == [[buyer.email]]
    assert Survey.objects.get().sent_at is not None
