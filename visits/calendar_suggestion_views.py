"""The customer meetings read from an executive's calendars: suggested
contacts to log (one tap, or their kind and length changed first) or to
dismiss, and the meetings to come (``visits.calendar_suggestions``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from engagement.errors import ProgramError
from engagement.people.access import object_view
from engagement.people.models import User
from engagement.people.roles import Role, role_required
from engagement.web.messages import message_action
from visits.calendar_suggestions import (
    SUGGESTED_DAYS,
    UPCOMING_DAYS,
    calendar_meeting_confirm,
    calendar_meeting_dismiss,
    calendar_meeting_restore,
    engagement_types_counting,
    meeting_minutes,
    meeting_type_guess,
    meetings_suggested,
    meetings_upcoming,
)
from visits.forms import MeetingConfirmForm
from visits.models import CalendarMeeting
from visits.services import engagement_logged_delete

# The page lists at most this many of each; older suggestions wait their turn.
SHOWN = 50


def _meeting_of(user: User, pk: int) -> CalendarMeeting:
    """One of ``user``'s own calendar meetings; 404 for anyone else's (its
    title and time are private)."""
    return get_object_or_404(CalendarMeeting.objects.only("pk"), pk=pk, connection__owner=user)


def meeting_view(view: object) -> object:
    """Hand a POST-only view the person's own meeting (404 otherwise)."""
    return object_view(_meeting_of, ("POST",))(view)


def _back(request: HttpRequest) -> HttpResponse:
    """Where the person tapped: the page the form came from, when it is ours."""
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(next_url)
    return redirect("visits:calendar_suggestions")


@role_required(Role.EXECUTIVE)
@require_GET
def calendar_suggestions(request: HttpRequest) -> HttpResponse:
    """The person's past customer meetings to log, each with its kind and
    length as the event says, the ones coming up, and those dismissed
    lately (to suggest again)."""
    now = timezone.now()
    types = list(engagement_types_counting())
    suggested = list(meetings_suggested(user=request.user, now=now)[:SHOWN])
    # Each as its event says: the kind it most likely was, and its length.
    rows = []
    for meeting in suggested:
        kind = meeting_type_guess(meeting, types)
        rows.append((meeting, kind.pk if kind else None, meeting_minutes(meeting, kind) if kind else 60))
    dismissed = list(
        CalendarMeeting.objects.filter(connection__owner=request.user, dismissed_at__isnull=False, ends_at__lte=now)
        .select_related("account")
        .order_by("-starts_at")[:SHOWN]
    )
    return render(
        request,
        "visits/calendars/suggestions.html",
        {
            "rows": rows,
            "types": types,
            "upcoming": list(meetings_upcoming(user=request.user, now=now)[:SHOWN]),
            "dismissed": dismissed,
            "has_calendar": request.user.calendar_connections.exists(),
            "suggested_days": SUGGESTED_DAYS,
            "upcoming_days": UPCOMING_DAYS,
        },
    )


@role_required(Role.EXECUTIVE)
@meeting_view
def calendar_meeting_confirm_view(request: HttpRequest, meeting: CalendarMeeting) -> HttpResponse:
    """Log the meeting: in one tap (from the home's list) as its event says,
    or with the kind and length the person chose on the suggestions page."""
    pk = meeting.pk
    engagement_type, minutes = None, None
    if f"m{pk}-type" in request.POST:
        form = MeetingConfirmForm(request.POST, types=engagement_types_counting(), prefix=f"m{pk}")
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, f"Not logged: {error}")
            return _back(request)
        engagement_type, minutes = form.cleaned_data["type"], form.cleaned_data["duration_minutes"]
    try:
        engagement, made = calendar_meeting_confirm(
            meeting_pk=pk, by=request.user, engagement_type=engagement_type, duration_minutes=minutes
        )
    except ProgramError as error:
        messages.error(request, str(error))
        return _back(request)
    day = date_format(timezone.localtime(engagement.starts_at), "j M Y")
    if made:
        messages.success(
            request,
            f"Logged: {engagement.duration_minutes} minutes with {engagement.account} on {day}. "
            "It counts toward your cadence now.",
            extra_tags=message_action("Undo", reverse("visits:calendar_meeting_unlog", kwargs={"pk": pk})),
        )
    else:
        messages.info(request, f"This meeting with {engagement.account} on {day} was logged already.")
    return _back(request)


@role_required(Role.EXECUTIVE)
@meeting_view
def calendar_meeting_unlog(request: HttpRequest, meeting: CalendarMeeting) -> HttpResponse:
    """Undo a confirmation: the contact is deleted, and the meeting is
    suggested again."""
    pk = meeting.pk
    engagement_pk = CalendarMeeting.objects.filter(pk=pk).values_list("engagement_id", flat=True).first()
    try:
        deleted = engagement_logged_delete(engagement_pk=engagement_pk, by=request.user) if engagement_pk else None
    except ProgramError as error:
        messages.error(request, str(error))
        return _back(request)
    if deleted is None:
        messages.info(request, "This meeting is not logged: nothing to undo.")
    else:
        messages.success(
            request, f"Undone: the meeting with {deleted.account} no longer counts. It is suggested again."
        )
    return _back(request)


@role_required(Role.EXECUTIVE)
@meeting_view
def calendar_meeting_dismiss_view(request: HttpRequest, meeting: CalendarMeeting) -> HttpResponse:
    """Not a customer meeting: suggested no more (with an Undo)."""
    pk = meeting.pk
    try:
        meeting = calendar_meeting_dismiss(meeting_pk=pk, by=request.user)
    except ProgramError as error:
        messages.error(request, str(error))
        return _back(request)
    messages.success(
        request,
        f"Dismissed: “{meeting.title or meeting.account}” will not be suggested again.",
        extra_tags=message_action("Undo", reverse("visits:calendar_meeting_restore", kwargs={"pk": pk})),
    )
    return _back(request)


@role_required(Role.EXECUTIVE)
@meeting_view
def calendar_meeting_restore_view(request: HttpRequest, meeting: CalendarMeeting) -> HttpResponse:
    """Suggest a dismissed meeting again."""
    try:
        meeting = calendar_meeting_restore(meeting_pk=meeting.pk, by=request.user)
    except ProgramError as error:
        messages.error(request, str(error))
        return _back(request)
    messages.success(request, f"“{meeting.title or meeting.account}” is suggested again.")
    return _back(request)
