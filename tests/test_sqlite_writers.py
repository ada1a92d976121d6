"""The embedded setup's SQLite file, written by several processes at once:
executives logging contacts from web processes of their own, a Celery worker
sending the surveys those contacts queue, and a job whose one transaction
lasts longer than SQLite's busy timeout, as a large import's does. Every row
is counted at the end, and none of them met "database is locked"."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from engagement.cadence.models import Program
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ContactFactory, ExecutiveFactory, ProgramFactory, UserFactory
from visits.tests.factories import EngagementTypeFactory

BASE_DIR = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WRITERS = 4
POSTS = 8
# Longer than SQLite's busy timeout (20 s), after which a writer that polls
# for the lock gives up; an import of some 20,000 engagements holds its one
# transaction that long on SQLite.
HOLD_SECONDS = 24
IMPORTED = 500
NOTE = "Logged while the worker wrote"
WAIT_SECONDS = 120

# One executive's web process: signs in, waits for the go, then logs POSTS
# contacts through the quick log form, one after another, and prints what
# each answered.
WRITER = """
import json, sys, time, uuid
from pathlib import Path
import django
django.setup()
from django.test import Client
from django.urls import reverse
from engagement.dates import local_today
from engagement.models import User

email, account, contact, kind, note, posts, ready, go = sys.argv[1:]
user = User.objects.get(email=email)
client = Client()
client.force_login(user)
url = reverse("visits:log_contact")
assert client.get(url).status_code == 200
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.005)
answers = []
for n in range(int(posts)):
    form = {"account": account, "contacts": [contact], "type": kind, "on": local_today(user.time_zone).isoformat(),
            "duration_minutes": 30, "note": note, "submission_key": str(uuid.uuid4())}
    try:
        answers.append(client.post(url, form).status_code)
    except Exception as error:
        answers.append(f"{type(error).__name__}: {error}")
print(json.dumps(answers))
"""

# A long job: one transaction that writes accounts, and holds on to the
# write lock for HOLD_SECONDS after the writers start.
LONG_JOB = """
import sys, time
from pathlib import Path
import django
django.setup()
from django.db import transaction
from engagement.models import Account

start, holding, go, rows, seconds = sys.argv[1:]
while not Path(start).exists():
    time.sleep(0.005)
with transaction.atomic():
    Account.objects.bulk_create([Account(name=f"Imported account {n}") for n in range(int(rows))])
    Path(holding).touch()
    while not Path(go).exists():
        time.sleep(0.005)
    time.sleep(float(seconds))
print("committed")
"""


class Processes:
    """The processes started, each with its output in a file."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *command: str) -> None:
        with (self.folder / f"{name}.log").open("wb") as log:
            self.running[name] = subprocess.Popen(command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=log)

    def output(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def report(self) -> str:
        return "\n".join(f"--- {name} ---\n{self.output(name)[-3000:]}" for name in self.running)

    def wait_for(self, what: str, check: Callable[[], object], *, watch: tuple[str, ...] = ()) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not check():
            for name in watch:
                assert self.running[name].poll() is None, f"{name} exited before {what}\n{self.report()}"
            assert time.monotonic() < deadline, f"{what} did not happen within {WAIT_SECONDS} s\n{self.report()}"
            time.sleep(0.02)

    def finish(self, name: str) -> str:
        try:
            code = self.running[name].wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{name} did not finish within {WAIT_SECONDS} s\n{self.report()}")
        assert code == 0, f"{name} exited with {code}\n{self.report()}"
        return self.output(name)

    def stop(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
    env.pop("REDIS_URL", None)  # the embedded setup: no Redis
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'groundwork.sqlite3'}",
            "DEBUG": "false",
            "CELERY_BROKER_URL": "filesystem://",
            "CELERY_BROKER_DIR": str(tmp_path / "broker"),
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
    )
    running = Processes(env, tmp_path)
    try:
        yield running
    finally:
        running.stop()


def copy_test_database(target: Path) -> None:
    """The test database as it is now (migrated, with what the test made) in
    the file ``target``: the processes' database."""
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    connection.connection.backup(copy)
    copy.close()


def count(database: Path, sql: str) -> tuple[int, ...]:
    db = sqlite3.connect(database, timeout=30)
    try:
        return db.execute(sql).fetchone()
    finally:
        db.close()


@pytest.mark.django_db(transaction=True)
def test_contacts_logged_from_several_processes_are_all_saved_while_a_worker_writes(tmp_path, processes):
    if connection.vendor != "sqlite":
        pytest.skip("the embedded setup's SQLite file is copied from the SQLite test database")
    # Surveys go out on their own, whichever program counts: each contact
    # logged makes the worker write a survey, claim it and mark it sent.
    ProgramFactory(surveys_after_held=True)
    Program.objects.update(surveys_after_held=True)
    emails = []
    for n in range(WRITERS):
        user = UserFactory(email=f"writer{n}@groundwork.example", roles=[Role.EXECUTIVE])
        ExecutiveFactory(user=user)
        emails.append(user.email)
    buyer = ContactFactory(account=AccountFactory(name="Northwind Traders"), email="buyer@northwind.example")
    kind = EngagementTypeFactory(name="Site walk", slug="site-walk")
    database = tmp_path / "groundwork.sqlite3"
    copy_test_database(database)
    go = tmp_path / "writers-go"

    processes.start("worker", str(BIN / "celery"), "-A", "config", "worker", "--pool", "solo", "--loglevel", "INFO")
    processes.start(
        "long-job",
        sys.executable, "-c", LONG_JOB, str(tmp_path / "long-job-go"), str(tmp_path / "holding"), str(go),
        str(IMPORTED), str(HOLD_SECONDS),
    )  # fmt: skip
    for n, email in enumerate(emails):
        processes.start(
            f"writer-{n}",
            sys.executable, "-c", WRITER, email, str(buyer.account_id), str(buyer.pk), str(kind.pk), NOTE, str(POSTS),
            str(tmp_path / f"writer-{n}-ready"), str(go),
        )  # fmt: skip
    everyone = tuple(processes.running)
    processes.wait_for(
        "every writer signed in and the worker ready",
        lambda: (
            all((tmp_path / f"writer-{n}-ready").exists() for n in range(WRITERS))
            and "ready." in processes.output("worker")
        ),
        watch=everyone,
    )
    (tmp_path / "long-job-go").touch()
    processes.wait_for("the long job's transaction open", (tmp_path / "holding").exists, watch=everyone)
    go.touch()

    answers = [json.loads(processes.finish(f"writer-{n}").splitlines()[-1]) for n in range(WRITERS)]
    # Each post waited for the long job's commit, however long, and was saved.
    assert answers == [[302] * POSTS] * WRITERS
    assert processes.finish("long-job").splitlines()[-1] == "committed"
    surveys_sent = "SELECT count(sent_at) FROM feedback_survey"
    processes.wait_for(
        "every survey sent", lambda: count(database, surveys_sent)[0] >= WRITERS * POSTS, watch=("worker",)
    )

    assert count(database, f"SELECT count(*) FROM visits_engagement WHERE notes = '{NOTE}'") == (WRITERS * POSTS,)
    assert count(database, "SELECT count(*), count(sent_at) FROM feedback_survey") == (WRITERS * POSTS,) * 2
    assert count(database, "SELECT count(*) FROM engagement_account WHERE name LIKE 'Imported account %'") == (
        IMPORTED,
    )
    assert "database is locked" not in processes.report()


# A connection as the settings make it, on a new file: its pragmas, how a
# transaction begins, and whether the write turn is taken inside one.
CONNECTION_CHECK = """
import fcntl, json, os
import django
django.setup()
from django.conf import settings
from django.db import connection, transaction

def turn_taken():
    probe = os.open(settings.DATABASES["default"]["NAME"] + "-writer.lock", os.O_RDONLY)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(probe)

with connection.cursor() as cursor:
    names = ("journal_mode", "synchronous", "busy_timeout")
    pragmas = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in names}
begun = []
connection.connection.set_trace_callback(begun.append)
with transaction.atomic():
    connection.cursor().execute("CREATE TABLE visit (id integer PRIMARY KEY)")
    inside = turn_taken()
connection.connection.set_trace_callback(None)
print(json.dumps({"pragmas": pragmas, "begin": begun[0], "turn_inside": inside, "turn_after": turn_taken()}))
"""


def test_the_embedded_database_is_in_wal_mode_and_writers_take_turns(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    result = subprocess.run(
        [sys.executable, "-c", CONNECTION_CHECK], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "pragmas": {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 20000},
        "begin": "BEGIN IMMEDIATE",
        "turn_inside": True,
        "turn_after": False,
    }
