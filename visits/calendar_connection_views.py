"""The pages where a person connects, watches and disconnects their own
calendars, read for customer meetings (``visits.calendar_reads``).

Who: the list opens for everyone signed in, but only executives connect,
since meetings are read for an executive's cadence; someone else is told so
there and offered no form. Disconnecting and reading again are open to the
owner whatever their role now, so that anyone can always take their
address back. A connection is its owner's alone: 404 for anyone else, a
program admin included, since its address is a secret.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from engagement.people.access import executive_view, object_view
from engagement.people.models import Executive, User
from engagement.people.roles import Role, role_required
from visits.calendar_connections import (
    CalendarRefused,
    calendar_address_try,
    calendar_connection_add,
    calendar_connection_disconnect,
    calendar_connection_read,
    calendar_connection_read_again,
    calendar_connection_refusal,
    user_calendar_auto_confirm_set,
)
from visits.calendar_forms import (
    AutoConfirmForm,
    CalDavAccountForm,
    CalDavPickForm,
    CalendarAddressForm,
    caldav_pick_token,
)
from visits.calendar_reads import ReadOutcome
from visits.calendars import caldav
from visits.calendars.reading import CalendarUnreadable
from visits.models import CalendarConnection
from visits.selectors import calendar_connection_of, calendar_connections_of, executive_profile_exists


def _own_connection(user: User, pk: int) -> CalendarConnection:
    return calendar_connection_of(user=user, pk=pk)


@require_http_methods(["GET", "POST"])
def calendar_connections(request: HttpRequest) -> HttpResponse:
    """The person's connected calendars, each in plain words, and whether
    meetings are logged without asking; POST saves that choice."""
    if request.method == "POST":
        form = AutoConfirmForm(request.POST)
        form.is_valid()  # a checkbox: always valid, absent is off
        on = bool(form.cleaned_data.get("calendar_auto_confirm"))
        user_calendar_auto_confirm_set(user=request.user, on=on)
        messages.success(
            request,
            "Saved: customer meetings are logged once they have ended, without asking you."
            if on
            else "Saved: Groundwork asks you before logging a customer meeting.",
        )
        return redirect("visits:calendar_connections")
    return render(
        request,
        "visits/calendars/list.html",
        {
            "connections": calendar_connections_of(user=request.user),
            "is_executive": executive_profile_exists(user=request.user),
            "auto_confirm_form": AutoConfirmForm(initial={"calendar_auto_confirm": request.user.calendar_auto_confirm}),
            "now": timezone.now(),
        },
    )


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"


def _read_message(connection: CalendarConnection, outcome: ReadOutcome) -> str:
    if outcome.result == "failed":
        return (
            f"Connected “{connection.name}”, but its first read failed: {outcome.error} "
            "It will be read again in a few minutes."
        )
    return (
        f"Connected “{connection.name}”: {_count(connection.events_seen, 'event')} seen, "
        f"{_count(connection.matched, 'customer meeting')} found."
    )


@role_required(Role.EXECUTIVE)
@require_http_methods(["GET", "POST"])
@executive_view
def calendar_connection_add_address(request: HttpRequest, executive: Executive) -> HttpResponse:
    """Connect a calendar by its private iCal address, once it has been read."""
    form = CalendarAddressForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        name, url, now = form.cleaned_data["name"], form.cleaned_data["address"], timezone.now()
        try:
            if refusal := calendar_connection_refusal(owner=request.user, url=url):
                raise CalendarRefused(refusal)
            calendar_address_try(url=url, owner=request.user, now=now)
            connection = calendar_connection_add(
                owner=request.user, kind=CalendarConnection.Kind.ICS, name=name, url=url, now=now
            )
        except (CalendarUnreadable, CalendarRefused) as error:
            form.add_error("address", error.message)
        else:
            outcome = calendar_connection_read(connection=connection, now=now)
            messages.success(request, _read_message(connection, outcome))
            return redirect("visits:calendar_connections")
    return render(request, "visits/calendars/add_address.html", {"form": form})


@role_required(Role.EXECUTIVE)
@require_http_methods(["GET", "POST"])
@executive_view
def calendar_connection_add_caldav(request: HttpRequest, executive: Executive) -> HttpResponse:
    """Connect calendars of a CalDAV account (Apple iCloud and others): find
    them with the account's app password, then connect the ones chosen."""
    if request.method == "POST" and request.POST.get("step") == "connect":
        return _caldav_connect(request)
    form = CalDavAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        server, username = form.cleaned_data["server"], form.cleaned_data["username"]
        password = form.cleaned_data["password"]
        try:
            found = caldav.discover(server, username, password, timeout=settings.CALENDAR_READ_TIMEOUT_SECONDS)
        except caldav.CalDavError as error:
            form.add_error(None, error.message)
        else:
            token = caldav_pick_token(
                user_id=request.user.pk, server=server, username=username, password=password, found=found
            )
            pick = CalDavPickForm(initial={"token": token}, user_id=request.user.pk)
            return render(request, "visits/calendars/caldav_pick.html", {"form": pick, "server": server})
    return render(request, "visits/calendars/add_caldav.html", {"form": form})


def _caldav_connect(request: HttpRequest) -> HttpResponse:
    form = CalDavPickForm(request.POST, user_id=request.user.pk)
    if form.account is None:
        messages.error(request, "This list of calendars is more than 15 minutes old: find your calendars again.")
        return redirect("visits:calendar_connection_add_caldav")
    if not form.is_valid():
        return render(request, "visits/calendars/caldav_pick.html", {"form": form, "server": form.account["server"]})
    now, said = timezone.now(), []
    for url, name in form.chosen():
        try:
            connection = calendar_connection_add(
                owner=request.user,
                kind=CalendarConnection.Kind.CALDAV,
                name=name,
                url=url,
                username=form.account["username"],
                password=form.password(),
                now=now,
            )
        except CalendarRefused as error:
            said.append((messages.WARNING, f"“{name}” was not connected: {error.message}"))
            continue
        outcome = calendar_connection_read(connection=connection, now=now)
        said.append((messages.SUCCESS, _read_message(connection, outcome)))
    for level, text in said:
        messages.add_message(request, level, text)
    return redirect("visits:calendar_connections")


@object_view(_own_connection, ("GET", "POST"))
def calendar_connection_disconnect_view(request: HttpRequest, connection: CalendarConnection) -> HttpResponse:
    """Ask first; then delete the connection and the meetings read from it."""
    if request.method == "POST":
        calendar_connection_disconnect(connection=connection)
        messages.success(
            request,
            f"Disconnected “{connection.name}”: it is no longer read, and the meetings read from it are deleted. "
            "Contacts already logged from it stay logged.",
        )
        return redirect("visits:calendar_connections")
    return render(request, "visits/calendars/disconnect.html", {"connection": connection})


@object_view(_own_connection, ("POST",))
def calendar_connection_read_again_view(request: HttpRequest, connection: CalendarConnection) -> HttpResponse:
    """Read a failing or broken calendar again now."""
    calendar_connection_read_again(connection=connection, now=timezone.now())
    messages.success(
        request, f"“{connection.name}” is being read again now: reload this page in a minute to see how it went."
    )
    return redirect("visits:calendar_connections")
