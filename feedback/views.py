from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from engagement.dates import local_today
from engagement.errors import ProgramError
from engagement.filters import page_of, query_without
from engagement.imports.exports import csv_response
from engagement.people.roles import EVERY_ROLE, Role, role_required, user_roles
from engagement.web.ratelimit import rate_limited
from feedback.access import action_view, can_change_action
from feedback.filters import ActionFilter, DebriefSearchFilter
from feedback.forms import ActionForm, ActionStatusForm, DebriefForm, SurveyForm
from feedback.models import ActionItem
from feedback.selectors import (
    ACTION_STATES,
    ACTION_TABS,
    LOOP_CSV_COLUMNS,
    ROUTED_ROLES,
    action_csv_columns,
    debrief_of,
    debrief_search,
    debriefs_submitted,
    engagement_actions,
    feedback_since,
    function_named,
    loop_figures,
    survey_answers,
)
from feedback.services import (
    SurveyLink,
    action_create,
    action_status_set,
    debrief_draft_save,
    debrief_submit,
    survey_answer,
    survey_company,
    survey_executives_met,
    survey_link,
    surveys_send,
)
from visits.access import engagement_rights, engagement_view, engagements_visible_to
from visits.models import Engagement

ACTIONS_PER_PAGE = 25
DEBRIEFS_PER_PAGE = 20
SURVEY_ANSWERS_PER_PAGE = 25
# Answering a survey takes a person a minute; a client asking more often than
# this is guessing links.
SURVEY_RATE = {"limit": 30, "per_seconds": 10 * 60}


def _debrief_context(request: HttpRequest, engagement: Engagement, **forms: Any) -> dict[str, Any]:
    rights = engagement_rights(request.user, engagement)
    held = engagement.status in Engagement.HELD_STATUSES
    mine = debrief_of(engagement=engagement, author=request.user) if rights.take_part else None
    writes = rights.take_part and held
    return {
        "engagement": engagement,
        "rights": rights,
        "held": held,
        "mine": mine,
        "debriefs": [debrief for debrief in debriefs_submitted(engagement=engagement) if debrief != mine],
        "actions": engagement_actions(engagement=engagement),
        "can_write": writes,
        "can_add_action": held and (rights.take_part or rights.manage),
        "today": local_today(request.user.time_zone),
        "debrief_form": forms.get("debrief_form") or (DebriefForm(instance=mine) if writes else None),
        "action_form": forms.get("action_form") or _action_form(request, engagement),
    }


def _action_form(request: HttpRequest, engagement: Engagement, data: Any = None) -> ActionForm:
    return ActionForm(
        data,
        today=local_today(request.user.time_zone),
        account_manager=engagement.account.account_manager,
    )


def _debrief_page(request: HttpRequest, engagement: Engagement, **forms: Any) -> HttpResponse:
    return render(request, "feedback/debrief.html", _debrief_context(request, engagement, **forms))


def _writer_check(request: HttpRequest, engagement: Engagement) -> None:
    if not engagement_rights(request.user, engagement).take_part:
        raise PermissionDenied("Only the executives who attended and the account team write its debriefs.")


@role_required(*EVERY_ROLE)
@engagement_view("GET", "HEAD", "POST")
def debrief_view(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The debriefs of one engagement: each author's own, side by side, and
    the form for the signed-in person's. POST submits theirs."""
    if request.method != "POST":
        return _debrief_page(request, engagement)
    _writer_check(request, engagement)
    mine = debrief_of(engagement=engagement, author=request.user)
    form = DebriefForm(request.POST, instance=mine)
    try:
        if not form.is_valid():
            # Not submitted, but not lost either: what was typed is kept as the draft.
            if mine is None or not mine.is_submitted:
                fields, themes = DebriefForm(request.POST, instance=mine, draft=True).draft_fields()
                debrief_draft_save(engagement=engagement, author=request.user, fields=fields, themes=themes)
            return _debrief_page(request, engagement, debrief_form=form)
        first = mine is None or not mine.is_submitted
        debrief_submit(
            engagement=engagement,
            author=request.user,
            fields={name: value for name, value in form.cleaned_data.items() if name != "themes"},
            themes=form.cleaned_data["themes"],
        )
    except ProgramError as error:
        messages.error(request, str(error))
        return redirect("feedback:debrief", pk=engagement.pk)
    if first:
        messages.success(request, "Debrief submitted. The others who were there can read it now.")
    else:
        messages.success(request, "Changes to your debrief saved.")
    return redirect("feedback:debrief", pk=engagement.pk)


@role_required(*EVERY_ROLE)
@engagement_view("POST")
def debrief_draft(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Save the signed-in person's draft as they type (htmx), or when they
    press "Save draft" without JavaScript. Nothing is required of a draft."""
    _writer_check(request, engagement)
    mine = debrief_of(engagement=engagement, author=request.user)
    fields, themes = DebriefForm(request.POST, instance=mine, draft=True).draft_fields()
    error = ""
    try:
        debrief = debrief_draft_save(engagement=engagement, author=request.user, fields=fields, themes=themes)
    except ProgramError as refused:
        debrief, error = None, str(refused)
    if request.htmx:
        context = {"debrief": debrief, "error": error, "now": timezone.now()}
        # Always 200: htmx shows only successful answers, and this one says what happened.
        return render(request, "feedback/includes/draft_status.html", context)
    if error:
        messages.error(request, error)
    elif debrief is not None and debrief.is_submitted:
        messages.info(request, "Your debrief is already submitted: use Save changes to change it.")
    else:
        messages.success(request, "Draft saved. Nobody else sees it until you submit it.")
    return redirect("feedback:debrief", pk=engagement.pk)


@role_required(*EVERY_ROLE)
@engagement_view("POST")
def action_create_view(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Add an action from the engagement's debrief, for a person or routed to a function."""
    rights = engagement_rights(request.user, engagement)
    if not (rights.take_part or rights.manage):
        raise PermissionDenied("Only those who took part, and program admins, add its actions.")
    form = _action_form(request, engagement, request.POST)
    if not form.is_valid():
        return _debrief_page(request, engagement, action_form=form)
    try:
        action = action_create(
            engagement=engagement,
            by=request.user,
            title=form.cleaned_data["title"],
            detail=form.cleaned_data["detail"],
            owner=form.owner(request.user),
            function=form.routed_to(),
            due_on=form.cleaned_data["due_on"],
            submission_key=form.cleaned_data["submission_key"],
        )
    except ProgramError as error:
        form.add_error(None, str(error))
        return _debrief_page(request, engagement, action_form=form)
    if action.owner_id == request.user.pk:
        messages.success(request, f"Action added: “{action.title}”, yours, due {action.due_on:%-d %b}.")
    else:
        messages.success(
            request, f"Action added and sent to {action.owner.get_full_name()}. You follow it until it is closed."
        )
    return redirect("feedback:debrief", pk=engagement.pk)


@role_required(Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN)
@engagement_view("POST")
def surveys_send_view(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Send the customer survey to each contact who attended."""
    if not engagement_rights(request.user, engagement).manage:
        raise PermissionDenied("Only the account team sends its survey.")
    try:
        sent = surveys_send(engagement=engagement, by=request.user)
    except ProgramError as error:
        messages.error(request, str(error))
        return redirect("visits:engagement_detail", pk=engagement.pk)
    count = len(sent.queued)
    if count:
        messages.success(request, f"The survey is on its way to {count} contact{'s' if count != 1 else ''}.")
    else:
        messages.info(request, "Everyone who could be asked has been sent the survey already.")
    if sent.without_email:
        messages.warning(request, f"No email address, so not asked: {', '.join(sent.without_email)}.")
    return redirect("visits:engagement_detail", pk=engagement.pk)


def _action_tab(request: HttpRequest) -> tuple[str, ActionFilter]:
    """The tab of the actions the query string asks for (the owed ones for
    a tab that is not the reader's), narrowed by the list's filters."""
    tab = request.GET.get("tab", "owed")
    if tab not in ACTION_TABS or (tab == "routed" and not user_roles(request.user) & ROUTED_ROLES):
        tab = "owed"
    return tab, ActionFilter(request.GET or None, queryset=ACTION_TABS[tab](user=request.user), request=request)


def _actions_page(request: HttpRequest, tab: str, filters: ActionFilter, status: int = 200) -> HttpResponse:
    page, query = page_of(request, filters.qs, ACTIONS_PER_PAGE)
    applied = filters.values()
    context = {
        "tab": tab,
        "page": page,
        "query": query or f"tab={tab}",
        "today": local_today(request.user.time_zone),
        "routed_tab": bool(user_roles(request.user) & ROUTED_ROLES),
        "filtered": filters.filtered,
        "not_understood": filters.is_bound and bool(filters.errors),
        "refused": status == 400,
        "state": ACTION_STATES.get(applied.get("state", "")),
        "function": function_named(applied.get("function")),
        "csv_query": query_without(request.GET, "page") or f"tab={tab}",
    }
    return render(request, "feedback/actions.html", context, status=status)


@role_required(*EVERY_ROLE)
@require_GET
def action_list(request: HttpRequest) -> HttpResponse:
    """The signed-in person's actions: owed by them, followed, or closed; for
    program admins and the executives who lead a function, those routed to
    another function. The query string's filters narrow the tab."""
    tab, filters = _action_tab(request)
    return _actions_page(request, tab, filters)


@role_required(*EVERY_ROLE)
@require_GET
def action_list_csv(request: HttpRequest) -> HttpResponse:
    """The Actions page's list, its tab and filters applied, as CSV: every
    row, not a page. A filter that does not fit gets the page that says so:
    a file of other actions would pass unnoticed."""
    tab, filters = _action_tab(request)
    if filters.is_bound and filters.errors:
        return _actions_page(request, tab, filters, status=400)
    columns = action_csv_columns(today=local_today(request.user.time_zone))
    return csv_response(filename=f"actions-{tab}", columns=columns, rows=filters.qs.iterator(chunk_size=2000))


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def loop_view(request: HttpRequest) -> HttpResponse:
    """Closing the loop: the actions routed to another function, by function,
    in three queries whatever their number."""
    return render(request, "feedback/loop.html", {"figures": loop_figures(user=request.user)})


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def loop_csv(request: HttpRequest) -> HttpResponse:
    """Closing the loop's table as CSV: a function a row."""
    return csv_response(
        filename="closing-the-loop", columns=LOOP_CSV_COLUMNS, rows=loop_figures(user=request.user).rows
    )


@role_required(*EVERY_ROLE)
@action_view("GET", "HEAD", "POST")
def action_detail(request: HttpRequest, action: ActionItem) -> HttpResponse:
    """One action, where it came from, and its status; POST changes the status."""
    can_change = can_change_action(request.user, action)
    form = ActionStatusForm(request.POST if request.method == "POST" else None, initial={"status": action.status})
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("Only its owner, whoever created it and the account team change it.")
        if form.is_valid():
            try:
                action_status_set(
                    action=action, by=request.user, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
                )
            except ProgramError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"Saved: {action.get_status_display().lower()}. Its followers are told.")
                return redirect("feedback:action_detail", pk=action.pk)
    context = {
        "action": action,
        "form": form,
        "can_change": can_change,
        "can_see_engagement": engagements_visible_to(request.user).filter(pk=action.engagement_id).exists(),
        "today": local_today(request.user.time_zone),
    }
    return render(request, "feedback/action_detail.html", context)


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def survey_view(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's survey, opened by the signed link in their email: no
    login. A link altered, expired or already used gets a page that says so."""
    if rate_limited(request, scope="survey", **SURVEY_RATE):
        return render(request, "feedback/survey_busy.html", {"company": survey_company()}, status=429)
    link = survey_link(token=token)
    if link.state != "open":
        status = {"invalid": 404, "expired": 410, "answered": 410}[link.state]
        return _survey_closed(request, link, status)
    survey = link.survey
    context = {"survey": survey, "company": survey_company(engagement=survey.engagement)}
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            survey_answer(survey=survey, **form.cleaned_data)
        except ProgramError:
            # Answered in another tab a moment ago, or expired meanwhile.
            return _survey_closed(request, survey_link(token=token), 410)
        return render(request, "feedback/survey_thanks.html", context)
    executives = survey_executives_met(engagement=survey.engagement)
    return render(request, "feedback/survey.html", {**context, "form": form, "executives": executives})


def _survey_closed(request: HttpRequest, link: SurveyLink, status: int) -> HttpResponse:
    company = survey_company(engagement=link.survey.engagement if link.survey else None)
    return render(request, "feedback/survey_closed.html", {"link": link, "company": company}, status=status)


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def debrief_search_view(request: HttpRequest) -> HttpResponse:
    """Program admins search every submitted debrief by words and theme."""
    filters = DebriefSearchFilter(request.GET or None, queryset=debrief_search())
    page, query = page_of(request, filters.qs, DEBRIEFS_PER_PAGE)
    return render(
        request,
        "feedback/debrief_search.html",
        {"form": filters.form, "page": page, "filtered": filters.filtered, "query": query},
    )


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def survey_answers_view(request: HttpRequest) -> HttpResponse:
    """Every customer's survey answer of the last twelve months, newest first:
    the answers the program dashboard's feedback figures count."""
    since = feedback_since(user=request.user)
    page = Paginator(survey_answers(since=since), SURVEY_ANSWERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "feedback/survey_answers.html", {"page": page, "since": since})
