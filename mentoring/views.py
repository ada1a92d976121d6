"""Pages of pairings: the program's list, an executive's sponsorships, one
pairing with its goals, and proposing one from ranked suggestions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from engagement.accounts.access import accounts_open_to, get_account_for_user
from engagement.accounts.models import Account, Contact
from engagement.bounds import row_id
from engagement.dashboards.filters import KeyPersonRiskFilter
from engagement.dates import twelve_months_before
from engagement.imports.exports import CsvColumn, csv_response
from engagement.people.access import executive_view
from engagement.people.models import Executive
from engagement.people.roles import EVERY_ROLE, Role, role_required
from mentoring.access import get_goal_for_user, pairing_rights, pairing_view, pairings_visible_to
from mentoring.filters import PairingPageFilter
from mentoring.forms import GoalForm, ProposeForm, ReasonForm
from mentoring.impact import (
    GROUPS,
    MIN_GROUP,
    SPONSORED_FOR_DAYS,
    Comparison,
    figure_text,
    impact_accounts,
    impact_span,
    measure_named,
    sponsorship_impact,
)
from mentoring.models import Pairing
from mentoring.risk import KEY_PERSON_RISK_CSV_COLUMNS, key_person_risk_list, key_person_risks
from mentoring.selectors import (
    PairingHealth,
    executive_accounts_carried,
    executives_to_hand_over,
    pairing_list,
    pairing_sessions,
    pairings_with_health,
    session_due_by,
)
from mentoring.services import (
    PairingError,
    pairing_accept,
    pairing_decline,
    pairing_end,
    pairing_goal_create,
    pairing_goal_update,
    pairing_hand_over,
    pairing_pause,
    pairing_propose,
    pairing_resume,
)
from mentoring.suggestions import PairingSuggestion, pairing_suggestions, suggestions_for_accounts, working_contact

PAGE_SIZE = 50
# Each row of key-person risk carries a suggested second executive.
RISK_PAGE_SIZE = 25

PAIRINGS_CSV_COLUMNS = [
    CsvColumn("executive", lambda p: p.executive.name),
    CsvColumn("executive_email", lambda p: p.executive.user.email),
    CsvColumn("account", lambda p: p.account.name),
    CsvColumn("primary_contact", lambda p: p.primary_contact.name if p.primary_contact else ""),
    CsvColumn("status", lambda p: p.status),
    CsvColumn("health", lambda p: p.health or ""),
    CsvColumn("starts_on", lambda p: p.starts_on),
    CsvColumn("ends_on", lambda p: p.ends_on),
    CsvColumn("session_cadence_days", lambda p: p.session_cadence_days),
    CsvColumn("last_session_on", lambda p: p.last_session_on),
    CsvColumn("days_since_session", lambda p: p.days_since if p.status == Pairing.Status.ACTIVE else None),
    CsvColumn("why_matched", lambda p: p.why_matched, multi_line=True),
    CsvColumn("status_reason", lambda p: p.status_reason, multi_line=True),
]


def _pairing_filters(request: HttpRequest) -> PairingPageFilter:
    return PairingPageFilter(
        request.GET, queryset=pairing_list(pairings=Pairing.objects.all(), today=timezone.localdate())
    )


def _pairings_page(request: HttpRequest, filters: PairingPageFilter, status: int = 200) -> HttpResponse:
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": filters.form,
        "page": page,
        "query": filters.query,
        "refused": status == 400,
        "to_hand_over": list(executives_to_hand_over()),
    }
    return render(request, "mentoring/pairings.html", context, status=status)


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def pairings(request: HttpRequest) -> HttpResponse:
    """Every pairing with its health, those needing attention first."""
    return _pairings_page(request, _pairing_filters(request))


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def pairings_csv(request: HttpRequest) -> HttpResponse:
    """The pairings list as CSV, every one. A filter that does not fit gets
    the page that says so: a file of other pairings would pass unnoticed."""
    filters = _pairing_filters(request)
    if not filters.is_valid():
        return _pairings_page(request, filters, status=400)
    return csv_response(filename="pairings", columns=PAIRINGS_CSV_COLUMNS, rows=filters.qs.iterator(2000))


@role_required(Role.EXECUTIVE)
@require_GET
@executive_view
def my_sponsorships(request: HttpRequest, executive: Executive) -> HttpResponse:
    """The executive's pairings: proposals to answer, those under way, and past ones."""
    today = timezone.localdate()
    pairings = list(
        pairings_with_health(Pairing.objects.filter(executive=executive), today=today)
        .select_related("account", "primary_contact", "proposed_by")
        .prefetch_related("goals")
        .order_by("-status_changed_at", "-pk")
    )
    by_status: dict[str, list[Pairing]] = {status: [] for status in Pairing.Status}
    for pairing in pairings:
        by_status[pairing.status].append(pairing)
    context = {
        "proposed": by_status[Pairing.Status.PROPOSED],
        "current": by_status[Pairing.Status.ACTIVE] + by_status[Pairing.Status.PAUSED],
        "ended": by_status[Pairing.Status.ENDED][:20],
    }
    return render(request, "mentoring/my_sponsorships.html", context)


def _pairing_page(
    request: HttpRequest,
    pairing: Pairing,
    *,
    reason_form: ReasonForm | None = None,
    goal_form: GoalForm | None = None,
    editing: tuple[int, GoalForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    with_health = pairings_with_health(Pairing.objects.filter(pk=pairing.pk), today=today).values(
        "last_session_on", "days_since", "health"
    )
    health = with_health.first() or {}
    goals = list(pairing.goals.all())
    goal_forms = [
        (goal, editing[1] if editing and editing[0] == goal.pk else GoalForm(instance=goal, prefix=f"goal-{goal.pk}"))
        for goal in goals
    ]
    context = {
        "pairing": pairing,
        "rights": pairing_rights(request.user, pairing),
        "health": PairingHealth(health["health"]) if health.get("health") else None,
        "last_session_on": health.get("last_session_on"),
        "days_since": health.get("days_since"),
        "next_session_by": session_due_by(
            since=health.get("last_session_on") or pairing.starts_on, cadence_days=pairing.session_cadence_days
        ),
        "sessions": pairing_sessions(pairing=pairing),
        "goal_forms": goal_forms,
        "new_goal_form": goal_form or GoalForm(prefix="new"),
        "reason_form": reason_form or ReasonForm(),
        # Whoever sees a live pairing may open its account; an ended one's
        # executive only if they met it lately.
        "may_open_account": accounts_open_to(request.user).filter(pk=pairing.account_id).exists(),
    }
    return render(request, "mentoring/pairing_detail.html", context, status=status)


@role_required(*EVERY_ROLE)
@pairing_view("GET", "HEAD")
def pairing_detail(request: HttpRequest, pairing: Pairing) -> HttpResponse:
    """A pairing: why it was made, its goals, its sessions and its health."""
    return _pairing_page(request, pairing)


# Each step of ``Pairing.STEPS``: the service that takes it (given the
# pairing, who and the reason), and what to say after.
CHANGES: dict[str, tuple[Callable[..., None], str]] = {
    "accept": (
        lambda pairing, by, reason: pairing_accept(pairing=pairing, by=by),
        "Accepted: you sponsor {account} now. Log each session as you would any contact.",
    ),
    "decline": (pairing_decline, "Declined. The program admin who proposed it has been told why."),
    "pause": (pairing_pause, "Paused: no session is due until it is resumed."),
    "resume": (
        lambda pairing, by, reason: pairing_resume(pairing=pairing, by=by),
        "Resumed: the next session is due within the cadence.",
    ),
    "end": (pairing_end, "Ended. It stays in the program's list with the reason given."),
}


@role_required(*EVERY_ROLE)
@pairing_view("POST")
def pairing_change(request: HttpRequest, pairing: Pairing) -> HttpResponse:
    """Accept or decline a proposal (the executive), or pause, resume or end
    a pairing (the executive or a program admin)."""
    action = request.POST.get("action", "")
    if action not in CHANGES:
        messages.error(request, "Choose what to do with the pairing.")
        return _pairing_page(request, pairing, status=400)
    change, done = CHANGES[action]
    if not pairing_rights(request.user, pairing).may_try(action):
        messages.error(request, "You cannot do that with this pairing now.")
        return _pairing_page(request, pairing, status=403)
    form = ReasonForm(request.POST)
    if not form.is_valid():  # a reason too long: said beside it, as typed
        return _pairing_page(request, pairing, reason_form=form, status=400)
    try:
        change(pairing=pairing, by=request.user, reason=form.cleaned_data["reason"])
    except PairingError as error:
        form.add_error(error.field, str(error))
        return _pairing_page(request, pairing, reason_form=form, status=400)
    messages.success(request, done.format(account=pairing.account))
    if request.POST.get("next") == "sponsorships":
        return redirect("mentoring:my_sponsorships")
    return redirect("mentoring:pairing_detail", pk=pairing.pk)


@role_required(*EVERY_ROLE)
@pairing_view("POST")
def pairing_goal_add(request: HttpRequest, pairing: Pairing) -> HttpResponse:
    """Add a goal to a pairing."""
    form = GoalForm(request.POST, prefix="new")
    if not pairing_rights(request.user, pairing).edit_goals:
        messages.error(request, "This pairing has ended: its goals stay as they were.")
        return _pairing_page(request, pairing, goal_form=form, status=400)
    if not form.is_valid():
        return _pairing_page(request, pairing, goal_form=form, status=400)
    goal = pairing_goal_create(pairing=pairing, **{name: form.cleaned_data[name] for name in form.Meta.fields})
    messages.success(request, f"Goal added: “{goal.text}”.")
    return redirect("mentoring:pairing_detail", pk=pairing.pk)


@role_required(*EVERY_ROLE)
@pairing_view("POST")
def pairing_goal_edit(request: HttpRequest, pairing: Pairing, goal_pk: int) -> HttpResponse:
    """Change a goal's words, status or notes."""
    goal = get_goal_for_user(request.user, pairing, goal_pk)
    form = GoalForm(request.POST, instance=goal, prefix=f"goal-{goal.pk}")
    if not pairing_rights(request.user, pairing).edit_goals:
        messages.error(request, "This pairing has ended: its goals stay as they were.")
        return _pairing_page(request, pairing, editing=(goal.pk, form), status=400)
    if not form.is_valid():
        return _pairing_page(request, pairing, editing=(goal.pk, form), status=400)
    pairing_goal_update(goal=goal, by=request.user, **{name: form.cleaned_data[name] for name in form.Meta.fields})
    messages.success(request, f"Goal saved: “{form.cleaned_data['text']}”.")
    return redirect("mentoring:pairing_detail", pk=pairing.pk)


def _propose_context(
    request: HttpRequest, account: Account, form: ProposeForm, contact: Contact | None
) -> dict[str, Any]:
    suggestions = pairing_suggestions(account=account, contact=contact)
    chosen = form["executive"].value() if form.is_bound else request.GET.get("executive")
    chosen_pk = row_id(chosen)
    suggested = {suggestion.executive.pk for suggestion in suggestions}
    return {
        "account": account,
        "form": form,
        "suggestions": suggestions,
        "working_contact": contact,
        "chosen": chosen_pk,
        "chosen_other": (
            Executive.objects.filter(pk=chosen_pk, active=True).select_related("user").first()
            if chosen_pk is not None and chosen_pk not in suggested
            else None
        ),
        "sponsors": list(
            pairings_visible_to(request.user)
            .filter(account=account, status__in=Pairing.LIVE)
            .select_related("executive__user")
        ),
    }


def _why(suggestion: PairingSuggestion) -> str:
    return "; ".join(suggestion.reasons[:2]) + "."


@role_required(Role.PROGRAM_ADMIN)
@require_http_methods(["GET", "HEAD", "POST"])
def pairing_propose_view(request: HttpRequest, account_pk: int) -> HttpResponse:
    """The executives who would best sponsor an account, ranked with their
    reasons; the admin proposes one, and the executive answers."""
    account = get_account_for_user(request.user, account_pk)
    data = request.POST if request.method == "POST" else request.GET
    contact_pk = row_id(data.get("primary_contact"))
    contact = Contact.objects.filter(pk=contact_pk, account=account).first() if contact_pk else None
    if request.method == "POST":
        form = ProposeForm(request.POST, account=account)
        if form.is_valid():
            data = form.cleaned_data
            try:
                pairing = pairing_propose(
                    executive=data["executive"],
                    account=account,
                    by=request.user,
                    why_matched=data["why_matched"],
                    goals=data["goals"],
                    primary_contact=data["primary_contact"],
                    session_cadence_days=data["session_cadence_days"],
                    starts_on=data["starts_on"],
                )
            except PairingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"Proposed to {pairing.executive}: they are asked to accept or decline it.")
                return redirect("mentoring:pairing_detail", pk=pairing.pk)
        context = _propose_context(request, account, form, contact or working_contact(account=account))
        return render(request, "mentoring/propose.html", context, status=400)
    contact = contact or working_contact(account=account)
    initial: dict[str, Any] = {"primary_contact": contact.pk if contact else None}
    form = ProposeForm(initial=initial, account=account)
    context = _propose_context(request, account, form, contact)
    chosen = next((s for s in context["suggestions"] if s.executive.pk == context["chosen"]), None)
    if chosen is not None:
        form.initial.update(executive=chosen.executive.pk, why_matched=_why(chosen))
    elif context["chosen_other"] is not None:
        form.initial.update(executive=context["chosen_other"].pk)
    return render(request, "mentoring/propose.html", context)


def _key_person_risk_filter(request: HttpRequest) -> KeyPersonRiskFilter:
    return KeyPersonRiskFilter(request.GET, queryset=key_person_risk_list())


def _key_person_risk_page(request: HttpRequest, filters: KeyPersonRiskFilter, status: int = 200) -> HttpResponse:
    page = Paginator(filters.qs, RISK_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": filters.form,
        "filters": filters.shown,
        "page": page,
        "rows": list(key_person_risks(page)),
        "query": filters.shown.query,
        "refused": status == 400,
    }
    return render(request, "mentoring/key_person_risk.html", context, status=status)


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def key_person_risk(request: HttpRequest) -> HttpResponse:
    """Accounts whose executive contact rests on one executive, or whose only
    sponsor has left, each with a suggested second executive."""
    return _key_person_risk_page(request, _key_person_risk_filter(request))


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def key_person_risk_csv(request: HttpRequest) -> HttpResponse:
    """The key-person risk list as CSV, every one (without suggestions: they
    are worked out a page at a time)."""
    filters = _key_person_risk_filter(request)
    if not filters.is_valid():
        return _key_person_risk_page(request, filters, status=400)
    accounts = filters.qs.iterator(2000)
    rows = (row for chunk in _chunks(accounts, 2000) for row in key_person_risks(chunk, suggest=False))
    return csv_response(filename="key-person-risk", columns=KEY_PERSON_RISK_CSV_COLUMNS, rows=rows)


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _tier_in(text: str | None) -> int | None:
    tier = row_id(text)
    return tier if tier in Account.Tier.values else None


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def impact(request: HttpRequest) -> HttpResponse:
    """What sponsorship changes: a tier's sponsored accounts against its
    others, measure by measure, each figure opening the accounts it counts."""
    tier = _tier_in(request.GET.get("tier")) or Account.Tier.STRATEGIC
    span = impact_span(today=timezone.localdate(), now=timezone.now())
    context = {
        "tier": Account.Tier(tier),
        "tiers": Account.Tier.choices,
        "comparisons": [c for c in sponsorship_impact(span=span) if c.tier == tier],
        "groups": GROUPS,
        "span": span,
        "min_group": MIN_GROUP,
        "sponsored_for_days": SPONSORED_FOR_DAYS,
    }
    return render(request, "mentoring/impact.html", context)


def _impact_list(request: HttpRequest) -> tuple[Comparison, str, Any]:
    """The measure, tier and group the query names (404 for any other), its
    comparison and the accounts it counts."""
    measure = measure_named(request.GET.get("measure", ""))
    tier, group = _tier_in(request.GET.get("tier")), request.GET.get("group", "")
    if measure is None or tier is None or group not in GROUPS:
        raise Http404("No such list of accounts.")
    span = impact_span(today=timezone.localdate(), now=timezone.now())
    comparison = next(c for c in sponsorship_impact(span=span, measures=[measure]) if c.tier == tier)
    return comparison, group, impact_accounts(measure=measure, span=span, tier=tier, group=group)


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def impact_accounts_page(request: HttpRequest) -> HttpResponse:
    """The accounts one group's figure counts, each with its own."""
    comparison, group, accounts = _impact_list(request)
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    measure = comparison.measure
    rows = [
        {**row, "figure": figure_text(measure, row["mean"]), "status": Account.Status(row["account_status"]).label}
        for row in page
    ]
    query = f"measure={measure.slug}&tier={comparison.tier}&group={group}"
    context = {
        "comparison": comparison,
        "measure": measure,
        "group": group,
        "group_label": GROUPS[group],
        "figures": comparison.group(group),
        "page": page,
        "rows": rows,
        "query": query,
        "per_account": measure.account == "pk",
        "min_group": MIN_GROUP,
    }
    return render(request, "mentoring/impact_accounts.html", context)


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def impact_accounts_csv(request: HttpRequest) -> HttpResponse:
    """The same accounts as CSV, every one."""
    comparison, group, accounts = _impact_list(request)
    measure = comparison.measure
    columns = [
        CsvColumn("account_id", lambda row: row["account_id"]),
        CsvColumn("account", lambda row: row["account_name"]),
        CsvColumn("tier", lambda row: comparison.tier_label),
        CsvColumn("group", lambda row: GROUPS[group]),
        CsvColumn("measure", lambda row: measure.label),
        CsvColumn("rows", lambda row: row["n"]),
        CsvColumn("mean", lambda row: None if row["mean"] is None else round(float(row["mean"]), 4)),
    ]
    filename = f"sponsorship-impact-{measure.slug}-{comparison.tier_label.lower()}-{group}"
    return csv_response(filename=filename, columns=columns, rows=accounts.iterator(2000))


HANDOVER_SUGGESTIONS = 3


def _handover_page(request: HttpRequest, executive: Executive, *, error: tuple[int, str] | None = None) -> HttpResponse:
    live = list(
        Pairing.objects.filter(executive=executive, status__in=Pairing.LIVE)
        .select_related("account", "primary_contact")
        .order_by("account__name", "pk")
    )
    accounts = [pairing.account for pairing in live]
    contacts = {pairing.account_id: pairing.primary_contact for pairing in live if pairing.primary_contact}
    suggested = (
        suggestions_for_accounts(
            accounts=accounts,
            contacts=contacts or None,
            exclude={account.pk: [executive.pk] for account in accounts},
            limit=HANDOVER_SUGGESTIONS,
        )
        if accounts
        else {}
    )
    today = timezone.localdate()
    context = {
        "executive": executive,
        "rows": [(pairing, suggested.get(pairing.account_id, [])) for pairing in live],
        "error": error,
        "carried": list(executive_accounts_carried(executive=executive, since=twelve_months_before(today))[:50]),
    }
    return render(request, "mentoring/handover.html", context, status=400 if error else 200)


@role_required(Role.PROGRAM_ADMIN)
@require_http_methods(["GET", "HEAD", "POST"])
def handover(request: HttpRequest, executive_pk: int) -> HttpResponse:
    """An executive's pairings and accounts, to hand each pairing over to
    another executive, chosen from suggestions, when they leave."""
    pk = row_id(executive_pk)
    executive = Executive.objects.select_related("user").filter(pk=pk).first() if pk is not None else None
    if executive is None:
        raise Http404("No such executive.")
    if request.method != "POST":
        return _handover_page(request, executive)
    pairing_pk, to_pk = row_id(request.POST.get("pairing")), row_id(request.POST.get("executive"))
    pairing = (
        Pairing.objects.filter(pk=pairing_pk, executive=executive).select_related("account", "executive__user").first()
        if pairing_pk is not None
        else None
    )
    to = Executive.objects.select_related("user").filter(pk=to_pk).first() if to_pk is not None else None
    if pairing is None:
        return _handover_page(
            request, executive, error=(0, "That pairing is no longer theirs: the page shows what is.")
        )
    if to is None:
        return _handover_page(request, executive, error=(pairing.pk, "Choose who takes it over."))
    try:
        new = pairing_hand_over(pairing=pairing, to=to, by=request.user)
    except PairingError as error:
        return _handover_page(request, executive, error=(pairing.pk, str(error)))
    messages.success(request, f"{pairing.account} is proposed to {new.executive}; {executive}'s pairing has ended.")
    return redirect("mentoring:handover", executive_pk=executive.pk)
