from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods

from engagement.accounts.access import account_rights, get_account_for_user
from engagement.accounts.models import Account, Contact
from engagement.accounts.selectors import executive_suggestions
from engagement.accounts.timeline import AccountTimeline
from engagement.bounds import row_id
from engagement.dashboards.panels import ACCOUNT_PANELS
from engagement.dates import local_date, local_today
from engagement.errors import ProgramError
from engagement.filters import page_of
from engagement.notifications.services import notifications_mark_read
from engagement.people.access import executive_view, get_executive_for_user
from engagement.people.models import Executive
from engagement.people.roles import EVERY_ROLE, Role, role_required
from engagement.web.messages import message_action
from visits.access import account_view, engagement_rights, engagement_view
from visits.filters import EngagementPageFilter
from visits.forms import (
    DURATIONS,
    VALUE_PROPOSITION_PROMPTS,
    AnswerForm,
    DecisionForm,
    EngagementRequestForm,
    LogContactForm,
    LoggedContactForm,
    OutcomeForm,
    ReasonForm,
    ScheduleForm,
    TimelineFilterForm,
)
from visits.models import Engagement, EngagementExecutive
from visits.panels import ENGAGEMENT_PANELS
from visits.selectors import (
    ProposedTime,
    account_background,
    account_contacts,
    account_search,
    accounts_for_request,
    engagement_attendances,
    engagement_brief,
    engagement_history,
    engagement_list,
    executive_open_load,
    executive_recent_accounts,
    executive_search,
    proposed_time,
    request_waiting_cutoff,
)
from visits.services import (
    LoggedContact,
    Plan,
    engagement_answer,
    engagement_approve,
    engagement_ask,
    engagement_cancel,
    engagement_complete,
    engagement_decline,
    engagement_log_contact,
    engagement_logged_delete,
    engagement_logged_update,
    engagement_not_held,
    engagement_not_there,
    engagement_request,
    engagement_reschedule,
    engagement_schedule,
    logged_contact_refusal,
)


def _account_context(*, query: str, selected_id: Any, chosen_contacts: list[str]) -> dict[str, Any]:
    """The account search results with the chosen account kept first, and its people."""
    selected_pk = row_id(selected_id)
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


def _colleague_context(*, executive: Executive | None, query: str, chosen_ids: list[str]) -> dict[str, Any]:
    """Executives matching the search, other than ``executive``, with those
    already chosen kept first and ticked."""
    chosen_pks = [pk for pk in (row_id(value) for value in chosen_ids) if pk is not None]
    chosen = list(
        Executive.objects.filter(pk__in=chosen_pks, active=True)
        .exclude(pk=executive.pk if executive else None)
        .select_related("user")
        if chosen_pks
        else []
    )
    found = [colleague for colleague in executive_search(query=query, exclude=executive) if colleague not in chosen]
    return {"colleague_query": query, "colleagues": chosen + found, "chosen_colleagues": {c.pk for c in chosen}}


@role_required(Role.EXECUTIVE)
@require_http_methods(["GET", "POST"])
@executive_view
def log_contact(request: HttpRequest, executive: Executive) -> HttpResponse:
    """Log a contact already held: phone first, under a minute."""
    today = local_today(executive.time_zone)
    data = request.POST
    if request.method == "POST" and "search" in data:
        # Searching without JavaScript: show the results, keep all that was typed.
        fields = ("type", "on", "duration_minutes", "note", "debrief_wanted", "submission_key")
        initial = {name: data.get(name) for name in fields}
        form = LogContactForm(initial={**initial, "account": data.get("account")}, today=today)
    elif request.method == "POST":
        form = LogContactForm(data, today=today)
        if form.is_valid():
            try:
                engagement, _ = engagement_log_contact(
                    executive=executive,
                    account=form.cleaned_data["account"],
                    engagement_type=form.cleaned_data["type"],
                    on=form.cleaned_data["on"],
                    duration_minutes=form.cleaned_data["duration_minutes"],
                    contacts=form.cleaned_data["contacts"],
                    colleagues=form.cleaned_data["colleagues"],
                    note=form.cleaned_data["note"],
                    debrief_wanted=form.cleaned_data["debrief_wanted"],
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
                    # Undone at once from the message: deleted, and logged again from the form.
                    extra_tags=message_action(
                        "Undo", f"{reverse('visits:logged_contact_delete', kwargs={'pk': engagement.pk})}?undo=1"
                    ),
                )
                return redirect("engagement:executive_home")
    else:
        # ?account= comes from a page about one account (a pairing's): it is chosen already.
        form = LogContactForm(
            initial={"submission_key": uuid.uuid4(), "account": row_id(request.GET.get("account"))}, today=today
        )
        data = request.GET
    context = _account_context(
        query=data.get("account_query", ""),
        selected_id=data.get("account"),
        chosen_contacts=data.getlist("contacts"),
    )
    colleagues = _colleague_context(
        executive=executive, query=data.get("colleague_query", ""), chosen_ids=data.getlist("colleagues")
    )
    recent = executive_recent_accounts(executive=executive, today=today)
    return render(
        request, "visits/log_contact.html", {"form": form, **context, **colleagues, "recent_accounts": recent}
    )


def _logged_fix(data: dict[str, Any]) -> LoggedContact:
    return LoggedContact(
        account=data["account"],
        engagement_type=data["type"],
        on=data["on"],
        duration_minutes=data["duration_minutes"],
        contacts=tuple(data["contacts"]),
        colleagues=tuple(data["colleagues"]),
        note=data["note"],
        debrief_wanted=data["debrief_wanted"],
    )


@role_required(Role.EXECUTIVE)
@engagement_view("GET", "POST")
def logged_contact_edit(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Correct a contact you logged, within 30 days: the log form again, as it is now."""
    refusal = logged_contact_refusal(engagement=engagement, user=request.user)
    if refusal is not None:
        return _refuse(request, engagement, refusal)
    executive = get_executive_for_user(request.user)
    today = local_today(executive.time_zone)
    data = request.POST if request.method == "POST" else None
    if data is not None and "search" not in data:
        form = LoggedContactForm(data, today=today)
        if form.is_valid():
            try:
                _, changed = engagement_logged_update(
                    engagement=engagement, by=request.user, fix=_logged_fix(form.cleaned_data)
                )
            except ProgramError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    "Saved. It counts as it is now, and colleagues on it are told."
                    if changed
                    else "Nothing was changed.",
                )
                return redirect("visits:engagement_detail", pk=engagement.pk)
    elif data is not None:
        # Searching without JavaScript: keep all that was typed.
        form = LoggedContactForm(initial=data.dict(), today=today)
    else:
        on = local_date(engagement.starts_at, executive.time_zone)
        form = LoggedContactForm(initial=LoggedContactForm.initial_of(engagement, on=on), today=today)
    attendances = engagement_attendances(engagement=engagement)
    source = data if data is not None else request.GET
    chosen_contacts = source.getlist("contacts") if data is not None else [str(c.pk) for c in engagement.contacts.all()]
    chosen_colleagues = (
        source.getlist("colleagues")
        if data is not None
        else [str(a.executive.pk) for a in attendances if a.role != EngagementExecutive.Role.LEAD]
    )
    context = _account_context(
        query=source.get("account_query", ""),
        selected_id=source.get("account") if data is not None else engagement.account_id,
        chosen_contacts=chosen_contacts,
    )
    colleagues = _colleague_context(
        executive=executive, query=source.get("colleague_query", ""), chosen_ids=chosen_colleagues
    )
    return render(
        request,
        "visits/log_contact.html",
        {"form": form, "engagement": engagement, **context, **colleagues, "recent_accounts": []},
    )


@role_required(Role.EXECUTIVE)
@engagement_view("GET", "POST")
def logged_contact_delete(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Confirm, then delete a contact you logged, within 30 days; "Undo" in
    the message after logging it posts here at once (``?undo=1``)."""
    refusal = logged_contact_refusal(engagement=engagement, user=request.user)
    if refusal is not None:
        return _refuse(request, engagement, refusal)
    undo = request.GET.get("undo") == "1"
    if request.method == "GET":
        return render(request, "visits/logged_delete.html", {"engagement": engagement})
    try:
        deleted = engagement_logged_delete(engagement_pk=engagement.pk, by=request.user)
    except ProgramError as error:
        return _refuse(request, engagement, str(error))
    if deleted is None:
        messages.info(request, "This contact was already removed.")
    else:
        day = date_format(timezone.localtime(deleted.starts_at), "j M Y")
        messages.success(
            request, f"Removed: the {deleted.type} with {deleted.account} on {day} no longer counts for anyone."
        )
    # Undone straight after logging: back to the form, to log it again as it was.
    return redirect("visits:log_contact" if undo else "visits:my_engagements")


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


@role_required(Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN)
@require_GET
def colleague_choices(request: HttpRequest) -> HttpResponse:
    """Executives matching the search, as checkboxes (HTMX): colleagues on
    the log form, attendees on the schedule form."""
    lead = row_id(request.GET.get("lead"))
    context = _colleague_context(
        executive=Executive.objects.filter(pk=lead).first()
        if lead is not None
        else Executive.objects.filter(user=request.user).first(),
        query=request.GET.get("colleague_query", ""),
        chosen_ids=request.GET.getlist("colleagues"),
    )
    return render(request, "visits/includes/colleague_choices.html", context)


ENGAGEMENTS_PER_PAGE = 25


@role_required(Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN)
@require_GET
def my_engagements(request: HttpRequest) -> HttpResponse:
    """The engagements of the signed-in person: waiting for them, upcoming or
    past, with filters."""
    when = request.GET.get("when") if request.GET.get("when") in LIST_TABS else "past"
    filters = EngagementPageFilter(request.GET or None, queryset=engagement_list(user=request.user, when=when))
    page, query = page_of(request, filters.qs, ENGAGEMENTS_PER_PAGE)
    return render(
        request,
        "visits/my_engagements.html",
        {"page": page, "filters": filters.form, "when": when, "filtered": filters.filtered,
         "query": query, "waiting_cutoff": request_waiting_cutoff()},
    )  # fmt: skip


# --- From request to a held engagement --------------------------------------------------

LIST_TABS = ("waiting", "upcoming", "past")


def _executive_choices(*, account: Account, working_contact_id: Any, query: str, chosen_id: Any) -> dict[str, Any]:
    """Suggested executives for ``account``, with reasons; then those matching the search."""
    contact = (
        Contact.objects.filter(pk=row_id(working_contact_id), account=account).first()
        if row_id(working_contact_id) is not None
        else None
    )
    suggestions = executive_suggestions(
        account=account, contact_level=contact.level if contact else None, load=executive_open_load()
    )
    shown = {suggestion.executive.pk for suggestion in suggestions}
    chosen_pk = row_id(chosen_id)
    chosen = (
        Executive.objects.filter(pk=chosen_pk, active=True).exclude(pk__in=shown).select_related("user").first()
        if chosen_pk is not None
        else None
    )
    found = [
        executive
        for executive in executive_search(query=query)
        if executive.pk not in shown and (chosen is None or executive.pk != chosen.pk)
    ]
    return {
        "suggestions": suggestions,
        "working_contact": contact,
        "other_executives": ([chosen] if chosen else []) + found,
        "executive_query": query,
        "chosen_executive": chosen_pk,
    }


@role_required(Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN)
@require_http_methods(["GET", "POST"])
def engagement_request_view(request: HttpRequest) -> HttpResponse:
    """Ask an executive for their time with one of your accounts."""
    data = request.POST if request.method == "POST" else request.GET
    account = get_account_for_user(request.user, data.get("account"), missing_ok=True)
    if account is None:
        query = request.GET.get("q", "")
        page = Paginator(accounts_for_request(user=request.user, query=query), ENGAGEMENTS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        return render(request, "visits/request_account.html", {"page": page, "q": query, "query": f"q={query}"})
    now = timezone.now()
    if request.method == "POST" and "search" not in data:
        form = EngagementRequestForm(data, account=account, now=now)
        if form.is_valid():
            try:
                engagement = engagement_request(
                    account=account,
                    executive=form.cleaned_data["executive"],
                    requested_by=request.user,
                    engagement_type=form.cleaned_data["type"],
                    purpose=form.cleaned_data["purpose"],
                    objective=form.cleaned_data["objective"],
                    value_proposition=form.cleaned_data["value_proposition"],
                    starts_at=form.cleaned_data["starts_at"],
                    duration_minutes=form.cleaned_data["duration_minutes"],
                    alternative_dates=form.cleaned_data["alternative_dates"],
                    working_contact=form.cleaned_data["working_contact"],
                    submission_key=form.cleaned_data["submission_key"],
                )
            except ProgramError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"Request sent to {form.cleaned_data['executive']}. You will hear back here.")
                return redirect("visits:engagement_detail", pk=engagement.pk)
    elif request.method == "POST":
        # Searching for an executive without JavaScript: keep everything typed.
        form = EngagementRequestForm(initial=data.dict(), account=account, now=now)
    else:
        form = EngagementRequestForm(initial={"submission_key": uuid.uuid4()}, account=account, now=now)
    choices = _executive_choices(
        account=account,
        working_contact_id=data.get("working_contact"),
        query=data.get("executive_query", ""),
        chosen_id=data.get("executive"),
    )
    return render(
        request,
        "visits/request.html",
        {
            "form": form,
            "account": account,
            "prompts": VALUE_PROPOSITION_PROMPTS,
            "proposed": _proposed_time(data),
            **choices,
        },
    )


def _proposed_time(data: Any) -> ProposedTime | None:
    """The proposed time in ``data`` (the request form's fields) as the chosen
    executive reads it, or None until both are chosen and readable."""
    executive_id = row_id(data.get("executive"))
    try:
        starts_at = EngagementRequestForm.base_fields["starts_at"].clean(data.get("starts_at"))
        duration = int(data.get("duration_minutes") or 60)
    except (ValidationError, ValueError, OverflowError):
        return None
    executive = (
        Executive.objects.filter(pk=executive_id, active=True).select_related("user").first()
        if executive_id is not None
        else None
    )
    if executive is None or not 0 < duration <= 24 * 60:
        return None
    return proposed_time(executive=executive, starts_at=starts_at, duration_minutes=duration)


@role_required(Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN)
@require_GET
def request_time_for_executive(request: HttpRequest) -> HttpResponse:
    """The proposed time in the chosen executive's own zone, and whether it
    is in their working hours (HTMX, as the time or the executive changes)."""
    return render(request, "visits/includes/proposed_time.html", {"proposed": _proposed_time(request.GET)})


@role_required(Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN)
@require_GET
def request_executives(request: HttpRequest) -> HttpResponse:
    """The suggested executives and the search results, as radio buttons (HTMX)."""
    account = get_account_for_user(request.user, request.GET.get("account"))
    choices = _executive_choices(
        account=account,
        working_contact_id=request.GET.get("working_contact"),
        query=request.GET.get("executive_query", ""),
        chosen_id=request.GET.get("executive"),
    )
    return render(request, "visits/includes/executive_choices.html", {"account": account, **choices})


def _detail_context(request: HttpRequest, engagement: Engagement) -> dict[str, Any]:
    now = timezone.now()
    rights = engagement_rights(request.user, engagement)
    status = engagement.status
    steps = Engagement.STEPS.steps_from(status)
    ended = (engagement.ends_at or engagement.starts_at) <= now
    attendances = engagement_attendances(engagement=engagement)
    return {
        "engagement": engagement,
        "rights": rights,
        "attendances": attendances,
        # Counted at a held engagement someone else led or logged.
        "can_say_not_there": engagement.is_held
        and any(
            a.executive.user_id == request.user.pk and a.role == EngagementExecutive.Role.ATTENDEE for a in attendances
        ),
        "staff": list(engagement.staff.order_by("full_name")),
        "contacts": list(engagement.contacts.order_by("name")),
        "history": engagement_history(engagement=engagement),
        "brief": engagement_brief(engagement=engagement),
        "can_decide": rights.decide and "approve" in steps,
        "can_answer": rights.manage and "answer" in steps,
        "can_schedule": rights.manage and "schedule" in steps,
        "can_reschedule": rights.manage and "reschedule" in steps,
        "can_cancel": rights.manage and "cancel" in steps,
        "can_record_outcome": rights.complete and "complete" in steps and ended,
        # Whoever logged it puts it right, for 30 days.
        "can_change_logged": engagement.logged
        and logged_contact_refusal(engagement=engagement, user=request.user, now=now) is None,
        "waiting_too_long": status == Engagement.Status.REQUESTED
        and engagement.status_changed_at < request_waiting_cutoff(now=now),
        # An invite for what is still to come: not for a contact logged after
        # it happened, nor for a meeting that is over.
        "in_calendar": status in Engagement.CALENDAR_STATUSES and not engagement.logged and not ended,
        "decision_form": DecisionForm(),
        "answer_form": AnswerForm(),
        "outcome_form": OutcomeForm(initial={"duration_minutes": engagement.planned_minutes}),
        "panels": ENGAGEMENT_PANELS.panels(request, engagement=engagement, rights=rights),
    }


@role_required(*EVERY_ROLE)
@engagement_view("GET", "HEAD")
def engagement_detail(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """One engagement: what was asked, the exchange, the plan, and what to do next."""
    return render(request, "visits/engagement_detail.html", _detail_context(request, engagement))


def _refuse(request: HttpRequest, engagement: Engagement, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("visits:engagement_detail", pk=engagement.pk)


def _detail_with_errors(request: HttpRequest, engagement: Engagement, **forms: Any) -> HttpResponse:
    """The engagement page again, with the form that failed and what was typed."""
    return render(request, "visits/engagement_detail.html", {**_detail_context(request, engagement), **forms})


@role_required(Role.EXECUTIVE, Role.PROGRAM_ADMIN)
@engagement_view("POST")
def engagement_decide(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Approve, decline or send back a request."""
    if not engagement_rights(request.user, engagement).decide:
        raise PermissionDenied("Only the executive asked, or a program admin, decides on this request.")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail_with_errors(request, engagement, decision_form=form)
    decision, note = form.cleaned_data["decision"], form.cleaned_data["note"]
    try:
        if decision == "approve":
            engagement_approve(engagement=engagement, by=request.user, note=note)
            messages.success(request, "Approved. The account team is told, and schedules it with you.")
        elif decision == "decline":
            engagement_decline(engagement=engagement, by=request.user, reason=note)
            messages.success(request, "Declined. The account team sees your reason.")
        else:
            engagement_ask(engagement=engagement, by=request.user, question=note)
            messages.success(
                request, "Your question went to the account team. The request comes back with their answer."
            )
    except ProgramError as error:
        return _refuse(request, engagement, str(error))
    return redirect("visits:engagement_detail", pk=engagement.pk)


@role_required(Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN)
@engagement_view("POST")
def engagement_answer_view(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Answer the executive's question; the request goes back to them."""
    if not engagement_rights(request.user, engagement).manage:
        raise PermissionDenied("Only the account team answers for this account.")
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _detail_with_errors(request, engagement, answer_form=form)
    try:
        engagement_answer(engagement=engagement, by=request.user, answer=form.cleaned_data["answer"])
    except ProgramError as error:
        return _refuse(request, engagement, str(error))
    messages.success(request, "Answered. The request is back with the executive.")
    return redirect("visits:engagement_detail", pk=engagement.pk)


@role_required(Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN)
@engagement_view("GET", "POST")
def engagement_schedule_view(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Fix the time, place and attendees of an approved engagement, or change them."""
    if not engagement_rights(request.user, engagement).manage:
        raise PermissionDenied("Only the account team schedules for this account.")
    steps = Engagement.STEPS.steps_from(engagement.status)
    rescheduling = "reschedule" in steps
    if not rescheduling and "schedule" not in steps:
        return _refuse(request, engagement, f"It cannot be scheduled: it is {engagement.get_status_display().lower()}.")
    now = timezone.now()
    attendances = engagement_attendances(engagement=engagement)
    others = [a.executive for a in attendances if a.role != EngagementExecutive.Role.LEAD]
    if request.method == "POST" and "search" not in request.POST:
        form = ScheduleForm(request.POST, engagement=engagement, rescheduling=rescheduling, now=now)
        if form.is_valid():
            data = form.cleaned_data
            plan = Plan(
                starts_at=data["starts_at"],
                ends_at=data["starts_at"] + dt.timedelta(minutes=data["duration_minutes"]),
                location=data["location"],
                meeting_link=data["meeting_link"],
                executives=tuple(data["colleagues"]),
                staff=tuple(data["staff"]),
                contacts=tuple(data["contacts"]),
                brief=data["brief"],
            )
            try:
                if rescheduling:
                    engagement_reschedule(engagement=engagement, by=request.user, plan=plan, reason=data["reason"])
                else:
                    engagement_schedule(engagement=engagement, by=request.user, plan=plan)
            except ProgramError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Saved. Everyone attending is told, and can add it to their calendar.")
                return redirect("visits:engagement_detail", pk=engagement.pk)
    elif request.method == "POST":
        form = ScheduleForm(initial=request.POST.dict(), engagement=engagement, rescheduling=rescheduling, now=now)
    else:
        form = ScheduleForm(
            initial={
                "starts_at": timezone.localtime(engagement.starts_at),
                "duration_minutes": engagement.planned_minutes,
                "location": engagement.location,
                "meeting_link": engagement.meeting_link,
                "staff": [user.pk for user in engagement.staff.all()],
                "contacts": [contact.pk for contact in engagement.contacts.all()],
                "brief": engagement.brief,
            },
            engagement=engagement,
            rescheduling=rescheduling,
            now=now,
        )
    data = request.POST
    chosen_ids = data.getlist("colleagues") if request.method == "POST" else [e.pk for e in others]
    lead = next((a.executive for a in attendances if a.role == EngagementExecutive.Role.LEAD), None)
    colleagues = _colleague_context(
        executive=lead, query=data.get("colleague_query", ""), chosen_ids=[str(pk) for pk in chosen_ids]
    )
    return render(
        request,
        "visits/schedule.html",
        {
            "form": form,
            "engagement": engagement,
            "rescheduling": rescheduling,
            "lead": lead,
            "brief": engagement_brief(engagement=engagement),
            **colleagues,
        },
    )


@role_required(Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN)
@engagement_view("GET", "POST")
def engagement_cancel_view(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Confirm, then call off an engagement that has not taken place."""
    if not engagement_rights(request.user, engagement).manage:
        raise PermissionDenied("Only the account team cancels for this account.")
    if not Engagement.STEPS.allows("cancel", engagement.status):
        return _refuse(request, engagement, f"It cannot be cancelled: it is {engagement.get_status_display().lower()}.")
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            engagement_cancel(engagement=engagement, by=request.user, reason=form.cleaned_data["reason"])
        except ProgramError as error:
            return _refuse(request, engagement, str(error))
        messages.success(request, "Cancelled. Everyone involved is told.")
        return redirect("visits:engagement_detail", pk=engagement.pk)
    return render(request, "visits/cancel.html", {"form": form, "engagement": engagement})


@role_required(*EVERY_ROLE)
@engagement_view("POST")
def engagement_outcome(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Mark a scheduled engagement held, with its length, or not held."""
    if not engagement_rights(request.user, engagement).complete:
        raise PermissionDenied("Only its executives or the account team record what happened.")
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return _detail_with_errors(request, engagement, outcome_form=form)
    data = form.cleaned_data
    try:
        if data["outcome"] == "held":
            engagement_complete(engagement=engagement, by=request.user, duration_minutes=data["duration_minutes"])
            messages.success(request, "Marked held. It counts toward the cadence of every executive who attended.")
        else:
            engagement_not_held(engagement=engagement, by=request.user, reason=data["reason"], note=data["note"])
            messages.success(request, "Marked as not held.")
    except ProgramError as error:
        return _refuse(request, engagement, str(error))
    return redirect("visits:engagement_detail", pk=engagement.pk)


@role_required(Role.EXECUTIVE)
@engagement_view("POST")
def engagement_not_there_view(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """ "I was not there": take the signed-in executive off a held engagement
    a colleague counted them at (one tap, from the notice or the page)."""
    executive = get_executive_for_user(request.user)
    try:
        removed = engagement_not_there(engagement=engagement, executive=executive, by=request.user)
    except ProgramError as error:
        return _refuse(request, engagement, str(error))
    if removed:
        messages.success(
            request,
            f"The {engagement.type} with {engagement.account} no longer counts for you; "
            f"{engagement.requested_by or 'whoever logged it'} has been told.",
        )
    else:
        messages.info(request, f"The {engagement.type} with {engagement.account} did not count for you already.")
    notification_id = row_id(request.POST.get("notification"))
    if notification_id is not None:
        notifications_mark_read(user=request.user, notification_ids=[notification_id])
        return redirect("engagement:notifications")
    # They no longer see the engagement: their own page shows the recount.
    return redirect("engagement:executive_home")


@role_required(*EVERY_ROLE)
@account_view("GET", "HEAD")
def account_engagements(request: HttpRequest, account: Account) -> HttpResponse:
    """An account's background and its engagement history: the account
    team's, and to read, its sponsors' and the executives' who met it."""
    engagements = engagement_list(user=request.user, when="all").filter(account=account)
    filters = EngagementPageFilter(request.GET or None, queryset=engagements)
    page, query = page_of(request, filters.qs, ENGAGEMENTS_PER_PAGE)
    return render(
        request,
        "visits/account_engagements.html",
        {
            "account": account,
            "background": account_background(account=account),
            "page": page,
            "filters": filters.form,
            "filtered": filters.filtered,
            "query": query,
            "waiting_cutoff": request_waiting_cutoff(),
            "panels": ACCOUNT_PANELS.panels(request, account=account),
            "rights": account_rights(request.user, account),
        },
    )


# Entries on a page of an account's timeline.
TIMELINE_PER_PAGE = 25


@role_required(*EVERY_ROLE)
@account_view("GET", "HEAD")
def account_timeline(request: HttpRequest, account: Account) -> HttpResponse:
    """An account's whole story, newest first, from every app that keeps a
    part of it: whoever may open the account's page reads it."""
    filters = TimelineFilterForm(request.GET)
    timeline = AccountTimeline(account=account, reader=request.user, kinds=filters.kinds())
    page, query = page_of(request, timeline, TIMELINE_PER_PAGE)
    return render(
        request,
        "visits/account_timeline.html",
        {"account": account, "page": page, "filters": filters, "filtered": bool(filters.kinds()), "query": query},
    )
