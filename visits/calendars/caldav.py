"""Reading an executive's calendar over CalDAV: finding their calendars, and
fetching the events of the reading window, with a sync token that says
whether anything changed since the last time.

A small client of its own, on the calendar client (``visits.calendars.web``,
on requests) and the standard library's XML parser, rather than the
``caldav`` package: reading needs four requests (PROPFIND for discovery, a
sync-collection REPORT, a calendar-query REPORT and a PROPFIND for the
token), and each must stream under a size cap and a deadline, keep its
method and body across a redirect, never send the app password to another
host in the clear and never reach an address inside a private network. ``caldav`` does far more (writing, scheduling,
tasks), pulls in lxml, its own vobject and icalendar pins, and reads whole
answers into memory, so the cap would come after the cost.

XML: answers go to ``xml.etree.ElementTree`` (expat), which never fetches
external entities and, from expat 2.4, limits entity expansion; on top of
that any answer with a DOCTYPE is refused before parsing, since a
multistatus never needs one, so no entity at all is ever expanded.

Every failure is a ``CalDavError`` whose message is for the person who
typed the address, user name and app password.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

from visits.calendars import web
from visits.calendars.reading import MAX_FEED_BYTES

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
APPLE = "http://apple.com/ns/ical/"
CALSERVER = "http://calendarserver.org/ns/"
DEFAULT_TIMEOUT = 20.0
# What the reader gets when the window holds no event: a calendar, empty,
# rather than no bytes at all (which it rightly calls a wrong address).
EMPTY_CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Groundwork//CalDAV reading//EN\r\nEND:VCALENDAR\r\n"

AUTH_MESSAGE = (
    "The server refused this user name and app password: check them, and that the password "
    "is an app password if your account uses two-step sign-in."
)
FORBIDDEN_MESSAGE = "The server does not let this user name read this calendar: check that it is your own calendar."
NOT_CALDAV_MESSAGE = (
    "This address is not a CalDAV server: check the server address your calendar provider gives for CalDAV."
)
NO_CALENDARS_MESSAGE = "The server answered, but this account has no calendar with events in it."
TIMEOUT_MESSAGE = "The calendar server did not answer in time: try again later, or check the server address."
TOO_LARGE_MESSAGE = (
    "The calendar server's answer is larger than the limit, more than one person's calendar holds: "
    "check that it is your own calendar."
)
TLS_MESSAGE = (
    "The calendar server's secure connection could not be trusted (its certificate is invalid or expired): "
    "check the server address, or ask your calendar provider."
)
UNREACHABLE_MESSAGE = (
    "The calendar server could not be reached: check the server address, and that the server is running."
)
BAD_ADDRESS_MESSAGE = "This is not a web address: it should start with https://"
REDIRECTS_MESSAGE = "The calendar server sent us from address to address without end: check the server address."
SERVER_ERROR_MESSAGE = "The calendar server had a problem answering: try again later."

# What ends discovery at the first address: the next would fare the same.
_FINAL = frozenset(
    {AUTH_MESSAGE, TIMEOUT_MESSAGE, TLS_MESSAGE, UNREACHABLE_MESSAGE, REDIRECTS_MESSAGE, web.PRIVATE_MESSAGE}
)


class CalDavError(Exception):
    """A calendar server that cannot be read, with a message in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class FoundCalendar:
    """One calendar of the person's, as discovery found it."""

    url: str
    name: str
    colour: str = ""
    ctag: str = ""
    sync_token: str = ""


@dataclass(frozen=True, slots=True)
class CalDavRead:
    """The events of the window (concatenated VCALENDARs that ``read_calendar``
    reads as one), or, when nothing changed since ``sync_token``, no data."""

    data: bytes
    sync_token: str | None
    changed: bool


# -- discovery ---------------------------------------------------------------

_CALENDAR_PROPS = (
    f"<d:propfind xmlns:d='{DAV}' xmlns:c='{CALDAV}' xmlns:a='{APPLE}' xmlns:cs='{CALSERVER}'><d:prop>"
    "<d:resourcetype/><d:displayname/><d:current-user-principal/><c:calendar-home-set/>"
    "<c:supported-calendar-component-set/><a:calendar-color/><cs:getctag/><d:sync-token/>"
    "</d:prop></d:propfind>"
)


def discover(server_url: str, username: str, password: str, *, timeout: float = DEFAULT_TIMEOUT) -> list[FoundCalendar]:
    """The person's calendars that hold events (RFC 4791 and 6764): from the
    address given, or else its ``/.well-known/caldav``, to the person's
    principal, their calendar home, and the calendars in it. An address
    that is itself a calendar is that one calendar."""
    start = _checked_url(server_url)
    with _Client(username, password, timeout) as client:
        own = _starting_point(client, [start, urljoin(start, "/.well-known/caldav")])
        if _is_event_calendar(own.props):
            return [_found(own)]
        home = own.href_of(CALDAV, "calendar-home-set")
        if home is None:
            principal = own.href_of(DAV, "current-user-principal") or own.url
            answer = _propfind(client, principal, depth="0")[0]
            home = answer.href_of(CALDAV, "calendar-home-set") or principal
        found = [_found(r) for r in _propfind(client, home, depth="1") if _is_event_calendar(r.props)]
        if not found:
            raise CalDavError(NO_CALENDARS_MESSAGE)
        return found


def _starting_point(client: _Client, urls: list[str]) -> _Response:
    """The first address that is a calendar or names the person's principal
    or calendar home; a refused password, a timeout, an unreachable server
    or endless redirects end the search at once."""
    for url in urls:
        try:
            own = _propfind(client, url, depth="0")[0]
        except CalDavError as error:
            if error.message in _FINAL:
                raise
            continue
        if (
            _is_event_calendar(own.props)
            or own.href_of(DAV, "current-user-principal")
            or own.href_of(CALDAV, "calendar-home-set")
        ):
            return own
    raise CalDavError(NOT_CALDAV_MESSAGE)


def _is_event_calendar(props: ElementTree.Element) -> bool:
    kinds = props.find(f"{{{DAV}}}resourcetype")
    if kinds is None or kinds.find(f"{{{CALDAV}}}calendar") is None:
        return False
    components = props.find(f"{{{CALDAV}}}supported-calendar-component-set")
    if components is None or not len(components):
        return True  # RFC 4791 5.2.3: absent, every component type is allowed
    return any(comp.get("name", "").upper() == "VEVENT" for comp in components)


def _found(response: _Response) -> FoundCalendar:
    name = response.text(DAV, "displayname") or urlsplit(response.url).path.rstrip("/").rsplit("/", 1)[-1]
    return FoundCalendar(
        url=response.url,
        name=name,
        colour=response.text(APPLE, "calendar-color"),
        ctag=response.text(CALSERVER, "getctag"),
        sync_token=response.text(DAV, "sync-token"),
    )


# -- fetching ----------------------------------------------------------------


def fetch(
    calendar_url: str,
    username: str,
    password: str,
    *,
    sync_token: str | None,
    window_start: dt.datetime,
    window_end: dt.datetime,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_FEED_BYTES,
) -> CalDavRead:
    """The calendar's events that overlap the window, unless the server's
    sync token (RFC 6578) says nothing changed since ``sync_token``.

    The sync REPORT only decides whether anything changed: it names changed
    and removed events, not the whole window, so when anything did, every
    event of the window is fetched again by a calendar-query REPORT and the
    reader sees the calendar whole. A server without sync tokens is queried
    every time (``sync_token`` None, ``changed`` True)."""
    url = _checked_url(calendar_url)
    with _Client(username, password, timeout, max_bytes) as client:
        if sync_token:
            new_token, changed = _sync(client, url, sync_token)
            if not changed:
                return CalDavRead(data=b"", sync_token=sync_token, changed=False)
        else:
            new_token = _current_token(client, url)
        data = _query(client, url, window_start, window_end)
        return CalDavRead(data=data, sync_token=new_token, changed=True)


def _sync(client: _Client, url: str, token: str) -> tuple[str | None, bool]:
    """The server's new token and whether anything changed since ``token``.
    A token the server no longer knows (or a server that dropped sync
    support) counts as a change, and a fresh token is read."""
    body = (
        f"<d:sync-collection xmlns:d='{DAV}'><d:sync-token>{_escape(token)}</d:sync-token>"
        "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"
    )
    answer = client.request("REPORT", url, body, depth="0")
    if answer.status != 207:
        return _current_token(client, url), True
    root = _xml(answer.body)
    new_token = (root.findtext(f"{{{DAV}}}sync-token") or "").strip() or None
    changed = root.find(f"{{{DAV}}}response") is not None or new_token != token
    return new_token, changed


def _current_token(client: _Client, url: str) -> str | None:
    body = f"<d:propfind xmlns:d='{DAV}'><d:prop><d:sync-token/></d:prop></d:propfind>"
    return _propfind(client, url, depth="0", body=body)[0].text(DAV, "sync-token") or None


def _query(client: _Client, url: str, window_start: dt.datetime, window_end: dt.datetime) -> bytes:
    body = (
        f"<c:calendar-query xmlns:d='{DAV}' xmlns:c='{CALDAV}'><d:prop><c:calendar-data/></d:prop>"
        "<c:filter><c:comp-filter name='VCALENDAR'><c:comp-filter name='VEVENT'>"
        f"<c:time-range start='{_utc(window_start)}' end='{_utc(window_end)}'/>"
        "</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"
    )
    answer = client.request("REPORT", url, body, depth="1")
    if answer.status != 207:
        raise CalDavError(_status_message(answer.status))
    calendars = [
        data.text.strip().encode()
        for data in _xml(answer.body).iter(f"{{{CALDAV}}}calendar-data")
        if data.text and data.text.strip()
    ]
    return b"\r\n".join(calendars) + b"\r\n" if calendars else EMPTY_CALENDAR


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- the wire ----------------------------------------------------------------


class _Response:
    """One ``<response>`` of a multistatus: its absolute URL and the
    properties the server found (status 200)."""

    def __init__(self, element: ElementTree.Element, base: str) -> None:
        self.url = urljoin(base, (element.findtext(f"{{{DAV}}}href") or "").strip())
        self.props = ElementTree.Element("prop")
        for propstat in element.findall(f"{{{DAV}}}propstat"):
            if " 200 " in f"{propstat.findtext(f'{{{DAV}}}status') or ''} ":
                for prop in propstat.findall(f"{{{DAV}}}prop"):
                    self.props.extend(list(prop))

    def text(self, namespace: str, name: str) -> str:
        return (self.props.findtext(f"{{{namespace}}}{name}") or "").strip()

    def href_of(self, namespace: str, name: str) -> str | None:
        href = self.props.findtext(f"{{{namespace}}}{name}/{{{DAV}}}href")
        return urljoin(self.url, href.strip()) if href and href.strip() else None


def _propfind(client: _Client, url: str, *, depth: str, body: str = _CALENDAR_PROPS) -> list[_Response]:
    answer = client.request("PROPFIND", url, body, depth=depth)
    if answer.status != 207:
        raise CalDavError(_status_message(answer.status))
    responses = [_Response(element, answer.url) for element in _xml(answer.body).findall(f"{{{DAV}}}response")]
    if not responses:
        raise CalDavError(NOT_CALDAV_MESSAGE)
    return responses


def _status_message(status: int) -> str:
    if status == 401:
        return AUTH_MESSAGE
    if status == 403:
        return FORBIDDEN_MESSAGE
    if status >= 500:
        return SERVER_ERROR_MESSAGE
    return NOT_CALDAV_MESSAGE


def _xml(body: bytes) -> ElementTree.Element:
    # Entities can only be declared in a DOCTYPE, which comes before the root.
    root_name = body.find(b"multistatus")
    if b"<!DOCTYPE" in body[: root_name if root_name >= 0 else len(body)].upper():
        raise CalDavError(NOT_CALDAV_MESSAGE)
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise CalDavError(NOT_CALDAV_MESSAGE) from error
    if root.tag != f"{{{DAV}}}multistatus":
        raise CalDavError(NOT_CALDAV_MESSAGE)
    return root


def _checked_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CalDavError(BAD_ADDRESS_MESSAGE)
    return url.strip()


class _Client:
    """WebDAV requests with the person's credentials, through the calendar
    client (``visits.calendars.web``: redirects followed by hand, the
    password never sent to another host over http, the cap, the deadline,
    no internal address), each failure worded for the person."""

    def __init__(self, username: str, password: str, timeout: float, max_bytes: int = MAX_FEED_BYTES) -> None:
        self.web = web.Client(timeout, auth=(username, password), max_bytes=max_bytes)

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.web.session.close()

    def request(self, method: str, url: str, body: str, *, depth: str) -> web.Answer:
        headers = {"Depth": depth, "Content-Type": "application/xml; charset=utf-8"}
        try:
            return self.web.request(method, url, body=body.encode(), headers=headers)
        except web.WebFailure as error:
            raise CalDavError(_MESSAGES[error.reason]) from error


_MESSAGES = {
    web.BAD_ADDRESS: BAD_ADDRESS_MESSAGE,
    web.PRIVATE: web.PRIVATE_MESSAGE,
    web.REDIRECTED_ELSEWHERE: BAD_ADDRESS_MESSAGE,
    web.REDIRECTS: REDIRECTS_MESSAGE,
    web.REFUSED: UNREACHABLE_MESSAGE,
    web.TIMEOUT: TIMEOUT_MESSAGE,
    web.TLS: TLS_MESSAGE,
    web.TOO_LARGE: TOO_LARGE_MESSAGE,
    web.UNKNOWN_HOST: UNREACHABLE_MESSAGE,
    web.UNREACHABLE: UNREACHABLE_MESSAGE,
}
