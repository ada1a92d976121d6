"""Fetching a calendar's feed over HTTP, one way per kind of connection.

A private iCal address is fetched with a conditional GET (the ETag and
Last-Modified of the last read), so an unchanged calendar costs one request
and no parsing. Both kinds go through one HTTP client
(``visits.calendars.web``), which never reads an internal address. Every
failure raises ``CalendarUnreadable`` in plain words, for the person who
gave the address. A CalDAV calendar is fetched by
``visits.calendars.caldav`` (its sync token kept where an address keeps
its ETag); ``fetch_function`` chooses by kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from visits.calendars import caldav, web
from visits.calendars.reading import TOO_LARGE_MESSAGE, CalendarUnreadable

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


def address_normalise(url: str) -> str:
    """A ``webcal://`` address (what calendars offer to subscribe) is HTTPS."""
    url = url.strip()
    if url.lower().startswith("webcal://"):
        return "https://" + url[len("webcal://") :]
    return url


def ics_fetch(request: FetchRequest, timeout: float) -> Fetched:
    """The feed at a private iCal address, or None data if unchanged: one
    conditional GET through the calendar client (``visits.calendars.web``),
    whose timeout, size cap, redirect limit and refusal of internal
    addresses it shares with CalDAV."""
    url = address_normalise(request.url)
    if not url.lower().startswith(SCHEMES):
        raise CalendarUnreadable("This is not a web address: a calendar's address begins with https://.")
    headers = {"Accept": "text/calendar, */*;q=0.5", "User-Agent": "Groundwork calendar reader"}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    try:
        with web.Client(timeout) as client:
            answer = client.request("GET", url, headers=headers)
    except web.WebFailure as error:
        raise CalendarUnreadable(_failure_message(error, timeout)) from error
    if answer.status == 304:
        return Fetched(data=None, etag=request.etag, last_modified=request.last_modified)
    if not 200 <= answer.status < 300:
        raise CalendarUnreadable(_status_message(answer.status))
    return Fetched(
        data=answer.body,
        etag=answer.headers.get("ETag", "")[:300],
        last_modified=answer.headers.get("Last-Modified", "")[:100],
    )


def _timeout_message(timeout: float) -> str:
    return f"The calendar's server did not answer within {timeout:g} seconds."


_REDIRECTS_MESSAGE = (
    f"This address sent the reader on to other addresses more than {web.MAX_REDIRECTS} times (too many redirects)."
)


def _status_message(status: int) -> str:
    if 300 <= status < 400:
        return _REDIRECTS_MESSAGE
    if status == 404:
        return "This address was not found (404): the calendar may have been deleted or its address reset."
    if status in (401, 403):
        return (
            f"This address refused to share the calendar ({status}): "
            "check that it is the calendar's secret address, not its public one."
        )
    if status >= 500:
        return f"The calendar's server failed to answer ({status}); it will be read again later."
    return f"The calendar's server refused the address ({status})."


def _failure_message(error: web.WebFailure, timeout: float) -> str:
    messages = {
        web.BAD_ADDRESS: "This is not a web address: a calendar's address begins with https://.",
        web.PRIVATE: web.PRIVATE_MESSAGE,
        web.REDIRECTED_ELSEWHERE: "This address sent the reader to something other than a web address.",
        web.REDIRECTS: _REDIRECTS_MESSAGE,
        web.REFUSED: "This address's server refused the connection.",
        web.TIMEOUT: _timeout_message(timeout),
        web.TLS: (
            "The calendar's server's secure connection could not be trusted (its certificate is invalid "
            "or expired): check the address."
        ),
        web.TOO_LARGE: TOO_LARGE_MESSAGE,
        web.UNKNOWN_HOST: "This address's server was not found: check the address.",
    }
    return messages.get(error.reason, "The calendar's server could not be reached; it will be read again later.")


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
