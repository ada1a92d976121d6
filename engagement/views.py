from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.cache import cache_ping
from config.celery import app as celery_app
from engagement.access import executive_view, row_id
from engagement.coverage import (
    MANAGER_ACCOUNTS_CSV_COLUMNS,
    AccountExecutives,
    account_coverage,
    account_executives_met,
    coverage_account_list,
    coverage_csv_columns,
    twelve_months_before,
)
from engagement.dashboards import (
    DEFAULT_SORT,
    EXECUTIVE_SORTS,
    ExecutiveFilters,
    executive_contact_history,
    executive_managers,
    executive_months,
    executive_rank,
    executive_table,
    program_figures,
    window_countdown,
)
from engagement.exports import csv_response
from engagement.forms import (
    CoverageFilterForm,
    ExecutiveFilterForm,
    InviteForm,
    ReminderDeliveryForm,
)
from engagement.models import Executive, Function, Level, User
from engagement.panels import HOME_PANELS, PROGRAM_DASHBOARD_PANELS
from engagement.reminders import notifications_standing
from engagement.roles import HOME_URL_NAMES, Role, role_required, user_roles
from engagement.selectors import (
    account_list_for_manager,
    executive_contact_status,
    executive_recent_contacts,
    invitation_list,
    invitation_of,
    login_never_used,
    notification_list,
)
from engagement.services import (
    ProgramError,
    invitation_accept,
    invitation_resend,
    invitation_user,
    notifications_mark_read,
    user_invite,
    user_reminder_digest_set,
)
from engagement.tables import (
    EXECUTIVE_CSV_COLUMNS,
    ExecutiveRow,
    executive_state_choices,
    executive_table_columns,
    query_without,
)

PAGE_SIZE = 50
NOTIFICATIONS_PAGE_SIZE = 25
INVITATIONS_PAGE_SIZE = 25


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
    """The executive's contact page: the countdown to the close of their
    window, their contacts month by month, and where they stand in the program."""
    status = executive_contact_status(executive=executive)
    return render(
        request,
        "engagement/executive_home.html",
        {
            "executive": executive,
            "status": status,
            "countdown": window_countdown(
                closes_on=status.due_on, today=status.today, length=status.cadence.cadence_days
            ),
            "history": executive_contact_history(executive_id=executive.pk, today=status.today),
            "rank": executive_rank(executive_id=executive.pk, exposure_minutes=status.exposure_minutes),
            "recent_contacts": executive_recent_contacts(executive=executive),
            "panels": HOME_PANELS[Role.EXECUTIVE].panels(request, executive=executive),
        },
    )


@role_required(Role.ACCOUNT_MANAGER)
@require_GET
def account_manager_home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    accounts = account_list_for_manager(user=request.user, today=today)
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    met = account_executives_met(account_ids=[account.pk for account in page], since=twelve_months_before(today))
    rows = [AccountExecutives(account, tuple(met[account.pk])) for account in page]
    panels = HOME_PANELS[Role.ACCOUNT_MANAGER].panels(request)
    return render(request, "engagement/account_manager_home.html", {"page": page, "rows": rows, "panels": panels})


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def program_home(request: HttpRequest) -> HttpResponse:
    """The program dashboard: where the executives stand, and the figures
    other apps add (engagements, debriefs, customer feedback)."""
    return render(
        request,
        "engagement/program_home.html",
        {
            "figures": program_figures(),
            "panels": PROGRAM_DASHBOARD_PANELS.panels(request),
        },
    )


def _executive_table_query(request: HttpRequest) -> tuple[ExecutiveFilterForm, ExecutiveFilters, str]:
    """The executives table's filter form, its filters and its sort, from the query string."""
    form = ExecutiveFilterForm(
        request.GET or None,
        functions=Function.objects.values_list("pk", "name"),
        managers=executive_managers(),
        states=executive_state_choices(),
    )
    form.is_valid()
    filters = ExecutiveFilters(
        function_id=form.value("function"),
        level=form.value("level"),
        manager_id=form.value("manager"),
        state=form.value("state") or None,
        query=(form.value("q") or "").strip(),
    )
    sort = form.value("sort") or DEFAULT_SORT
    if sort.removeprefix("-") not in EXECUTIVE_SORTS:
        sort = DEFAULT_SORT
    return form, filters, sort


def _executives_page(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    form, filters, sort = _executive_table_query(request)
    page = Paginator(executive_table(filters=filters, sort=sort), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    months = executive_months(executive_ids=[row.pk for row in rows], today=timezone.localdate())
    return render(
        request,
        "engagement/executives.html",
        {
            "form": form,
            "sort": sort,
            "columns": executive_table_columns(request.GET, sort=sort),
            "page": page,
            "rows": [ExecutiveRow(row, tuple(months[row.pk])) for row in rows],
            "query": query_without(request.GET, "page"),
            "filtered": filters != ExecutiveFilters(),
            "refused": status == 400,
        },
        status=status,
    )


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def executives(request: HttpRequest) -> HttpResponse:
    """Every executive reminders act on, filtered and sorted, a page at a time."""
    return _executives_page(request)


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def executives_csv(request: HttpRequest) -> HttpResponse:
    """The executives table as CSV, with the same filters and sort, every row.
    A filter that does not fit is refused with the page that says why, rather
    than left out: a download must hold the rows that were asked for."""
    form, filters, sort = _executive_table_query(request)
    if form.errors:
        return _executives_page(request, status=400)
    rows = (ExecutiveRow(executive) for executive in executive_table(filters=filters, sort=sort).iterator(2000))
    return csv_response(filename="executives", columns=EXECUTIVE_CSV_COLUMNS, rows=rows)


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def invite(request: HttpRequest) -> HttpResponse:
    """Invite someone, and every invitation so far with whether it reached
    the mail server (sent, waiting to be retried and why, not sent)."""
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
            messages.success(
                request, f"{user.email} is invited: the email is on its way. Whether it was sent is shown below."
            )
            return redirect("engagement:invite")
    page = Paginator(invitation_list(), INVITATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "engagement/invite.html",
        {"form": form, "page": page, "invitation_days": settings.INVITATION_TIMEOUT_DAYS},
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def invitation_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first (GET), then send the invitation of a login never used again,
    with a new link (POST)."""
    user = get_object_or_404(User.objects.filter(is_active=True), pk=pk)
    if request.method == "POST":
        try:
            resent = invitation_resend(user=user, by=request.user)
        except ProgramError as error:
            messages.error(request, str(error))
        else:
            if resent:
                messages.success(
                    request,
                    f"The invitation to {user.email} is on its way again, with a new link. "
                    "Whether it was sent is shown below.",
                )
            else:
                messages.info(request, f"The invitation to {user.email} is being sent at this moment.")
        return redirect("engagement:invite")
    return render(
        request,
        "engagement/invitation_resend.html",
        {
            "invited": user,
            "invitation": invitation_of(user=user),
            "never_used": login_never_used(user=user),
            "invitation_days": settings.INVITATION_TIMEOUT_DAYS,
        },
    )


@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The signed-in person's notifications, whatever their role."""
    page = Paginator(notification_list(user=request.user), NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    # A reminder's words that stopped being true since it was sent (a contact
    # logged since) are shown so at once; the next scan records it.
    no_longer = notifications_standing(notifications=page.object_list)
    for notification in page.object_list:
        if notification.pk in no_longer:
            notification.withdrawn_reason = no_longer[notification.pk]
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
        # A path, never a URL name: ``redirect`` would look up "0" or ":" as one.
        return HttpResponseRedirect(next_url)
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
    """200 when the database, the Celery broker and the cache answer, 503
    naming what failed (pages still work without the cache, on each
    process's own)."""
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
    try:
        cache_ping()
        checks["cache"] = "ok"
    except Exception as error:  # noqa: BLE001
        checks["cache"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


@role_required(Role.ACCOUNT_MANAGER)
@require_GET
def account_manager_accounts_csv(request: HttpRequest) -> HttpResponse:
    """The account manager's accounts as CSV, every one, with the executives who met each."""
    today = timezone.localdate()
    accounts = account_list_for_manager(user=request.user, today=today)
    # Their ids first: from the manager's and team's accounts PostgreSQL
    # expects tens of thousands, so it read every contact of the year for the
    # names (160 ms for 200 accounts) and compiled the list's query (JIT,
    # 300 ms); by ids it expects as many as there are.
    ids = list(accounts.values_list("pk", flat=True))
    met = account_executives_met(account_ids=ids, since=twelve_months_before(today))
    listed = accounts.filter(pk__in=ids).iterator(2000)
    rows = (AccountExecutives(account, tuple(met[account.pk])) for account in listed)
    return csv_response(filename="my-accounts", columns=MANAGER_ACCOUNTS_CSV_COLUMNS, rows=rows)


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    """Accounts by tier that no executive has met lately, customers and partners apart."""
    return render(request, "engagement/coverage.html", {"coverage": account_coverage()})


def _coverage_accounts_page(request: HttpRequest, form: CoverageFilterForm, status: int = 200) -> HttpResponse:
    filters = form.filters()
    today = timezone.localdate()
    accounts = coverage_account_list(filters=filters, today=today)
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    met = account_executives_met(account_ids=[account.pk for account in page], since=twelve_months_before(today))
    rows = [AccountExecutives(account, tuple(met[account.pk])) for account in page]
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "rows": rows,
        "query": filters.query,
        "refused": status == 400,
    }
    return render(request, "engagement/coverage_accounts.html", context, status=status)


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def coverage_accounts(request: HttpRequest) -> HttpResponse:
    """The accounts behind a count of the coverage page, a page at a time."""
    return _coverage_accounts_page(request, CoverageFilterForm(request.GET))


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def coverage_csv(request: HttpRequest) -> HttpResponse:
    """The accounts behind a count of the coverage page as CSV, every one.
    Filters that do not fit get the page that says so: a file of other
    accounts than those asked for would pass unnoticed."""
    form = CoverageFilterForm(request.GET)
    if not form.is_valid():
        return _coverage_accounts_page(request, form, status=400)
    today = timezone.localdate()
    accounts = coverage_account_list(filters=form.filters(), today=today, count_executives=True).iterator(2000)
    return csv_response(filename="account-coverage", columns=coverage_csv_columns(today=today), rows=accounts)
