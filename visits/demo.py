"""Demo engagements: two years of each executive's customer contact, as their
profile has it (``engagement.demo``), with the meetings that fell through and
those still ahead; and for the demo logins a few that wait at each step from
request to held, made through the services.

Each engagement is planned as the steps a person would take (asked for,
approved, scheduled, held; or logged as held), and its status and history
follow from those steps, walked through ``Engagement.STEPS``
(``Lifecycle.walk``), with the notes the services write."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass, field
from itertools import accumulate

from django.urls import reverse

from engagement.accounts.models import Account, Contact
from engagement.demo import (
    BATCH,
    DEMO_ACCOUNT_MANAGER_EMAIL,
    DEMO_EXECUTIVE_EMAIL,
    DemoContext,
    DemoExecutive,
    demo_data,
)
from engagement.lifecycle import Taken
from engagement.notifications.models import Notification
from engagement.people.models import Executive, User
from visits.models import Engagement, EngagementExecutive, EngagementStatusChange, EngagementType
from visits.services import (
    LOGGED_NOTE,
    Plan,
    engagement_answer,
    engagement_approve,
    engagement_ask,
    engagement_complete,
    engagement_contacts_sync,
    engagement_decline,
    engagement_history_create,
    engagement_request,
    engagement_schedule,
    held_note,
    scheduled_note,
)

HISTORY_DAYS = 730
DAYS_A_MONTH = 30.44
# Of the meetings held, how many were asked for by the account team (the
# rest the executive logged as held), and how many a second executive attended.
REQUESTED_SHARE = 0.4
CO_ATTENDED_SHARE = 0.12
# For every meeting held, this many more that fell through, by how.
FELL_THROUGH_SHARE = 0.12
FELL_THROUGH = {"cancelled": 4, "declined": 2, "not_held": 2}
# Requests still open, per contact a month the executive keeps up, by status.
OPEN_PER_RATE = 0.4
OPEN = {"requested": 2, "approved": 1, "scheduled": 3}
TYPE_WEIGHTS = {
    "virtual-meeting": 30,
    "on-site-visit": 20,
    "executive-briefing": 10,
    "ride-along": 10,
    "service-call-listening": 10,
    "customer-journey": 8,
    "event": 7,
    "mentoring-session": 5,
}
PURPOSE_WEIGHTS = {
    Engagement.Purpose.RELATIONSHIP: 35,
    Engagement.Purpose.LISTENING: 25,
    Engagement.Purpose.CONNECTING: 15,
    Engagement.Purpose.PRODUCT_EVENT: 10,
    Engagement.Purpose.NEGOTIATION: 10,
    Engagement.Purpose.ESCALATION: 5,
}
# The words are data (demo_data/engagements.toml).
WORDS = demo_data(__file__, "engagements")
# The demo logins' own requests, each step's words (demo_data/story.toml).
STORY = demo_data(__file__, "story")
# The customer's working-level contact sits one or two levels below the
# executive; asked for, decided and planned engagements name one.
WORKING_CONTACT_STATUSES = (Engagement.Status.REQUESTED, Engagement.Status.APPROVED, Engagement.Status.SCHEDULED)


def _poisson(ctx: DemoContext, mean: float) -> int:
    """How many of something that comes ``mean`` times on average."""
    limit, count, product = math.exp(-mean), 0, ctx.rng.random()
    while product > limit:
        count += 1
        product *= ctx.rng.random()
    return count


def _starts_at(ctx: DemoContext, executive: DemoExecutive, days_from_today: int) -> dt.datetime:
    day = ctx.today + dt.timedelta(days=days_from_today)
    minutes = ctx.rng.randrange(8 * 60, 17 * 60, 15)
    local = dt.datetime.combine(
        day, dt.time(minutes // 60, minutes % 60), tzinfo=zoneinfo.ZoneInfo(executive.time_zone)
    )
    return local.astimezone(dt.UTC)


def _month(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def _held_days(ctx: DemoContext, executive: DemoExecutive, tally: dict[tuple[int, tuple[int, int]], int]) -> list[int]:
    """How many days ago each of the executive's customer contacts was: the
    last exactly where their profile puts it, and before it, month by month,
    as many as their rate gives (never more than four in a month), fading to
    none over the months before a drifting executive's last."""
    last = executive.days_since_contact
    if last is None:
        return []
    cap = executive.max_a_month
    days_by_month: dict[tuple[int, int], list[int]] = {}
    for days_ago in range(last + 1, HISTORY_DAYS + 1):
        days_by_month.setdefault(_month(ctx.today - dt.timedelta(days=days_ago)), []).append(days_ago)
    chosen = [last]
    last_month = executive.pk, _month(ctx.today - dt.timedelta(days=last))
    tally[last_month] = tally.get(last_month, 0) + 1
    for month, days in days_by_month.items():
        months_before_last = (days[0] - last) / DAYS_A_MONTH
        fade = min(1.0, months_before_last / executive.fade_months) if executive.fade_months else 1.0
        room = cap - tally.get((executive.pk, month), 0)
        count = min(room, len(days), _poisson(ctx, executive.rate * fade * len(days) / DAYS_A_MONTH))
        chosen += ctx.rng.sample(days, max(0, count))
        tally[executive.pk, month] = tally.get((executive.pk, month), 0) + max(0, count)
    return chosen


@dataclass
class _Planned:
    """One engagement as the demo plans it: whose, where, when, and how it went."""

    lead: DemoExecutive
    account_id: int
    type_slug: str
    days_ago: int
    how: str  # logged, held, a way of falling through, or an open status
    starts_at: dt.datetime
    attendees: list[DemoExecutive] = field(default_factory=list)


def _plan_engagements(ctx: DemoContext) -> list[_Planned]:
    """Every executive's engagements of the last two years and the weeks ahead."""
    rng, executives = ctx.rng, ctx.executives
    tally: dict[tuple[int, tuple[int, int]], int] = {}
    type_slugs, type_cum = list(TYPE_WEIGHTS), list(accumulate(TYPE_WEIGHTS.values()))
    account_ids = list(ctx.accounts)
    contacted = [e for e in executives if e.days_since_contact is not None and not e.types]
    planned: list[_Planned] = []

    def engagement(lead: DemoExecutive, days_ago: int, how: str) -> _Planned:
        slug = rng.choice(lead.types) if lead.types else rng.choices(type_slugs, cum_weights=type_cum)[0]
        in_circle = lead.account_ids and rng.random() < 0.8
        account_id = rng.choice(lead.account_ids) if in_circle else rng.choice(account_ids)
        return _Planned(lead, account_id, slug, days_ago, how, _starts_at(ctx, lead, -days_ago), [lead])

    for lead in executives:
        for days_ago in _held_days(ctx, lead, tally):
            held = engagement(lead, days_ago, "held" if rng.random() < REQUESTED_SHARE else "logged")
            if contacted and rng.random() < CO_ATTENDED_SHARE:
                _second_executive(ctx, held, rng.choice(contacted), tally)
            planned.append(held)
            if rng.random() < FELL_THROUGH_SHARE:
                how = rng.choices(list(FELL_THROUGH), weights=list(FELL_THROUGH.values()))[0]
                planned.append(engagement(lead, rng.randint(days_ago, HISTORY_DAYS), how))
        if lead.days_since_contact is None:
            # Never met a customer: their first meeting fell through.
            planned.append(engagement(lead, rng.randint(3, 30), "cancelled"))
        for _ in range(_poisson(ctx, max(lead.rate, 0.3) * OPEN_PER_RATE)):
            how = rng.choices(list(OPEN), weights=list(OPEN.values()))[0]
            planned.append(engagement(lead, -rng.randint(1, 45), how))
    return planned


def _second_executive(
    ctx: DemoContext, held: _Planned, other: DemoExecutive, tally: dict[tuple[int, tuple[int, int]], int]
) -> None:
    """A colleague who attended too, if it fits their own contact: not after
    their last, and within their four a month."""
    if other.pk == held.lead.pk or (other.days_since_contact or 0) > held.days_ago:
        return
    local = held.starts_at.astimezone(zoneinfo.ZoneInfo(other.time_zone)).date()
    if (ctx.today - local).days < (other.days_since_contact or 0) or tally.get(
        (other.pk, _month(local)), 0
    ) >= other.max_a_month:
        return
    tally[other.pk, _month(local)] = tally.get((other.pk, _month(local)), 0) + 1
    held.attendees.append(other)


def _path(ctx: DemoContext, plan: _Planned, engagement: Engagement, decider_id: int) -> list[Taken]:
    """The steps that took the engagement where it is: logged as held by its
    executive, or asked for by the account team and taken, step by step, to
    held, to how it fell through, or as far as it has come."""
    rng, how = ctx.rng, plan.how
    starts_at, ends_at = engagement.starts_at, engagement.ends_at or engagement.starts_at
    today = dt.datetime.combine(ctx.today, dt.time.min, tzinfo=dt.UTC)
    if how == "logged":
        logged = max(ends_at, min(ends_at + dt.timedelta(hours=rng.uniform(0.2, 30)), today))
        return [Taken("log", decider_id, logged, LOGGED_NOTE)]
    asked_by = engagement.requested_by_id
    if how in OPEN:
        # Most were asked in the last few days or weeks; some have waited over
        # two working days for the executive or an admin to act.
        asked = _starts_at(ctx, plan.lead, -min(30, 1 + int(rng.expovariate(0.25 if how == "requested" else 0.1))))
    else:
        asked = starts_at - dt.timedelta(days=rng.randint(2, 21))
    until = min(starts_at, today)

    def between(low: float, high: float) -> dt.datetime:
        return asked + (until - asked) * rng.uniform(low, high)

    taken = [Taken("request", asked_by, asked, engagement.objective)]
    if how == "declined":
        return [*taken, Taken("decline", decider_id, between(0.05, 0.4), rng.choice(WORDS["decline_reasons"]))]
    if how == "requested":
        return taken
    taken.append(Taken("approve", decider_id, between(0.05, 0.3)))
    if how == "approved":
        return taken
    if how != "cancelled" or rng.random() < 0.5:
        taken.append(Taken("schedule", asked_by, between(0.35, 0.6), scheduled_note(starts_at)))
    if how == "cancelled":
        return [*taken, Taken("cancel", asked_by, between(0.65, 0.95), rng.choice(WORDS["cancel_reasons"]))]
    marked = max(ends_at, min(ends_at + dt.timedelta(hours=rng.uniform(1, 48)), today))
    if how == "not_held":
        return [*taken, Taken("not_held", asked_by, marked, rng.choice(WORDS["not_held_reasons"]))]
    if how == "held":
        return [*taken, Taken("complete", asked_by, marked, held_note(engagement.duration_minutes))]
    return taken  # scheduled, ahead


def seed(ctx: DemoContext) -> None:
    """Each executive's engagements, with their executives, contacts, reps
    and history; then the demo logins' own requests."""
    types = {engagement_type.slug: engagement_type for engagement_type in EngagementType.objects.all()}
    planned = _plan_engagements(ctx)
    user_of = dict(Executive.objects.values_list("pk", "user_id"))
    account_ids = list(ctx.accounts)
    contact_level = dict(
        Contact.objects.filter(account__pk__range=(min(account_ids), max(account_ids))).values_list("pk", "level")
    )
    for start in range(0, len(planned), BATCH * 2):
        batch = planned[start : start + BATCH * 2]
        engagements, paths = [], []
        for plan in batch:
            engagement = _engagement(ctx, plan, types, user_of[plan.lead.pk], contact_level)
            path = _path(ctx, plan, engagement, user_of[plan.lead.pk])
            engagement.status = Engagement.STEPS.reached(path)
            engagement.created_at, engagement.status_changed_at = path[0].at, path[-1].at
            engagements.append(engagement)
            paths.append(path)
        Engagement.objects.bulk_create(engagements, batch_size=BATCH)
        engagement_history_create(((e.pk, path) for e, path in zip(engagements, paths, strict=True)), batch_size=BATCH)
        _attach(ctx, engagements, batch)
        ctx.say(f"  {start + len(batch):,} of {len(planned):,} engagements")
    _seed_demo_logins(ctx, types)
    # One pass at the end: each executive's last contact is refreshed once.
    contacts = engagement_contacts_sync(engagement_ids=Engagement.objects.values("pk"))
    ctx.say(f"  {contacts:,} executive contacts counted")


def _engagement(
    ctx: DemoContext, plan: _Planned, types: dict[str, EngagementType], lead_user_id: int, contact_level: dict
) -> Engagement:
    rng = ctx.rng
    account = ctx.accounts[plan.account_id]
    engagement_type = types.get(plan.type_slug) or next(iter(types.values()))
    minutes = engagement_type.default_duration_minutes
    held = plan.how in ("held", "logged")
    working_contact_id = None
    if plan.how in OPEN and account.contact_ids:
        target = plan.lead.level - 1.5
        working_contact_id = min(account.contact_ids, key=lambda pk: abs(contact_level[pk] - target))
    return Engagement(
        account_id=plan.account_id,
        type=engagement_type,
        purpose=Engagement.Purpose.RELATIONSHIP
        if plan.how == "logged"
        else rng.choices(list(PURPOSE_WEIGHTS), weights=list(PURPOSE_WEIGHTS.values()))[0],
        objective="" if plan.how == "logged" else rng.choice(WORDS["objectives"]),
        value_proposition="" if plan.how == "logged" else rng.choice(WORDS["value_propositions"]),
        working_contact_id=working_contact_id,
        requested_by_id=lead_user_id if plan.how == "logged" else account.manager_id,
        starts_at=plan.starts_at,
        ends_at=plan.starts_at + dt.timedelta(minutes=minutes),
        location="Customer site" if plan.type_slug in {"on-site-visit", "ride-along"} else "",
        duration_minutes=max(15, round(minutes * rng.uniform(0.5, 1.4) / 15) * 15) if held else None,
        notes=rng.choice(WORDS["notes"]) if held else "",
        logged=plan.how == "logged",
    )


def _attach(ctx: DemoContext, engagements: list[Engagement], planned: list[_Planned]) -> None:
    rng = ctx.rng
    attendances, contacts, staff = [], [], []
    for engagement, plan in zip(engagements, planned, strict=True):
        for index, executive in enumerate(plan.attendees):
            role = EngagementExecutive.Role.LEAD if index == 0 else EngagementExecutive.Role.ATTENDEE
            attendances.append(EngagementExecutive(engagement_id=engagement.pk, executive_id=executive.pk, role=role))
        account = ctx.accounts[engagement.account_id]
        for contact_id in rng.sample(account.contact_ids, min(len(account.contact_ids), rng.randint(1, 2))):
            contacts.append(Engagement.contacts.through(engagement_id=engagement.pk, contact_id=contact_id))
        if plan.how != "logged" and rng.random() < 0.6:
            staff.append(Engagement.staff.through(engagement_id=engagement.pk, user_id=account.manager_id))
    EngagementExecutive.objects.bulk_create(attendances, batch_size=BATCH)
    Engagement.contacts.through.objects.bulk_create(contacts, batch_size=BATCH)
    Engagement.staff.through.objects.bulk_create(staff, batch_size=BATCH)


# --- The demo logins' own requests -------------------------------------------
#
# The account manager and the executive each find something waiting for them,
# made through the same services as the pages use, so the history, the
# notifications and the checks are the real ones.


def _working_day(ctx: DemoContext, working_days: int, hour: int, minute: int, time_zone: str) -> dt.datetime:
    """``hour``:``minute`` in ``time_zone`` on the day ``working_days`` working
    days (Monday to Friday) after the demo's today, or before it when negative."""
    day, step = ctx.today, 1 if working_days > 0 else -1
    for _ in range(abs(working_days)):
        day += dt.timedelta(days=step)
        while day.weekday() >= 5:
            day += dt.timedelta(days=step)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(time_zone))


def _seed_demo_logins(ctx: DemoContext, types: dict[str, EngagementType]) -> None:
    """For am@ and exec@: a request waiting over two working days for the
    executive's decision, a question waiting for the account manager's answer,
    an approved request to schedule, a meeting next week with its brief, one
    that ended on the last working day and waits to be marked held, a declined
    request, and one held two weeks ago."""
    manager = User.objects.get(email=DEMO_ACCOUNT_MANAGER_EMAIL)
    executive = Executive.objects.select_related("user").get(user__email=DEMO_EXECUTIVE_EMAIL)
    jordan = executive.user
    accounts = list(
        Account.objects.filter(account_manager=manager).exclude(status=Account.Status.CHURNED).order_by("pk")[:7]
    )
    if not accounts:
        return
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(account__in=accounts, active=True).order_by("pk"):
        contacts.setdefault(contact.account_id, []).append(contact)

    def account(index: int) -> Account:
        return accounts[index % len(accounts)]

    def working_contact(account: Account) -> Contact | None:
        # One or two levels below the executive, as the request form asks.
        candidates = contacts.get(account.pk, [])
        return min(candidates, key=lambda c: abs(c.level - (executive.level - 1.5)), default=None)

    def at_manager(working_days: int, hour: int, minute: int = 0) -> dt.datetime:
        return _working_day(ctx, working_days, hour, minute, manager.time_zone)

    def at_executive(working_days: int, hour: int, minute: int = 0) -> dt.datetime:
        return _working_day(ctx, working_days, hour, minute, jordan.time_zone)

    def request(index: int, name: str, starts_at: dt.datetime, minutes: int, at: dt.datetime) -> Engagement:
        words = STORY[name]
        return engagement_request(
            account=account(index),
            executive=executive,
            requested_by=manager,
            engagement_type=types.get(words["type"]) or next(iter(types.values())),
            purpose=words["purpose"],
            objective=words["objective"],
            value_proposition=words["value_proposition"],
            starts_at=starts_at,
            duration_minutes=minutes,
            alternative_dates=words.get("alternative_dates", ""),
            working_contact=working_contact(account(index)),
            now=at,
        )

    def schedule(engagement: Engagement, name: str, at: dt.datetime, starts_at: dt.datetime) -> Engagement:
        # The executive, the account manager and the working-level contact meet.
        contact = working_contact(engagement.account)
        words = STORY[name]
        plan = Plan(
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=engagement.planned_minutes),
            executives=(executive,),
            staff=(manager,),
            contacts=(contact,) if contact else (),
            location=words.get("location", ""),
            meeting_link=words.get("meeting_link", ""),
            brief=words.get("brief", "").format(manager=manager.get_short_name(), executive=jordan.get_short_name()),
        )
        return engagement_schedule(engagement=engagement, by=manager, plan=plan, now=at)

    waiting = request(0, "waiting", at_executive(12, 10), 120, at_manager(-3, 10, 15))
    asked = request(1, "asked", at_executive(9, 14), 60, at_manager(-5, 9, 30))
    engagement_ask(engagement=asked, by=jordan, question=STORY["asked"]["question"], now=at_executive(-1, 16, 40))
    approved = request(2, "approved", at_executive(15, 11), 45, at_manager(-6, 13, 5))
    engagement_approve(engagement=approved, by=jordan, note=STORY["approved"]["approval"], now=at_executive(-2, 9, 10))
    next_week = request(3, "next_week", at_executive(6, 10), 90, at_manager(-12, 15, 20))
    engagement_ask(
        engagement=next_week, by=jordan, question=STORY["next_week"]["question"], now=at_executive(-10, 8, 45)
    )
    engagement_answer(engagement=next_week, by=manager, answer=STORY["next_week"]["answer"], now=at_manager(-9, 11, 0))
    engagement_approve(engagement=next_week, by=jordan, now=at_executive(-8, 17, 30))
    next_tuesday = ctx.today + dt.timedelta(days=8 - ctx.today.weekday())
    schedule(
        next_week,
        "next_week",
        at_manager(-6, 10, 0),
        dt.datetime.combine(next_tuesday, dt.time(10), tzinfo=jordan.tzinfo),
    )
    ended = request(4, "ended", at_executive(-1, 14), 60, at_manager(-15, 9, 0))
    engagement_approve(engagement=ended, by=jordan, now=at_executive(-13, 12, 15))
    schedule(ended, "ended", at_manager(-10, 16, 0), at_executive(-1, 14))
    declined = request(5, "declined", at_executive(8, 15), 60, at_manager(-9, 14, 30))
    engagement_decline(engagement=declined, by=jordan, reason=STORY["declined"]["reason"], now=at_executive(-7, 18, 5))
    held = request(6, "held", at_executive(-10, 9), 120, at_manager(-22, 10, 0))
    engagement_approve(engagement=held, by=jordan, now=at_executive(-20, 8, 30))
    schedule(held, "held", at_manager(-16, 11, 0), at_executive(-10, 9))
    engagement_complete(engagement=held, by=manager, duration_minutes=135, now=at_manager(-9, 9, 15))

    _notifications_read(
        [waiting, asked, approved, next_week, ended, declined, held],
        before=dt.datetime.combine(ctx.today, dt.time.min, tzinfo=jordan.tzinfo) - dt.timedelta(days=7),
    )
    ctx.say("  7 engagements of the demo logins, from request to held")


def _notifications_read(engagements: list[Engagement], *, before: dt.datetime) -> None:
    """Mark read what the demo logins have seen: a notification about an
    engagement they acted on afterwards, and any from before ``before``."""
    links = {reverse("visits:engagement_detail", kwargs={"pk": e.pk}): e.pk for e in engagements}
    acted: dict[tuple[int, int], list[dt.datetime]] = {}
    for engagement_id, by_id, at in EngagementStatusChange.objects.filter(engagement__in=engagements).values_list(
        "engagement_id", "by_id", "at"
    ):
        acted.setdefault((engagement_id, by_id), []).append(at)
    notifications = list(Notification.objects.filter(url__in=links))
    for notification in notifications:
        later = [
            at for at in acted.get((links[notification.url], notification.user_id), []) if at > notification.created_at
        ]
        if later:
            notification.read_at = min(later)
        elif notification.created_at < before:
            notification.read_at = notification.created_at + dt.timedelta(hours=20)
    Notification.objects.bulk_update(notifications, ["read_at"])
