"""Demo engagements: about two years of them, of every type and status, and
for the demo logins a few that wait at each step from request to held."""

from __future__ import annotations

import datetime as dt
import zoneinfo
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
from engagement.notifications.models import Notification
from engagement.people.models import Executive, User
from visits.models import Engagement, EngagementExecutive, EngagementStatusChange, EngagementType
from visits.services import (
    Plan,
    engagement_answer,
    engagement_approve,
    engagement_ask,
    engagement_complete,
    engagement_contacts_sync,
    engagement_decline,
    engagement_request,
    engagement_schedule,
)

HISTORY_DAYS = 730
# Status of an engagement, by share: most were held; some never happened; a
# few are still ahead.
OUTCOMES = [
    (Engagement.Status.COMPLETED, 0.86),
    (Engagement.Status.CANCELLED, 0.04),
    (Engagement.Status.DECLINED, 0.02),
    (Engagement.Status.NOT_HELD, 0.02),
    (Engagement.Status.SCHEDULED, 0.03),
    (Engagement.Status.REQUESTED, 0.02),
    (Engagement.Status.APPROVED, 0.01),
]
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


def _weighted(ctx: DemoContext, weights: dict) -> list:
    return ctx.rng.choices(list(weights), weights=list(weights.values()))


def _starts_at(ctx: DemoContext, executive: DemoExecutive, days_from_today: int) -> dt.datetime:
    day = ctx.today + dt.timedelta(days=days_from_today)
    minutes = ctx.rng.randrange(8 * 60, 17 * 60, 15)
    local = dt.datetime.combine(
        day, dt.time(minutes // 60, minutes % 60), tzinfo=zoneinfo.ZoneInfo(executive.time_zone)
    )
    return local.astimezone(dt.UTC)


def _status_times(
    ctx: DemoContext, lead: DemoExecutive, status: str, starts_at: dt.datetime, ends_at: dt.datetime, today: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """When the engagement was asked for, and since when it has been in its status."""
    rng, status_of = ctx.rng, Engagement.Status
    if status == status_of.REQUESTED:
        # Most were asked in the last few days; about a third have waited
        # over two working days, for the executive or an admin to act.
        asked = _starts_at(ctx, lead, -min(14, 1 + int(rng.expovariate(0.4))))
        return asked, asked
    if status in (status_of.APPROVED, status_of.SCHEDULED):
        asked_days_ago = rng.randint(4, 30)
        return _starts_at(ctx, lead, -asked_days_ago), _starts_at(ctx, lead, -rng.randint(1, asked_days_ago - 1))
    created_at = starts_at - dt.timedelta(days=rng.randint(1, 21))
    if status in (status_of.COMPLETED, status_of.NOT_HELD):
        # Marked within two days of its end, and never after today began.
        return created_at, max(ends_at, min(ends_at + dt.timedelta(hours=rng.randint(1, 48)), today))
    if status == status_of.DECLINED:
        return created_at, min(created_at + dt.timedelta(hours=rng.randint(2, 72)), starts_at)
    return created_at, created_at + (starts_at - created_at) * rng.uniform(0.3, 0.95)  # cancelled before it


def _history(
    ctx: DemoContext, engagement: Engagement, decided_by_id: int
) -> list[tuple[str, str, int | None, dt.datetime, str]]:
    """The status changes that led to the engagement's status, as
    (from, to, by, at, note). A request decided or planned shows the exchange
    that got it there: those pages are the ones people act on. A closed one
    shows only how it ended: one row each keeps 1.5 million engagements (at
    --scale 100) to about 1.6 million history rows."""
    status_of, rng = Engagement.Status, ctx.rng
    status, requester = engagement.status, engagement.requested_by_id
    asked = ("", status_of.REQUESTED, requester, engagement.created_at, engagement.objective)
    since = engagement.status_changed_at
    if status == status_of.REQUESTED:
        return [asked]
    if status in (status_of.APPROVED, status_of.DECLINED):
        note = rng.choice(WORDS["decline_reasons"]) if status == status_of.DECLINED else ""
        return [asked, (status_of.REQUESTED, status, decided_by_id, since, note)]
    if status == status_of.SCHEDULED:
        # Approved halfway, at the time of day it was asked.
        approved = engagement.created_at + dt.timedelta(days=(since - engagement.created_at).days // 2)
        return [
            asked,
            (status_of.REQUESTED, status_of.APPROVED, decided_by_id, approved, ""),
            (status_of.APPROVED, status, requester, since, ""),
        ]
    if status == status_of.COMPLETED:
        note = f"Held, {engagement.duration_minutes} minutes"
    elif status == status_of.NOT_HELD:
        note = rng.choice(WORDS["not_held_reasons"])
    else:
        note = rng.choice(WORDS["cancel_reasons"])
    return [("", status, requester, since, note)]


def seed(ctx: DemoContext) -> None:
    """About 15,000 engagements per unit of scale, with executives, contacts,
    reps and their history; then the demo logins' own requests."""
    rng = ctx.rng
    types = {engagement_type.slug: engagement_type for engagement_type in EngagementType.objects.all()}
    type_slugs = [slug for slug in TYPE_WEIGHTS if slug in types]
    type_cum = list(accumulate(TYPE_WEIGHTS[slug] for slug in type_slugs))
    purposes, purpose_cum = list(PURPOSE_WEIGHTS), list(accumulate(PURPOSE_WEIGHTS.values()))
    outcomes, outcome_cum = [o for o, _ in OUTCOMES], list(accumulate(share for _, share in OUTCOMES))
    executives = ctx.executives
    active_cum = list(accumulate(executive.activity for executive in executives))
    accounts = ctx.accounts
    account_ids = list(accounts)
    contacted = [e for e in executives if e.days_since_contact is not None]
    user_of = dict(Executive.objects.values_list("pk", "user_id"))
    contact_level = dict(
        Contact.objects.filter(account__pk__range=(min(account_ids), max(account_ids))).values_list("pk", "level")
    )
    today = dt.datetime.combine(ctx.today, dt.time.min, tzinfo=dt.UTC)

    total = ctx.count(15000, minimum=50)
    leads = rng.choices(executives, cum_weights=active_cum, k=total)
    # Every executive with a history has their last contact exactly where the
    # demo wants it, so the dashboard shows a believable spread of states.
    forced_last = {executive.pk: executive.days_since_contact for executive in contacted}

    made = 0
    while made < total:
        size = min(BATCH * 2, total - made)
        engagements: list[Engagement] = []
        plans: list[tuple[list[DemoExecutive], list[int], bool, int]] = []
        for lead in leads[made : made + size]:
            status = rng.choices(outcomes, cum_weights=outcome_cum)[0]
            if lead.days_since_contact is None and status == Engagement.Status.COMPLETED:
                status = Engagement.Status.CANCELLED  # a newcomer's first meeting fell through
            if lead.pk in forced_last:
                status, days_ago = Engagement.Status.COMPLETED, forced_last.pop(lead.pk)
            elif status in Engagement.OPEN_STATUSES:
                days_ago = -rng.randint(1, 45)
            elif status == Engagement.Status.COMPLETED:
                days_ago = rng.randint(lead.days_since_contact or 0, HISTORY_DAYS)
            else:
                days_ago = rng.randint(1, HISTORY_DAYS)
            account_id = (
                rng.choice(lead.account_ids) if lead.account_ids and rng.random() < 0.8 else rng.choice(account_ids)
            )
            account = accounts[account_id]
            engagement_type = types[rng.choices(type_slugs, cum_weights=type_cum)[0]]
            starts_at = _starts_at(ctx, lead, -days_ago)
            planned = engagement_type.default_duration_minutes
            ends_at = starts_at + dt.timedelta(minutes=planned)
            held = status == Engagement.Status.COMPLETED
            created_at, status_changed_at = _status_times(ctx, lead, status, starts_at, ends_at, today)
            working_contact_id = None
            if status in WORKING_CONTACT_STATUSES and account.contact_ids:
                target = lead.level - 1.5
                working_contact_id = min(account.contact_ids, key=lambda pk: abs(contact_level[pk] - target))
            engagements.append(
                Engagement(
                    account_id=account_id,
                    type=engagement_type,
                    purpose=rng.choices(purposes, cum_weights=purpose_cum)[0],
                    objective=rng.choice(WORDS["objectives"]),
                    value_proposition=rng.choice(WORDS["value_propositions"]),
                    working_contact_id=working_contact_id,
                    requested_by_id=account.manager_id if rng.random() < 0.4 else None,
                    status=status,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    location="Customer site" if engagement_type.slug in {"on-site-visit", "ride-along"} else "",
                    duration_minutes=max(15, round(planned * rng.uniform(0.5, 1.4) / 15) * 15) if held else None,
                    notes=rng.choice(WORDS["notes"]) if held else "",
                    status_changed_at=status_changed_at,
                    created_at=created_at,
                )
            )
            attendees = [lead]
            if rng.random() < 0.2:
                other = rng.choice(contacted) if contacted else lead
                if other.pk != lead.pk and (not held or (other.days_since_contact or 0) <= days_ago):
                    attendees.append(other)
            contact_ids = rng.sample(account.contact_ids, min(len(account.contact_ids), rng.randint(1, 2)))
            plans.append((attendees, contact_ids, rng.random() < 0.35, user_of[lead.pk]))
        Engagement.objects.bulk_create(engagements, batch_size=BATCH)
        _attach(ctx, engagements, plans)
        made += size
        ctx.say(f"  {made:,} of {total:,} engagements")
    _seed_demo_logins(ctx, types)
    # One pass at the end: each executive's last contact is refreshed once.
    contacts = engagement_contacts_sync(engagement_ids=Engagement.objects.values("pk"))
    ctx.say(f"  {contacts:,} executive contacts counted")


def _attach(ctx: DemoContext, engagements: list[Engagement], plans: list[tuple]) -> None:
    attendances, contacts, staff, changes = [], [], [], []
    for engagement, (attendees, contact_ids, with_rep, decided_by_id) in zip(engagements, plans, strict=True):
        for index, executive in enumerate(attendees):
            role = EngagementExecutive.Role.LEAD if index == 0 else EngagementExecutive.Role.ATTENDEE
            attendances.append(EngagementExecutive(engagement_id=engagement.pk, executive_id=executive.pk, role=role))
        for contact_id in contact_ids:
            contacts.append(Engagement.contacts.through(engagement_id=engagement.pk, contact_id=contact_id))
        if with_rep:
            manager_id = ctx.accounts[engagement.account_id].manager_id
            staff.append(Engagement.staff.through(engagement_id=engagement.pk, user_id=manager_id))
        for from_status, to_status, by_id, at, note in _history(ctx, engagement, decided_by_id):
            changes.append(
                EngagementStatusChange(
                    engagement_id=engagement.pk, from_status=from_status, to_status=to_status, by_id=by_id, at=at,
                    note=note,
                )
            )  # fmt: skip
    EngagementExecutive.objects.bulk_create(attendances, batch_size=BATCH)
    Engagement.contacts.through.objects.bulk_create(contacts, batch_size=BATCH)
    Engagement.staff.through.objects.bulk_create(staff, batch_size=BATCH)
    EngagementStatusChange.objects.bulk_create(changes, batch_size=BATCH)


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
