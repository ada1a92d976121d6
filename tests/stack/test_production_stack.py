"""Groundwork as it runs in production, end to end: gunicorn, a Celery
worker and Celery beat, each its own process, on PostgreSQL and Redis, with
DJANGO_ENV=production. Beat starts the reminder scan, the worker sends the
reminder to a real SMTP server, and the web process answers /healthz.

It needs PostgreSQL and Redis, so it runs in its own CI step
(``pytest -m production_stack``), not in ``make test``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import redis
from aiosmtpd.controller import Controller

from tests.deployment import procfile

pytestmark = pytest.mark.production_stack

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("STACK_PG_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("STACK_REDIS_URL", "redis://127.0.0.1:6379")
DATABASE = "groundwork_stack"
REDIS_DB = 3
WAIT_SECONDS = 90

# The stack's test data, made by the app's own models in its own process:
# an executive last met a customer 50 days ago (overdue), and has a meeting
# in 90 minutes (an "upcoming engagement" reminder goes at once, whatever the
# hour, since waiting for working hours would miss it).
SETUP = """
import datetime as dt
from django.utils import timezone
from engagement.tests.factories import AccountFactory, ExecutiveFactory, contact_record
from visits.models import Engagement, EngagementExecutive
from visits.tests.factories import EngagementFactory

now = timezone.now()
executive = ExecutiveFactory(user__email="stack.executive@example.com", joined_on=dt.date(2024, 1, 8))
contact_record(executive=executive, occurred_at=now - dt.timedelta(days=50))
engagement = EngagementFactory(
    account=AccountFactory(name="Northwind Traders"),
    status=Engagement.Status.SCHEDULED,
    starts_at=now + dt.timedelta(minutes=90),
    ends_at=now + dt.timedelta(minutes=150),
)
EngagementExecutive.objects.create(engagement=engagement, executive=executive, role=EngagementExecutive.Role.LEAD)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An SMTP server's handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def database_url() -> Iterator[str]:
    def admin(sql: str) -> None:
        connection = psycopg2.connect(f"{PG_SERVER}/postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
        connection.close()

    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    try:
        yield f"{PG_SERVER}/{DATABASE}"
    finally:
        admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


@pytest.fixture
def redis_url() -> str:
    url = f"{REDIS_SERVER}/{REDIS_DB}"
    redis.Redis.from_url(url).flushdb()  # a queue left over from an interrupted run
    return url


@pytest.fixture
def stack_env(database_url: str, redis_url: str, inbox: tuple[Inbox, int], tmp_path: Path) -> dict[str, str]:
    _, smtp_port = inbox
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # No proxy in front here to end TLS.
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "DEFAULT_FROM_EMAIL": "Groundwork <groundwork@example.com>",
            "STATIC_ROOT": str(tmp_path / "static"),
            "LOG_FORMAT": "json",
            # Beat's scan every few seconds instead of every 15 minutes.
            "REMINDER_SCAN_SECONDS": "3",
            "WEB_CONCURRENCY": "2",
        }
    )
    return env


class Stack:
    """The processes started, with their output kept in files."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start(self, name: str, *command: str) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def output(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def report(self) -> str:
        return "\n".join(f"--- {name} ---\n{self.output(name)[-4000:]}" for name in self.processes)

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def wait_for(self, what: str, check: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited with {process.returncode}\n{self.report()}"
            result = check()
            if result:
                return result
            time.sleep(0.5)
        pytest.fail(f"{what} did not happen within {WAIT_SECONDS} s\n{self.report()}")


@pytest.fixture
def stack(stack_env: dict[str, str], tmp_path: Path) -> Iterator[Stack]:
    running = Stack(stack_env, tmp_path)
    try:
        yield running
    finally:
        running.stop()


def healthy_body(url: str) -> bytes | None:
    """The body of a 200 from ``url``; None while the server is not there yet or not healthy."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read() if response.status == 200 else None
    except OSError:
        return None


def reminders(database_url: str) -> dict[str, tuple[str, int]]:
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT kind, status, id FROM engagement_reminder")
            return {kind: (status, pk) for kind, status, pk in cursor.fetchall()}
    finally:
        connection.close()


def test_beat_a_worker_and_gunicorn_send_a_reminder_end_to_end(
    stack: Stack, inbox: tuple[Inbox, int], database_url: str
) -> None:
    stack.manage("migrate", "--no-input", "-v0")
    stack.manage("collectstatic", "--no-input", "-v0")
    stack.manage("shell", "-c", SETUP)
    port = free_port()
    stack.env["PORT"] = str(port)
    stack.env["HOST"] = "127.0.0.1"
    # The Procfile's own commands, run from this virtualenv.
    for process in ("web", "worker", "beat"):
        program, *arguments = procfile()[process]
        stack.start(process, str(BIN / program), *arguments)

    body = stack.wait_for("/healthz answering 200", lambda: healthy_body(f"http://127.0.0.1:{port}/healthz"))
    assert json.loads(body) == {"status": "ok", "database": "ok", "broker": "ok", "cache": "ok"}

    messages = inbox[0].messages
    stack.wait_for("the upcoming-engagement email", lambda: messages)
    message = messages[0]
    assert message["To"] == "stack.executive@example.com"
    assert message["Subject"] == "[Groundwork] Engagement within 24 hours"
    text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    assert "Northwind Traders" in text.get_payload(decode=True).decode()

    recorded = stack.wait_for(
        "the reminder marked sent",
        lambda: (found := reminders(database_url)).get("upcoming", ("",))[0] == "sent" and found,
    )
    # The overdue reminder is recorded by the same scan; it waits for the
    # executive's working hours before it goes, so it may still be pending.
    assert recorded["overdue"][0] in {"pending", "sent"}
    sent_ids = {kind: pk for kind, (status, pk) in recorded.items()}

    # Every process logs one JSON object a line on stdout; the worker's say
    # which reminder went out.
    logged = {name: json_lines(stack.output(name)) for name in ("web", "worker", "beat")}
    assert all(logged.values()), stack.report()
    assert any(line["message"].startswith('127.0.0.1 "GET /healthz HTTP/1.1" 200') for line in logged["web"])
    assert {line.get("reminder_id") for line in logged["worker"] if line["message"] == "reminder sent"} >= {
        sent_ids["upcoming"]
    }


def json_lines(output: str) -> list[dict[str, Any]]:
    """Each line of ``output`` read as JSON; a line that is not fails the test."""
    read = []
    for line in output.splitlines():
        try:
            read.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"a log line is not JSON: {line!r}")
    return read
