from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from engagement.access import get_executive_for_user
from engagement.dates import local_today
from engagement.models import Account, Executive
from engagement.roles import Role, role_required
from engagement.services import ProgramError
from visits.forms import DURATIONS, EngagementFilterForm, LogContactForm
from visits.selectors import account_contacts, account_search, colleague_search, engagement_list_for_executive
from visits.services import engagement_log_contact


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _account_context(*, query: str, selected_id: Any, chosen_contacts: list[str]) -> dict[str, Any]:
    """The account search results with the chosen account kept first, and its people."""
    selected_pk = _as_int(selected_id)
    selected = (
        Account.objects.filter(pk=selected_pk).only("pk", "name", "kind", "tier", "region").first()
        if selected_pk is not None
        else None
    )
    results = [account for account in account_search(query=query) if selected is None or account.pk != selected.pk]
    return {
        "account_query": query,
        "accounts": ([selected] if selected else []) + results,
        "selected_account": selected,
        "account_contacts": list(account_contacts(account_ids=[selected.pk])) if selected else [],
        "chosen_contacts": set(chosen_contacts),
    }


def _colleague_context(*, executive: Executive, query: str, chosen_ids: list[str]) -> dict[str, Any]:
    """Colleagues matching the search, with those already chosen kept first and ticked."""
    chosen_pks = [pk for pk in (_as_int(value) for value in chosen_ids) if pk is not None]
    chosen = list(
        Executive.objects.filter(pk__in=chosen_pks, active=True).exclude(pk=executive.pk).select_related("user")
        if chosen_pks
        else []
    )
    found = [colleague for colleague in colleague_search(query=query, exclude=executive) if colleague not in chosen]
    return {"colleague_query": query, "colleagues": chosen + found, "chosen_colleagues": {c.pk for c in chosen}}


@role_required(Role.EXECUTIVE)
@require_http_methods(["GET", "POST"])
def log_contact(request: HttpRequest) -> HttpResponse:
    """Log a contact already held: phone first, under a minute."""
    executive = get_executive_for_user(request.user)
    today = local_today(executive.time_zone)
    data = request.POST
    if request.method == "POST" and "search" in data:
        # Searching without JavaScript: show the results, keep all that was typed.
        initial = {name: data.get(name) for name in ("type", "on", "duration_minutes", "note", "submission_key")}
        form = LogContactForm(initial={**initial, "account": data.get("account")}, today=today)
    elif request.method == "POST":
        form = LogContactForm(data, today=today)
        if form.is_valid():
            try:
                engagement = engagement_log_contact(
                    executive=executive,
                    account=form.cleaned_data["account"],
                    engagement_type=form.cleaned_data["type"],
                    on=form.cleaned_data["on"],
                    duration_minutes=form.cleaned_data["duration_minutes"],
                    contacts=form.cleaned_data["contacts"],
                    colleagues=form.cleaned_data["colleagues"],
                    note=form.cleaned_data["note"],
                    submission_key=form.cleaned_data["submission_key"],
                )
            except ProgramError as error:
                form.add_error(None, str(error))
            else:
                length = dict(DURATIONS).get(engagement.duration_minutes, f"{engagement.duration_minutes} minutes")
                messages.success(
                    request,
                    f"Logged: {length} with {engagement.account} on {form.cleaned_data['on']:%-d %b %Y}. "
                    "It counts toward your cadence now.",
                )
                return redirect("engagement:executive_home")
    else:
        form = LogContactForm(initial={"submission_key": uuid.uuid4()}, today=today)
    context = _account_context(
        query=data.get("account_query", ""),
        selected_id=data.get("account"),
        chosen_contacts=data.getlist("contacts"),
    )
    colleagues = _colleague_context(
        executive=executive, query=data.get("colleague_query", ""), chosen_ids=data.getlist("colleagues")
    )
    return render(request, "visits/log_contact.html", {"form": form, **context, **colleagues})


@role_required(Role.EXECUTIVE)
@require_GET
def account_choices(request: HttpRequest) -> HttpResponse:
    """The account search results, for the type-ahead (HTMX)."""
    context = _account_context(
        query=request.GET.get("account_query", ""), selected_id=request.GET.get("account"), chosen_contacts=[]
    )
    return render(request, "visits/includes/account_choices.html", context)


@role_required(Role.EXECUTIVE)
@require_GET
def contact_choices(request: HttpRequest) -> HttpResponse:
    """The people of the chosen account, as checkboxes (HTMX)."""
    context = _account_context(query="", selected_id=request.GET.get("account"), chosen_contacts=[])
    return render(request, "visits/includes/contact_choices.html", context)


@role_required(Role.EXECUTIVE)
@require_GET
def colleague_choices(request: HttpRequest) -> HttpResponse:
    """Colleagues matching the search, as checkboxes (HTMX)."""
    context = _colleague_context(
        executive=get_executive_for_user(request.user),
        query=request.GET.get("colleague_query", ""),
        chosen_ids=request.GET.getlist("colleagues"),
    )
    return render(request, "visits/includes/colleague_choices.html", context)


ENGAGEMENTS_PER_PAGE = 25


@role_required(Role.EXECUTIVE)
@require_GET
def my_engagements(request: HttpRequest) -> HttpResponse:
    """The executive's engagements, upcoming or past, with filters."""
    executive = get_executive_for_user(request.user)
    when = "upcoming" if request.GET.get("when") == "upcoming" else "past"
    filters = EngagementFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    engagements = engagement_list_for_executive(
        executive=executive,
        when=when,
        engagement_type_id=chosen["type"].pk if chosen.get("type") else None,
        status=chosen.get("status") or None,
        date_from=chosen.get("date_from"),
        date_to=chosen.get("date_to"),
    )
    page = Paginator(engagements, ENGAGEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "visits/my_engagements.html",
        {"page": page, "filters": filters, "when": when, "filtered": bool(chosen and any(chosen.values())),
         "query": query.urlencode()},
    )  # fmt: skip
