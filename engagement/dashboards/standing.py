"""Reads for the program's dashboards: every executive's standing, computed in
the database.

``executive_contact_statuses`` tells where a handful of executives stand, one
by one in Python. A dashboard counts, filters and sorts thousands, so here the
same rule (``engagement.cadence.rule``), made from its one
definition (``cadence.rule.contact_state_expression``), is read in SQL over
each executive's copy of their cadence (``Executive.cadence_days`` and
siblings) and their last contact. "Today" is each executive's own calendar
day: the few dates that the time zones in use fall on become one CASE over
the time zone.
``tests/test_dashboard_agrees_with_reminders.py`` checks that both say the
same thing about the same executives.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, models
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils import timezone

from engagement.cadence.capture import ContactCapture, contact_capture
from engagement.cadence.directness import unfiltered_percent
from engagement.cadence.models import ExecutiveContact
from engagement.cadence.rule import (
    ContactState,
    contact_state_expression,
    contact_states,
    episode_start_expression,
)
from engagement.dates import SIX_MONTHS, TWELVE_MONTHS, local_today
from engagement.people.models import Executive, User
from engagement.reminders.models import Reminder

# The states an executive can be in, most urgent first (the table's sort order).
STATE_URGENCY = contact_states()[::-1]

SIX_WEEKS = 42


class DaysBetween(Func):
    """Whole days from the date ``earlier`` to the date ``later``."""

    arity = 2
    output_field = IntegerField()

    def __init__(self, later: Any, earlier: Any) -> None:
        super().__init__(later, earlier)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        # PostgreSQL: date minus date is already an integer number of days.
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


class DaysBefore(Func):
    """The date ``days`` (an integer expression) before the date ``day``."""

    arity = 2
    output_field = DateField()

    def __init__(self, day: Any, days: Any) -> None:
        super().__init__(day, days)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        # PostgreSQL: date minus integer is a date.
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        return super().as_sql(
            compiler, connection, template="date(%(expressions)s || ' days')", arg_joiner=", '-' || ", **extra
        )


@dataclass(frozen=True)
class Today:
    """Each executive's calendar day, as an expression over their time zone,
    and the dates it can take (their earliest bounds index scans).
    ``exceptions`` are the dates other than the commonest (``dates``' default)
    with the time zones on each, for ``over``."""

    expression: models.Expression
    dates: tuple[dt.date, ...]
    commonest: dt.date | None = None
    exceptions: tuple[tuple[dt.date, tuple[str, ...]], ...] = ()

    @property
    def earliest(self) -> dt.date:
        return min(self.dates)

    @property
    def latest(self) -> dt.date:
        return max(self.dates)

    def over(self, time_zone: str) -> models.Expression:
        """The same days, read over another path to the executive's time zone
        (a contact's ``executive__user__time_zone``)."""
        if self.commonest is None:
            return self.expression
        return _today_expression(self.commonest, self.exceptions, time_zone)


def _today_expression(
    commonest: dt.date, exceptions: tuple[tuple[dt.date, tuple[str, ...]], ...], time_zone: str
) -> models.Expression:
    # The commonest date needs no test; the others (zones past midnight one
    # way or the other) are matched by name.
    whens = [When(**{f"{time_zone}__in": names}, then=Value(day)) for day, names in exceptions]
    if not whens:
        return Value(commonest, output_field=DateField())
    return Case(*whens, default=Value(commonest), output_field=DateField())


def executives_today(
    *, now: dt.datetime | None = None, as_of: dt.date | None = None, time_zone: str = "user__time_zone"
) -> Today:
    """Each executive's today, in their own time zone (or ``as_of`` for all,
    as the reminder scan takes it). One query: the time zones in use."""
    if as_of is not None:
        return Today(Value(as_of, output_field=DateField()), (as_of,))
    now = now or timezone.now()
    zones = User.objects.filter(executive__isnull=False).values_list("time_zone", flat=True).distinct().order_by()
    by_date: dict[dt.date, list[str]] = defaultdict(list)
    for zone in zones:
        by_date[local_today(zone, now=now)].append(zone)
    if not by_date:
        day = now.date()
        return Today(Value(day, output_field=DateField()), (day,))
    commonest = max(by_date, key=lambda day: (len(by_date[day]), day))
    exceptions = tuple((day, tuple(sorted(names))) for day, names in sorted(by_date.items()) if day != commonest)
    return Today(_today_expression(commonest, exceptions, time_zone), tuple(sorted(by_date)), commonest, exceptions)


def contact_totals(
    *, days: int | str, field: str, capture: str | None = None, unfiltered: bool | None = None
) -> Coalesce:
    """The executive's contacts (``field`` "pk" counts them, "duration_minutes"
    sums them) from ``days`` before their today to today: ``days`` a number,
    or the name of the executive's own field (``"cadence_days"``). With
    ``capture`` (a ``ContactCapture``), only the contacts that came in so;
    with ``unfiltered`` True, only the unfiltered ones (``cadence.directness``).
    A subquery over the outer query's ``pk`` and ``today``."""
    span = F(days) if isinstance(days, str) else Value(days)
    # The window's first day is worked out once per executive, outside the
    # subquery, so that the (executive, contact_on) index reads only its rows.
    since = DaysBefore(OuterRef("today"), span if isinstance(days, int) else OuterRef(days))
    contacts = ExecutiveContact.objects.filter(executive_id=OuterRef("pk"), contact_on__gte=since)
    if unfiltered is not None:
        contacts = contacts.filter(unfiltered=unfiltered)
    if capture is not None:
        contacts = contacts.annotate(capture=contact_capture())
        aggregate = Count("pk", filter=Q(capture=capture))
    else:
        aggregate = Count("*") if field == "pk" else Sum(field)
    return Coalesce(Subquery(contacts.values("executive_id").annotate(total=aggregate).values("total")[:1]), 0)


def window_contacts_captures(today: Today) -> QuerySet[ExecutiveContact]:
    """How each contact of every executive reminders act on in their
    current window came in: one ``capture`` a row, to be counted. Read from
    the contacts of the longest window (the ``contact_on`` index), each
    contact once: counted per executive, as the table does, the program's
    windows were read three times over."""
    executives = Executive.objects.filter(active=True, user__is_active=True)
    longest = executives.order_by("-cadence_days").values("cadence_days")[:1]
    first = DaysBefore(today.over("executive__user__time_zone"), F("executive__cadence_days"))
    return (
        ExecutiveContact.objects.filter(
            executive__active=True,
            executive__user__is_active=True,
            contact_on__gte=DaysBefore(Value(today.earliest, output_field=DateField()), Subquery(longest)),
        )
        .filter(contact_on__gte=first)
        .annotate(capture=contact_capture())
        .values("capture")
        .order_by()
    )


def contacts_by_capture() -> dict[str, Coalesce]:
    """Each executive's contacts in their current window by how they came in,
    as ``captured``, ``confirmed`` and ``typed``: three subqueries of the
    query they annotate."""
    return {
        "captured": contact_totals(days="cadence_days", field="pk", capture=ContactCapture.AUTOMATIC),
        "confirmed": contact_totals(days="cadence_days", field="pk", capture=ContactCapture.CONFIRMED),
        "typed": contact_totals(days="cadence_days", field="pk", capture=ContactCapture.TYPED),
    }


def contacts_by_directness() -> dict[str, Any]:
    """Each executive's directness (``cadence.directness``), as the query they
    annotate reads it (over ``today`` and ``days_since``): their minutes and
    unfiltered minutes over six and twelve months, the unfiltered share of the
    six months as a fraction (null without hours; the table sorts by it),
    ``days_since_unfiltered`` and the ``ivory_tower`` flag, as
    ``cadence.directness.only_filtered_lately`` sets it."""
    last_unfiltered = ExecutiveContact.objects.filter(executive_id=OuterRef("pk"), unfiltered=True).order_by(
        "-contact_on"
    )
    return {
        "minutes_6mo": contact_totals(days=SIX_MONTHS, field="duration_minutes"),
        "unfiltered_minutes_6mo": contact_totals(days=SIX_MONTHS, field="duration_minutes", unfiltered=True),
        "unfiltered_minutes_12m": contact_totals(days=TWELVE_MONTHS, field="duration_minutes", unfiltered=True),
        "days_since_unfiltered": DaysBetween(F("today"), Subquery(last_unfiltered.values("contact_on")[:1])),
    }


def directness_flags() -> dict[str, Any]:
    """The share and the flag over ``contacts_by_directness``'s annotations."""
    return {
        "unfiltered_ratio_6mo": Case(
            When(
                minutes_6mo__gt=0, then=Cast("unfiltered_minutes_6mo", FloatField()) / Cast("minutes_6mo", FloatField())
            ),
            default=None,
            output_field=FloatField(),
        ),
        "ivory_tower": Case(
            When(
                Q(days_since__lte=F("cadence_days"))
                & (Q(days_since_unfiltered__isnull=True) | Q(days_since_unfiltered__gt=F("cadence_days"))),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
    }


def executive_standing(
    *, now: dt.datetime | None = None, as_of: dt.date | None = None, today: Today | None = None
) -> QuerySet[Executive]:
    """The executives reminders act on (active, with an open login), each with:

    - ``today``: their calendar day; ``days_since``: whole days since their
      last contact (None without one); ``episode_days``: days since their
      episode began (the later of their last contact and joining the program);
    - ``state``: their state, from ``episode_days``, as everywhere else; an
      executive with no contact yet is on track, due soon, overdue or
      escalated by the days since they joined, and ``last_contact_on`` is None;
    - ``window_minutes``: their exposure in their current window.
    """
    today = today or executives_today(now=now, as_of=as_of)
    return (
        Executive.objects.filter(active=True, user__is_active=True)
        .annotate(today=today.expression)
        .annotate(
            days_since=DaysBetween(F("today"), F("last_contact_on")),
            episode_days=DaysBetween(F("today"), episode_start_expression()),
        )
        .annotate(
            state=contact_state_expression(F("episode_days")),
            window_minutes=contact_totals(days="cadence_days", field="duration_minutes"),
        )
    )


# --- The executives table ---------------------------------------------------------


# Each sort of the table: its name in the query string and its ordering,
# ascending ("-" before the name reverses it). Executives with no contact
# sort as the longest since.
EXECUTIVE_SORTS: dict[str, list[Any]] = {
    "name": ["user__full_name"],
    "function": [F("function__name").asc(nulls_last=True), "user__full_name"],
    "level": ["level", "user__full_name"],
    # Most urgent first, and within a state the longest since their episode began.
    "state": ["urgency", F("episode_days").desc(), "user__full_name"],
    "days": [F("days_since").asc(nulls_last=True), "user__full_name"],
    "contacts_6w": ["contacts_6w", "user__full_name"],
    "hours_window": ["window_minutes", "user__full_name"],
    "captured": ["captured", "user__full_name"],
    "confirmed": ["confirmed", "user__full_name"],
    "typed": ["typed", "user__full_name"],
    # No hours in six months sorts past the highest share.
    "unfiltered_6m": [F("unfiltered_ratio_6mo").asc(nulls_last=True), "user__full_name"],
    # Never unfiltered sorts as the longest since.
    "days_unfiltered": [F("days_since_unfiltered").asc(nulls_last=True), "user__full_name"],
    "contacts_12m": ["contacts_12m", "user__full_name"],
    "hours_12m": ["minutes_12m", "user__full_name"],
    "reminded": [F("last_reminder_at").asc(nulls_first=True), "user__full_name"],
}
DEFAULT_SORT = "state"


def _reversed(ordering: Any) -> Any:
    if isinstance(ordering, str):
        return ordering[1:] if ordering.startswith("-") else f"-{ordering}"
    return ordering.copy().reverse_ordering()


def executive_ordering(sort: str) -> list[Any]:
    """The executives table's ordering for ``sort`` (a key of
    ``EXECUTIVE_SORTS``, "-" first to reverse it). Name breaks ties, then id."""
    descending = sort.startswith("-")
    ordering = EXECUTIVE_SORTS.get(sort.removeprefix("-"), EXECUTIVE_SORTS[DEFAULT_SORT])
    if descending:
        ordering = [_reversed(ordering[0]), *ordering[1:]]
    return [*ordering, "pk"]


def executive_table(*, now: dt.datetime | None = None) -> QuerySet[Executive]:
    """The executives reminders act on, as the program's executives table
    shows them: ``executive_standing`` with their contacts and hours in the
    last six weeks and twelve months, their contacts in the window by how
    they came in (``contacts_by_capture``) and the last reminder sent about
    them, most urgent first. ``dashboards.filters.ExecutiveTableFilter`` narrows
    and sorts it."""
    today = executives_today(now=now)
    executives = executive_standing(today=today).select_related("user", "function", "manager__user")
    last_reminder = Reminder.objects.filter(executive_id=OuterRef("pk"), status=Reminder.Status.SENT).order_by(
        "-sent_at", "-pk"
    )
    executives = executives.annotate(
        urgency=Case(
            *[When(state=state.value, then=Value(rank)) for rank, state in enumerate(STATE_URGENCY)],
            output_field=IntegerField(),
        ),
        contacts_6w=contact_totals(days=SIX_WEEKS, field="pk"),
        minutes_6w=contact_totals(days=SIX_WEEKS, field="duration_minutes"),
        contacts_12m=contact_totals(days=TWELVE_MONTHS, field="pk"),
        minutes_12m=contact_totals(days=TWELVE_MONTHS, field="duration_minutes"),
        **contacts_by_capture(),
        **contacts_by_directness(),
        last_reminder_at=Subquery(last_reminder.values("sent_at")[:1]),
        last_reminder_kind=Subquery(last_reminder.values("kind")[:1]),
    )
    return executives.annotate(**directness_flags()).order_by(*executive_ordering(DEFAULT_SORT))


def executive_months(*, executive_ids: list[int], today: dt.date, months: int = 12) -> dict[int, list[int]]:
    """Contacts per calendar month of each executive in ``executive_ids``, the
    last ``months`` months ending with ``today``'s, oldest first. One query."""
    first = month_start(today, back=months - 1)
    counts: dict[int, dict[dt.date, int]] = defaultdict(dict)
    rows = (
        ExecutiveContact.objects.filter(executive_id__in=executive_ids, contact_on__gte=first)
        .annotate(month=TruncMonth("contact_on"))
        .values_list("executive_id", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for executive_id, month, n in rows:
        counts[executive_id][month] = n
    starts = [month_start(today, back=back) for back in range(months - 1, -1, -1)]
    return {pk: [counts[pk].get(start, 0) for start in starts] for pk in executive_ids}


def month_start(day: dt.date, *, back: int = 0) -> dt.date:
    """The first day of the month ``back`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def executive_managers() -> list[tuple[int, str]]:
    """(id, name) of each executive whom an active executive reports to, by
    name: a filter's choices, in one query."""
    reports = Executive.objects.filter(manager_id=OuterRef("pk"), active=True)
    return list(
        Executive.objects.filter(Exists(reports)).order_by("user__full_name", "pk").values_list("pk", "user__full_name")
    )


def median_of(executives: QuerySet[Executive], field: str, count: int) -> Decimal | None:
    """The median of ``field`` over the ``count`` rows of ``executives``: the
    middle one or two, read in one query."""
    if not count:
        return None
    low, high = (count - 1) // 2, count // 2
    middle = list(executives.order_by(field, "pk").values_list(field, flat=True)[low : high + 1])
    return Decimal(sum(middle)) / len(middle)


# --- The program dashboard ---------------------------------------------------------


def percent(count: int, whole: int) -> int | None:
    """``count`` as a whole percentage of ``whole``, or None when ``whole`` is 0."""
    if not whole:
        return None
    return int((Decimal(count) * 100 / whole).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def hours(minutes: int | Decimal | None) -> Decimal:
    """Minutes as hours to one decimal."""
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ProgramFigures:
    """The program at a glance: how many executives stand where."""

    executives: int
    on_track: int
    due_soon: int
    overdue: int
    escalated: int
    never: int  # no customer contact yet (counted in their state as well)
    median_days_since: Decimal | None
    meeting_exposure_target: int
    window_minutes: int
    # The contacts of every executive's current window, by how they came in.
    captured: int
    confirmed: int
    typed: int
    # Every executive's exposure minutes over six and twelve months, the
    # unfiltered ones among them, and how many executives met customers
    # within their cadence only at filtered occasions (``cadence.directness``).
    minutes_6m: int = 0
    unfiltered_minutes_6m: int = 0
    minutes_12m: int = 0
    unfiltered_minutes_12m: int = 0
    only_filtered: int = 0

    @property
    def unfiltered_share_6m(self) -> int | None:
        return unfiltered_percent(self.unfiltered_minutes_6m, self.minutes_6m)

    @property
    def unfiltered_share_12m(self) -> int | None:
        return unfiltered_percent(self.unfiltered_minutes_12m, self.minutes_12m)

    def share(self, count: int) -> int | None:
        """``count`` as a whole percentage of the executives, or None with none."""
        return percent(count, self.executives)

    @property
    def with_contact(self) -> int:
        return self.executives - self.never

    @property
    def urgent_states(self) -> list[tuple[ContactState, int, str]]:
        """The states that need action, each with its count and what it means."""
        return [
            (ContactState.DUE_SOON, self.due_soon, "Their window closes within the warning days."),
            (ContactState.OVERDUE, self.overdue, "Past their window: reminded each week."),
            (
                ContactState.ESCALATED,
                self.escalated,
                "Past the escalation delay: their manager is told once their own reminder has had that long.",
            ),
        ]

    @property
    def on_track_share(self) -> int | None:
        return self.share(self.on_track)

    @property
    def exposure_target_share(self) -> int | None:
        return self.share(self.meeting_exposure_target)

    @property
    def exposure_hours_per_executive(self) -> Decimal | None:
        if not self.executives:
            return None
        return hours(Decimal(self.window_minutes) / self.executives)

    @property
    def window_contacts(self) -> int:
        return self.captured + self.confirmed + self.typed

    @property
    def captures(self) -> list[tuple[str, str, int, int | None, str]]:
        """How the window's contacts came in: for each way, its executives
        table sort, its name, its count, its share of the contacts in
        percent (None without any) and what it means."""
        return [
            ("captured", ContactCapture.AUTOMATIC.label, self.captured, percent(self.captured, self.window_contacts),
             "Recorded without a tap: the executive chose to confirm calendar meetings automatically."),
            ("confirmed", ContactCapture.CONFIRMED.label, self.confirmed,
             percent(self.confirmed, self.window_contacts),
             "Confirmed with one tap from a meeting read from the executive's calendar."),
            ("typed", ContactCapture.TYPED.label, self.typed, percent(self.typed, self.window_contacts),
             "Logged, requested or imported by hand."),
        ]  # fmt: skip


# The directness minutes the dashboard sums over every executive.
DIRECTNESS_SUMS = ("minutes_6mo", "unfiltered_minutes_6mo", "minutes_12m", "unfiltered_minutes_12m")


def program_figures(*, now: dt.datetime | None = None) -> ProgramFigures:
    """The program dashboard's figures over every executive reminders act on,
    counted in the database: five queries. With them, the contacts of every
    executive's current window by how they came in
    (``window_contacts_captures``), joined to the same query, and the
    program's directness (``contacts_by_directness``) summed in it too."""
    today = executives_today(now=now)
    standing = executive_standing(today=today)
    # Counted over the standing as a derived table: aggregate() over these
    # annotations would drop the window's subquery from the inner query.
    inner = (
        standing.annotate(
            no_contact=Case(When(last_contact_on__isnull=True, then=Value(1)), default=Value(0)),
            target_minutes=F("exposure_target_minutes"),
            minutes_12m=contact_totals(days=TWELVE_MONTHS, field="duration_minutes"),
            **contacts_by_directness(),
        )
        .annotate(**directness_flags())
        .values("state", "window_minutes", "no_contact", "target_minutes", *DIRECTNESS_SUMS, "ivory_tower")
    )
    sql, params = inner.order_by().query.sql_with_params()
    ways_sql, ways_params = window_contacts_captures(today).query.sql_with_params()
    ways = [ContactCapture.AUTOMATIC.value, ContactCapture.CONFIRMED.value, ContactCapture.TYPED.value]
    count_ways = ", ".join(
        f"SUM(CASE WHEN capture = %s THEN 1 ELSE 0 END) AS {name}" for name in ("captured", "confirmed", "typed")
    )
    by_state = ", ".join("SUM(CASE WHEN state = %s THEN 1 ELSE 0 END)" for _ in STATE_URGENCY)
    sums = ", ".join(f"COALESCE(SUM({name}), 0)" for name in DIRECTNESS_SUMS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), COALESCE(SUM(no_contact), 0), "
            "COALESCE(SUM(CASE WHEN window_minutes >= target_minutes THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(window_minutes), 0), "
            "COALESCE(MAX(ways.captured), 0), COALESCE(MAX(ways.confirmed), 0), COALESCE(MAX(ways.typed), 0), "
            f"{sums}, COALESCE(SUM(CASE WHEN ivory_tower THEN 1 ELSE 0 END), 0), "
            f"{by_state} FROM ({sql}) standing "
            f"LEFT JOIN (SELECT {count_ways} FROM ({ways_sql}) contacts) ways ON 1 = 1",
            [*[state.value for state in STATE_URGENCY], *params, *ways, *ways_params],
        )
        total, never, meeting, minutes, captured, confirmed, typed, *rest = cursor.fetchone()
    directness = dict(zip(DIRECTNESS_SUMS, map(int, rest[: len(DIRECTNESS_SUMS)]), strict=True))
    flagged, states = int(rest[len(DIRECTNESS_SUMS)]), rest[len(DIRECTNESS_SUMS) + 1 :]
    counts = {
        "executives": total,
        "never": never,
        "meeting_exposure_target": meeting,
        "window_minutes": minutes,
        **{state.value: count or 0 for state, count in zip(STATE_URGENCY, states, strict=True)},
    }
    with_contact = counts["executives"] - counts["never"]
    median = median_of(standing.filter(last_contact_on__isnull=False), "days_since", with_contact)
    return ProgramFigures(
        executives=counts["executives"],
        on_track=counts[ContactState.ON_TRACK.value],
        due_soon=counts[ContactState.DUE_SOON.value],
        overdue=counts[ContactState.OVERDUE.value],
        escalated=counts[ContactState.ESCALATED.value],
        never=counts["never"],
        median_days_since=median,
        meeting_exposure_target=counts["meeting_exposure_target"],
        window_minutes=counts["window_minutes"],
        captured=int(captured),
        confirmed=int(confirmed),
        typed=int(typed),
        minutes_6m=directness["minutes_6mo"],
        unfiltered_minutes_6m=directness["unfiltered_minutes_6mo"],
        minutes_12m=directness["minutes_12m"],
        unfiltered_minutes_12m=directness["unfiltered_minutes_12m"],
        only_filtered=flagged,
    )


# --- An executive's own page: their window, their history, where they stand ----------


@dataclass(frozen=True)
class WindowCountdown:
    """How far an executive is into their cadence window, and when it closes."""

    closes_on: dt.date
    days_left: int  # negative once it has closed
    length: int  # the window's days: their cadence

    @property
    def days_in(self) -> int:
        """Days gone since the window opened, at most its length."""
        return min(self.length, max(0, self.length - self.days_left))

    @property
    def days_past(self) -> int:
        return max(0, -self.days_left)


def window_countdown(*, closes_on: dt.date, today: dt.date, length: int) -> WindowCountdown:
    """The countdown to ``closes_on`` of a window of ``length`` days, on ``today``."""
    return WindowCountdown(closes_on=closes_on, days_left=(closes_on - today).days, length=length)


@dataclass(frozen=True)
class ContactMonth:
    month: dt.date  # its first day
    contacts: int


@dataclass(frozen=True)
class ContactHistory:
    """An executive's contacts per calendar month, oldest month first."""

    months: tuple[ContactMonth, ...]

    @property
    def total(self) -> int:
        return sum(month.contacts for month in self.months)

    @property
    def scale(self) -> int:
        """The most contacts in a month (at least 1): the full length of a bar."""
        return max((month.contacts for month in self.months), default=0) or 1


def executive_contact_history(*, executive_id: int, today: dt.date, months: int = 12) -> ContactHistory:
    """The executive's contacts in each of the last ``months`` calendar months,
    ending with ``today``'s (their own today): one query."""
    counts = executive_months(executive_ids=[executive_id], today=today, months=months)[executive_id]
    return ContactHistory(
        tuple(ContactMonth(month_start(today, back=months - 1 - index), count) for index, count in enumerate(counts))
    )


# Among fewer executives than this besides oneself, a median or a rank would
# all but name a colleague's figures.
RANK_MIN_OTHERS = 4


@dataclass(frozen=True)
class ExecutiveRank:
    """Where one executive stands among the executives reminders act on, in
    anonymous aggregates only: nobody else's figure can be read from it."""

    executives: int
    on_track: int
    median_days_since: Decimal | None  # among those with a contact
    median_window_minutes: Decimal | None
    others: int  # the executives compared with: all but this one
    less_exposure: int  # of the others, those with less exposure in their window than this one in theirs

    @property
    def min_others(self) -> int:
        return RANK_MIN_OTHERS

    @property
    def comparable(self) -> bool:
        """Whether there are enough others to show the figures anonymously."""
        return self.others >= self.min_others

    @property
    def on_track_share(self) -> int | None:
        return percent(self.on_track, self.executives)

    @property
    def median_window_hours(self) -> Decimal | None:
        return None if self.median_window_minutes is None else hours(self.median_window_minutes)

    @property
    def more_exposure_than(self) -> int | None:
        """The share of the other executives with less exposure, in percent."""
        return percent(self.less_exposure, self.others)


def executive_rank(*, executive_id: int, exposure_minutes: int, now: dt.datetime | None = None) -> ExecutiveRank:
    """Where the executive ``executive_id``, with ``exposure_minutes`` in their
    window, stands among every executive reminders act on: the share on
    track, the medians of days since the last contact and of exposure, and
    how many have had less exposure. Counted in the database, four queries:
    the time zones in use, the counts and the two medians."""
    standing = executive_standing(now=now)
    others = ~Q(pk=executive_id)
    # Naming the columns keeps the window's subquery in the inner query (see program_figures).
    counts = standing.values("pk", "state", "last_contact_on", "window_minutes").aggregate(
        executives=Count("pk"),
        on_track=Count("pk", filter=Q(state=ContactState.ON_TRACK.value)),
        with_contact=Count("pk", filter=Q(last_contact_on__isnull=False)),
        others=Count("pk", filter=others),
        less_exposure=Count("pk", filter=others & Q(window_minutes__lt=exposure_minutes)),
    )
    return ExecutiveRank(
        executives=counts["executives"],
        on_track=counts["on_track"],
        median_days_since=median_of(
            standing.filter(last_contact_on__isnull=False), "days_since", counts["with_contact"]
        ),
        median_window_minutes=median_of(standing, "window_minutes", counts["executives"]),
        others=counts["others"],
        less_exposure=counts["less_exposure"],
    )
