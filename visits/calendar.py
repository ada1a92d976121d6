"""Engagements as iCalendar (RFC 5545): one invite to download, or a feed.

Calendar applications match an event by its UID and keep the copy with the
highest SEQUENCE, so an engagement keeps one UID for its whole life and sends
its ``sequence`` (raised by the lifecycle services on every change). Times go
out in UTC: every calendar application shows them in its own time zone, and
no VTIMEZONE needs to travel with them.

The engagements passed in should come with ``attendances`` (and their
executives' users) and ``staff`` prefetched, as
``visits.selectors.engagement_calendar_for_user`` and
``engagement_calendar_people_load`` do; otherwise each costs two queries more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vDuration

from engagement.delivery.links import absolute_url
from engagement.people.models import User
from visits.models import Engagement, EngagementExecutive

PRODID = "-//Groundwork//Engagements//EN"
CALENDAR_NAME = "Groundwork"
# How often a subscribed calendar should fetch the feed again (Apple and
# Outlook read these; Google fetches on its own schedule).
FEED_REFRESH = dt.timedelta(hours=1)
DEFAULT_LENGTH = dt.timedelta(hours=1)
# Called off after it was planned: calendars strike it through or remove it.
CALLED_OFF_STATUSES = (Engagement.Status.CANCELLED, Engagement.Status.NOT_HELD)


def engagement_uid(engagement: Engagement) -> str:
    """The engagement's UID, the same for its whole life, whatever changes."""
    host = urlsplit(settings.SITE_URL).hostname or "groundwork"
    return f"engagement-{engagement.pk}@{host}"


def engagement_ends_at(engagement: Engagement) -> dt.datetime:
    """When it ends: as planned, else its recorded length, else its type's usual one."""
    if engagement.ends_at and engagement.ends_at > engagement.starts_at:
        return engagement.ends_at
    minutes = engagement.duration_minutes or engagement.type.default_duration_minutes
    return engagement.starts_at + (dt.timedelta(minutes=minutes) if minutes else DEFAULT_LENGTH)


def _person(user: User, *, role: str | None = None) -> vCalAddress:
    # RSVP=FALSE: Groundwork does not read replies, so clients should not ask for one.
    return vCalAddress.new(user.email, cn=user.get_full_name(), role=role, rsvp=False if role else None)


def engagement_attendees(engagement: Engagement) -> list[vCalAddress]:
    """The executives (the lead as chair), then the staff, each person once."""
    people: dict[str, vCalAddress] = {}
    attendances = sorted(
        engagement.attendances.all(), key=lambda a: (a.role != EngagementExecutive.Role.LEAD, a.executive.user.email)
    )
    for attendance in attendances:
        user = attendance.executive.user
        role = "CHAIR" if attendance.role == EngagementExecutive.Role.LEAD else "REQ-PARTICIPANT"
        people.setdefault(user.email.lower(), _person(user, role=role))
    for user in engagement.staff.all():
        people.setdefault(user.email.lower(), _person(user, role="REQ-PARTICIPANT"))
    return list(people.values())


def _description(engagement: Engagement, *, url: str) -> str:
    parts = []
    if engagement.objective:
        parts.append(f"Objective: {engagement.objective}")
    if engagement.brief:
        parts.append(f"Brief:\n{engagement.brief}")
    if engagement.meeting_link:
        parts.append(f"Join: {engagement.meeting_link}")
    parts.append(f"In Groundwork: {url}")
    return "\n\n".join(parts)


def engagement_event(engagement: Engagement, *, now: dt.datetime | None = None) -> Event:
    """One VEVENT for ``engagement``."""
    url = absolute_url(reverse("visits:engagement_detail", kwargs={"pk": engagement.pk}))
    event = Event()
    event.add("uid", engagement_uid(engagement))
    event.add("sequence", engagement.sequence)
    event.add("dtstamp", (now or timezone.now()).astimezone(dt.UTC))
    event.add("last-modified", engagement.updated_at.astimezone(dt.UTC))
    event.add("dtstart", engagement.starts_at.astimezone(dt.UTC))
    event.add("dtend", engagement_ends_at(engagement).astimezone(dt.UTC))
    event.add("summary", f"{engagement.type.name} with {engagement.account.name}")
    location = engagement.location or engagement.meeting_link
    if location:
        event.add("location", location)
    event.add("description", _description(engagement, url=url))
    event.add("url", url)
    event.add("status", "CANCELLED" if engagement.status in CALLED_OFF_STATUSES else "CONFIRMED")
    if engagement.requested_by is not None:
        event.add("organizer", _person(engagement.requested_by))
    for attendee in engagement_attendees(engagement):
        event.add("attendee", attendee)
    return event


def _calendar(*, method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def invite_for_engagement(engagement: Engagement, *, now: dt.datetime | None = None) -> bytes:
    """The invite for one engagement: a request, or a cancellation once it is
    called off, so that the calendar that imported it updates its copy."""
    method = "CANCEL" if engagement.status in CALLED_OFF_STATUSES else "REQUEST"
    calendar = _calendar(method=method)
    calendar.add_component(engagement_event(engagement, now=now))
    return calendar.to_ical()


def calendar_for_engagements(engagements: Iterable[Engagement], *, now: dt.datetime | None = None) -> bytes:
    """A published calendar of ``engagements``, for subscribing to."""
    now = now or timezone.now()
    calendar = _calendar(method="PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("name", CALENDAR_NAME)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    # An X- property has no type icalendar knows: without vDuration it would
    # be written as Python prints a timedelta ("1:00:00"), which Outlook ignores.
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    for engagement in engagements:
        calendar.add_component(engagement_event(engagement, now=now))
    return calendar.to_ical()
