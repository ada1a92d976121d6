"""Reading executives' calendars over CalDAV, against a real CalDAV server
(Radicale) started for these tests: discovery, the window's events, sync
tokens, and each failure in plain words."""

from __future__ import annotations

import datetime as dt
import http.server
import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from visits.calendars.caldav import (
    AUTH_MESSAGE,
    BAD_ADDRESS_MESSAGE,
    NO_CALENDARS_MESSAGE,
    NOT_CALDAV_MESSAGE,
    REDIRECTS_MESSAGE,
    TIMEOUT_MESSAGE,
    TOO_LARGE_MESSAGE,
    UNREACHABLE_MESSAGE,
    CalDavError,
    discover,
    fetch,
)
from visits.calendars.reading import read_calendar

USER, PASSWORD = "alice", "app-password-1"
OTHER_USER, OTHER_PASSWORD = "bob", "app-password-2"
WINDOW_START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
WINDOW_END = dt.datetime(2026, 12, 31, tzinfo=dt.UTC)
FEEDS = Path(__file__).parent / "calendars"

EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Tests//EN
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20261001T000000Z
DTSTART:{start}
DTEND:{end}
SUMMARY:{title}
END:VEVENT
END:VCALENDAR
"""
SERIES = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Tests//EN
BEGIN:VTIMEZONE
TZID:Europe/Paris
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:weekly-review
DTSTAMP:20261001T000000Z
DTSTART;TZID=Europe/Paris:20261102T090000
DTEND;TZID=Europe/Paris:20261102T093000
RRULE:FREQ=WEEKLY;COUNT=3
SUMMARY:Weekly review with Contoso
END:VEVENT
END:VCALENDAR
"""


def _event(uid: str, title: str, start: str, end: str) -> str:
    return EVENT.format(uid=uid, title=title, start=start, end=end).replace("\n", "\r\n")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Radicale server on a free local port, with one user, storage in a
    temporary folder; its base URL. In CI it must run: Radicale is in the
    development lock."""
    if importlib.util.find_spec("radicale") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Radicale is not installed; CI requires the CalDAV tests to run", pytrace=False)
        pytest.skip("Radicale is not installed (make install)")
    folder = tmp_path_factory.mktemp("radicale")
    (folder / "users").write_text(f"{USER}:{PASSWORD}\n{OTHER_USER}:{OTHER_PASSWORD}\n")
    port = _free_port()
    config = folder / "config"
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {folder / 'users'}\nhtpasswd_encryption = plain\ndelay = 0\n"
        "[rights]\ntype = owner_only\n"
        f"[storage]\nfilesystem_folder = {folder / 'collections'}\n"
        "[logging]\nlevel = warning\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_answering(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stderr:
            server.stderr.close()


def _wait_until_answering(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            errors = server.stderr.read().decode(errors="replace") if server.stderr else ""
            pytest.fail(f"Radicale stopped at start: {errors}", pytrace=False)
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    pytest.fail("Radicale did not answer within 30 seconds", pytrace=False)


@dataclass
class Calendar:
    url: str

    def put(self, name: str, text: str) -> None:
        answer = requests.put(
            f"{self.url}{name}.ics",
            data=text.encode(),
            auth=(USER, PASSWORD),
            headers={"Content-Type": "text/calendar"},
            timeout=10,
        )
        assert answer.status_code in (201, 204), answer.text

    def delete(self, name: str) -> None:
        answer = requests.delete(f"{self.url}{name}.ics", auth=(USER, PASSWORD), timeout=10)
        assert answer.status_code in (200, 204), answer.text


def _make_calendar(base: str, name: str, components: str = "VEVENT", user: str = USER) -> Calendar:
    url = f"{base}{user}/{uuid.uuid4().hex}/"
    body = (
        "<?xml version='1.0' encoding='utf-8'?>"
        "<C:mkcalendar xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set><D:prop>"
        f"<D:displayname>{name}</D:displayname><C:supported-calendar-component-set>"
        f"<C:comp name='{components}'/></C:supported-calendar-component-set>"
        "</D:prop></D:set></C:mkcalendar>"
    )
    password = PASSWORD if user == USER else OTHER_PASSWORD
    answer = requests.request("MKCALENDAR", url, data=body, auth=(user, password), timeout=10)
    assert answer.status_code == 201, answer.text
    return Calendar(url)


@pytest.fixture
def calendar(radicale: str) -> Calendar:
    """A calendar of the user's with a one-off meeting and a weekly series in
    the window, and a meeting long before it."""
    made = _make_calendar(radicale, "Work")
    made.put("acme", _event("acme-kickoff", "Kickoff with Acme", "20261015T140000Z", "20261015T150000Z"))
    made.put("series", SERIES.replace("\n", "\r\n"))
    made.put("old", _event("old-one", "Long ago", "20250115T140000Z", "20250115T150000Z"))
    return made


def _fetch(calendar: Calendar, token: str | None = None, **options):
    return fetch(
        calendar.url,
        USER,
        PASSWORD,
        sync_token=token,
        window_start=WINDOW_START,
        window_end=WINDOW_END,
        timeout=options.pop("timeout", 10),
        **options,
    )


def _titles_and_starts(data: bytes) -> list[tuple[str, dt.datetime]]:
    read = read_calendar(data, owner_emails=(), window_start=WINDOW_START, window_end=WINDOW_END)
    return [(occurrence.title, occurrence.start) for occurrence in read.occurrences]


# -- discovery ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["", ".well-known/caldav"], ids=["server root", "well-known"])
def test_discovery_finds_the_persons_event_calendars_and_not_a_task_list(radicale, calendar, path):
    tasks = _make_calendar(radicale, "Tasks", components="VTODO")

    found = {entry.url: entry for entry in discover(radicale + path, USER, PASSWORD, timeout=10)}

    assert calendar.url in found
    assert found[calendar.url].name == "Work"
    assert found[calendar.url].sync_token
    assert tasks.url not in found


def test_an_address_that_is_a_calendar_is_that_one_calendar(radicale, calendar):
    (found,) = discover(calendar.url, USER, PASSWORD, timeout=10)

    assert found.url == calendar.url
    assert found.name == "Work"


def test_an_account_with_a_task_list_alone_is_told_it_has_no_calendar(radicale):
    _make_calendar(radicale, "Chores", components="VTODO", user=OTHER_USER)

    with pytest.raises(CalDavError) as raised:
        discover(radicale, OTHER_USER, OTHER_PASSWORD, timeout=10)

    assert raised.value.message == NO_CALENDARS_MESSAGE


def test_a_wrong_password_is_told_in_plain_words(radicale):
    with pytest.raises(CalDavError) as raised:
        discover(radicale, USER, "not-the-password", timeout=10)

    assert raised.value.message == AUTH_MESSAGE


# -- fetching ----------------------------------------------------------------


def test_fetch_returns_the_windows_events_for_the_calendar_reader(calendar):
    read = _fetch(calendar)

    assert read.changed
    assert read.sync_token
    paris_nine = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)  # 09:00 in Paris, winter time
    assert _titles_and_starts(read.data) == [
        ("Kickoff with Acme", dt.datetime(2026, 10, 15, 14, tzinfo=dt.UTC)),
        ("Weekly review with Contoso", paris_nine),
        ("Weekly review with Contoso", paris_nine + dt.timedelta(weeks=1)),
        ("Weekly review with Contoso", paris_nine + dt.timedelta(weeks=2)),
    ]
    assert b"Long ago" not in read.data


def test_an_unchanged_calendar_is_not_fetched_again_and_a_change_is(calendar):
    first = _fetch(calendar)

    unchanged = _fetch(calendar, first.sync_token)
    assert not unchanged.changed
    assert unchanged.data == b""
    assert unchanged.sync_token == first.sync_token

    calendar.put("acme", _event("acme-kickoff", "Kickoff with Acme moved", "20261016T090000Z", "20261016T100000Z"))
    moved = _fetch(calendar, first.sync_token)
    assert moved.changed
    assert moved.sync_token and moved.sync_token != first.sync_token
    assert ("Kickoff with Acme moved", dt.datetime(2026, 10, 16, 9, tzinfo=dt.UTC)) in _titles_and_starts(moved.data)
    assert "Kickoff with Acme" not in [title for title, _ in _titles_and_starts(moved.data)]

    calendar.delete("acme")
    deleted = _fetch(calendar, moved.sync_token)
    assert deleted.changed
    assert {title for title, _ in _titles_and_starts(deleted.data)} == {"Weekly review with Contoso"}
    assert not _fetch(calendar, deleted.sync_token).changed


def test_a_token_the_server_does_not_know_counts_as_a_change(calendar):
    read = _fetch(calendar, "http://radicale.org/ns/sync/not-a-token")

    assert read.changed
    assert read.sync_token
    assert len(_titles_and_starts(read.data)) == 4


def test_a_window_without_events_is_an_empty_calendar_not_an_error(radicale):
    empty = _make_calendar(radicale, "Empty")

    read = _fetch(empty)

    assert read.changed
    assert _titles_and_starts(read.data) == []


def test_an_answer_over_the_size_limit_is_refused(calendar):
    with pytest.raises(CalDavError) as raised:
        _fetch(calendar, max_bytes=500)

    assert raised.value.message == TOO_LARGE_MESSAGE


def test_a_wrong_password_on_fetch_is_told_in_plain_words(calendar):
    with pytest.raises(CalDavError) as raised:
        fetch(
            calendar.url,
            USER,
            "wrong",
            sync_token=None,
            window_start=WINDOW_START,
            window_end=WINDOW_END,
            timeout=10,
        )

    assert raised.value.message == AUTH_MESSAGE


# -- servers that are not CalDAV, or not there -------------------------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A socket that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"


class _WebPage(http.server.BaseHTTPRequestHandler):
    """Pages for GET; for PROPFIND, /loop sends back to itself and /hop to
    the same server under another host name, which notes the credentials
    that reached it."""

    landed: list[str | None] = []

    def do_PROPFIND(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        port = self.server.server_address[1]
        targets = {"/loop": "/loop", "/hop": f"http://localhost:{port}/landing"}
        if self.path == "/entity":
            self._answer_with_an_entity()
            return
        if self.path == "/landing":
            _WebPage.landed.append(self.headers.get("Authorization"))
        self.send_response(302 if self.path in targets else 404)
        if self.path in targets:
            self.send_header("Location", targets[self.path])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _answer_with_an_entity(self) -> None:
        # A calendar, whose name is an entity: read, it would be found.
        body = (
            b'<?xml version="1.0"?><!DOCTYPE d:multistatus [<!ENTITY name "Work">]>'
            b'<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response>'
            b"<d:href>/entity</d:href><d:propstat><d:prop><d:displayname>&name;</d:displayname>"
            b"<d:resourcetype><d:collection/><c:calendar/></d:resourcetype></d:prop>"
            b"<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"
        )
        self.send_response(207)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        body = b"<!doctype html><title>Welcome</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def web_site() -> Iterator[str]:
    """An ordinary web site: pages, and no WebDAV (PROPFIND answers 501)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_server_that_does_not_answer_is_told_as_a_timeout(silent_server):
    started = time.monotonic()

    with pytest.raises(CalDavError) as raised:
        discover(silent_server, USER, PASSWORD, timeout=0.5)

    assert raised.value.message == TIMEOUT_MESSAGE
    assert time.monotonic() - started < 5


def test_a_fetch_from_a_server_that_does_not_answer_is_told_as_a_timeout(silent_server):
    with pytest.raises(CalDavError) as raised:
        fetch(
            silent_server + "alice/work/",
            USER,
            PASSWORD,
            sync_token="a-token",
            window_start=WINDOW_START,
            window_end=WINDOW_END,
            timeout=0.5,
        )

    assert raised.value.message == TIMEOUT_MESSAGE


def test_an_address_where_nothing_listens_is_told_as_unreachable():
    url = f"http://127.0.0.1:{_free_port()}/"

    with pytest.raises(CalDavError) as raised:
        discover(url, USER, PASSWORD, timeout=5)

    assert raised.value.message == UNREACHABLE_MESSAGE


def test_endless_redirects_are_told_in_plain_words(web_site):
    with pytest.raises(CalDavError) as raised:
        discover(web_site + "loop", USER, PASSWORD, timeout=5)

    assert raised.value.message == REDIRECTS_MESSAGE


def test_the_password_does_not_follow_a_plain_http_redirect_to_another_host(web_site):
    _WebPage.landed.clear()

    with pytest.raises(CalDavError):
        discover(web_site + "hop", USER, PASSWORD, timeout=5)

    assert _WebPage.landed and set(_WebPage.landed) == {None}


def test_an_answer_declaring_entities_is_not_read(web_site):
    with pytest.raises(CalDavError) as raised:
        discover(web_site + "entity", USER, PASSWORD, timeout=5)

    assert raised.value.message == NOT_CALDAV_MESSAGE


def test_an_address_without_http_is_told_what_an_address_looks_like():
    with pytest.raises(CalDavError) as raised:
        discover("calendar.example.com", USER, PASSWORD, timeout=5)

    assert raised.value.message == BAD_ADDRESS_MESSAGE


def test_a_web_site_is_not_a_caldav_server(web_site):
    with pytest.raises(CalDavError) as raised:
        discover(web_site, USER, PASSWORD, timeout=5)

    assert raised.value.message == NOT_CALDAV_MESSAGE
