"""Keeping calendars read: real HTTP from a local server, the reading core,
and what is stored (and never stored) of each customer meeting."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import pytest
from cryptography.fernet import Fernet
from django.db import connection as db
from django.urls import reverse
from zeal import zeal_context

from engagement.accounts.models import AccountDomain
from engagement.notifications.models import Notification
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ContactFactory, ProgramFactory, UserFactory
from visits import calendar_reads, tasks
from visits.calendar_reads import (
    ReadOutcome,
    calendar_connection_claim,
    calendar_connections_due_take,
    calendar_matcher_build,
    calendar_read,
    calendar_read_delay,
    calendar_retry_delay,
)
from visits.calendars import caldav
from visits.calendars.fetching import address_normalise, caldav_fetch, fetch_function, ics_fetch
from visits.calendars.matching import match_events
from visits.calendars.reading import HTML_MESSAGE, read_calendar, reading_window
from visits.calendars.secrets import SecretUnreadable, secret_decrypt, secret_rotate
from visits.checks import calendar_secret_key_check
from visits.models import CalendarConnection, CalendarMeeting

FEEDS = Path(__file__).parent / "calendars"
GOOGLE = (FEEDS / "google.ics").read_bytes()
NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
DESCRIPTION = "Weekly sync on the Acme rollout"

pytestmark = pytest.mark.django_db


class Feeds(http.server.ThreadingHTTPServer):
    """A calendar server on 127.0.0.1: each path answers as ``routes`` says,
    and every request is kept in ``requests`` (path, If-None-Match)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Callable[[_Handler], None]] = {}
        self.requests: list[tuple[str, str]] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Feeds

    def do_GET(self) -> None:
        self.server.requests.append((self.path, self.headers.get("If-None-Match", "")))
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        route(self)

    def log_message(self, *args: object) -> None:
        pass


def calendar(body: bytes, etag: str = '"v1"') -> Callable[[_Handler], None]:
    def answer(handler: _Handler) -> None:
        if etag and handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/calendar; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        if etag:
            handler.send_header("ETag", etag)
        handler.end_headers()
        handler.wfile.write(body)

    return answer


@pytest.fixture
def feeds() -> Iterator[Feeds]:
    server = Feeds()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def customers() -> dict[str, int]:
    ProgramFactory(company_domains="groundwork.example")
    ids = {}
    for name, domain in (("Acme", "acme.com"), ("Globex", "globex.com"), ("Initech", "initech.com")):
        account = AccountFactory(name=name)
        AccountDomain.objects.create(account=account, domain=domain)
        ids[name] = account.pk
    ids["jane"] = ContactFactory(account_id=ids["Acme"], email="jane.doe@acme.com").pk
    ids["sam"] = ContactFactory(account_id=ids["Initech"], email="sam.lee@initech.com").pk
    return ids


@pytest.fixture
def owner():
    return UserFactory(email="alice@groundwork.example", time_zone="Europe/Paris")


def connect(owner, url: str, **fields) -> CalendarConnection:
    connection = CalendarConnection(owner=owner, name="Work", **({"next_read_at": NOW} | fields))
    connection.url = url
    connection.save()
    return connection


def read_once(connection_id: int, now: dt.datetime) -> ReadOutcome:
    """One read, as one task runs it (the N+1 watch counts per task)."""
    with zeal_context():
        return calendar_read(connection_id, now)


def stored(connection: CalendarConnection) -> set[tuple[str, str, str, dt.datetime]]:
    return {
        (m.uid, m.recurrence_key, m.title, m.starts_at) for m in CalendarMeeting.objects.filter(connection=connection)
    }


def test_a_first_read_stores_exactly_the_customer_meetings_and_never_a_description(feeds, customers, owner):
    feeds.routes["/google.ics"] = calendar(GOOGLE)
    connection = connect(owner, feeds.url("/google.ics"))

    outcome = read_once(connection.pk, NOW)

    start, end = reading_window(NOW)
    read = read_calendar(
        GOOGLE, owner_emails=[owner.email], window_start=start, window_end=end, default_zone="Europe/Paris"
    )
    expected = match_events(
        read.occurrences,
        contact_emails={
            "jane.doe@acme.com": (customers["jane"], customers["Acme"]),
            "sam.lee@initech.com": (customers["sam"], customers["Initech"]),
        },
        account_domains={
            "acme.com": customers["Acme"],
            "globex.com": customers["Globex"],
            "initech.com": customers["Initech"],
        },
        company_domains={"groundwork.example"},
    )
    assert outcome.result == "read"
    assert expected and outcome.matched == len(expected)
    assert stored(connection) == {(e.uid, e.recurrence_key, e.title, e.start) for e in expected}
    assert {e.title for e in expected} >= {"Acme weekly sync", "Lunch with Initech"}
    lunch = CalendarMeeting.objects.get(connection=connection, title="Lunch with Initech")
    assert lunch.account_id == customers["Initech"]
    assert list(lunch.contacts.values_list("pk", flat=True)) == [customers["sam"]]  # Tom declined
    weekly = CalendarMeeting.objects.filter(connection=connection, title="Acme weekly sync").first()
    assert list(weekly.contacts.values_list("pk", flat=True)) == [customers["jane"]]
    assert weekly.unknown_emails == ["bob@eu.acme.com"]
    assert set(weekly.accounts.values_list("pk", flat=True)) == {customers["Acme"]}

    assert not any("description" in field.name for field in CalendarMeeting._meta.get_fields())
    assert DESCRIPTION.encode() in GOOGLE
    for row in CalendarMeeting.objects.values():
        assert not any(DESCRIPTION in str(value) for value in row.values())
    connection.refresh_from_db()
    assert (connection.etag, connection.failures, connection.error) == ('"v1"', 0, "")
    assert connection.matched == len(expected) and connection.events_seen > 0
    assert connection.last_read_at == NOW and connection.next_read_at == NOW + dt.timedelta(minutes=15)


def test_an_unchanged_calendar_costs_one_request_and_no_parsing(feeds, customers, owner):
    feeds.routes["/google.ics"] = calendar(GOOGLE)
    connection = connect(owner, feeds.url("/google.ics"))
    read_once(connection.pk, NOW)
    before = stored(connection)
    later = NOW + dt.timedelta(minutes=15)

    with mock.patch.object(calendar_reads, "read_calendar", wraps=read_calendar) as spy:
        outcome = read_once(connection.pk, later)

    assert outcome.result == "unchanged"
    assert spy.call_count == 0
    assert feeds.requests == [("/google.ics", ""), ("/google.ics", '"v1"')]
    assert stored(connection) == before
    connection.refresh_from_db()
    assert connection.last_read_at == later and connection.last_changed_at == NOW
    assert connection.next_read_at == later + dt.timedelta(minutes=15)


def test_a_moved_meeting_is_updated_and_a_cancelled_one_removed(feeds, customers, owner):
    feeds.routes["/google.ics"] = calendar(GOOGLE)
    connection = connect(owner, feeds.url("/google.ics"))
    read_once(connection.pk, NOW)
    lunch = CalendarMeeting.objects.get(connection=connection, title="Lunch with Initech")
    weekly_count = CalendarMeeting.objects.filter(connection=connection, title__startswith="Acme weekly").count()

    moved = GOOGLE.replace(
        b"DTSTART:20261209T120000\r\nDTEND:20261209T130000", b"DTSTART:20261210T120000\r\nDTEND:20261210T130000"
    )
    assert moved != GOOGLE
    feeds.routes["/google.ics"] = calendar(moved, etag='"v2"')
    read_once(connection.pk, NOW + dt.timedelta(minutes=15))
    lunch_now = CalendarMeeting.objects.get(connection=connection, title="Lunch with Initech")
    assert lunch_now.pk == lunch.pk
    assert lunch_now.starts_at == lunch.starts_at + dt.timedelta(days=1)

    cancelled = moved.replace(b"51st St\\, New York\r\nSTATUS:CONFIRMED", b"51st St\\, New York\r\nSTATUS:CANCELLED")
    assert cancelled != moved
    feeds.routes["/google.ics"] = calendar(cancelled, etag='"v3"')
    read_once(connection.pk, NOW + dt.timedelta(minutes=30))
    assert not CalendarMeeting.objects.filter(connection=connection, title="Lunch with Initech").exists()
    assert (
        CalendarMeeting.objects.filter(connection=connection, title__startswith="Acme weekly").count() == weekly_count
    )


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("html", HTML_MESSAGE),
        ("missing", "was not found (404)"),
        ("loop", "too many redirects"),
        ("big", "larger than"),
        ("slow", "did not answer within 0.5 seconds"),
    ],
)
def test_a_failed_read_keeps_a_plain_message_and_the_meetings_as_they_were(
    feeds, customers, owner, settings, monkeypatch, answer, words
):
    feeds.routes["/google.ics"] = calendar(GOOGLE)
    connection = connect(owner, feeds.url("/google.ics"))
    read_once(connection.pk, NOW)
    before = stored(connection)
    settings.CALENDAR_READ_TIMEOUT_SECONDS = 0.5

    def html(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        handler.wfile.write((FEEDS / "not_a_calendar.html").read_bytes())

    def loop(handler):
        handler.send_response(302)
        handler.send_header("Location", "/google.ics")
        handler.end_headers()

    def big(handler):
        # No announced length: the cap is kept as the bytes arrive.
        monkeypatch.setattr("visits.calendars.reading.MAX_FEED_BYTES", 4096)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/calendar")
        handler.end_headers()
        handler.wfile.write(GOOGLE * 4)

    def slow(handler):
        time.sleep(1.5)
        calendar(GOOGLE, etag="")(handler)

    routes = {"html": html, "loop": loop, "big": big, "slow": slow}
    if answer == "missing":
        del feeds.routes["/google.ics"]
    else:
        feeds.routes["/google.ics"] = routes[answer]
    connection.etag = ""
    connection.save(update_fields=["etag"])

    outcome = read_once(connection.pk, NOW + dt.timedelta(hours=1))

    assert outcome.result == "failed"
    connection.refresh_from_db()
    assert words in connection.error
    assert connection.failures == 1
    assert connection.next_read_at == NOW + dt.timedelta(hours=1, minutes=15)
    assert stored(connection) == before


def test_failures_back_off_then_break_the_connection_and_tell_its_owner_once(feeds, customers, owner):
    connection = connect(owner, feeds.url("/gone.ics"))
    moment = NOW
    waits = []
    for _ in range(7):
        read_once(connection.pk, moment)
        connection.refresh_from_db()
        waits.append(connection.next_read_at - moment)
        moment = connection.next_read_at

    assert waits[:5] == [dt.timedelta(minutes=m) for m in (15, 30, 60, 120, 240)]
    assert calendar_retry_delay(20) == dt.timedelta(hours=24)
    assert connection.failures == 7
    assert connection.broken_at is not None and connection.owner_told_broken_at is not None
    (told,) = Notification.objects.filter(user=owner)
    assert "could not be read 5 times" in told.message and "404" in told.message
    assert told.url == "/calendar/connected/"
    assert list(calendar_connections_due_take(moment + dt.timedelta(days=2))) == []

    feeds.routes["/gone.ics"] = calendar(GOOGLE)
    read_once(connection.pk, moment)
    connection.refresh_from_db()
    assert (connection.failures, connection.broken_at, connection.owner_told_broken_at, connection.error) == (
        0,
        None,
        None,
        "",
    )


def test_disconnecting_deletes_every_meeting_read_from_the_calendar(feeds, customers, owner):
    feeds.routes["/google.ics"] = calendar(GOOGLE)
    connection = connect(owner, feeds.url("/google.ics"))
    read_once(connection.pk, NOW)
    assert CalendarMeeting.objects.exists()

    pk = connection.pk
    connection.delete()

    assert read_once(pk, NOW).result == "disconnected"
    assert not CalendarMeeting.objects.exists()
    assert not CalendarMeeting.contacts.through.objects.exists()


def test_the_secret_address_is_stored_encrypted_and_survives_a_key_rotation(owner, settings):
    url = "https://calendar.example/private-0123456789abcdef/basic.ics"
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CALENDAR_SECRET_KEYS = [old]
    connection = connect(owner, url, username="alice")
    connection.password = "hunter2-calendar"
    connection.save()
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT url_encrypted, password_encrypted FROM visits_calendarconnection WHERE id = %s", [connection.pk]
        )
        raw_url, raw_password = cursor.fetchone()
    assert url not in raw_url and "private-0123456789abcdef" not in raw_url
    assert "hunter2" not in raw_password
    assert secret_decrypt(raw_url) == url

    settings.CALENDAR_SECRET_KEYS = [new, old]
    assert CalendarConnection.objects.get(pk=connection.pk).url == url
    CalendarConnection.objects.filter(pk=connection.pk).update(url_encrypted=secret_rotate(raw_url))
    settings.CALENDAR_SECRET_KEYS = [new]
    assert CalendarConnection.objects.get(pk=connection.pk).url == url
    with pytest.raises(SecretUnreadable):
        CalendarConnection.objects.get(pk=connection.pk).password  # noqa: B018 - not rotated, its key gone


def test_a_secret_no_key_decrypts_is_a_plain_failure_not_a_crash(owner, settings):
    connection = connect(owner, "https://calendar.example/private.ics")
    settings.CALENDAR_SECRET_KEYS = [Fernet.generate_key().decode()]

    assert read_once(connection.pk, NOW).result == "failed"

    connection.refresh_from_db()
    assert "CALENDAR_SECRET_KEY" in connection.error and connection.failures == 1


def test_the_fan_out_queues_each_due_calendar_once_spread_over_the_period(owner):
    due = [connect(owner, f"https://calendar.example/{n}.ics") for n in range(3)]
    soon = connect(owner, "https://calendar.example/later.ics", next_read_at=NOW + dt.timedelta(minutes=5))
    connect(owner, "https://calendar.example/broken.ics", broken_at=NOW)
    connect(UserFactory(is_active=False), "https://calendar.example/gone.ics")

    with (
        mock.patch.object(tasks.read_calendar, "apply_async") as queue,
        mock.patch.object(tasks.timezone, "now", return_value=NOW),
    ):
        assert tasks.read_calendars() == 3
        assert tasks.read_calendars() == 0  # leased: not queued a second time

    calls = sorted((call.kwargs["args"][0], call.kwargs["countdown"]) for call in queue.call_args_list)
    assert calls == sorted((c.pk, calendar_read_delay(c.pk)) for c in due)
    spread = {calendar_read_delay(pk) for pk in range(1, 201)}
    assert len(spread) > 150 and min(spread) >= 0 and max(spread) < 15 * 60
    assert calendar_read_delay(7) == calendar_read_delay(7)
    # A lost task: due again once its lease ends.
    later = NOW + dt.timedelta(minutes=31)
    again = sorted(pk for batch in calendar_connections_due_take(later) for pk in batch)
    assert again == sorted([c.pk for c in due] + [soon.pk])


def test_a_second_worker_cannot_claim_a_claimed_calendar(owner):
    connection = connect(owner, "https://calendar.example/one.ics")

    assert calendar_connection_claim(connection.pk, NOW) is True
    assert calendar_connection_claim(connection.pk, NOW + dt.timedelta(seconds=1)) is False
    with (
        mock.patch.object(tasks, "calendar_read") as read,
        mock.patch.object(tasks.timezone, "now", return_value=NOW + dt.timedelta(seconds=2)),
    ):
        assert tasks.read_calendar(connection.pk) == "claimed elsewhere or deleted"
    assert read.call_count == 0
    # A worker that died holding it does not hold it for ever.
    assert calendar_connection_claim(connection.pk, NOW + dt.timedelta(minutes=11)) is True
    assert calendar_connection_claim(connection.pk + 1000, NOW) is False


def test_a_read_releases_its_claim(feeds, customers, owner):
    feeds.routes["/google.ics"] = calendar(GOOGLE)
    connection = connect(owner, feeds.url("/google.ics"))
    with mock.patch.object(tasks.timezone, "now", return_value=NOW):
        assert tasks.read_calendar(connection.pk) == "read"
    connection.refresh_from_db()
    assert connection.claimed_at is None
    assert calendar_connection_claim(connection.pk, NOW) is True


def test_the_matcher_is_built_in_three_queries(customers, django_assert_num_queries):
    with django_assert_num_queries(3):
        matcher = calendar_matcher_build()
    assert matcher.person("jane.doe@acme.com").contact_id == customers["jane"]
    assert matcher.person("chris@groundwork.example") is None


def test_production_without_a_calendar_key_fails_the_deploy_checks(settings):
    settings.PRODUCTION = True
    settings.CALENDAR_SECRET_KEY_SET = False
    (error,) = calendar_secret_key_check()
    assert error.id == "visits.E001" and "CALENDAR_SECRET_KEY" in error.msg
    settings.CALENDAR_SECRET_KEY_SET = True
    assert calendar_secret_key_check() == []


def test_each_kind_of_connection_is_fetched_its_own_way(feeds, owner):
    assert fetch_function("ics") is ics_fetch
    assert fetch_function("caldav") is caldav_fetch
    with pytest.raises(ValueError, match="Unknown kind"):
        fetch_function("exchange")
    # A CalDAV failure is the connection's plain-words error, like an address's.
    connection = connect(owner, feeds.url("/dav/alice/calendar/"), kind=CalendarConnection.Kind.CALDAV, username="a")
    connection.password = "app-password"
    connection.save()

    outcome = read_once(connection.pk, NOW)

    # The test server knows GET only, so the CalDAV REPORT gets a 501.
    assert (outcome.result, outcome.error) == ("failed", caldav.SERVER_ERROR_MESSAGE)
    connection.refresh_from_db()
    assert connection.error == caldav.SERVER_ERROR_MESSAGE and connection.failures == 1


def test_only_web_addresses_are_fetched(owner):
    connection = connect(owner, "file:///etc/passwd")
    assert "not a web address" in read_once(connection.pk, NOW).error
    assert address_normalise("webcal://p.example/a.ics") == "https://p.example/a.ics"


def test_the_admin_shows_how_a_calendar_is_read_never_its_address(client, owner):
    url = "https://calendar.example/private-0123456789abcdef/basic.ics"
    connection = connect(owner, url, error="This address was not found (404).")
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))

    page = client.get(reverse("admin:visits_calendarconnection_change", args=[connection.pk])).content.decode()

    assert "This address was not found (404)." in page
    assert "private-0123456789abcdef" not in page and connection.url_encrypted not in page


def test_beat_queues_the_calendar_reads_every_fifteen_minutes():
    from config.celery import app

    (job,) = [job for job in app.conf.beat_schedule.values() if job["task"] == tasks.read_calendars.name]
    assert job["schedule"] == 15 * 60
