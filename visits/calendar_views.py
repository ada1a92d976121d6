"""Engagements in people's own calendars: one invite, or a private feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from engagement.delivery.links import absolute_url
from visits.access import engagement_view
from visits.calendar import calendar_for_engagements, invite_for_engagement
from visits.models import Engagement
from visits.selectors import (
    calendar_feed_of,
    calendar_feed_owner,
    engagement_calendar_for_user,
    engagement_calendar_people_load,
)
from visits.services import calendar_feed_revoke, calendar_feed_token

ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


@engagement_view("GET", "HEAD")
def engagement_invite(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The engagement as an .ics invite, for anyone who can see it."""
    if engagement.status not in Engagement.CALENDAR_STATUSES:
        raise Http404("This engagement is not scheduled yet, so there is nothing to put in a calendar.")
    engagement_calendar_people_load(engagements=[engagement])
    response = HttpResponse(invite_for_engagement(engagement), content_type=ICS_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="engagement-{engagement.pk}.ics"'
    return response


@require_http_methods(["GET", "POST"])
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """The person's private calendar address: show it, make it, or replace it."""
    if request.method == "POST":
        if request.POST.get("action") == "renew":
            calendar_feed_revoke(user=request.user)
            messages.success(
                request,
                "Your calendar has a new address. The old one no longer works: subscribe again with this one.",
            )
        else:
            # Making it twice (a double tap) keeps the first address.
            calendar_feed_token(user=request.user)
            messages.success(request, "Your calendar address is ready. Subscribe to it in your calendar app.")
        return redirect("visits:calendar_feed")
    feed = calendar_feed_of(user=request.user)
    feed_url = absolute_url(reverse("visits:calendar_feed_ics", kwargs={"token": feed.token})) if feed else ""
    webcal_url = "webcal://" + feed_url.split("://", 1)[1] if feed_url else ""
    return render(request, "visits/calendar_feed.html", {"feed": feed, "feed_url": feed_url, "webcal_url": webcal_url})


@login_not_required
@require_GET
def calendar_feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The calendar of whoever holds ``token``, for calendar applications,
    which cannot sign in: the address itself is the credential."""
    user = calendar_feed_owner(token=token)
    if user is None:
        # The same answer for a token made up, replaced, or of someone gone.
        return HttpResponseNotFound("Not found.\n", content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        calendar_for_engagements(engagement_calendar_for_user(user=user)), content_type=ICS_CONTENT_TYPE
    )
    # Calendar applications poll: let them keep a copy for a few minutes, but
    # never a shared cache, since the address is someone's private calendar.
    response["Cache-Control"] = "private, max-age=300"
    return response
