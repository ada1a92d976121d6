"""Reads for the program's core. Each returns in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from engagement.dates import local_date, local_today
from engagement.models import (
    Account,
    ApiToken,
    Executive,
    ExecutiveContact,
    Invitation,
    Notification,
    Program,
    User,
)


class ContactState(models.TextChoices):
    """Where an executive stands against their cadence: one state, the same on
    every page, in the API and for reminders. An executive with no contact yet
    is counted from the day they joined; "no contact yet" is a fact beside the
    state (``last_contact_on`` is None), not a state of its own."""

    ON_TRACK = "on_track", "On track"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    ESCALATED = "escalated", "Escalated"


# The executives table's filter for those with no contact yet (in bookmarks as ``?state=never``).
NO_CONTACT_YET = "never"


@dataclass(frozen=True)
class Cadence:
    """The rule one executive is held to: their program's, or their override."""

    cadence_days: int
    warning_days: int
    escalation_days: int
    exposure_hours_target: Decimal
    overdue_repeat_days: int = 7


@dataclass(frozen=True)
class ContactStatus:
    """Where one executive stands against the six-week rule today."""

    executive_id: int
    today: dt.date
    cadence: Cadence
    last_contact_on: dt.date | None
    days_since: int | None
    due_on: dt.date
    state: ContactState
    exposure_minutes: int
    joined_on: dt.date

    @property
    def exposure_hours(self) -> Decimal:
        """Exposure in the window, in hours to one decimal (for display)."""
        return (Decimal(self.exposure_minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def days_left(self) -> int:
        """Days until the window closes; negative once it has."""
        return (self.due_on - self.today).days

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)

    @property
    def exposure_met(self) -> bool:
        return self.exposure_minutes >= self.cadence.exposure_hours_target * 60

    @property
    def episode_start(self) -> dt.date:
        """Where the current episode began (``episode_start``)."""
        return episode_start(last_contact_on=self.last_contact_on, joined_on=self.joined_on)

    @property
    def counts_from_joining(self) -> bool:
        """Whether the cadence counts from the day they joined rather than
        from their last contact (none yet, or only from before they joined)."""
        return self.episode_start != self.last_contact_on


def episode_start(*, last_contact_on: dt.date | None, joined_on: dt.date) -> dt.date:
    """The day an executive's cadence counts from: the later of their last
    contact and the day they joined the program. A contact from before they
    joined (an imported history) never makes a newcomer overdue."""
    return max(last_contact_on, joined_on) if last_contact_on else joined_on


def contact_state(*, days_since: int, cadence: Cadence) -> ContactState:
    """The state ``days_since`` whole days after the episode began (DESIGN.md)."""
    if days_since <= cadence.cadence_days - cadence.warning_days - 1:
        return ContactState.ON_TRACK
    if days_since <= cadence.cadence_days:
        return ContactState.DUE_SOON
    if days_since <= cadence.cadence_days + cadence.escalation_days:
        return ContactState.OVERDUE
    return ContactState.ESCALATED


def _default_program(programs: Iterable[Program]) -> Program:
    return min(programs, key=lambda program: program.pk, default=None) or Program(name="Default")


def executive_cadences(*, overrides: dict[int, int | None]) -> dict[int, Cadence]:
    """The cadence of each executive in ``overrides`` (id -> override days),
    in two queries: the strictest of their active programs (or the first
    active program when they are in none), unless the executive has an
    override."""
    programs = {program.pk: program for program in Program.objects.filter(active=True)}
    default = _default_program(programs.values())
    memberships: dict[int, list[Program]] = defaultdict(list)
    rows = Executive.programs.through.objects.filter(executive_id__in=list(overrides)).values_list(
        "executive_id", "program_id"
    )
    for executive_id, program_id in rows:
        if program_id in programs:
            memberships[executive_id].append(programs[program_id])
    cadences = {}
    for executive_id, override in overrides.items():
        program = min(memberships.get(executive_id, []), key=lambda p: p.cadence_days, default=default)
        cadences[executive_id] = Cadence(
            cadence_days=override or program.cadence_days,
            warning_days=program.warning_days,
            escalation_days=program.escalation_days,
            exposure_hours_target=Decimal(program.exposure_hours_target),
            overdue_repeat_days=program.overdue_repeat_days,
        )
    return cadences


def executive_contact_statuses(
    *,
    executives: Iterable[Executive] | QuerySet[Executive],
    now: dt.datetime | None = None,
    as_of: dt.date | None = None,
    exposure: bool = True,
) -> dict[int, ContactStatus]:
    """The contact status of every executive in ``executives``, by id, today
    in each one's own time zone (or on ``as_of`` for all).

    Four queries whatever the number of executives or contacts: the
    executives, the programs, the memberships, and the exposure of the last
    window summed per executive and day (the window's edge depends on each
    executive's own time zone, so the last step is done here). Without
    ``exposure`` (reminders do not need it) the last is left out.
    """
    now = now or timezone.now()
    if isinstance(executives, QuerySet):
        executive_ids: Iterable[int] | QuerySet = executives.values("pk")
    else:
        executive_ids = [executive.pk for executive in executives]
    rows = list(
        Executive.objects.filter(pk__in=executive_ids).values(
            "pk", "last_contact_on", "joined_on", "cadence_override_days", "user__time_zone"
        )
    )
    cadences = executive_cadences(overrides={row["pk"]: row["cadence_override_days"] for row in rows})
    todays = {row["pk"]: as_of or local_today(row["user__time_zone"], now=now) for row in rows}
    if not rows:
        return {}
    earliest = min(todays[pk] - dt.timedelta(days=cadences[pk].cadence_days) for pk in todays)
    minutes_by_day = (
        ExecutiveContact.objects.filter(executive_id__in=executive_ids, contact_on__gte=earliest)
        .values_list("executive_id", "contact_on")
        .annotate(minutes=Sum("duration_minutes"))
        .order_by()
    )
    exposure_minutes: dict[int, int] = defaultdict(int)
    for executive_id, contact_on, minutes in minutes_by_day if exposure else ():
        if contact_on >= todays[executive_id] - dt.timedelta(days=cadences[executive_id].cadence_days):
            exposure_minutes[executive_id] += minutes or 0

    statuses = {}
    for row in rows:
        pk, last = row["pk"], row["last_contact_on"]
        cadence, today = cadences[pk], todays[pk]
        start = episode_start(last_contact_on=last, joined_on=row["joined_on"])
        statuses[pk] = ContactStatus(
            executive_id=pk,
            today=today,
            cadence=cadence,
            last_contact_on=last,
            days_since=(today - last).days if last else None,
            due_on=start + dt.timedelta(days=cadence.cadence_days),
            state=contact_state(days_since=(today - start).days, cadence=cadence),
            exposure_minutes=exposure_minutes[pk],
            joined_on=row["joined_on"],
        )
    return statuses


def executive_contact_status(*, executive: Executive, now: dt.datetime | None = None) -> ContactStatus:
    """The contact status of one executive."""
    return executive_contact_statuses(executives=[executive], now=now)[executive.pk]


def last_contacts_if(
    *,
    executive_ids: Iterable[int],
    replaced_engagement_ids: Iterable[int],
    contacts: Iterable[tuple[int, dt.datetime]],
) -> dict[int, dt.date | None]:
    """Each of ``executive_ids``' last contact as it would be if the contacts
    from ``replaced_engagement_ids`` gave way to ``contacts`` (executive id,
    moment), as ``services.executive_contacts_replace`` would leave it: what
    an import would do, before it is done. Two queries."""
    executive_ids = set(executive_ids)
    zones = dict(Executive.objects.filter(pk__in=executive_ids).values_list("pk", "user__time_zone"))
    kept = (
        ExecutiveContact.objects.filter(executive_id__in=executive_ids)
        .exclude(engagement_id__in=list(replaced_engagement_ids))
        .values("executive_id")
        .annotate(last=models.Max("contact_on"))
        .values_list("executive_id", "last")
        .order_by()
    )
    last: dict[int, dt.date | None] = dict.fromkeys(zones)
    last.update(kept)
    for executive_id, moment in contacts:
        if executive_id in zones:
            day = local_date(moment, zones[executive_id])
            last[executive_id] = max(day, last[executive_id]) if last[executive_id] else day
    return last


def executive_recent_contacts(*, executive: Executive, limit: int = 10) -> QuerySet[ExecutiveContact]:
    """The executive's latest customer contacts, newest first."""
    return (
        ExecutiveContact.objects.filter(executive=executive)
        .select_related("account")
        .order_by("-occurred_at", "-pk")[:limit]
    )


def account_list_for_manager(*, user: User, today: dt.date | None = None) -> QuerySet[Account]:
    """Accounts ``user`` manages or serves on, with their last executive contact
    (``last_contact_on``) and how many executives met them in the twelve months
    to ``today`` (``executives_last_year``); ``coverage.account_executives_met``
    names them."""
    year_ago = (today or timezone.localdate()) - dt.timedelta(days=365)
    executives_last_year = (
        ExecutiveContact.objects.filter(account=OuterRef("pk"), contact_on__gte=year_ago)
        .order_by()
        .values("account")
        .annotate(n=Count("executive", distinct=True))
        .values("n")
    )
    # A subquery rather than a join: no DISTINCT, and each side uses its index.
    on_team = Account.account_team.through.objects.filter(user=user).values("account_id")
    return (
        Account.objects.filter(Q(account_manager=user) | Q(pk__in=on_team))
        .annotate(executives_last_year=Coalesce(Subquery(executives_last_year), 0))
        .order_by("name", "pk")
    )


def notification_list(*, user: User) -> QuerySet[Notification]:
    """``user``'s notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notification_unread_count(*, user: User) -> int:
    """How many of ``user``'s notifications are unread (a withdrawn one asks
    nothing of them): one COUNT query."""
    return Notification.objects.filter(user=user, read_at__isnull=True, withdrawn_at__isnull=True).count()


@dataclass(frozen=True)
class ExecutiveSuggestion:
    """An executive who would suit a meeting with an account, and why."""

    executive: Executive
    levels_above: int | None  # above the working-level contact; None without one
    matching_talents: tuple[str, ...]
    load: int
    recent_contacts: int  # with this account in the last twelve months

    @property
    def reasons(self) -> list[str]:
        reasons = fit_reasons(levels_above=self.levels_above, matching_talents=self.matching_talents)
        plural = "s" if self.load != 1 else ""
        reasons.append(f"{self.load} open engagement{plural}" if self.load else "No open engagements")
        if self.recent_contacts:
            reasons.append(met_reason(self.recent_contacts))
        return reasons


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
    """The active executives best suited to meet ``account``: one or two levels
    above its working-level contact first, then by how many of their talents
    the account needs, then the least loaded (``load`` counts an executive's
    open commitments, given by the caller as an expression over
    ``OuterRef("pk")``), then those who know the account. Three queries."""
    today = today or timezone.localdate()
    needs = list(account.needs.values_list("pk", flat=True))
    talent_matches = Coalesce(
        Subquery(
            Executive.talents.through.objects.filter(executive_id=OuterRef("pk"), skill_id__in=needs)
            .values("executive_id")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )
    fits = [contact_level + 1, contact_level + 2] if contact_level else []
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


# --- API tokens ---------------------------------------------------------------------


def api_token_hash(key: str) -> str:
    """What is kept of an API key: its SHA-256. A key is 32 random bytes, so
    a fast unsalted hash is safe at rest and lets a request find its token
    by an indexed lookup."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_for_key(*, key: str) -> ApiToken | None:
    """The live token of ``key``, with its user; None for a key that is
    unknown, revoked, or of someone who can no longer sign in."""
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=api_token_hash(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def api_token_list() -> QuerySet[ApiToken]:
    """Every API token, newest first, with whose it is and who made and revoked it."""
    return ApiToken.objects.select_related("user", "created_by", "revoked_by").order_by("-created_at", "-pk")


# --- Invitations ---------------------------------------------------------------------


def login_never_used(*, user: User) -> bool:
    """Whether ``user`` never chose a password nor signed in: an invitation
    that did not arrive, or was not acted on yet."""
    return user.is_active and user.last_login is None and not user.has_usable_password()


def invitation_list() -> QuerySet[Invitation]:
    """Every invitation, the latest asked for first, with whom it is for and
    who asked (whether it was taken up is the user's own facts)."""
    return Invitation.objects.select_related("user", "invited_by").order_by("-queued_at", "-pk")


def invitation_of(*, user: User) -> Invitation | None:
    """``user``'s invitation, if one was recorded (logins made in the admin have none)."""
    return Invitation.objects.filter(user=user).first()
