"""Demo pairings: executives sponsoring accounts they already meet, about one
active pairing for every four executives, each with its goals.

Pairings are drawn from the contacts the engagements left behind (read in one
grouped query, never per pairing), so that a pairing's health follows from
real sessions: most are healthy, a share are due or lapsed because the
executive's last meeting with that account is that old. A few are paused or
ended, with the reason. Each is planned as the steps a person would take
(proposed, accepted, paused or ended; or declined), and its status and
reason follow from them, walked through ``Pairing.STEPS``. The demo
executive sponsors one account in good health and one whose session is due,
and has one proposal from the program admin waiting for their answer, made
through the service as the page makes it.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from itertools import accumulate

from django.db.models import Count, Max, Min, Q

from engagement.accounts.models import Account, Contact
from engagement.cadence.models import ExecutiveContact, Program
from engagement.demo import BATCH, DEMO_ADMIN_EMAIL, DEMO_EXECUTIVE_EMAIL, DemoContext, demo_data
from engagement.lifecycle import Taken
from engagement.notifications.models import Notification
from engagement.people.models import Executive, Skill, User
from mentoring.models import MONTHLY, Pairing, PairingGoal
from mentoring.selectors import PairingHealth, pairing_health
from mentoring.services import declined_reason, pairing_propose

# A sponsor is someone who already meets the account: at least twice in the
# last year.
LOOKBACK_DAYS = 365
MIN_MEETINGS = 2
# Pairings started one to eighteen months ago.
START_DAYS = (30, 548)
# Lapsed, but not forgotten: the last session at most four months ago.
LAPSED_MAX_DAYS = 120
CADENCE_WEIGHTS = {MONTHLY: 8, 14: 1, 60: 1}
# Of the active pairings (beyond the demo executive's), by health.
DUE_SHARE = 0.12
LAPSED_SHARE = 0.15

# The words are data (demo_data/pairings.toml).
WORDS = demo_data(__file__, "pairings")
# How far the goals have come, by the pairing's status (and, while active,
# whether it is past its first quarter).
GOAL_WEIGHTS = {
    "new": {"open": 5, "in_progress": 4, "achieved": 1, "dropped": 0},
    "established": {"open": 2, "in_progress": 4, "achieved": 3, "dropped": 1},
    Pairing.Status.PAUSED: {"open": 3, "in_progress": 4, "achieved": 1, "dropped": 1},
    Pairing.Status.ENDED: {"open": 1, "in_progress": 0, "achieved": 5, "dropped": 3},
}


@dataclass(frozen=True)
class _Candidate:
    """An executive and an account they met at least twice in the last year."""

    executive_id: int
    account_id: int
    last_on: dt.date
    meetings: int
    skills: tuple[str, ...]  # the executive's talents the account needs


@dataclass
class _Plan:
    """A pairing as the steps taken on it: a pairing keeps no record of who
    took each (the audit trail does, for the services), so they name nobody;
    each step sets the reason to what was said with it, as
    ``mentoring.services`` does."""

    candidate: _Candidate
    cadence: int
    starts_on: dt.date
    steps: list[Taken]
    ends_on: dt.date | None = None

    @property
    def status(self) -> str:
        return Pairing.STEPS.reached(self.steps)


class _Picker:
    """Hands out candidates by cadence and health, spreading pairings over
    executives and accounts, within the program's limit and one live pairing
    per executive and account."""

    def __init__(self, rng: random.Random, candidates: list[_Candidate], today: dt.date, limit: int) -> None:
        self.limit = limit
        self.load: dict[int, int] = {}  # executive -> active and proposed pairings
        self.taken: set[tuple[int, int]] = set()
        self.sponsored: set[int] = set()
        self.closed: set[int] = set()  # executives take() never hands out
        self.buckets: dict[tuple[int, str], list[_Candidate]] = {}
        self.next: dict[tuple[int, str], int] = {}
        for candidate in candidates:
            days = (today - candidate.last_on).days
            for cadence in CADENCE_WEIGHTS:
                health = pairing_health(days_since=days, cadence_days=cadence)
                if health != PairingHealth.LAPSED or days <= LAPSED_MAX_DAYS:
                    self.buckets.setdefault((cadence, health), []).append(candidate)
        for bucket in self.buckets.values():
            rng.shuffle(bucket)
            # Where talents meet needs first: that is how a program admin matches.
            bucket.sort(key=lambda candidate: not candidate.skills)

    def _free(self, candidate: _Candidate, holds: bool) -> bool:
        if candidate.executive_id in self.closed or (candidate.executive_id, candidate.account_id) in self.taken:
            return False
        return not holds or self.load.get(candidate.executive_id, 0) < self.limit

    def take(self, cadence: int, health: str, *, holds: bool = True) -> _Candidate | None:
        """A candidate of that health at that cadence, preferring executives
        and accounts with no pairing yet; None when there is none left."""
        key = (cadence, health)
        bucket = self.buckets.get(key, [])
        index = self.next.get(key, 0)
        # Whom this passes over now has a pairing, and keeps it: never fresh again.
        while index < len(bucket) and not (
            self._free(bucket[index], holds)
            and bucket[index].executive_id not in self.load
            and bucket[index].account_id not in self.sponsored
        ):
            index += 1
        self.next[key] = index
        chosen = bucket[index] if index < len(bucket) else None
        if chosen is None:
            chosen = next((candidate for candidate in bucket if self._free(candidate, holds)), None)
        if chosen is not None:
            self.claim(chosen, holds=holds)
        return chosen

    def claim(self, candidate: _Candidate, *, holds: bool) -> None:
        self.taken.add((candidate.executive_id, candidate.account_id))
        self.sponsored.add(candidate.account_id)
        self.load[candidate.executive_id] = self.load.get(candidate.executive_id, 0) + (1 if holds else 0)


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    """A moment in the working day of ``day``."""
    return dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randrange(0, 60, 5)), tzinfo=dt.UTC)


def _listed(names: tuple[str, ...]) -> str:
    words = [name.lower() for name in names]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _candidates(ctx: DemoContext) -> list[_Candidate]:
    """Every executive of the demo with each account they met at least
    twice in the last year: one grouped query over the contacts."""
    executives = {executive.pk for executive in ctx.executives}
    out_of_program = set(
        Executive.objects.filter(Q(active=False) | Q(user__is_active=False)).values_list("pk", flat=True)
    )
    churned = set(Account.objects.filter(status=Account.Status.CHURNED).values_list("pk", flat=True))
    skill_names = dict(Skill.objects.values_list("pk", "name"))
    talents: dict[int, set[int]] = {}
    for executive_id, skill_id in Executive.talents.through.objects.values_list("executive_id", "skill_id"):
        talents.setdefault(executive_id, set()).add(skill_id)
    needs: dict[int, set[int]] = {}
    for account_id, skill_id in Account.needs.through.objects.values_list("account_id", "skill_id"):
        needs.setdefault(account_id, set()).add(skill_id)
    met = (
        ExecutiveContact.objects.filter(contact_on__gte=ctx.today - dt.timedelta(days=LOOKBACK_DAYS))
        .values("executive_id", "account_id")
        .annotate(last_on=Max("contact_on"), meetings=Count("pk"))
        .filter(meetings__gte=MIN_MEETINGS)
        .order_by("executive_id", "account_id")
        .values_list("executive_id", "account_id", "last_on", "meetings")
    )
    candidates = []
    for executive_id, account_id, last_on, meetings in met:
        if executive_id not in executives or executive_id in out_of_program or account_id in churned:
            continue
        common = talents.get(executive_id, set()) & needs.get(account_id, set())
        skills = tuple(sorted(skill_names[skill_id] for skill_id in common))
        candidates.append(_Candidate(executive_id, account_id, last_on, meetings, skills))
    return candidates


def seed(ctx: DemoContext) -> None:
    """The demo executive's pairings and proposal, then about one active
    pairing for every four executives, a few paused, ended and proposed."""
    rng, today = ctx.rng, ctx.today
    limit = Program.objects.filter(active=True).aggregate(limit=Min("pairing_limit"))["limit"] or 3
    candidates = _candidates(ctx)
    picker = _Picker(rng, candidates, today, limit)
    demo_executive = Executive.objects.select_related("user").get(user__email=DEMO_EXECUTIVE_EMAIL)
    own = [candidate for candidate in candidates if candidate.executive_id == demo_executive.pk]
    # Room left for the proposal that waits for their answer.
    plans = _demo_executive_pairings(ctx, picker, own, room=limit - 1)
    demo_active = len(plans)
    # The bulk leaves the demo executive alone: their pages show exactly what is described above.
    picker.closed.add(demo_executive.pk)
    cadences, cadence_cum = list(CADENCE_WEIGHTS), list(accumulate(CADENCE_WEIGHTS.values()))

    def cadence_order() -> list[int]:
        first = rng.choices(cadences, cum_weights=cadence_cum)[0]
        return [first, *(cadence for cadence in cadences if cadence != first)]

    def take(health: str, *, holds: bool = True) -> tuple[_Candidate, int] | None:
        for cadence in cadence_order():
            candidate = picker.take(cadence, health, holds=holds)
            if candidate is not None:
                return candidate, cadence
        return None

    others = max(2, ctx.count(10, minimum=6) - len(plans))
    lapsed = max(1, round(others * LAPSED_SHARE))
    due = max(1, round(others * DUE_SHARE))
    healths = [PairingHealth.LAPSED] * lapsed + [PairingHealth.DUE] * due
    healths += [PairingHealth.HEALTHY] * (others - len(healths))
    rng.shuffle(healths)
    for health in healths:
        taken = take(health)
        if taken is not None:
            plans.append(_active(ctx, *taken))

    # Paused and ended ones: the executive stopped meeting the account.
    for _ in range(ctx.count(1)):
        taken = take(PairingHealth.LAPSED, holds=False)
        if taken is not None:
            candidate, cadence = taken
            plan = _active(ctx, candidate, cadence)
            paused_on = today - dt.timedelta(days=rng.randint(3, max(3, (today - plan.starts_on).days - 20)))
            plan.steps.append(Taken("pause", None, _at(paused_on, rng), rng.choice(WORDS["pause_reasons"])))
            plans.append(plan)
    for index in range(ctx.count(3)):
        taken = take(PairingHealth.LAPSED, holds=False)
        if taken is not None:
            plans.append(_ended(ctx, *taken, declined=index % 3 == 2))
    # Proposals of the last days, waiting for their executive's answer.
    for _ in range(ctx.count(1, minimum=0)):
        taken = take(PairingHealth.HEALTHY)
        if taken is not None:
            candidate, cadence = taken
            asked = _at(today - dt.timedelta(days=rng.randint(1, 9)), rng)
            starts_on = today + dt.timedelta(days=rng.randint(7, 21))
            plans.append(_Plan(candidate, cadence, starts_on, [Taken("propose", None, asked)]))

    pairings, goals = _create(ctx, plans)
    proposal = _demo_proposal(ctx, demo_executive, own, picker) if demo_active < limit else None
    if proposal is not None:
        pairings.append(proposal)
        goals += proposal.goals.count()
    _say(ctx, pairings, goals)


def _active(ctx: DemoContext, candidate: _Candidate, cadence: int) -> _Plan:
    """An active pairing started before the executive's last meeting with the
    account, so that meeting is its last session."""
    rng = ctx.rng
    days = (ctx.today - candidate.last_on).days
    starts_on = ctx.today - dt.timedelta(days=rng.randint(max(START_DAYS[0], days), START_DAYS[1]))
    accepted = _at(starts_on, rng)
    asked = accepted - dt.timedelta(days=rng.randint(2, 12))
    return _Plan(candidate, cadence, starts_on, [Taken("propose", None, asked), Taken("accept", None, accepted)])


def _ended(ctx: DemoContext, candidate: _Candidate, cadence: int, *, declined: bool) -> _Plan:
    rng, today = ctx.rng, ctx.today
    if declined:
        asked_on = today - dt.timedelta(days=rng.randint(30, 300))
        answered_on = asked_on + dt.timedelta(days=rng.randint(1, 4))
        asked, answered = _at(asked_on, rng), _at(answered_on, rng)
        declined_with = declined_reason(rng.choice(WORDS["decline_reasons"]))
        steps = [Taken("propose", None, asked), Taken("decline", None, answered, declined_with)]
        return _Plan(candidate, cadence, asked_on + dt.timedelta(days=14), steps, ends_on=answered_on)
    starts_on = today - dt.timedelta(days=rng.randint(240, START_DAYS[1]))
    ends_on = min(starts_on + dt.timedelta(days=rng.randint(120, 365)), today - dt.timedelta(days=rng.randint(10, 60)))
    asked, ended = _at(starts_on - dt.timedelta(days=7), rng), _at(ends_on, rng)
    steps = [
        Taken("propose", None, asked),
        # Accepted the morning it started.
        Taken("accept", None, dt.datetime.combine(starts_on, dt.time(9), tzinfo=dt.UTC)),
        Taken("end", None, ended, rng.choice(WORDS["end_reasons"])),
    ]
    return _Plan(candidate, cadence, starts_on, steps, ends_on=ends_on)


def _demo_executive_pairings(ctx: DemoContext, picker: _Picker, own: list[_Candidate], room: int) -> list[_Plan]:
    """The demo executive's active pairings: the account they meet most, in
    good health, and one whose session is due (or, failing that, lapsed)."""
    plans = []

    def best(cadence: int, health: str) -> _Candidate | None:
        fitting = [
            candidate
            for candidate in own
            if (candidate.executive_id, candidate.account_id) not in picker.taken
            and candidate in picker.buckets.get((cadence, health), [])
        ]
        return max(fitting, key=lambda c: (bool(c.skills), c.meetings, -c.account_id), default=None)

    healthy = best(MONTHLY, PairingHealth.HEALTHY)
    if healthy is not None and room > 0:
        picker.claim(healthy, holds=True)
        plans.append(_active(ctx, healthy, MONTHLY))
    for cadence, health in [(MONTHLY, PairingHealth.DUE), (14, PairingHealth.DUE), (60, PairingHealth.DUE),
                            (MONTHLY, PairingHealth.LAPSED)]:  # fmt: skip
        behind = best(cadence, health)
        if behind is not None and len(plans) < room:
            picker.claim(behind, holds=True)
            plans.append(_active(ctx, behind, cadence))
            break
    return plans


def _create(ctx: DemoContext, plans: list[_Plan]) -> tuple[list[Pairing], int]:
    """The pairings, each with its primary contact, why it was matched and
    its goals: a few queries, however many there are."""
    rng = ctx.rng
    executive_ids = sorted({plan.candidate.executive_id for plan in plans})
    account_ids = sorted({plan.candidate.account_id for plan in plans})
    executive_names = dict(Executive.objects.filter(pk__in=executive_ids).values_list("pk", "user__full_name"))
    account_names = dict(Account.objects.filter(pk__in=account_ids).values_list("pk", "name"))
    levels = {executive.pk: executive.level for executive in ctx.executives}
    contacts: dict[int, list[tuple[int, int]]] = {}
    active_contacts = Contact.objects.filter(account_id__in=account_ids, active=True).order_by("pk")
    for pk, account_id, level in active_contacts.values_list("pk", "account_id", "level"):
        contacts.setdefault(account_id, []).append((pk, level))
    admin_id = User.objects.filter(email=DEMO_ADMIN_EMAIL).values_list("pk", flat=True).first()

    pairings = []
    for plan in plans:
        candidate, status = plan.candidate, plan.status
        # The sponsor works with their peer at the account.
        level = levels.get(candidate.executive_id, 4)
        peer = min(contacts.get(candidate.account_id, []), key=lambda c: (abs(c[1] - level), -c[1]), default=None)
        pairings.append(
            Pairing(
                executive_id=candidate.executive_id,
                account_id=candidate.account_id,
                primary_contact_id=peer[0] if peer else None,
                why_matched=_why_matched(
                    rng,
                    candidate,
                    executive_names[candidate.executive_id],
                    account_names[candidate.account_id],
                    live=status in Pairing.LIVE,
                ),
                session_cadence_days=plan.cadence,
                starts_on=plan.starts_on,
                ends_on=plan.ends_on,
                status=status,
                status_reason=plan.steps[-1].note,
                status_changed_at=plan.steps[-1].at,
                proposed_by_id=admin_id,
                created_at=plan.steps[0].at,
            )
        )
    Pairing.objects.bulk_create(pairings, batch_size=BATCH)
    goals = []
    for pairing, plan in zip(pairings, plans, strict=True):
        if plan.steps[-1].step == "decline":
            stage = Pairing.Status.PROPOSED
        elif plan.status == Pairing.Status.ACTIVE:
            stage = "new" if (ctx.today - plan.starts_on).days < 90 else "established"
        else:
            stage = plan.status
        for position, text in enumerate(_goal_texts(rng, plan.candidate.skills)):
            status = PairingGoal.Status.OPEN
            if stage in GOAL_WEIGHTS:
                weights = GOAL_WEIGHTS[stage]
                status = PairingGoal.Status(rng.choices(list(weights), weights=list(weights.values()))[0])
            notes = (
                rng.choice(WORDS["goal_notes"][status]) if status in WORDS["goal_notes"] and rng.random() < 0.5 else ""
            )
            goals.append(PairingGoal(pairing_id=pairing.pk, text=text, status=status, notes=notes, position=position))
    PairingGoal.objects.bulk_create(goals, batch_size=BATCH)
    return pairings, len(goals)


def _goal_texts(rng: random.Random, skills: tuple[str, ...], count: int | None = None) -> list[str]:
    """One to three goals, the first about a need the executive can meet."""
    count = count or rng.randint(1, 3)
    texts = [WORDS["goals_by_skill"][skills[0]]] if skills and skills[0] in WORDS["goals_by_skill"] else []
    return texts + rng.sample(WORDS["generic_goals"], count - len(texts))


def _why_matched(rng: random.Random, candidate: _Candidate, executive: str, account: str, *, live: bool) -> str:
    """Talents the account needs where there are some, else the relationship;
    the meetings of the last year only while the pairing is live (an ended
    one was matched long before them)."""
    meetings = f"They met {candidate.meetings} times in the last year." if live else ""
    if candidate.skills:
        text = rng.choice(WORDS["matched_on_skills"]).format(
            account=account, executive=executive, skills=_listed(candidate.skills)
        )
        return f"{text} {meetings}".strip()
    return f"{WORDS['matched_on_relationship'].format(account=account, executive=executive)} {meetings}".strip()


def _demo_proposal(
    ctx: DemoContext, executive: Executive, candidates: list[_Candidate], picker: _Picker
) -> Pairing | None:
    """The program admin proposed yesterday that the demo executive sponsor
    an account they know; the notification waits unread for their answer."""
    own = [
        candidate
        for candidate in candidates
        if candidate.executive_id == executive.pk
        and (candidate.executive_id, candidate.account_id) not in picker.taken
        and candidate.account_id not in picker.sponsored
    ]
    chosen = max(own, key=lambda c: (len(c.skills), c.meetings, -c.account_id), default=None)
    if chosen is None:
        return None
    admin = User.objects.get(email=DEMO_ADMIN_EMAIL)
    account = Account.objects.get(pk=chosen.account_id)
    contact = (
        Contact.objects.filter(account=account, active=True, level__lte=executive.level)
        .order_by("-level", "pk")
        .first()
    )
    asked_on = ctx.today - dt.timedelta(days=1)
    while asked_on.weekday() >= 5:
        asked_on -= dt.timedelta(days=1)
    asked = dt.datetime.combine(asked_on, dt.time(9, 40), tzinfo=admin.tzinfo)
    first_new = (Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    pairing = pairing_propose(
        executive=executive,
        account=account,
        by=admin,
        why_matched=_why_matched(ctx.rng, chosen, str(executive), account.name, live=True),
        goals=_goal_texts(ctx.rng, chosen.skills, count=2),
        primary_contact=contact,
        starts_on=ctx.today + dt.timedelta(days=7 - ctx.today.weekday()),
    )
    # Proposed on the demo's yesterday, not on the day the demo was loaded.
    Pairing.objects.filter(pk=pairing.pk).update(created_at=asked, status_changed_at=asked)
    Notification.objects.filter(pk__gte=first_new).update(created_at=asked)
    picker.claim(chosen, holds=True)
    return pairing


def _say(ctx: DemoContext, pairings: list[Pairing], goals: int) -> None:
    statuses = [pairing.status for pairing in pairings]
    counts = ", ".join(f"{statuses.count(status)} {status.label.lower()}" for status in Pairing.Status)
    ctx.say(f"  {len(pairings):,} pairings ({counts}) with {goals:,} goals")
