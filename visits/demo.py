"""Demo engagements: about two years of them, of every type and status."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from itertools import accumulate

from engagement.demo import BATCH, DemoContext, DemoExecutive
from visits.models import Engagement, EngagementExecutive, EngagementType
from visits.services import engagement_contacts_sync

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
OBJECTIVES = [
    "Hear first-hand how the rollout is landing with their operators",
    "Understand the service escalations of the last quarter",
    "Listen to their plans for next year and where we fit",
    "Walk through their order-to-delivery process end to end",
    "Meet their new COO and agree how we stay in touch",
    "Review the pilot results with their leadership",
    "Ride along with our service rep on two site visits",
]
VALUE_PROPOSITIONS = [
    "Their leadership wants a peer-level conversation about reliability; "
    "the account team follows up on every action within a week.",
    "An executive voice shows we take the escalation seriously; "
    "the customer gains a direct line while the account team fixes the root cause.",
    "Our executive's supply-chain background matches their biggest open question; "
    "the account team prepares the data beforehand.",
    "The customer asked to meet someone who owns the roadmap; the account team will turn the feedback into a plan.",
]
NOTES = [
    "Good energy; they want a follow-up on delivery times.",
    "Candid about our invoicing problems; action taken.",
    "They showed us their workaround for our reporting gaps.",
    "Short call, mostly scheduling the next site visit.",
    "Heard three complaints about the service desk hand-offs.",
    "",
]


def _weighted(ctx: DemoContext, weights: dict) -> list:
    return ctx.rng.choices(list(weights), weights=list(weights.values()))


def _starts_at(ctx: DemoContext, executive: DemoExecutive, days_from_today: int) -> dt.datetime:
    day = ctx.today + dt.timedelta(days=days_from_today)
    minutes = ctx.rng.randrange(8 * 60, 17 * 60, 15)
    local = dt.datetime.combine(
        day, dt.time(minutes // 60, minutes % 60), tzinfo=zoneinfo.ZoneInfo(executive.time_zone)
    )
    return local.astimezone(dt.UTC)


def seed(ctx: DemoContext) -> None:
    """About 15,000 engagements per unit of scale, with executives, contacts and reps."""
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

    total = ctx.count(15000, minimum=50)
    leads = rng.choices(executives, cum_weights=active_cum, k=total)
    # Every executive with a history has their last contact exactly where the
    # demo wants it, so the dashboard shows a believable spread of states.
    forced_last = {executive.pk: executive.days_since_contact for executive in contacted}

    made = 0
    while made < total:
        size = min(BATCH * 2, total - made)
        engagements: list[Engagement] = []
        plans: list[tuple[list[DemoExecutive], list[int], bool]] = []
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
            held = status == Engagement.Status.COMPLETED
            engagements.append(
                Engagement(
                    account_id=account_id,
                    type=engagement_type,
                    purpose=rng.choices(purposes, cum_weights=purpose_cum)[0],
                    objective=rng.choice(OBJECTIVES),
                    value_proposition=rng.choice(VALUE_PROPOSITIONS),
                    requested_by_id=account.manager_id if rng.random() < 0.4 else None,
                    status=status,
                    starts_at=starts_at,
                    ends_at=starts_at + dt.timedelta(minutes=planned),
                    location="Customer site" if engagement_type.slug in {"on-site-visit", "ride-along"} else "",
                    duration_minutes=max(15, round(planned * rng.uniform(0.5, 1.4) / 15) * 15) if held else None,
                    notes=rng.choice(NOTES) if held else "",
                    created_at=starts_at - dt.timedelta(days=rng.randint(1, 21)),
                )
            )
            attendees = [lead]
            if rng.random() < 0.2:
                other = rng.choice(contacted) if contacted else lead
                if other.pk != lead.pk and (not held or (other.days_since_contact or 0) <= days_ago):
                    attendees.append(other)
            contact_ids = rng.sample(account.contact_ids, min(len(account.contact_ids), rng.randint(1, 2)))
            plans.append((attendees, contact_ids, rng.random() < 0.35))
        Engagement.objects.bulk_create(engagements, batch_size=BATCH)
        _attach(ctx, engagements, plans)
        made += size
        ctx.say(f"  {made:,} of {total:,} engagements")
    # One pass at the end: each executive's last contact is refreshed once.
    contacts = engagement_contacts_sync(engagement_ids=Engagement.objects.values("pk"))
    ctx.say(f"  {contacts:,} executive contacts counted")


def _attach(ctx: DemoContext, engagements: list[Engagement], plans: list[tuple]) -> None:
    attendances, contacts, staff = [], [], []
    for engagement, (attendees, contact_ids, with_rep) in zip(engagements, plans, strict=True):
        for index, executive in enumerate(attendees):
            role = EngagementExecutive.Role.LEAD if index == 0 else EngagementExecutive.Role.ATTENDEE
            attendances.append(EngagementExecutive(engagement_id=engagement.pk, executive_id=executive.pk, role=role))
        for contact_id in contact_ids:
            contacts.append(Engagement.contacts.through(engagement_id=engagement.pk, contact_id=contact_id))
        if with_rep:
            manager_id = ctx.accounts[engagement.account_id].manager_id
            staff.append(Engagement.staff.through(engagement_id=engagement.pk, user_id=manager_id))
    EngagementExecutive.objects.bulk_create(attendances, batch_size=BATCH)
    Engagement.contacts.through.objects.bulk_create(contacts, batch_size=BATCH)
    Engagement.staff.through.objects.bulk_create(staff, batch_size=BATCH)
