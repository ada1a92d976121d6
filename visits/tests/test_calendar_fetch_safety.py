"""Calendars are never read from inside a private network: an address that
is, or resolves to, or redirects to an internal address is refused before
any request reaches it, on the iCal and the CalDAV path alike."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from engagement.tests.factories import UserFactory
from visits.calendar_reads import calendar_read
from visits.calendars import caldav, web
from visits.calendars.fetching import FetchRequest, caldav_fetch, ics_fetch
from visits.calendars.reading import CalendarUnreadable
from visits.models import CalendarConnection

NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
WINDOW = (NOW - dt.timedelta(days=30), NOW + dt.timedelta(days=60))
# A public address (example.com's) that the tests route to the local server.
PUBLIC = "93.184.215.14"
CALENDAR = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:one\r\n"
    b"DTSTART:20261208T100000Z\r\nDTEND:20261208T110000Z\r\nSUMMARY:Review\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


_REDIRECT_TARGETS = {
    "/to-loopback": "http://127.0.0.1:{port}/calendar.ics",
    "/to-public": f"http://{PUBLIC}:{{port}}/calendar.ics",
}


class _Handler(http.server.BaseHTTPRequestHandler):
    """/calendar.ics is a calendar; /to-loopback and /to-public redirect (for
    any method) to /calendar.ics on 127.0.0.1 and on the public address."""

    server: _Server

    def _answer(self) -> None:
        self.server.seen.append((self.command, self.path))
        self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        port = self.server.server_address[1]
        if self.path in _REDIRECT_TARGETS:
            self.send_response(307)
            self.send_header("Location", _REDIRECT_TARGETS[self.path].format(port=port))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(CALENDAR)))
        self.end_headers()
        self.wfile.write(CALENDAR)

    do_GET = do_PROPFIND = do_REPORT = _answer

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, str]] = []


@pytest.fixture
def server() -> Iterator[_Server]:
    running = _Server()
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


@pytest.fixture
def refusing(settings, monkeypatch) -> None:
    """Production's rule, and the public address routed to the local server:
    the check still sees the public address, only the socket goes to 127.0.0.1."""
    settings.CALENDAR_ALLOW_PRIVATE_ADDRESSES = False
    connect = web._connect

    def routed(address: str, port: int, *args: object) -> socket.socket:
        return connect("127.0.0.1" if address == PUBLIC else address, port, *args)

    monkeypatch.setattr(web, "_connect", routed)


def _ics(url: str) -> bytes | None:
    return ics_fetch(FetchRequest(url=url, window_start=WINDOW[0], window_end=WINDOW[1]), 5).data


def _caldav(url: str) -> bytes | None:
    request = FetchRequest(url=url, window_start=WINDOW[0], window_end=WINDOW[1], username="a", password="secret")
    return caldav_fetch(request, 5).data


FETCHES = pytest.mark.parametrize("fetch", [_ics, _caldav], ids=["ics", "caldav"])


@FETCHES
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_an_internal_address_is_refused_before_any_request(server, refusing, fetch, host):
    port = server.server_address[1]
    if host.startswith("[") and not socket.has_ipv6:
        pytest.skip("no IPv6 here")

    with pytest.raises(Exception) as raised:
        fetch(f"http://{host}:{port}/calendar.ics")

    assert getattr(raised.value, "message", None) == web.PRIVATE_MESSAGE
    assert server.seen == []


@FETCHES
def test_a_public_address_redirecting_inside_is_refused_at_the_redirect(server, refusing, fetch):
    port = server.server_address[1]

    with pytest.raises(Exception) as raised:
        fetch(f"http://{PUBLIC}:{port}/to-loopback")

    assert getattr(raised.value, "message", None) == web.PRIVATE_MESSAGE
    # The public address was asked; the internal one it pointed to never was.
    assert [path for _, path in server.seen] == ["/to-loopback"]


def test_a_public_address_and_its_public_redirect_are_read(server, refusing):
    port = server.server_address[1]

    assert _ics(f"http://{PUBLIC}:{port}/to-public") == CALENDAR
    assert [path for _, path in server.seen] == ["/to-public", "/calendar.ics"]


def test_a_host_with_one_internal_address_among_public_ones_is_refused(server, refusing, monkeypatch):
    port = server.server_address[1]

    def resolve(host: str, *args: object) -> list[tuple]:
        assert host == "calendar.example"
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(web.socket, "getaddrinfo", resolve)

    with pytest.raises(Exception) as raised:
        _ics(f"http://calendar.example:{port}/calendar.ics")

    assert getattr(raised.value, "message", None) == web.PRIVATE_MESSAGE
    assert server.seen == []


@pytest.mark.django_db
def test_a_refused_calendar_keeps_the_message_on_its_connection(server, refusing):
    connection = CalendarConnection(owner=UserFactory(), name="Work", next_read_at=NOW)
    connection.url = f"http://localhost:{server.server_address[1]}/calendar.ics"
    connection.save()

    outcome = calendar_read(connection.pk, NOW)

    assert (outcome.result, outcome.error) == ("failed", web.PRIVATE_MESSAGE)
    connection.refresh_from_db()
    assert connection.error == web.PRIVATE_MESSAGE and connection.failures == 1
    assert server.seen == []


def test_caldav_discovery_is_refused_too(server, refusing):
    with pytest.raises(caldav.CalDavError) as raised:
        caldav.discover(f"http://127.0.0.1:{server.server_address[1]}/", "a", "secret", timeout=5)

    assert raised.value.message == web.PRIVATE_MESSAGE
    assert server.seen == []


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # a cloud's metadata service
        ("100.64.0.1", True),  # shared address space (carrier NAT)
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("::1", True),
        ("::", True),
        ("fe80::1", True),
        ("fe80::1%eth0", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("93.184.215.14", False),
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("::ffff:8.8.8.8", False),
    ],
)
def test_which_addresses_are_internal(address, private):
    assert web.address_is_private(address) is private


def test_the_setting_lets_local_servers_be_read(server, settings):
    settings.CALENDAR_ALLOW_PRIVATE_ADDRESSES = True

    assert _ics(f"http://localhost:{server.server_address[1]}/calendar.ics") == CALENDAR


class _Status(http.server.BaseHTTPRequestHandler):
    """Answers GET /<status> with that status."""

    def do_GET(self) -> None:
        self.send_response(int(self.path.strip("/")))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def statuses() -> Iterator[str]:
    running = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Status)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{running.server_address[1]}/"
    running.shutdown()
    running.server_close()


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("401", "refused to share the calendar (401)"),
        ("403", "refused to share the calendar (403)"),
        ("503", "failed to answer (503); it will be read again later"),
        ("410", "refused the address (410)"),
    ],
)
def test_each_status_is_told_in_plain_words(statuses, path, words):
    with pytest.raises(CalendarUnreadable) as raised:
        _ics(statuses + path)

    assert words in raised.value.message


def test_a_server_that_is_not_there_is_told_in_plain_words():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(CalendarUnreadable) as refused:
        _ics(f"http://127.0.0.1:{port}/calendar.ics")
    with pytest.raises(CalendarUnreadable) as unknown:
        _ics("http://calendar.invalid/calendar.ics")

    assert refused.value.message == "This address's server refused the connection."
    assert unknown.value.message == "This address's server was not found: check the address."


def test_a_redirect_to_another_kind_of_address_is_refused(server, monkeypatch):
    monkeypatch.setitem(_REDIRECT_TARGETS, "/to-loopback", "file:///etc/passwd")

    with pytest.raises(CalendarUnreadable) as raised:
        _ics(f"http://127.0.0.1:{server.server_address[1]}/to-loopback")

    assert raised.value.message == "This address sent the reader to something other than a web address."
