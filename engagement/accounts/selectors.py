"""Reads about accounts: an account manager's list, and who should meet whom."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from engagement.accounts.access import EXECUTIVE_ACCOUNT_SOURCES, MET_WITHIN_DAYS
from engagement.accounts.models import Account
from engagement.cadence.models import ExecutiveContact, Program
from engagement.cadence.selectors import executives_met_count
from engagement.dates import twelve_months_before
from engagement.people.models import Executive, Level, User


def account_list_for_manager(*, user: User, today: dt.date | None = None) -> QuerySet[Account]:
    """Accounts ``user`` manages or serves on, with their last executive contact
    (``last_contact_on``) and how many executives met them in the twelve months
    to ``today`` (``executives_last_year``); ``coverage.account_executives_met``
    names them."""
    executives_last_year = executives_met_count(since=twelve_months_before(today or timezone.localdate()))
    # A subquery rather than a join: no DISTINCT, and each side uses its index.
    on_team = Account.account_team.through.objects.filter(user=user).values("account_id")
    return (
        Account.objects.filter(Q(account_manager=user) | Q(pk__in=on_team))
        .annotate(executives_last_year=executives_last_year)
        .order_by("name", "pk")
    )


@dataclass(frozen=True)
class ExecutiveSuggestion:
    """An executive who would suit a meeting with an account, and why."""

    executive: Executive
    levels_above: int | None  # above the working-level contact; None without one
    matching_talents: tuple[str, ...]
    load: int
    recent_contacts: int  # with this account in the last twelve months
    fits_level: bool = False  # at a level ``fitting_levels`` names for the contact

    @property
    def reasons(self) -> list[str]:
        reasons = fit_reasons(levels_above=self.levels_above, matching_talents=self.matching_talents)
        plural = "s" if self.load != 1 else ""
        reasons.append(f"{self.load} open engagement{plural}" if self.load else "No open engagements")
        if self.recent_contacts:
            reasons.append(met_reason(self.recent_contacts))
        return reasons


def fitting_levels(contact_level: int | None) -> list[int]:
    """The executive levels that suit a working-level contact: one or two
    above theirs, as far as the company goes; for a contact at the top
    (C-suite), the executives at the top too. None without a contact."""
    if not contact_level:
        return []
    above = [level for level in (contact_level + 1, contact_level + 2) if level <= Level.C_SUITE]
    return above or [Level.C_SUITE]


def fit_reasons(*, levels_above: int | None, matching_talents: Iterable[str]) -> list[str]:
    """How an executive fits an account, in words: their level against the
    working contact's (one or two above is right), and the talents it needs."""
    reasons = []
    if levels_above in (1, 2):
        reasons.append(f"{'One level' if levels_above == 1 else 'Two levels'} above the working contact")
    elif levels_above is not None:
        where = "below" if levels_above < 0 else "above"
        gap = abs(levels_above)
        reasons.append("Same level as the working contact" if gap == 0 else f"{gap} levels {where} the contact")
    matching = list(matching_talents)
    if matching:
        reasons.append(f"Talents the account needs: {', '.join(matching)}")
    else:
        reasons.append("No talent that the account lists as a need")
    return reasons


def met_reason(contacts: int) -> str:
    times = "once" if contacts == 1 else f"{contacts} times"
    return f"Met this account {times} in the last twelve months"


# Ranked in two steps so that the costlier measures (load, past contact) are
# computed for a shortlist, not for every executive in the company.
SUGGESTION_SHORTLIST = 50


def executive_suggestions(
    *,
    account: Account,
    contact_level: int | None,
    load: models.Expression | None = None,
    limit: int = 5,
    today: dt.date | None = None,
) -> list[ExecutiveSuggestion]:
    """The active executives best suited to meet ``account``: at a level
    that suits its working-level contact first (``fitting_levels``), then by
    how many of their talents the account needs, then the least loaded (``load`` counts an executive's
    open commitments, given by the caller as an expression over
    ``OuterRef("pk")``), then those who know the account. Three queries."""
    today = today or timezone.localdate()
    needs = list(account.needs.values_list("pk", flat=True))
    # django-stubs cannot see an annotation on an automatic link table's rows.
    talent_matches = Coalesce(
        Subquery(
            Executive.talents.through.objects.filter(executive_id=OuterRef("pk"), skill_id__in=needs)  # type: ignore[misc]
            .values("executive_id")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )
    fits = fitting_levels(contact_level)
    # Without a working contact every level fits alike. (A constant in ORDER BY
    # would read as a column position on PostgreSQL, so it is left out.)
    level_fit = models.Case(models.When(level__in=fits, then=1), default=0, output_field=models.IntegerField())
    by_fit = ["-level_fit"] if fits else []
    shortlist = (
        Executive.objects.filter(active=True)
        .annotate(level_fit=level_fit, talent_matches=talent_matches)
        .order_by(*by_fit, "-talent_matches", models.F("last_contact_on").asc(nulls_first=True), "pk")
        .values("pk")[:SUGGESTION_SHORTLIST]
    )
    recent = Coalesce(
        Subquery(
            ExecutiveContact.objects.filter(
                executive_id=OuterRef("pk"), account=account, contact_on__gt=today - dt.timedelta(days=365)
            )
            .values("executive_id")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )
    ranked = list(
        Executive.objects.filter(pk__in=shortlist)
        .annotate(
            level_fit=level_fit,
            talent_matches=talent_matches,
            load=load if load is not None else models.Value(0),
            recent_contacts=recent,
        )
        .select_related("user", "function")
        .order_by(*by_fit, "-talent_matches", "load", "-recent_contacts", "user__full_name", "pk")[:limit]
    )
    matched: dict[int, list[str]] = defaultdict(list)
    for executive_id, name in (
        Executive.talents.through.objects.filter(executive_id__in=[e.pk for e in ranked], skill_id__in=needs)
        .order_by("skill__name")
        .values_list("executive_id", "skill__name")
    ):
        matched[executive_id].append(name)
    return [
        ExecutiveSuggestion(
            executive=executive,
            levels_above=executive.level - contact_level if contact_level else None,
            matching_talents=tuple(matched[executive.pk]),
            load=executive.load,
            recent_contacts=executive.recent_contacts,
            fits_level=executive.level in fits,
        )
        for executive in ranked
    ]


def account_suggestions_for_executive(*, executive: Executive, limit: int = 3) -> list[Account]:
    """Up to ``limit`` accounts that ``executive`` would suit and that no
    executive has seen for longest: accounts still served (not churned) whose
    needs overlap the executive's talents, never met first, then the longest
    since their last executive contact (``last_executive_contact_on``); when
    none overlap, any accounts in that order (``suits_executive`` says which).
    With their account manager, in one query (two when falling back)."""
    # Newest first with LIMIT 1 walks the (account, contact_on) index backwards.
    last_contact = (
        ExecutiveContact.objects.filter(account=OuterRef("pk")).order_by("-contact_on").values("contact_on")[:1]
    )
    accounts = (
        Account.objects.exclude(status=Account.Status.CHURNED)
        .annotate(last_executive_contact_on=Subquery(last_contact))
        .select_related("account_manager")
        # Among accounts never met, the most important first.
        .order_by(models.F("last_executive_contact_on").asc(nulls_first=True), "tier", "name", "pk")
    )
    talents = Executive.talents.through.objects.filter(executive_id=executive.pk).values("skill_id")
    suits = models.Exists(Account.needs.through.objects.filter(account_id=OuterRef("pk"), skill_id__in=talents))
    accounts = accounts.annotate(suits_executive=suits)
    return list(accounts.filter(suits_executive=True)[:limit]) or list(accounts[:limit])


@dataclass(frozen=True)
class QuietAccount:
    """An account an executive sponsors or has met, and how long since they
    last met it against its ideal and maximum periods."""

    account: Account
    last_met_on: dt.date | None  # by this executive; None: never
    days: int | None
    ideal_days: int
    max_days: int

    @property
    def state(self) -> str:
        """``past_max`` (red), ``past_ideal`` (yellow) or ``within``."""
        if self.days is None or self.days > self.max_days:
            return "past_max"
        return "past_ideal" if self.days > self.ideal_days else "within"

    @property
    def urgency(self) -> float:
        """How far along its maximum period: never met first."""
        return float("inf") if self.days is None else self.days / self.max_days


def accounts_going_quiet(*, executive: Executive, today: dt.date) -> list[QuietAccount]:
    """The accounts ``executive`` sponsors (or is asked to) or met in the
    last two years, churned ones left out, the most overdue first: never met,
    then the furthest along their maximum period. Each account's periods are
    its own, else those of the executive's program (the first active one they
    are in, else the program's first). Three queries."""
    program = (
        Program.objects.filter(active=True, executives=executive).order_by("pk").first()
        or Program.objects.filter(active=True).order_by("pk").first()
    )
    ideal = program.account_ideal_days if program else 90
    most = program.account_max_days if program else 180
    theirs = ExecutiveContact.objects.filter(executive=executive)
    last_met = theirs.filter(account=OuterRef("pk")).order_by().values("account").annotate(last=Max("contact_on"))
    visible = Q(pk__in=theirs.filter(contact_on__gte=today - dt.timedelta(days=MET_WITHIN_DAYS)).values("account_id"))
    for source in EXECUTIVE_ACCOUNT_SOURCES:
        visible |= Q(pk__in=source(executive.user))
    accounts = (
        Account.objects.filter(visible)
        .exclude(status=Account.Status.CHURNED)
        .annotate(last_met_on=Subquery(last_met.values("last")[:1]))
        .order_by("name", "pk")
    )
    rows = [
        QuietAccount(
            account=account,
            last_met_on=account.last_met_on,
            days=(today - account.last_met_on).days if account.last_met_on else None,
            ideal_days=account.ideal_contact_days or ideal,
            max_days=account.max_contact_days or most,
        )
        for account in accounts
    ]
    return sorted(rows, key=lambda row: -row.urgency)


def manager_accounts_going_quiet(*, user: User, today: dt.date) -> list[QuietAccount]:
    """The accounts ``user`` manages or serves on whose last executive contact
    is past its ideal period (or that no executive has met), churned ones
    left out, the most overdue first. Each account's periods are its own,
    else those of the program's first active program. One query."""
    first_program = Program.objects.filter(active=True).order_by("pk")
    program_ideal = Subquery(first_program.values("account_ideal_days")[:1])
    program_most = Subquery(first_program.values("account_max_days")[:1])
    on_team = Account.account_team.through.objects.filter(user=user).values("account_id")
    accounts = (
        Account.objects.filter(Q(account_manager=user) | Q(pk__in=on_team))
        .exclude(status=Account.Status.CHURNED)
        .annotate(
            ideal=Coalesce("ideal_contact_days", program_ideal, models.Value(90)),
            most=Coalesce("max_contact_days", program_most, models.Value(180)),
        )
        .only("pk", "name", "last_contact_on", "ideal_contact_days", "max_contact_days")
        .order_by("name", "pk")
    )
    rows = [
        QuietAccount(
            account=account,
            last_met_on=account.last_contact_on,
            days=(today - account.last_contact_on).days if account.last_contact_on else None,
            ideal_days=account.ideal,
            max_days=account.most,
        )
        for account in accounts
    ]
    return sorted((row for row in rows if row.state != "within"), key=lambda row: -row.urgency)
