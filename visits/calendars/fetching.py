"""Fetching a calendar's feed over HTTP, one way per kind of connection.

A private iCal address is fetched with a conditional GET (the ETag and
Last-Modified of the last read), so an unchanged calendar costs one request
and no parsing. Every failure raises ``CalendarUnreadable`` in plain words,
for the person who gave the address. A CalDAV calendar is fetched by
``visits.calendars.caldav`` (its sync token kept where an address keeps
its ETag); ``fetch_function`` chooses by kind.
"""

from __future__ import annotations

import datetime as dt
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPException, HTTPResponse
from typing import Any

from visits.calendars import caldav
from visits.calendars.reading import CalendarUnreadable, check_feed_size

MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
SCHEMES = ("http://", "https://")


@dataclass(frozen=True, slots=True)
class Fetched:
    """What the server answered: ``data`` is None when the calendar has not
    changed since the last read (304)."""

    data: bytes | None
    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True, slots=True)
class FetchRequest:
    url: str
    # The reading window: a CalDAV server is asked for these events only.
    window_start: dt.datetime
    window_end: dt.datetime
    username: str = ""
    password: str = ""
    etag: str = ""
    last_modified: str = ""


FetchFunction = Callable[[FetchRequest, float], Fetched]


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS
    max_repeats = MAX_REDIRECTS


def _opener() -> urllib.request.OpenerDirector:
    """HTTP and HTTPS only: never a file or FTP address, even by a redirect."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        _Redirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def address_normalise(url: str) -> str:
    """A ``webcal://`` address (what calendars offer to subscribe) is HTTPS."""
    url = url.strip()
    if url.lower().startswith("webcal://"):
        return "https://" + url[len("webcal://") :]
    return url


def ics_fetch(request: FetchRequest, timeout: float) -> Fetched:
    """The feed at a private iCal address, or None data if unchanged."""
    url = address_normalise(request.url)
    if not url.lower().startswith(SCHEMES):
        raise CalendarUnreadable("This is not a web address: a calendar's address begins with https://.")
    headers = {"Accept": "text/calendar, */*;q=0.5", "User-Agent": "Groundwork calendar reader"}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    deadline = time.monotonic() + timeout
    try:
        with _opener().open(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            data = _read_capped(response, deadline, timeout)
            return Fetched(
                data=data,
                etag=response.headers.get("ETag", "")[:300],
                last_modified=response.headers.get("Last-Modified", "")[:100],
            )
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Fetched(data=None, etag=request.etag, last_modified=request.last_modified)
        raise CalendarUnreadable(_status_message(error)) from error
    except urllib.error.URLError as error:
        raise CalendarUnreadable(_reason_message(error.reason, timeout)) from error
    except TimeoutError as error:
        raise CalendarUnreadable(_timeout_message(timeout)) from error
    except (HTTPException, OSError, ValueError) as error:
        raise CalendarUnreadable(f"The calendar's server could not be read: {error.__class__.__name__}.") from error


def _read_capped(response: HTTPResponse | Any, deadline: float, timeout: float) -> bytes:
    """The body, refused past ``MAX_FEED_BYTES`` as it arrives (an announced
    length is refused before reading) or past the deadline."""
    announced = response.headers.get("Content-Length")
    check_feed_size(int(announced) if announced and announced.isdigit() else None)
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(_CHUNK):
        size += len(chunk)
        check_feed_size(size)
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise CalendarUnreadable(_timeout_message(timeout))
    return b"".join(chunks)


def _timeout_message(timeout: float) -> str:
    return f"The calendar's server did not answer within {timeout:g} seconds."


def _status_message(error: urllib.error.HTTPError) -> str:
    if 300 <= error.code < 400:
        return (
            f"This address sent the reader on to other addresses more than {MAX_REDIRECTS} times (too many redirects)."
        )
    if error.code == 404:
        return "This address was not found (404): the calendar may have been deleted or its address reset."
    if error.code in (401, 403):
        return (
            f"This address refused to share the calendar ({error.code}): "
            "check that it is the calendar's secret address, not its public one."
        )
    if error.code >= 500:
        return f"The calendar's server failed to answer ({error.code}); it will be read again later."
    return f"The calendar's server refused the address ({error.code})."


def _reason_message(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError):
        return _timeout_message(timeout)
    if isinstance(reason, socket.gaierror):
        return "This address's server was not found: check the address."
    if isinstance(reason, ConnectionRefusedError):
        return "This address's server refused the connection."
    if isinstance(reason, str) and "unknown url type" in reason:
        return "This address sent the reader to something other than a web address."
    return f"The calendar's server could not be reached: {reason}."


def fetch_function(kind: str) -> FetchFunction:
    """How a connection of ``kind`` is fetched."""
    if kind == "ics":
        return ics_fetch
    if kind == "caldav":
        return caldav_fetch
    raise ValueError(f"Unknown kind of calendar connection: {kind!r}")


def caldav_fetch(request: FetchRequest, timeout: float) -> Fetched:
    """The window's events from a CalDAV calendar (``visits.calendars.caldav``),
    or None data when its sync token says nothing changed; the connection
    keeps the sync token where an iCal address keeps its ETag."""
    try:
        read = caldav.fetch(
            request.url,
            request.username,
            request.password,
            sync_token=request.etag or None,
            window_start=request.window_start,
            window_end=request.window_end,
            timeout=timeout,
        )
    except caldav.CalDavError as error:
        raise CalendarUnreadable(error.message) from error
    if not read.changed:
        return Fetched(data=None, etag=request.etag)
    return Fetched(data=read.data, etag=(read.sync_token or "")[:300])
