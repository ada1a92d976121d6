"""Reads for engagements. Each returns in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects
from django.db.models.functions import Coalesce, Lower
from django.http import Http404
from django.utils import timezone

from engagement.accounts.models import Account, Contact
from engagement.bounds import search_words
from engagement.cadence.models import ExecutiveContact
from engagement.dates import WORKDAY_END, WORKDAY_START, in_working_hours, working_days_before
from engagement.people.models import Executive, User
from engagement.people.roles import Role, user_roles
from visits.access import accounts_served_by, engagements_visible_to
from visits.models import CalendarConnection, CalendarFeed, Engagement, EngagementExecutive, EngagementStatusChange

ACCOUNT_SEARCH_LIMIT = 8


def account_search(*, query: str, limit: int = ACCOUNT_SEARCH_LIMIT) -> list[Account]:
    """Accounts whose name (or CRM id) matches ``query``, names that start with
    it first. Empty for a query under two characters."""
    query = search_words(query)
    if len(query) < 2:
        return []
    matches = (
        Account.objects.filter(Q(name__icontains=query) | Q(crm_id__iexact=query))
        .exclude(status=Account.Status.CHURNED)
        .only("pk", "name", "kind", "tier", "region")
        .order_by("name", "pk")[: limit * 4]
    )
    lowered = query.lower()
    return sorted(matches, key=lambda account: (not account.name.lower().startswith(lowered), account.name))[:limit]


RECENT_ACCOUNTS_DAYS = 90
RECENT_ACCOUNTS_SHOWN = 6


def executive_recent_accounts(*, executive: Executive, today: dt.date) -> list[Account]:
    """The accounts ``executive`` had a customer contact with in the last 90
    days, the most recent first (a few at most): the log form's one-tap
    choices. One query."""
    last = (
        ExecutiveContact.objects.filter(executive=executive, account=OuterRef("pk"))
        .order_by("-contact_on")
        .values("contact_on")[:1]
    )
    since = today - dt.timedelta(days=RECENT_ACCOUNTS_DAYS)
    met = ExecutiveContact.objects.filter(executive=executive, contact_on__gte=since).values("account_id")
    return list(
        Account.objects.filter(pk__in=met)
        .exclude(status=Account.Status.CHURNED)
        .annotate(last_met_on=Subquery(last))
        .only("pk", "name")
        .order_by("-last_met_on", "name")[:RECENT_ACCOUNTS_SHOWN]
    )


def account_contacts(*, account_ids: Iterable[int]) -> QuerySet[Contact]:
    """The active contacts of the accounts, by name."""
    return Contact.objects.filter(account_id__in=list(account_ids), active=True).order_by("name", "pk")


def executive_search(
    *, query: str, exclude: Executive | None = None, limit: int = ACCOUNT_SEARCH_LIMIT
) -> QuerySet[Executive]:
    """Active executives (other than ``exclude``) whose name matches ``query``."""
    query = search_words(query)
    if len(query) < 2:
        return Executive.objects.none()
    found = Executive.objects.filter(active=True, user__full_name__icontains=query)
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return found.select_related("user").order_by("user__full_name", "pk")[:limit]


# A status filter beyond the statuses themselves: every held engagement,
# debriefed or not (what the program counts as held).
HELD = "held"


def day_start(day: dt.date, time_zone: dt.tzinfo | None = None) -> dt.datetime:
    """The first moment of ``day`` in ``time_zone`` (the current one by default).
    A midnight that a clock change skips is read as the moment of the change."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=time_zone or timezone.get_current_timezone())


WAITING_WORKING_DAYS = 2


def request_waiting_cutoff(*, now: dt.datetime | None = None) -> dt.datetime:
    """A request whose status changed before this moment has waited more than
    two working days for its answer."""
    return working_days_before(timezone.localtime(now or timezone.now()), WAITING_WORKING_DAYS)


def _waiting_for(user: User, now: dt.datetime) -> Q:
    """The engagements that wait for something ``user`` must do."""
    roles = user_roles(user)
    ended = Q(status=Engagement.Status.SCHEDULED, ends_at__lt=now)
    waiting = Q(pk__in=[])
    if Role.EXECUTIVE in roles:
        # One subquery over the executive's own attendances (a few hundred
        # rows), not a test of every engagement: requests they lead, and
        # meetings that ended without being marked.
        mine = EngagementExecutive.objects.filter(executive__user=user, executive__active=True).filter(
            Q(role=EngagementExecutive.Role.LEAD, engagement__status=Engagement.Status.REQUESTED)
            | Q(engagement__status=Engagement.Status.SCHEDULED, engagement__ends_at__lt=now)
        )
        waiting |= Q(pk__in=mine.values("engagement_id"))
    if Role.ACCOUNT_MANAGER in roles:
        served = Q(account__in=accounts_served_by(user).values("pk"))
        waiting |= served & (Q(status__in=[Engagement.Status.QUESTION, Engagement.Status.APPROVED]) | ended)
    if Role.PROGRAM_ADMIN in roles:
        # Admins decide on an executive's behalf once a request has waited too long.
        waiting |= Q(status=Engagement.Status.REQUESTED, status_changed_at__lt=request_waiting_cutoff(now=now))
    return waiting


def engagement_list(*, user: User, when: str = "past", now: dt.datetime | None = None) -> QuerySet[Engagement]:
    """The engagements ``user`` may see: ``upcoming`` (soonest first),
    ``waiting`` for them to act (longest waiting first), ``past`` (newest
    first) or ``all`` (newest first), each with its account, type and
    executives. ``visits.filters.EngagementFilter`` narrows it."""
    now = now or timezone.now()
    engagements = engagements_visible_to(user).select_related("account", "type")
    if when == "waiting":
        engagements = engagements.filter(_waiting_for(user, now)).order_by("status_changed_at", "pk")
    elif when == "upcoming":
        engagements = engagements.filter(starts_at__gte=now).order_by("starts_at", "pk")
    elif when == "all":
        engagements = engagements.order_by("-starts_at", "-pk")
    else:
        engagements = engagements.filter(starts_at__lt=now).order_by("-starts_at", "-pk")
    return engagements.prefetch_related(
        Prefetch(
            "attendances",
            queryset=EngagementExecutive.objects.select_related("executive__user").order_by("-role", "pk"),
        )
    )


def engagement_already_logged(
    *, submission_key: uuid.UUID | None, crm_id: str | None, calendar_key: str | None = None
) -> Engagement | None:
    """The engagement a first sending of the same logged contact made: the
    one with ``submission_key``, else the one with ``crm_id``, else the one
    logged from the calendar event ``calendar_key``; None when none was
    given or none is there."""
    if submission_key is not None:
        found = Engagement.objects.filter(submission_key=submission_key).first()
        if found is not None:
            return found
    for field, value in (("crm_id", crm_id), ("calendar_key", calendar_key)):
        if value and (found := Engagement.objects.filter(**{field: value}).first()) is not None:
            return found
    return None


# A calendar feed shows this far back, so that last quarter's engagements stay
# in a subscribed calendar, and at most this many engagements.
CALENDAR_DAYS_BACK = 90
CALENDAR_LIMIT = 500


def _calendar_people() -> list[Prefetch]:
    """What an engagement's calendar event names: its executives and staff."""
    return [
        Prefetch(
            "attendances",
            queryset=EngagementExecutive.objects.select_related("executive__user").only(
                "engagement_id", "role", "executive_id", "executive__user_id",
                "executive__user__email", "executive__user__full_name",
            ),
        ),
        Prefetch("staff", queryset=User.objects.only("pk", "email", "full_name")),
    ]  # fmt: skip


def engagement_calendar_people_load(*, engagements: Iterable[Engagement]) -> None:
    """Load the people of ``engagements`` for their calendar events, in two queries."""
    prefetch_related_objects(list(engagements), *_calendar_people())


def engagement_calendar_for_user(
    *, user: User, now: dt.datetime | None = None, limit: int = CALENDAR_LIMIT
) -> QuerySet[Engagement]:
    """The engagements ``user`` attends as an executive, staffs or requested,
    from ``CALENDAR_DAYS_BACK`` days ago on, soonest first: planned, held, or
    called off after they were planned. Three queries, however many."""
    since = (now or timezone.now()) - dt.timedelta(days=CALENDAR_DAYS_BACK)
    theirs = (
        Exists(EngagementExecutive.objects.filter(engagement=OuterRef("pk"), executive__user=user))
        | Exists(Engagement.staff.through.objects.filter(engagement=OuterRef("pk"), user=user))
        | Q(requested_by=user)
    )
    return (
        Engagement.objects.filter(theirs, status__in=Engagement.CALENDAR_STATUSES, starts_at__gte=since)
        .select_related("account", "type", "requested_by")
        .only(
            "pk", "status", "starts_at", "ends_at", "duration_minutes", "location", "meeting_link", "objective",
            "brief", "sequence", "updated_at", "account__name", "type__name", "type__default_duration_minutes",
            "requested_by__email", "requested_by__full_name",
        )
        .prefetch_related(*_calendar_people())
        .order_by("starts_at", "pk")[:limit]
    )  # fmt: skip


def calendar_feed_of(*, user: User) -> CalendarFeed | None:
    """The user's calendar address, if they have made one."""
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_owner(*, token: str) -> User | None:
    """The active user whose calendar address has ``token``; None for any
    other token (unknown, replaced, or of someone no longer active)."""
    feed = CalendarFeed.objects.filter(token=token, user__is_active=True).select_related("user").first()
    return feed.user if feed is not None else None


def calendar_connections_of(*, user: User) -> list[CalendarConnection]:
    """The calendars ``user`` connected, by name: one query, however many.
    Their secrets stay unread (``defer``): the page never shows them."""
    return list(
        CalendarConnection.objects.filter(owner=user)
        .defer("url_encrypted", "password_encrypted")
        .order_by(Lower("name"), "pk")
    )


def calendar_connection_of(*, user: User, pk: int) -> CalendarConnection:
    """``user``'s own connection ``pk``; 404 for anyone else's, a program
    admin's included: its address is its owner's secret."""
    connection = CalendarConnection.objects.filter(owner=user, pk=pk).first()
    if connection is None:
        raise Http404("No calendar of yours has this address.")
    return connection


def executive_profile_exists(*, user: User) -> bool:
    """Whether ``user`` has an executive profile: only executives' calendars
    are read, since customer meetings count toward an executive's cadence."""
    return Executive.objects.filter(user=user).exists()


def accounts_for_request(*, user: User, query: str = "") -> QuerySet[Account]:
    """The accounts ``user`` may ask an executive's time for, by name:
    those they serve, or every open account for a program admin."""
    accounts = (Account.objects.all() if Role.PROGRAM_ADMIN in user_roles(user) else accounts_served_by(user)).exclude(
        status=Account.Status.CHURNED
    )
    query = search_words(query)
    if query:
        accounts = accounts.filter(Q(name__icontains=query) | Q(crm_id__iexact=query))
    return accounts.only("pk", "name", "kind", "tier", "region").order_by("name", "pk")


def engagement_attendances(*, engagement: Engagement) -> list[EngagementExecutive]:
    """Who attends from the executive side, the lead first."""
    return list(
        EngagementExecutive.objects.filter(engagement=engagement)
        .select_related("executive__user")
        .order_by("-role", "executive__user__full_name", "pk")
    )


def engagement_history(*, engagement: Engagement) -> list[EngagementStatusChange]:
    """Every change of status, oldest first, with who made it: the whole exchange."""
    return list(EngagementStatusChange.objects.filter(engagement=engagement).select_related("by").order_by("at", "pk"))


@dataclass(frozen=True)
class AccountBackground:
    """What to know about an account before meeting it."""

    account: Account
    needs: list[str]
    contacts: list[Contact]
    recent: list[Engagement]  # the latest held engagements, newest first
    upcoming: list[Engagement]  # open engagements to come, soonest first


BACKGROUND_ENGAGEMENTS = 5


def account_background(
    *, account: Account, exclude: Engagement | None = None, now: dt.datetime | None = None
) -> AccountBackground:
    """The account's needs, people and engagements, recent and coming (five
    queries), leaving out ``exclude`` (the engagement being prepared)."""
    now = now or timezone.now()
    engagements = Engagement.objects.filter(account=account)
    if exclude is not None:
        engagements = engagements.exclude(pk=exclude.pk)
    engagements = engagements.select_related("type").only(
        "pk", "status", "starts_at", "notes", "objective", "type__name", "account_id"
    )
    recent = list(
        engagements.filter(status__in=Engagement.HELD_STATUSES).order_by("-starts_at", "-pk")[:BACKGROUND_ENGAGEMENTS]
    )
    upcoming = list(
        engagements.filter(status__in=Engagement.OPEN_STATUSES, starts_at__gte=now).order_by("starts_at", "pk")[
            :BACKGROUND_ENGAGEMENTS
        ]
    )
    prefetch_related_objects(
        [*recent, *upcoming],
        Prefetch(
            "attendances",
            queryset=EngagementExecutive.objects.select_related("executive__user").order_by("-role", "pk"),
        ),
    )
    return AccountBackground(
        account=account,
        needs=list(account.needs.order_by("name").values_list("name", flat=True)),
        contacts=list(account_contacts(account_ids=[account.pk])),
        recent=recent,
        upcoming=upcoming,
    )


def engagement_brief(*, engagement: Engagement) -> AccountBackground:
    """The preparation brief's background: the account, apart from this engagement."""
    return account_background(account=engagement.account, exclude=engagement)


def executive_open_load(*, now: dt.datetime | None = None) -> Coalesce:
    """How many open engagements to come an executive (the outer row) is asked
    to or attends: the load the request form's suggestions weigh."""
    return Coalesce(
        Subquery(
            EngagementExecutive.objects.filter(
                executive_id=OuterRef("pk"),
                engagement__status__in=Engagement.OPEN_STATUSES,
                engagement__starts_at__gte=now or timezone.now(),
            )
            .values("executive_id")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )


@dataclass(frozen=True)
class ProposedTime:
    """A proposed meeting as the executive asked would read it: in their own
    time zone, and whether it falls in their working hours."""

    executive: Executive
    starts_at: dt.datetime  # in the executive's zone
    ends_at: dt.datetime
    in_working_hours: bool
    workday_start: dt.time = WORKDAY_START
    workday_end: dt.time = WORKDAY_END


def proposed_time(*, executive: Executive, starts_at: dt.datetime, duration_minutes: int) -> ProposedTime:
    """``starts_at`` for ``duration_minutes`` as ``executive`` (their user
    loaded) would read it. A meeting is in working hours when it starts and
    ends within one working day of theirs."""
    zone = executive.user.time_zone
    ends_at = starts_at + dt.timedelta(minutes=duration_minutes)
    last_minute = ends_at - dt.timedelta(minutes=1)
    within = (
        in_working_hours(starts_at, zone)
        and in_working_hours(last_minute, zone)
        and starts_at.astimezone(executive.user.tzinfo).date() == last_minute.astimezone(executive.user.tzinfo).date()
    )
    return ProposedTime(
        executive=executive,
        starts_at=starts_at.astimezone(executive.user.tzinfo),
        ends_at=ends_at.astimezone(executive.user.tzinfo),
        in_working_hours=within,
    )
