"""The role homes and the program's dashboard pages."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from engagement.accounts.selectors import account_list_for_manager, accounts_going_quiet
from engagement.cadence.directness import executive_directness
from engagement.cadence.selectors import executive_contact_status, executive_recent_contacts
from engagement.dashboards.coverage import (
    MANAGER_ACCOUNTS_CSV_COLUMNS,
    AccountExecutives,
    MonthsSince,
    account_coverage,
    account_executives_met,
    coverage_account_list,
    coverage_csv_columns,
)
from engagement.dashboards.filters import CoverageFilter, ExecutiveTableFilter
from engagement.dashboards.needs import needs_for
from engagement.dashboards.panels import COVERAGE_PANELS, HOME_PANELS, PROGRAM_DASHBOARD_PANELS
from engagement.dashboards.standing import (
    executive_contact_history,
    executive_months,
    executive_rank,
    executive_table,
    program_figures,
    window_countdown,
)
from engagement.dashboards.tables import (
    EXECUTIVE_CSV_COLUMNS,
    ExecutiveRow,
    executive_table_columns,
)
from engagement.dates import local_today, twelve_months_before
from engagement.filters import page_of, query_without
from engagement.imports.exports import csv_response
from engagement.people.access import executive_view
from engagement.people.models import Executive
from engagement.people.roles import HOME_URL_NAMES, Role, role_required, user_roles

PAGE_SIZE = 50


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
    """The executive's home: where they stand in their cadence, then what
    waits for them now (requests, meetings, debriefs, actions, proposals),
    then the countdown to the close of their window, their contacts month by
    month, and where they stand in the program."""
    status = executive_contact_status(executive=executive)
    return render(
        request,
        "engagement/executive_home.html",
        {
            "executive": executive,
            "status": status,
            "directness": executive_directness(executives=[executive])[executive.pk],
            "needs": needs_for(Role.EXECUTIVE, user=request.user, now=timezone.now()),
            "countdown": window_countdown(
                closes_on=status.due_on, today=status.today, length=status.cadence.cadence_days
            ),
            "history": executive_contact_history(executive_id=executive.pk, today=status.today),
            "rank": executive_rank(executive_id=executive.pk, exposure_minutes=status.exposure_minutes),
            "recent_contacts": executive_recent_contacts(executive=executive),
            "quiet_accounts": accounts_going_quiet(executive=executive, today=status.today),
            "panels": HOME_PANELS[Role.EXECUTIVE].panels(request, executive=executive),
        },
    )


@role_required(Role.ACCOUNT_MANAGER)
@require_GET
def account_manager_home(request: HttpRequest) -> HttpResponse:
    """The account manager's home: what waits for them now (requests to
    schedule, questions, debriefs, late actions, accounts going quiet), then
    their accounts."""
    today = timezone.localdate()
    accounts = account_list_for_manager(user=request.user, today=today)
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    met = account_executives_met(account_ids=[account.pk for account in page], since=twelve_months_before(today))
    rows = [AccountExecutives(account, tuple(met[account.pk])) for account in page]
    panels = HOME_PANELS[Role.ACCOUNT_MANAGER].panels(request)
    needs = needs_for(Role.ACCOUNT_MANAGER, user=request.user, now=timezone.now())
    return render(
        request,
        "engagement/account_manager_home.html",
        {"page": page, "rows": rows, "panels": panels, "needs": needs},
    )


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


def _executive_table_filter(request: HttpRequest) -> ExecutiveTableFilter:
    """The executives table's filters and sort, from the query string."""
    return ExecutiveTableFilter(request.GET or None, queryset=executive_table())


def _executives_page(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    filters = _executive_table_filter(request)
    page, query = page_of(request, filters.qs, PAGE_SIZE)
    rows = list(page.object_list)
    months = executive_months(executive_ids=[row.pk for row in rows], today=timezone.localdate())
    return render(
        request,
        "engagement/executives.html",
        {
            "form": filters.form,
            "sort": filters.sort,
            "columns": executive_table_columns(filters=query_without(request.GET, "sort", "page"), sort=filters.sort),
            "page": page,
            "rows": [ExecutiveRow(row, tuple(months[row.pk])) for row in rows],
            "query": query,
            "filtered": filters.filtered,
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
    filters = _executive_table_filter(request)
    if filters.errors:
        return _executives_page(request, status=400)
    rows = (ExecutiveRow(executive) for executive in filters.qs.iterator(2000))
    return csv_response(filename="executives", columns=EXECUTIVE_CSV_COLUMNS, rows=rows)


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
    """Accounts by tier that no executive has met lately, customers and
    partners apart, and by months since their last executive contact,
    counted from the reader's today."""
    coverage = account_coverage(today=local_today(request.user.time_zone))
    return render(
        request,
        "engagement/coverage.html",
        {"coverage": coverage, "bands": list(MonthsSince), "panels": COVERAGE_PANELS.panels(request)},
    )


def _coverage_filter(request: HttpRequest, *, count_executives: bool = False) -> CoverageFilter:
    accounts = coverage_account_list(today=timezone.localdate(), count_executives=count_executives)
    return CoverageFilter(request.GET, queryset=accounts)


def _coverage_accounts_page(request: HttpRequest, filters: CoverageFilter, status: int = 200) -> HttpResponse:
    today = timezone.localdate()
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    met = account_executives_met(account_ids=[account.pk for account in page], since=twelve_months_before(today))
    rows = [AccountExecutives(account, tuple(met[account.pk])) for account in page]
    context = {
        "form": filters.form,
        "filters": filters.shown,
        "page": page,
        "rows": rows,
        "query": filters.shown.query,
        "refused": status == 400,
    }
    return render(request, "engagement/coverage_accounts.html", context, status=status)


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def coverage_accounts(request: HttpRequest) -> HttpResponse:
    """The accounts behind a count of the coverage page, a page at a time."""
    return _coverage_accounts_page(request, _coverage_filter(request))


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def coverage_csv(request: HttpRequest) -> HttpResponse:
    """The accounts behind a count of the coverage page as CSV, every one.
    Filters that do not fit get the page that says so: a file of other
    accounts than those asked for would pass unnoticed."""
    filters = _coverage_filter(request, count_executives=True)
    if not filters.is_valid():
        return _coverage_accounts_page(request, _coverage_filter(request), status=400)
    accounts = filters.qs.iterator(2000)
    return csv_response(
        filename="account-coverage", columns=coverage_csv_columns(today=timezone.localdate()), rows=accounts
    )
