"""Reads for debriefs, actions and customer feedback, each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import statistics
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from engagement.dates import local_date, local_today
from engagement.imports.exports import CsvColumn
from engagement.people.models import Executive, Function, User
from engagement.people.roles import Role, user_roles
from feedback.models import ActionItem, Debrief, Survey, Theme
from visits.access import accounts_served_by
from visits.models import Engagement, EngagementExecutive
from visits.selectors import day_start

# How far back a home page looks for debriefs still to write.
DEBRIEF_LOOKBACK = dt.timedelta(days=60)
HOME_LIMIT = 8

ACTION_RELATED = ("engagement__account", "engagement__type", "owner", "created_by", "function")


def themes_active() -> QuerySet[Theme]:
    return Theme.objects.filter(active=True)


def _with_themes(debriefs: QuerySet[Debrief]) -> QuerySet[Debrief]:
    return debriefs.prefetch_related(Prefetch("themes", queryset=Theme.objects.order_by("name")))


def debrief_of(*, engagement: Engagement, author: User, themes: bool = True) -> Debrief | None:
    """``author``'s own debrief of ``engagement``, draft or submitted (with
    its themes, unless ``themes`` is false)."""
    debriefs = Debrief.objects.filter(engagement=engagement, author=author)
    return (_with_themes(debriefs) if themes else debriefs).first()


def debriefs_submitted(*, engagement: Engagement) -> list[Debrief]:
    """The submitted debriefs of ``engagement``, first submitted first."""
    return list(
        _with_themes(
            Debrief.objects.filter(engagement=engagement, status=Debrief.Status.SUBMITTED).select_related("author")
        ).order_by("submitted_at", "pk")
    )


def debriefs_submitted_count(*, engagement: Engagement) -> int:
    return Debrief.objects.filter(engagement=engagement, status=Debrief.Status.SUBMITTED).count()


def engagement_actions(*, engagement: Engagement) -> list[ActionItem]:
    # The action list shows each one's account and who raised it, as on every other page.
    return list(
        ActionItem.objects.filter(engagement=engagement).select_related(*ACTION_RELATED).order_by("due_on", "pk")
    )


def engagement_surveys(*, engagement: Engagement) -> list[Survey]:
    return list(Survey.objects.filter(engagement=engagement).select_related("contact").order_by("contact__name"))


def _debrief_written_by(user: User) -> Exists:
    return Exists(Debrief.objects.filter(engagement=OuterRef("pk"), author=user, status=Debrief.Status.SUBMITTED))


def _draft_by(user: User) -> Exists:
    return Exists(Debrief.objects.filter(engagement=OuterRef("pk"), author=user, status=Debrief.Status.DRAFT))


def debriefs_to_write_all(*, user: User, now: dt.datetime | None = None) -> QuerySet[Engagement]:
    """Held engagements ``user`` attended as an executive, of the last 60
    days, that owe a debrief and have nobody's yet, or with ``user``'s own
    still a draft; oldest
    first, as the oldest fades first. Each has ``has_draft``."""
    since = (now or timezone.now()) - DEBRIEF_LOOKBACK
    # From the executive's own attendances (hundreds), not from every
    # engagement of the period (a hundred thousand at scale).
    attended = EngagementExecutive.objects.filter(executive__user=user, executive__active=True).values("engagement_id")
    return (
        Engagement.objects.filter(pk__in=attended, status__in=Engagement.HELD_STATUSES, starts_at__gte=since)
        .annotate(has_draft=_draft_by(user), written=_debrief_written_by(user))
        # Owed, or begun by ``user``: a contact logged without "I'll add a
        # debrief" is listed only once they start one.
        .filter(Q(status=Engagement.Status.COMPLETED, debrief_wanted=True) | Q(has_draft=True), written=False)
        .select_related("account", "type")
        .order_by("starts_at", "pk")
    )


def debriefs_to_write(*, user: User, now: dt.datetime | None = None, limit: int = HOME_LIMIT) -> list[Engagement]:
    """The first ``limit`` of ``debriefs_to_write_all``."""
    return list(debriefs_to_write_all(user=user, now=now)[:limit])


def account_debriefs_due_all(*, user: User, now: dt.datetime | None = None) -> QuerySet[Engagement]:
    """Held engagements of the accounts ``user`` serves, of the last 60 days,
    that owe a debrief nobody has written yet; oldest first."""
    since = (now or timezone.now()) - DEBRIEF_LOOKBACK
    return (
        Engagement.objects.filter(
            account__in=accounts_served_by(user).values("pk"),
            status=Engagement.Status.COMPLETED,
            debrief_wanted=True,
            starts_at__gte=since,
        )
        .annotate(has_draft=_draft_by(user))
        .select_related("account", "type")
        .order_by("starts_at", "pk")
    )


def account_debriefs_due(*, user: User, now: dt.datetime | None = None, limit: int = HOME_LIMIT) -> list[Engagement]:
    """The first ``limit`` of ``account_debriefs_due_all``."""
    return list(account_debriefs_due_all(user=user, now=now)[:limit])


def account_debriefs_recent(*, user: User, limit: int = HOME_LIMIT) -> list[Debrief]:
    """The latest debriefs submitted about the accounts ``user`` serves."""
    return list(
        Debrief.objects.filter(
            status=Debrief.Status.SUBMITTED, engagement__account__in=accounts_served_by(user).values("pk")
        )
        .select_related("author", "engagement__account", "engagement__type")
        .order_by("-submitted_at", "-pk")[:limit]
    )


def actions_owed(*, user: User) -> QuerySet[ActionItem]:
    """Open actions ``user`` owns, routed ones included; soonest due first."""
    return (
        ActionItem.objects.filter(owner=user, status__in=ActionItem.OPEN_STATUSES)
        .select_related(*ACTION_RELATED)
        .order_by("due_on", "pk")
    )


def actions_followed(*, user: User) -> QuerySet[ActionItem]:
    """Actions ``user`` follows without owning them, until they are closed:
    those they created, and those of the accounts they manage."""
    return (
        ActionItem.objects.filter(
            Q(created_by=user) | Q(engagement__account__account_manager=user), status__in=ActionItem.OPEN_STATUSES
        )
        .exclude(owner=user)
        .select_related(*ACTION_RELATED)
        .order_by("due_on", "pk")
    )


def actions_closed(*, user: User) -> QuerySet[ActionItem]:
    """Closed actions ``user`` owned or followed, latest closed first."""
    return (
        ActionItem.objects.filter(
            Q(owner=user) | Q(created_by=user) | Q(engagement__account__account_manager=user),
            status__in=ActionItem.CLOSED_STATUSES,
        )
        .select_related(*ACTION_RELATED)
        .order_by("-closed_at", "-pk")
    )


def account_actions_open(*, user: User) -> QuerySet[ActionItem]:
    """Open actions of the accounts ``user`` serves, whoever owns them."""
    return (
        ActionItem.objects.filter(
            engagement__account__in=accounts_served_by(user).values("pk"), status__in=ActionItem.OPEN_STATUSES
        )
        .select_related(*ACTION_RELATED)
        .order_by("due_on", "pk")
    )


def customer_words(*, executive: Executive, limit: int = 5) -> list[Survey]:
    """The latest survey answers about engagements ``executive`` attended, as
    the customers wrote them."""
    attended = EngagementExecutive.objects.filter(executive=executive).values("engagement_id")
    # Ordered by an expression no index gives, so that PostgreSQL starts from
    # the executive's engagements: walking every answer newest first, hoping
    # to meet five of theirs early, took 350 ms for an executive whose
    # customers last answered months ago (its estimate assumes they are spread
    # evenly). The expression is answered_at itself: only answers are read.
    answered = Coalesce("answered_at", "created_at")
    return list(
        Survey.objects.filter(engagement_id__in=attended, answered_at__isnull=False)
        .select_related("contact", "engagement__account", "engagement__type")
        .order_by(answered.desc(), "-pk")[:limit]
    )


# The text a search reads: on PostgreSQL, the expression of the full-text
# index in feedback's migrations (the two must stay the same).
SEARCH_FIELDS = ("heard", "insights", "surprised", "disagreed", "issues_raised")
SEARCH_CONFIG = "english"


def debrief_search() -> QuerySet[Debrief]:
    """Submitted debriefs, latest first, for the search page
    (``feedback.filters.DebriefSearchFilter`` narrows them). Not ranked:
    ranking recomputes every match's text vector, which for a common word is
    most of a second at scale, and what customers said lately is what a
    program admin looks for first."""
    debriefs = Debrief.objects.filter(status=Debrief.Status.SUBMITTED)
    return _with_themes(debriefs.select_related("author", "engagement__account", "engagement__type")).order_by(
        "-submitted_at", "-pk"
    )


def debriefs_matching(debriefs: QuerySet[Debrief], words: str) -> QuerySet[Debrief]:
    """Those of ``debriefs`` that match ``words``: full-text search (stemmed,
    with web-search syntax) on PostgreSQL; every word as a substring elsewhere."""
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector(*SEARCH_FIELDS, config=SEARCH_CONFIG)
        query = SearchQuery(words, search_type="websearch", config=SEARCH_CONFIG)
        return debriefs.annotate(match=vector).filter(match=query)
    for word in words.split():
        debriefs = debriefs.filter(
            Q(heard__icontains=word)
            | Q(insights__icontains=word)
            | Q(surprised__icontains=word)
            | Q(disagreed__icontains=word)
            | Q(issues_raised__icontains=word)
        )
    return debriefs


# "The last twelve months", as the program's other twelve-month figures count them.
FEEDBACK_DAYS = 365


def feedback_since(*, user: User, now: dt.datetime | None = None) -> dt.datetime:
    """The first moment of the twelve months of answers ``user`` looks at:
    the start of the day 365 days before their today, in their time zone."""
    today = local_today(user.time_zone, now=now)
    return day_start(today - dt.timedelta(days=FEEDBACK_DAYS), zoneinfo.ZoneInfo(user.time_zone))


def _percent(part: int, whole: int) -> Decimal:
    return Decimal(part) * 100 / whole


@dataclass(frozen=True)
class CustomerFeedbackFigures:
    """What customers answered since ``since``: the value of the meeting
    (1 to 5) and how likely they are to recommend us (0 to 10)."""

    since: dt.datetime
    answers: int
    value_average: Decimal | None
    recommend_answers: int
    promoters: int  # 9 or 10
    detractors: int  # 0 to 6
    answered_before: bool  # whether any customer has answered a survey, ever

    @property
    def value(self) -> Decimal | None:
        """The average value, to one decimal."""
        if self.value_average is None:
            return None
        return Decimal(self.value_average).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def net_promoter_score(self) -> int | None:
        """The share of promoters minus the share of detractors, from -100 to 100."""
        if not self.recommend_answers:
            return None
        score = _percent(self.promoters - self.detractors, self.recommend_answers)
        return int(score.quantize(Decimal("1"), rounding=ROUND_HALF_UP))

    @property
    def promoter_share(self) -> int | None:
        if not self.recommend_answers:
            return None
        return int(_percent(self.promoters, self.recommend_answers).quantize(Decimal("1"), rounding=ROUND_HALF_UP))

    @property
    def detractor_share(self) -> int | None:
        if not self.recommend_answers:
            return None
        return int(_percent(self.detractors, self.recommend_answers).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def customer_feedback_figures(*, since: dt.datetime) -> CustomerFeedbackFigures:
    """The survey answers given since ``since``, averaged over the
    (-answered_at) index: one query, and one more when there are none, to
    tell "not lately" from "never"."""
    counts = Survey.objects.filter(answered_at__gte=since).aggregate(
        answers=Count("pk"),
        value_average=Avg("value"),
        recommend_answers=Count("recommend"),
        promoters=Count("pk", filter=Q(recommend__gte=9)),
        detractors=Count("pk", filter=Q(recommend__lte=6)),
    )
    answered_before = bool(counts["answers"]) or Survey.objects.filter(answered_at__isnull=False).exists()
    return CustomerFeedbackFigures(since=since, answered_before=answered_before, **counts)


def survey_answers(*, since: dt.datetime) -> QuerySet[Survey]:
    """The survey answers given since ``since``, newest first, each with its
    contact, its engagement's account and type, and who attended from our side."""
    return (
        Survey.objects.filter(answered_at__gte=since)
        .select_related("contact", "engagement__account", "engagement__type")
        .prefetch_related(
            Prefetch(
                "engagement__attendances",
                queryset=EngagementExecutive.objects.select_related("executive__user").order_by("-role", "pk"),
            )
        )
        .order_by("-answered_at", "-pk")
    )


# --- Closing the loop: actions routed to another function -----------------------------

# The states the routed actions' figures count, as the actions list's ``state``
# filter takes them: every link from a figure opens the list of that state.
ACTION_STATES = {
    "open": "Open",
    "overdue": "Overdue",
    "closed": "Closed in the last twelve months",
}


def action_state_q(state: str, *, today: dt.date, since: dt.datetime) -> Q:
    """The actions in ``state`` (one of ``ACTION_STATES``) for a reader whose
    day is ``today`` and whose twelve months start at ``since``. An action is
    closed when the customer is told what was done, or why it won't be: so
    its ``closed_at`` is when the loop closed."""
    opened = Q(status__in=ActionItem.OPEN_STATUSES)
    if state == "overdue":
        return opened & Q(due_on__lt=today)
    if state == "closed":
        return Q(status__in=ActionItem.CLOSED_STATUSES, closed_at__gte=since)
    return opened


def actions_routed(*, user: User) -> QuerySet[ActionItem]:
    """Actions routed to another function that ``user`` answers for, soonest
    due first (so the overdue come first): every one for a program admin, else
    those routed to the functions ``user`` leads."""
    routed = ActionItem.objects.filter(function__isnull=False)
    if Role.PROGRAM_ADMIN not in user_roles(user):
        routed = routed.filter(function__lead__user=user)
    return routed.select_related(*ACTION_RELATED).order_by("due_on", "pk")


@dataclass(frozen=True)
class RoutedQueue:
    """The open actions routed to the functions an executive leads: the
    first few, overdue first, and how many there are in all."""

    actions: list[ActionItem]
    count: int


def routed_queue(*, user: User, limit: int = HOME_LIMIT) -> RoutedQueue:
    """The open actions routed to the functions ``user`` leads, whoever owns
    them now, soonest due first: one query, the count read beside the rows."""
    rows = list(
        ActionItem.objects.filter(function__lead__user=user, status__in=ActionItem.OPEN_STATUSES)
        .annotate(total=Window(Count("pk")))
        .select_related(*ACTION_RELATED)
        .order_by("due_on", "pk")[:limit]
    )
    return RoutedQueue(actions=list[ActionItem](rows), count=rows[0].total if rows else 0)


# A row a function, naming who leads it now, rather than a row a lead: an
# action records the function it was routed to, not a person, so a new lead
# inherits the function's queue and its history stays with the function; a
# person who leads two functions reads their name on both rows, and their
# home adds the two queues together.
@dataclass(frozen=True)
class LoopRow:
    """The routed actions of one function (``function_id`` None: of all of them)."""

    function_id: int | None
    name: str
    lead: str
    open: int
    overdue: int
    closed: int
    median_days: float | None  # from raised to the customer told, over ``closed``
    oldest: ActionItem | None  # the oldest open one
    oldest_age_days: int | None


@dataclass(frozen=True)
class LoopFigures:
    """Closing the loop for one reader: a row a function, and their totals,
    counted in the reader's calendar (``today``, and twelve months from ``since``)."""

    today: dt.date
    since: dt.datetime
    rows: list[LoopRow]
    totals: LoopRow


def _days_between(start: dt.datetime, end: dt.datetime, time_zone: str) -> int:
    return (local_date(end, time_zone) - local_date(start, time_zone)).days


def loop_figures(*, user: User, now: dt.datetime | None = None) -> LoopFigures:
    """The routed actions of each function that has any open or closed in the
    last twelve months, in ``user``'s calendar: open, overdue, closed, the
    median days from raised to the customer told, and the oldest open one.

    Three queries, whatever the functions and actions: the counts by
    function; the raised and closed moments of the year's closed actions
    (at most a year of them), whose medians are taken here so that one way
    of counting serves PostgreSQL and SQLite alike (SQLite has no
    percentile); and the oldest open action of each function."""
    tz = user.time_zone
    today = local_today(tz, now=now)
    since = feedback_since(user=user, now=now)
    routed = ActionItem.objects.filter(function__isnull=False)
    counts = list(
        routed.values("function_id", "function__name", "function__lead__user__full_name")
        .annotate(
            open=Count("pk", filter=action_state_q("open", today=today, since=since)),
            overdue=Count("pk", filter=action_state_q("overdue", today=today, since=since)),
            closed=Count("pk", filter=action_state_q("closed", today=today, since=since)),
        )
        .filter(Q(open__gt=0) | Q(closed__gt=0))
        .order_by("function__name", "function_id")
    )
    durations: dict[int, list[int]] = {}
    closed = routed.filter(action_state_q("closed", today=today, since=since)).order_by()
    for function_id, raised, told in closed.values_list("function_id", "created_at", "closed_at"):
        if told is not None:  # a closed action always has its moment
            durations.setdefault(function_id, []).append(_days_between(raised, told, tz))
    oldest = {
        action.function_id: action
        for action in routed.filter(action_state_q("open", today=today, since=since))
        .annotate(rank=Window(RowNumber(), partition_by=[F("function_id")], order_by=[F("created_at"), F("pk")]))
        .filter(rank=1)
        .select_related("engagement__account", "owner", "function")
        .order_by()
    }

    def row(function_id: int | None, name: str, lead: str, figures: dict, days: list[int], first: Any) -> LoopRow:
        return LoopRow(
            function_id=function_id,
            name=name,
            lead=lead,
            open=figures["open"],
            overdue=figures["overdue"],
            closed=figures["closed"],
            median_days=float(statistics.median(days)) if days else None,
            oldest=first,
            oldest_age_days=(today - local_date(first.created_at, tz)).days if first else None,
        )

    rows = [
        row(
            item["function_id"],
            item["function__name"],
            item["function__lead__user__full_name"] or "",
            item,
            durations.get(item["function_id"], []),
            oldest.get(item["function_id"]),
        )
        for item in counts
    ]
    firsts = list(oldest.values())
    totals = row(
        None,
        "All functions",
        "",
        {name: sum(item[name] for item in counts) for name in ("open", "overdue", "closed")},
        [days for each in durations.values() for days in each],
        min(firsts, key=lambda action: (action.created_at, action.pk)) if firsts else None,
    )
    return LoopFigures(today=today, since=since, rows=rows, totals=totals)


# The Actions page's tabs.
ACTION_TABS = {"owed": actions_owed, "following": actions_followed, "closed": actions_closed, "routed": actions_routed}
# Who has the Actions page's "Routed" tab: program admins, and executives,
# some of whom lead a function (the others find it empty).
ROUTED_ROLES = {Role.PROGRAM_ADMIN, Role.EXECUTIVE}


def function_named(function_id: int | None) -> Function | None:
    """The function ``function_id``, to name it above the list it narrows."""
    return Function.objects.filter(pk=function_id).first() if function_id else None


def action_csv_columns(*, today: dt.date) -> list[CsvColumn]:
    """The columns of the Actions page's CSV, ``today`` the reader's."""
    return [
        CsvColumn("id", lambda action: action.pk),
        CsvColumn("title", lambda action: action.title),
        CsvColumn("account", lambda action: action.engagement.account.name),
        CsvColumn("routed_to", lambda action: action.function.name if action.function else ""),
        CsvColumn("owner", lambda action: action.owner.get_full_name()),
        CsvColumn("owner_email", lambda action: action.owner.email),
        CsvColumn("raised_by", lambda action: action.created_by.get_full_name() if action.created_by else ""),
        CsvColumn("status", lambda action: action.status),
        CsvColumn("due_on", lambda action: action.due_on),
        CsvColumn("overdue", lambda action: "yes" if action.is_open and action.due_on < today else "no"),
        CsvColumn("raised_at", lambda action: action.created_at),
        CsvColumn("closed_at", lambda action: action.closed_at),
        CsvColumn("customer_told", lambda action: action.status_note if not action.is_open else "", multi_line=True),
    ]


# The columns of Closing the loop's CSV: a function a row, as the page's table.
LOOP_CSV_COLUMNS = [
    CsvColumn("function", lambda row: row.name),
    CsvColumn("lead", lambda row: row.lead),
    CsvColumn("open", lambda row: row.open),
    CsvColumn("overdue", lambda row: row.overdue),
    CsvColumn("closed_12m", lambda row: row.closed),
    CsvColumn("median_days_to_told", lambda row: row.median_days),
    CsvColumn("oldest_open", lambda row: row.oldest.title if row.oldest else ""),
    CsvColumn("oldest_open_age_days", lambda row: row.oldest_age_days),
]
