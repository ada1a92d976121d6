from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.celery import app as celery_app
from engagement.access import executive_view, row_id
from engagement.forms import InviteForm, ReminderDeliveryForm
from engagement.models import Executive, Level
from engagement.panels import HOME_PANELS
from engagement.roles import HOME_URL_NAMES, Role, role_required, user_roles
from engagement.selectors import (
    account_list_for_manager,
    executive_contact_status,
    executive_contact_statuses,
    executive_list,
    executive_recent_contacts,
    notification_list,
)
from engagement.services import (
    ProgramError,
    invitation_accept,
    invitation_user,
    notifications_mark_read,
    user_invite,
    user_reminder_digest_set,
)

PAGE_SIZE = 50
NOTIFICATIONS_PAGE_SIZE = 25


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the home page of their first role."""
    roles = user_roles(request.user)
    for role in Role:
        if role in roles:
            return redirect(HOME_URL_NAMES[role])
    return render(request, "engagement/no_role.html")


@role_required(Role.EXECUTIVE)
@require_GET
@executive_view
def executive_home(request: HttpRequest, executive: Executive) -> HttpResponse:
    return render(
        request,
        "engagement/executive_home.html",
        {
            "executive": executive,
            "status": executive_contact_status(executive=executive),
            "recent_contacts": executive_recent_contacts(executive=executive),
            "panels": HOME_PANELS[Role.EXECUTIVE].panels(request, executive=executive),
        },
    )


@role_required(Role.ACCOUNT_MANAGER)
@require_GET
def account_manager_home(request: HttpRequest) -> HttpResponse:
    page = Paginator(account_list_for_manager(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    panels = HOME_PANELS[Role.ACCOUNT_MANAGER].panels(request)
    return render(request, "engagement/account_manager_home.html", {"page": page, "panels": panels})


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def program_home(request: HttpRequest) -> HttpResponse:
    page = Paginator(executive_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    statuses = executive_contact_statuses(executives=page.object_list)
    rows = [(executive, statuses[executive.pk]) for executive in page.object_list]
    return render(request, "engagement/program_home.html", {"page": page, "rows": rows})


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_invite(
                email=data["email"],
                full_name=data["full_name"],
                roles=[Role(value) for value in data["roles"]],
                invited_by=request.user,
                time_zone=data["time_zone"],
                title=data["title"],
                level=data["level"] or Level.VP,
                function=data["function"],
                manager=data["manager"],
            )
        except ProgramError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Invitation sent to {user.email}.")
            return redirect("engagement:invite")
    return render(request, "engagement/invite.html", {"form": form})


@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The signed-in person's notifications, whatever their role."""
    page = Paginator(notification_list(user=request.user), NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "engagement/notifications.html", {"page": page})


@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark the posted ``notification`` read, or all of them when none is
    posted; then back to the notifications page, or on to a safe ``next``."""
    if "notification" in request.POST:
        posted = request.POST["notification"]
        # Anything but an id marks nothing rather than everything.
        ids = [pk] if (pk := row_id(posted)) is not None else []
        notifications_mark_read(user=request.user, notification_ids=ids)
        messages.success(request, "Notification marked as read.")
    else:
        notifications_mark_read(user=request.user)
        messages.success(request, "All notifications marked as read.")
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("engagement:notifications")


@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """Let the signed-in person choose an email per reminder or a weekly digest."""
    form = ReminderDeliveryForm.for_user(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user_reminder_digest_set(user=request.user, digest=form.digest)
        if form.digest:
            messages.success(request, "Saved: your reminders now come in one email on Monday mornings.")
        else:
            messages.success(request, "Saved: each reminder now comes in an email of its own.")
        return redirect("engagement:notification_settings")
    return render(request, "engagement/notification_settings.html", {"form": form})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Let an invited person choose a password, then sign them in."""
    user = invitation_user(token=token)
    if user is None:
        return render(request, "engagement/invitation_invalid.html", status=400)
    form = SetPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        invitation_accept(user=user, password=form.cleaned_data["new_password1"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to Groundwork. Your password is set.")
        return redirect("home")
    return render(request, "engagement/invitation_accept.html", {"form": form, "invited_user": user})


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the Celery broker answer, 503 naming what failed."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        checks["database"] = f"error: {error.__class__.__name__}"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as error:  # noqa: BLE001
        checks["broker"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
