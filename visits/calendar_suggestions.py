"""Customer meetings read from an executive's calendar, made contacts.

A past meeting read from one of the person's calendars
(``visits.calendar_reads``) is a suggested contact until they confirm it
(one tap: logged through the same service as a typed contact, its kind and
length taken from the event) or dismiss it as no customer meeting. A person
who chose to may have their meetings logged without the tap once they have
ended (``calendar_meeting_auto_confirm``, one task each, queued by a
periodic task).

What a meeting made is keyed by the event's UID and occurrence
(``calendar_key``), so that reading the calendar again, a second calendar
holding the same event, or two taps at once never make a second engagement.
When the event is moved, the contact it made moves with it; when it is
cancelled (gone from the calendar), the contact is withdrawn; both are
recorded in the audit trail and the engagement's history.

This module also puts the suggestions on the executive's home (a source of
needs, with "Log it" in the line) and the upcoming ones in a panel there,
and tells the reminder engine which executives have a customer meeting
coming before their window closes, so that they are not told it is closing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from engagement.audit.trail import audit_change
from engagement.dashboards.needs import Need, Urgency, ago_text, need_source, needs_of, plural, with_total
from engagement.dashboards.panels import Panel, home_panel
from engagement.errors import ProgramError
from engagement.moments import moment_text
from engagement.people.models import Executive, User
from engagement.people.roles import Role
from engagement.reminders.contact import upcoming_contact_source
from visits.models import CalendarMeeting, Engagement, EngagementExecutive, EngagementType
from visits.services import (
    engagement_contacts_sync,
    engagement_log_contact,
    engagement_logged_remove,
    engagement_status_record,
)

# A meeting is suggested for as long as the calendar is read back (30 days).
SUGGESTED_DAYS = 30
# The home lists customer meetings this far ahead, at most this many.
UPCOMING_DAYS = 14
UPCOMING_SHOWN = 5
# A meeting's own length is kept between these; an all-day (or longer)
# event takes its kind's usual length instead.
SHORTEST_MINUTES = 5
LONGEST_MINUTES = 12 * 60
MOVED_NOTE = "Moved in the calendar"
CANCELLED_REASON = "The meeting was cancelled or taken out of the calendar it was read from."
MOVED_AHEAD_REASON = "The meeting was moved in the calendar to a time still to come: it has not taken place yet."
_ONLINE = re.compile(r"zoom|teams|meet\.google|webex|whereby|skype|video|call|phone|online|virtual", re.IGNORECASE)


def calendar_key(meeting: CalendarMeeting) -> str:
    """The event's UID and occurrence: one engagement each, whoever confirms
    it from whichever calendar."""
    return f"{meeting.uid}#{meeting.recurrence_key}"


def meeting_minutes(meeting: CalendarMeeting, engagement_type: EngagementType) -> int:
    """How long the meeting lasted, as its event says; an all-day event (a
    day or more) says nothing of it, so its kind's usual length."""
    minutes = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    if minutes >= 24 * 60 or minutes <= 0:
        return engagement_type.default_duration_minutes
    return max(SHORTEST_MINUTES, min(minutes, LONGEST_MINUTES))


def meeting_type_guess(meeting: CalendarMeeting, types: Iterable[EngagementType]) -> EngagementType | None:
    """The kind of engagement an event most likely was: a video or phone
    call when its place or title says so (or it has no place), else a
    visit; the first active kind that counts when the program has neither."""
    counting = [kind for kind in types if kind.active and kind.counts_toward_cadence]
    by_slug = {kind.slug: kind for kind in counting}
    online = not meeting.location.strip() or _ONLINE.search(f"{meeting.location} {meeting.title}")
    wanted = ("virtual-meeting", "on-site-visit") if online else ("on-site-visit", "virtual-meeting")
    for slug in wanted:
        if slug in by_slug:
            return by_slug[slug]
    return counting[0] if counting else None


def engagement_types_counting() -> QuerySet[EngagementType]:
    """The kinds a meeting may be logged as: those that count as customer contact."""
    return EngagementType.objects.filter(active=True, counts_toward_cadence=True)


# --- What the person sees -----------------------------------------------------------


def meetings_suggested(*, user: User, now: dt.datetime) -> QuerySet[CalendarMeeting]:
    """The person's past customer meetings, read from their calendars, that
    they have neither logged nor dismissed: the most recent first."""
    return (
        CalendarMeeting.objects.filter(
            connection__owner=user,
            engagement__isnull=True,
            dismissed_at__isnull=True,
            ends_at__lte=now,
            starts_at__gte=now - dt.timedelta(days=SUGGESTED_DAYS),
        )
        .select_related("account")
        .order_by("-starts_at", "pk")
    )


def meetings_upcoming(*, user: User, now: dt.datetime, days: int = UPCOMING_DAYS) -> QuerySet[CalendarMeeting]:
    """The person's customer meetings still to come, read from their
    calendars, the soonest first (those dismissed left out)."""
    return (
        CalendarMeeting.objects.filter(
            connection__owner=user,
            dismissed_at__isnull=True,
            ends_at__gt=now,
            starts_at__lt=now + dt.timedelta(days=days),
        )
        .select_related("account")
        .order_by("starts_at", "pk")
    )


def meeting_text(meeting: CalendarMeeting) -> str:
    """The account first (what a phone shows of a long line), then the title."""
    title = meeting.title.strip()
    return f"{meeting.account.name} · {title}" if title else meeting.account.name


@need_source(Role.EXECUTIVE)
def calendar_suggestions_needed(*, user: User, now: dt.datetime) -> list[Need]:
    """Each past customer meeting to log, with "Log it" in its line; more
    than a few are one line that opens them all. One query."""
    rows = with_total(meetings_suggested(user=user, now=now))
    page = reverse("visits:calendar_suggestions")

    def each(meeting: CalendarMeeting) -> Need:
        return Need(
            kind="calendar_suggestion",
            text=f"Log: {meeting_text(meeting)}",
            url=f"{page}#meeting-{meeting.pk}",
            urgency=Urgency.WAITING,
            at=meeting.ends_at,
            when=meeting.starts_at,
            action=("Log it", reverse("visits:calendar_meeting_confirm", kwargs={"pk": meeting.pk})),
        )

    def group(first: CalendarMeeting, total: int) -> Need:
        return Need(
            kind="calendar_suggestion",
            text=f"{plural(total, 'customer meeting', 'customer meetings')} from your calendar to log",
            url=page,
            urgency=Urgency.WAITING,
            at=first.ends_at,
            note=f"latest {ago_text((now - first.ends_at).days)}",
            count=total,
        )

    return needs_of(rows, each=each, group=group)


@home_panel(Role.EXECUTIVE)
def calendar_upcoming_panel(request: HttpRequest, *, executive: Executive) -> Panel | None:
    """The customer meetings coming up in the executive's calendars; nothing
    when there are none (or no calendar is connected). One query."""
    meetings = list(meetings_upcoming(user=request.user, now=timezone.now())[:UPCOMING_SHOWN])
    if not meetings:
        return None
    return Panel("visits/calendars/upcoming_panel.html", {"meetings": meetings})


@upcoming_contact_source
def calendar_meetings_before(deadlines: Mapping[int, dt.datetime], now: dt.datetime) -> set[int]:
    """Of the executives (id -> when their window closes), those with a
    customer meeting in one of their calendars starting before then. One query."""
    rows = CalendarMeeting.objects.filter(
        connection__owner__executive__pk__in=list(deadlines),
        connection__broken_at__isnull=True,
        dismissed_at__isnull=True,
        starts_at__gte=now,
        starts_at__lt=max(deadlines.values()),
    ).values_list("connection__owner__executive__pk", "starts_at")
    return {pk for pk, starts_at in rows if starts_at < deadlines[pk]}


# --- What the person does ---------------------------------------------------------


def _owned(meeting_pk: int, user: User) -> CalendarMeeting:
    meeting = (
        CalendarMeeting.objects.select_for_update(of=("self",))
        .select_related("account", "connection")
        .filter(pk=meeting_pk, connection__owner=user)
        .first()
    )
    if meeting is None:
        raise ProgramError(
            "This meeting is no longer in your calendar: it was cancelled, moved out of reach, or the calendar "
            "was disconnected."
        )
    return meeting


@transaction.atomic
def calendar_meeting_confirm(
    *,
    meeting_pk: int,
    by: User,
    engagement_type: EngagementType | None = None,
    duration_minutes: int | None = None,
    automatic: bool = False,
    now: dt.datetime | None = None,
) -> tuple[Engagement, bool]:
    """Log the meeting as ``by``'s customer contact: of the kind and length
    given, else those its event says. Returns the engagement and whether
    this call made it: a second tap, or the same event confirmed from
    another calendar or by a colleague who was there, makes none (a
    colleague is added to the one already logged)."""
    now = now or timezone.now()
    meeting = _owned(meeting_pk, by)
    if meeting.engagement_id is not None:
        return Engagement.objects.get(pk=meeting.engagement_id), False
    if meeting.ends_at > now:
        raise ProgramError("This meeting has not ended yet: it can be logged once it has.")
    executive = Executive.objects.select_related("user").filter(user=by, active=True).first()
    if executive is None:
        raise ProgramError("Only an executive in the program logs customer contacts.")
    engagement_type = engagement_type or meeting_type_guess(meeting, engagement_types_counting())
    if engagement_type is None:
        raise ProgramError("The program has no kind of engagement that counts as customer contact yet.")
    key = calendar_key(meeting)
    existing = Engagement.objects.filter(calendar_key=key).first()
    if existing is not None:
        made = False
        engagement = existing
        _attendee_add(engagement=engagement, executive=executive)
    else:
        engagement, made = engagement_log_contact(
            executive=executive,
            account=meeting.account,
            engagement_type=engagement_type,
            on=meeting.starts_at.date(),
            starts_at=meeting.starts_at,
            duration_minutes=duration_minutes or meeting_minutes(meeting, engagement_type),
            contacts=meeting.contacts.filter(account=meeting.account),
            calendar_key=key,
            capture=Engagement.Capture.AUTOMATIC if automatic else Engagement.Capture.CONFIRMED,
            by=by,
            now=now,
        )
    CalendarMeeting.objects.filter(pk=meeting.pk).update(engagement=engagement, dismissed_at=None)
    return engagement, made


def _attendee_add(*, engagement: Engagement, executive: Executive) -> None:
    """The same event, logged already by a colleague who was there: it
    counts for this executive too, recorded as theirs."""
    _, added = EngagementExecutive.objects.get_or_create(
        engagement=engagement, executive=executive, defaults={"role": EngagementExecutive.Role.ATTENDEE}
    )
    if added:
        audit_change(instance=engagement, changes={"executives": (None, executive.name)}, actor=executive.user)
        engagement_contacts_sync(engagement_ids=[engagement.pk])


@transaction.atomic
def calendar_meeting_dismiss(*, meeting_pk: int, by: User, now: dt.datetime | None = None) -> CalendarMeeting:
    """Not a customer meeting, says ``by``: it is suggested no more, and never
    logged without asking. Reading the calendar again keeps it so."""
    meeting = _owned(meeting_pk, by)
    if meeting.engagement_id is not None:
        raise ProgramError("This meeting is logged already: delete the contact instead.")
    meeting.dismissed_at = now or timezone.now()
    meeting.save(update_fields=["dismissed_at"])
    return meeting


@transaction.atomic
def calendar_meeting_restore(*, meeting_pk: int, by: User) -> CalendarMeeting:
    """Undo a dismissal: the meeting is suggested again."""
    meeting = _owned(meeting_pk, by)
    meeting.dismissed_at = None
    meeting.save(update_fields=["dismissed_at"])
    return meeting


def calendar_meetings_to_log(*, now: dt.datetime, limit: int = 1000) -> list[int]:
    """The ended meetings of every executive who chose to have them logged
    without asking, oldest first: what ``calendar_meeting_auto_confirm``
    logs, one each. One query."""
    return list(
        CalendarMeeting.objects.filter(
            connection__owner__calendar_auto_confirm=True,
            connection__owner__is_active=True,
            connection__owner__executive__active=True,
            engagement__isnull=True,
            dismissed_at__isnull=True,
            ends_at__lte=now,
            starts_at__gte=now - dt.timedelta(days=SUGGESTED_DAYS),
        )
        .order_by("starts_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def calendar_meeting_auto_confirm(*, meeting_pk: int, now: dt.datetime) -> bool:
    """Log one meeting of someone who chose not to be asked, as captured;
    a meeting that cannot be logged (its account closed since, its owner no
    longer an executive) stays a suggestion. Returns whether a contact was made."""
    owner = User.objects.filter(calendar_connections__meetings__pk=meeting_pk, calendar_auto_confirm=True).first()
    if owner is None:
        return False
    try:
        _, made = calendar_meeting_confirm(meeting_pk=meeting_pk, by=owner, automatic=True, now=now)
    except ProgramError:
        return False
    return made


# --- When the calendar changes ------------------------------------------------------


def calendar_engagements_moved(*, meetings: Iterable[CalendarMeeting], now: dt.datetime) -> None:
    """The events of ``meetings`` (read again, each with the engagement it
    made) moved: each engagement takes its event's new time and length, or
    is withdrawn when the event now ends later than now (it has not taken
    place). The change is recorded in the audit trail and its history."""
    for meeting in meetings:
        engagement = (
            Engagement.objects.select_for_update(of=("self",))
            .select_related("account", "type")
            .filter(pk=meeting.engagement_id)
            .first()
        )
        if engagement is None or (engagement.starts_at, engagement.ends_at) == (meeting.starts_at, meeting.ends_at):
            continue
        if meeting.ends_at > now:
            _withdraw(engagement, MOVED_AHEAD_REASON, now, happened="was moved to a time still to come")
            CalendarMeeting.objects.filter(pk=meeting.pk).update(engagement=None)
            continue
        minutes = meeting_minutes(meeting, engagement.type)
        changes = {
            "starts_at": (engagement.starts_at, meeting.starts_at),
            "ends_at": (engagement.ends_at, meeting.ends_at),
            "duration_minutes": (engagement.duration_minutes, minutes),
        }
        Engagement.objects.filter(pk=engagement.pk).update(
            starts_at=meeting.starts_at, ends_at=meeting.ends_at, duration_minutes=minutes, updated_at=now
        )
        audit_change(instance=engagement, changes=changes)
        engagement_status_record(
            engagement=engagement,
            from_status=engagement.status,
            to_status=engagement.status,
            by=None,
            note=f"{MOVED_NOTE}: from {moment_text(engagement.starts_at)} to {moment_text(meeting.starts_at)}",
        )
        engagement_contacts_sync(engagement_ids=[engagement.pk])


def calendar_engagements_withdrawn(*, engagement_ids: Iterable[int], now: dt.datetime) -> int:
    """The events these engagements were logged from are gone from the
    calendar (cancelled, deleted, or no longer the person's): each is
    withdrawn, unless another calendar still holds its event. Returns how
    many were withdrawn."""
    still_held = set(
        CalendarMeeting.objects.filter(engagement_id__in=list(engagement_ids)).values_list("engagement_id", flat=True)
    )
    withdrawn = 0
    for engagement in (
        Engagement.objects.select_for_update(of=("self",))
        .select_related("account", "type")
        .filter(pk__in=set(engagement_ids) - still_held)
    ):
        _withdraw(engagement, CANCELLED_REASON, now, happened="was cancelled in the calendar")
        withdrawn += 1
    return withdrawn


def _withdraw(engagement: Engagement, reason: str, now: dt.datetime, *, happened: str) -> None:
    """Withdraw what a meeting was logged as; ``happened`` tells the people on it why."""
    engagement_logged_remove(
        engagement=engagement,
        by=None,
        reason=reason,
        told=f"The {engagement.type} with {engagement.account} on {moment_text(engagement.starts_at, day=True)}, "
        f"logged from a calendar with you there, {happened}",
        now=now,
    )
