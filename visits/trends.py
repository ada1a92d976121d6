"""Reads for the program admins' Trends page: a year of customer contact, week
by week and month by month, counted in the database.

Each selector takes a ``TrendPeriod`` (the 52 weeks and the 12 calendar months
that end today) and answers in one or two queries however many executives and
contacts there are, counting rows by their week or month in the database.
Weeks run Monday to Sunday;
the week under way ends today. Contact dates are the executives' own
(``ExecutiveContact.contact_on``); engagements fall in the months of the
viewer's time zone.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    DateField,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce, Lead
from django.utils import timezone

from engagement.cadence.models import ExecutiveContact
from engagement.cadence.rule import Cadence, ContactState, contact_state, contact_states
from engagement.dashboards.standing import DaysBetween, hours, month_start
from engagement.imports.exports import CsvColumn
from engagement.people.models import Executive
from visits.models import Engagement, EngagementType

WEEKS = 52
MONTHS = 12
# The states an executive is counted in at a week end, least urgent first.
STATES = tuple(contact_states())
EXECUTIVES_PER_PAGE = 50


# --- The period --------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    """One week of the period: Monday to Sunday, or to today for the week under way."""

    index: int
    starts_on: dt.date
    ends_on: dt.date


@dataclass(frozen=True)
class TrendPeriod:
    """The 52 weeks and the 12 calendar months that end today."""

    today: dt.date
    weeks: tuple[Week, ...]
    months: tuple[dt.date, ...]  # the first day of each, oldest first

    @property
    def first_day(self) -> dt.date:
        return self.weeks[0].starts_on


def trend_period(*, today: dt.date) -> TrendPeriod:
    """The period that ends ``today``: this week and the 51 before it, this month and the 11 before it."""
    monday = today - dt.timedelta(days=today.weekday())
    starts = [monday - dt.timedelta(weeks=WEEKS - 1 - index) for index in range(WEEKS)]
    weeks = tuple(Week(index, start, min(start + dt.timedelta(days=6), today)) for index, start in enumerate(starts))
    months = tuple(month_start(today, back=back) for back in range(MONTHS - 1, -1, -1))
    return TrendPeriod(today=today, weeks=weeks, months=months)


def _days_into(period: TrendPeriod, date: Expression | F) -> DaysBetween:
    """Whole days from the period's first Monday to ``date`` (negative before it)."""
    return DaysBetween(date, Value(period.first_day, output_field=DateField()))


def _week_of(period: TrendPeriod, date: Expression | F) -> CombinedExpression:
    """The index of the week of ``date``, a date within the period (SQL
    division rounds toward zero, so no earlier date is ever passed)."""
    return _days_into(period, date) / 7


def _month_counts(field: str, bounds: list[dt.date] | list[dt.datetime]) -> dict[str, Count]:
    """A count of the rows whose ``field`` falls in each month, given the
    months' bounds: one column per month in a GROUP BY of the type or the
    executive. Grouped by the month instead, PostgreSQL expects a group per
    row, and neither reads the index alone nor shares the scan among workers."""
    return {
        f"month_{index}": Count(field, filter=Q(**{f"{field}__gte": start, f"{field}__lt": end}))
        for index, (start, end) in enumerate(itertools.pairwise(bounds))
    }


# --- Contacts and exposure, week by week -------------------------------------------


@dataclass(frozen=True)
class WeekContacts:
    week: Week
    contacts: int
    minutes: int

    @property
    def hours(self) -> Decimal:
        return hours(self.minutes)


def weekly_contacts(*, period: TrendPeriod) -> list[WeekContacts]:
    """The customer contacts of each week and their hours of exposure, of
    every executive: those who have left the program had them too. One query."""
    rows = (
        ExecutiveContact.objects.filter(contact_on__gte=period.first_day, contact_on__lte=period.today)
        .annotate(week=_week_of(period, F("contact_on")))
        .values("week")
        .annotate(contacts=Count("contact_on"), minutes=Sum("duration_minutes"))
        .order_by()
    )
    found = {row["week"]: (row["contacts"], row["minutes"] or 0) for row in rows}
    return [WeekContacts(week, *found.get(week.index, (0, 0))) for week in period.weeks]


WEEKLY_CSV_COLUMNS = [
    CsvColumn("week_start", lambda row: row.week.starts_on),
    CsvColumn("week_end", lambda row: row.week.ends_on),
    CsvColumn("contacts", lambda row: row.contacts),
    CsvColumn("exposure_hours", lambda row: row.hours),
]


# --- Where executives stood at each week end ---------------------------------------


@dataclass(frozen=True)
class WeekStates:
    """How many executives stood in each state at the end of ``week``."""

    week: Week
    on_track: int
    due_soon: int
    overdue: int
    escalated: int

    @property
    def executives(self) -> int:
        return self.on_track + self.due_soon + self.overdue + self.escalated

    def count(self, state: ContactState) -> int:
        return getattr(self, state.value)


# The week ends each stretch of contact history spans, and the rule it is held
# to: an executive's state at a week end depends on nothing else. Each stretch
# (an "episode") starts at a contact, or at whatever came before the period,
# and lasts until the executive's next contact. The executives are joined as
# their own tables, not as one of the subqueries: PostgreSQL then knows how
# many rows the join makes, rather than guessing millions and compiling the
# query (JIT) for 300 ms.
_EPISODE_SPANS = """
SELECT start_day, first_week, last_week, cadence_days, warning_days, escalation_days, COUNT(*)
FROM (
    SELECT episodes.start_day, executives.cadence_days, executives.warning_days, executives.escalation_days,
        CASE WHEN {counted_from} < 0 THEN 0 ELSE ({counted_from}) / 7 END AS first_week,
        COALESCE(episodes.next_day / 7 - 1, {last_week}) AS last_week
    FROM (
        SELECT id AS executive_id, seed_day AS start_day, seed_next_day AS next_day FROM ({seeds}) seeds
        UNION ALL
        SELECT executive_id, start_day, next_day FROM ({contacts}) contacts
        WHERE next_day IS NULL OR next_day / 7 > start_day / 7
    ) episodes
    JOIN ({executives}) executives ON executives.id = episodes.executive_id
) spans
WHERE first_week <= last_week
GROUP BY start_day, first_week, last_week, cadence_days, warning_days, escalation_days
"""
# An executive counts at a week end from the day they joined, whenever their
# last contact was: ``cadence.rule.episode_start``, over day numbers.
_COUNTED_FROM = (
    "CASE WHEN episodes.start_day > executives.joined_day THEN episodes.start_day ELSE executives.joined_day END"
)


def weekly_states(*, period: TrendPeriod) -> list[WeekStates]:
    """How many executives were on track, due soon, overdue and escalated at
    the end of each week (today, for the week under way): the executives
    active now, with an open login, who had joined by then, each held to
    their cadence of today. One query.

    At a week end an executive's state follows from the days since their last
    contact on or before it, or since they joined without one
    (``engagement.cadence.rule``). Asked of every executive at every week end,
    as the dashboard's ``contact_state_expression`` over a subquery each,
    that is 52 index look-ups per executive: 2.4 s with 4,000 executives and
    2,000,000 contacts, and PostgreSQL's JIT spends 8 s more compiling the
    query. Read once instead, in episodes, the history takes about 0.5 s:
    each contact starts an episode that lasts until the next contact (LEAD),
    and each executive's first starts at their last contact before the
    period, or when they joined. The database keeps the episodes that span
    a week end, grouped by the day they start, the weeks they span and the
    cadence; ``contact_state``, the rule itself, then says where each of
    these few thousand groups stood at each week end it spans.
    """
    first_day = period.first_day
    contacts = ExecutiveContact.objects.filter(contact_on__gte=first_day, contact_on__lte=period.today)
    before = (
        ExecutiveContact.objects.filter(executive_id=OuterRef("pk"), contact_on__lt=first_day)
        .order_by("-contact_on")
        .values("contact_on")[:1]
    )
    first_within = contacts.filter(executive_id=OuterRef("pk")).order_by("contact_on").values("contact_on")[:1]
    counted = Executive.objects.filter(active=True, user__is_active=True, joined_on__lte=period.today).order_by()
    executives = counted.annotate(joined_day=_days_into(period, F("joined_on"))).values(
        "id", "joined_day", "cadence_days", "warning_days", "escalation_days"
    )
    seeds = counted.annotate(
        seed_day=_days_into(period, Coalesce(Subquery(before), F("joined_on"))),
        seed_next_day=_days_into(period, Subquery(first_within)),
    ).values("id", "seed_day", "seed_next_day")
    episodes = (
        contacts.annotate(
            start_day=_days_into(period, F("contact_on")),
            next_day=Window(
                Lead(_days_into(period, F("contact_on"))),
                partition_by=[F("executive_id")],
                order_by=[F("contact_on").asc()],
            ),
        )
        .values("executive_id", "start_day", "next_day")
        .order_by()
    )
    parts = {"seeds": seeds, "contacts": episodes, "executives": executives}
    compiled = {name: queryset.query.sql_with_params() for name, queryset in parts.items()}
    sql = _EPISODE_SPANS.format(
        **{name: part_sql for name, (part_sql, _params) in compiled.items()},
        counted_from=_COUNTED_FROM,
        last_week=WEEKS - 1,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [param for _sql, params in compiled.values() for param in params])
        spans = cursor.fetchall()

    end_days = [(week.ends_on - first_day).days for week in period.weeks]
    counts = {state: [0] * WEEKS for state in STATES}
    escalated_changes = [0] * (WEEKS + 1)
    for start_day, first_week, last_week, cadence_days, warning_days, escalation_days, executives_in in spans:
        cadence = Cadence(cadence_days, warning_days, escalation_days, exposure_hours_target=Decimal(0))
        for index in range(first_week, last_week + 1):
            state = contact_state(days_since=end_days[index] - start_day, cadence=cadence)
            if state == ContactState.ESCALATED:
                # Escalated until the next contact: the rest of the span at once.
                escalated_changes[index] += executives_in
                escalated_changes[last_week + 1] -= executives_in
                break
            counts[state][index] += executives_in
    escalated = 0
    for index, change in enumerate(escalated_changes[:WEEKS]):
        escalated += change
        counts[ContactState.ESCALATED][index] = escalated
    return [WeekStates(week, **{state.value: counts[state][week.index] for state in STATES}) for week in period.weeks]


STATES_CSV_COLUMNS = [
    CsvColumn("week_start", lambda row: row.week.starts_on),
    CsvColumn("week_end", lambda row: row.week.ends_on),
    *(CsvColumn(state.value, lambda row, state=state: row.count(state)) for state in STATES),
    CsvColumn("executives", lambda row: row.executives),
]


# --- Held engagements by type, month by month ---------------------------------------


@dataclass(frozen=True)
class TypeMonths:
    """Held engagements of one type in each month of the period, oldest first."""

    name: str
    months: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.months)


def held_engagements_by_type(*, period: TrendPeriod, tzinfo: dt.tzinfo | None = None) -> list[TypeMonths]:
    """Held engagements (completed or debriefed) of each type in each month,
    months in ``tzinfo`` (the current time zone): the types with any, in
    their order. Two queries: the counts, from the index on (status,
    starts_at, type) alone, and the types' names."""
    zone = tzinfo or timezone.get_current_timezone()
    bounds = [dt.datetime.combine(month, dt.time.min, tzinfo=zone) for month in period.months]
    bounds.append(dt.datetime.combine(month_start(period.today, back=-1), dt.time.min, tzinfo=zone))
    months = _month_counts("starts_at", bounds)
    rows = (
        Engagement.objects.filter(
            status__in=Engagement.HELD_STATUSES, starts_at__gte=bounds[0], starts_at__lt=bounds[-1]
        )
        .values("type_id")
        .annotate(**months)
        .order_by()
    )
    counts = {row["type_id"]: tuple(row[name] for name in months) for row in rows}
    types = EngagementType.objects.filter(pk__in=list(counts)).order_by("position", "name") if counts else []
    return [TypeMonths(engagement_type.name, counts[engagement_type.pk]) for engagement_type in types]


def type_month_rows(types: list[TypeMonths], period: TrendPeriod) -> Iterator[tuple[dt.date, TypeMonths, int]]:
    """One row per month per type, for the export."""
    for index, month in enumerate(period.months):
        for engagement_type in types:
            yield month, engagement_type, engagement_type.months[index]


TYPES_CSV_COLUMNS = [
    CsvColumn("month", lambda row: row[0].strftime("%Y-%m")),
    CsvColumn("engagement_type", lambda row: row[1].name),
    CsvColumn("held_engagements", lambda row: row[2]),
]


# --- Executives by month ------------------------------------------------------------

# Upper bounds of the heatmap's shades, in contacts a month: none, one, two,
# three or four, five and more. One contact in six weeks keeps an executive
# on track, so a pale month can still be a good one.
HEAT_LEVELS = (0, 1, 2, 4)


def heat_level(count: int) -> int:
    """The shade of a month with ``count`` contacts, 0 (none) to 4."""
    return next((level for level, bound in enumerate(HEAT_LEVELS) if count <= bound), len(HEAT_LEVELS))


def heatmap_executives() -> QuerySet[Executive]:
    """The executives active now with an open login, by name (``visits.filters.HeatmapFilter`` narrows them)."""
    executives = Executive.objects.filter(active=True, user__is_active=True)
    return executives.select_related("user", "function").order_by("user__full_name", "pk")


def executive_contact_months(
    *, period: TrendPeriod, executive_ids: Iterable[int] | QuerySet
) -> dict[int, tuple[int, ...]]:
    """Contacts of each executive in each month of the period, oldest first
    (a page's ids, or a ``values("pk")`` queryset for them all). One query."""
    bounds = [*period.months, month_start(period.today, back=-1)]
    months = _month_counts("contact_on", bounds)
    rows = (
        ExecutiveContact.objects.filter(
            executive_id__in=executive_ids, contact_on__gte=bounds[0], contact_on__lte=period.today
        )
        .values("executive_id")
        .annotate(**months)
        .order_by()
    )
    return {row["executive_id"]: tuple(row[name] for name in months) for row in rows}


@dataclass(frozen=True)
class HeatmapRow:
    executive: Executive
    months: tuple[int, ...]

    @property
    def cells(self) -> list[tuple[int, int]]:
        """Each month's contacts with its shade."""
        return [(count, heat_level(count)) for count in self.months]


def heatmap_rows(*, period: TrendPeriod, executives: Iterable[Executive]) -> list[HeatmapRow]:
    """``executives`` (a page of them) with their contacts by month."""
    executives = list(executives)
    months = executive_contact_months(period=period, executive_ids=[executive.pk for executive in executives])
    return [HeatmapRow(executive, months.get(executive.pk, (0,) * MONTHS)) for executive in executives]


def heatmap_export_rows(
    *, period: TrendPeriod, executives: QuerySet[Executive]
) -> Iterator[tuple[Executive, dt.date, int]]:
    """One row per executive per month, every executive of ``executives``:
    two queries, the executives streamed."""
    months = executive_contact_months(period=period, executive_ids=executives.values("pk"))
    for executive in executives.iterator(2000):
        for month, count in zip(period.months, months.get(executive.pk, (0,) * MONTHS), strict=True):
            yield executive, month, count


HEATMAP_CSV_COLUMNS = [
    CsvColumn("email", lambda row: row[0].user.email),
    CsvColumn("name", lambda row: row[0].user.full_name),
    CsvColumn("function", lambda row: row[0].function.name if row[0].function else ""),
    CsvColumn("month", lambda row: row[1].strftime("%Y-%m")),
    CsvColumn("contacts", lambda row: row[2]),
]
