"""Demo feedback: the themes admins curate, debriefs of the engagements held in
the last eighteen months with the customers' own words, the actions they
started, and the customers' answers to the survey sent after each meeting.

The volume is bulk-created from phrase banks drawn with the demo's one seeded
generator, so the same scale and seed give the same words. The demo logins'
own debriefs, actions and answers go through the real services, as in
``visits.demo``, so their notifications and history are the ones the pages
make. The bulk debriefs and actions are planned as the steps their authors
and owners took (a draft, then submitted; created, then started or closed),
walked through ``Debrief.STEPS`` and ``ActionItem.STEPS``, so that none
reaches a status no person could.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from django.db.models import Exists, Min, OuterRef, QuerySet, Subquery

from engagement.accounts.models import Contact
from engagement.demo import BATCH, DEMO_ACCOUNT_MANAGER_EMAIL, DEMO_EXECUTIVE_EMAIL, DemoContext, demo_data
from engagement.lifecycle import Taken
from engagement.notifications.models import Notification
from engagement.people.models import Executive, Function, User
from feedback.models import ActionItem, Debrief, Survey, Theme
from feedback.services import (
    LOW_ANSWER_FOLLOW_UP_DAYS,
    SURVEY_VALID_DAYS,
    action_create,
    action_status_set,
    action_step_changes,
    debrief_draft_save,
    debrief_submit,
    survey_answer,
    surveys_send,
)
from visits.models import Engagement, EngagementExecutive
from visits.services import DEBRIEFED_NOTE, engagement_history_create

# Debriefs started with the program's debrief practice, eighteen months ago,
# and became a habit over the last year.
DEBRIEF_HISTORY_DAYS = 548
# Share of held engagements debriefed, by days since they were held (up to
# the first number): recent meetings are still being written up; those of the
# last two months mostly are (so the debrief-due reminder, which looks back 30
# days, and the home pages, 60, have a few, not hundreds); before, the habit
# was taking hold. The older shares also keep the load within a fifth of the
# whole seed: each debrief costs its full-text index entry.
DEBRIEFED_SHARE = [(2, 0.1), (7, 0.45), (60, 0.85), (182, 0.35), (365, 0.12), (None, 0.04)]
# The demo executive was an early adopter and keeps up.
DEMO_EXECUTIVE_SHARE = [(2, 0.2), (10, 0.6), (182, 0.97), (None, 0.6)]
# The program has sent surveys after meetings for the last six months.
SURVEY_HISTORY_DAYS = 182
SENTIMENT_WEIGHTS = {2: 22, 1: 40, 0: 20, -1: 13, -2: 5}
# Chance that a debrief starts an action, by sentiment: complaints need doing.
ACTION_CHANCE = {2: 0.12, 1: 0.2, 0: 0.38, -1: 0.6, -2: 0.75}
SURVEYED_SHARE = 0.4
# A minority of customers answer.
ANSWERED_SHARE = 0.35
VALUE_WEIGHTS = {5: 38, 4: 34, 3: 16, 2: 8, 1: 4}
RECOMMEND_BY_VALUE = {
    5: (10, 10, 9, 9, 9, 8),
    4: (10, 9, 9, 8, 8, 7, 7),
    3: (8, 7, 7, 6, 5),
    2: (6, 5, 4, 4, 3),
    1: (4, 3, 2, 1, 0),
}
# The words are data (demo_data/*.toml): the themes and how customers talk
# about each, what anyone may say, and the demo logins' own story.
THEMES: dict[str, dict[str, Any]] = {theme["name"]: theme for theme in demo_data(__file__, "themes")["theme"]}
WORDS = demo_data(__file__, "words")
STORY = demo_data(__file__, "story")


def _slots(rng: random.Random) -> dict[str, object]:
    """The particulars one conversation fills its phrases with."""
    slots: dict[str, object] = {name: rng.choice(values) for name, values in WORDS["slots"].items()}
    slots.update(
        percent=rng.choice((6, 8, 9, 12, 15, 18)),
        n=rng.choice((3, 4, 5, 6, 7, 9, 12)),
        weeks=rng.choice((3, 4, 6, 8, 10)),
        hours=rng.choice((6, 9, 14, 20, 30)),
    )
    return slots


def _fill(text: str, slots: dict[str, object]) -> str:
    text = text.format(**slots)
    return text[0].upper() + text[1:]


def _share(table: list[tuple[int | None, float]], days: int) -> float:
    for below, share in table:
        if below is None or days < below:
            return share
    return 0.0


@dataclass
class Written:
    """One generated debrief, with the issues it raised by theme and the
    particulars it spoke of, for the actions that follow from it."""

    fields: dict[str, object]
    theme_names: list[str]
    issues: dict[str, str]
    slots: dict[str, object]


def _themes_for(rng: random.Random, names: list[str], cum: list[int]) -> list[str]:
    """One to three themes, the common ones more often."""
    wanted = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
    chosen: list[str] = []
    while len(chosen) < wanted:
        name = rng.choices(names, cum_weights=cum)[0]
        if name not in chosen:
            chosen.append(name)
    return chosen


def _debrief_text(rng: random.Random, theme_names: list[str], sentiment: int, slots: dict[str, object]) -> Written:
    """A debrief in the author's words around the customer's: mostly praise
    when the customer was happy, mostly complaints when not."""
    complaint_share = {2: 0.12, 1: 0.3, 0: 0.55, -1: 0.8, -2: 0.9}[sentiment]
    quotes: list[str] = []
    raised: list[str] = []
    wanted = rng.choice((2, 2, 3, 3, 3, 4))
    while len(quotes) < wanted:
        complaint = rng.random() < complaint_share
        theme_name = None
        if rng.random() < 0.15:
            quote = rng.choice(WORDS["general_complaints" if complaint else "general_praise"])
        else:
            theme_name = rng.choice(theme_names)
            voice = THEMES[theme_name]
            quote = rng.choice(voice["complaints" if complaint else "praise"])
        quote = _fill(quote, slots)
        if quote in quotes:
            continue
        quotes.append(quote)
        if complaint and theme_name is not None and theme_name not in raised:
            raised.append(theme_name)
    issues = {name: _fill(rng.choice(THEMES[name]["issues"]), slots) for name in raised}
    lines = list(issues.values())
    if not lines and sentiment <= 0 and rng.random() < 0.5:
        lines.append(rng.choice(WORDS["general_issues"]))
    insights = [rng.choice(THEMES[rng.choice(theme_names)]["insights"])]
    if rng.random() < 0.2:
        insights.append(rng.choice(WORDS["general_insights"]))
    return Written(
        fields={
            "heard": "\n\n".join(quotes),
            "surprised": _fill(rng.choice(WORDS["surprised"]), slots) if rng.random() < 0.6 else "",
            "disagreed": rng.choice(WORDS["disagreed"]) if rng.random() < 0.35 else "",
            "insights": " ".join(insights) if rng.random() < 0.85 else "",
            "issues_raised": "\n".join(lines),
            "sentiment": sentiment,
        },
        theme_names=theme_names,
        issues=issues,
        slots=slots,
    )


def seed(ctx: DemoContext) -> None:
    """Themes; the demo logins' debriefs, actions and answers through the
    services; then, in bulk, debriefs, actions and surveys for the rest."""
    Theme.objects.bulk_create(
        [Theme(name=name, description=voice["description"]) for name, voice in THEMES.items()], ignore_conflicts=True
    )
    themes = Theme.objects.in_bulk(list(THEMES), field_name="name")
    story = _seed_demo_logins(ctx, themes)
    world = _World.read(ctx, story)
    debriefs, actions = _seed_debriefs(ctx, world, themes)
    surveys, answered, follow_ups = _seed_surveys(ctx, world)
    ctx.say(
        f"  {len(THEMES)} themes, {debriefs:,} debriefs, {actions + follow_ups:,} actions, "
        f"{surveys:,} surveys ({answered:,} answered)"
    )


@dataclass
class _World:
    """What the bulk part reads once: the held engagements of the debrief
    window with their lead executive, and who everyone is."""

    today_start: dt.datetime
    # (pk, account_id, status, ends_at, held_at), by pk
    held: list[tuple[int, int, str, dt.datetime, dt.datetime]]
    window: QuerySet[Engagement]
    account_of: dict[int, int]
    lead_of: dict[int, int]
    staffed: set[tuple[int, int]]
    executive_user: dict[int, int]
    user_function: dict[int, int | None]
    time_zone: dict[int, str]
    function_owner: dict[str, tuple[int, int]]
    demo_executive_user: int

    @classmethod
    def read(cls, ctx: DemoContext, story: set[int]) -> _World:
        today_start = dt.datetime.combine(ctx.today, dt.time.min, tzinfo=dt.UTC)
        window = Engagement.objects.filter(
            status__in=Engagement.HELD_STATUSES,
            starts_at__gte=today_start - dt.timedelta(days=DEBRIEF_HISTORY_DAYS),
            starts_at__lt=today_start,
        )
        held = [
            row
            for row in window.order_by("pk").values_list("pk", "account_id", "status", "ends_at", "status_changed_at")
            if row[0] not in story
        ]
        lead_of = dict(
            EngagementExecutive.objects.filter(
                engagement__in=window, role=EngagementExecutive.Role.LEAD, executive__active=True
            ).values_list("engagement_id", "executive_id")
        )
        staffed = set(
            Engagement.staff.through.objects.filter(engagement__in=window).values_list("engagement_id", "user_id")
        )
        executives = list(Executive.objects.values_list("pk", "user_id", "function_id"))
        leads = Function.objects.filter(lead__active=True, lead__user__is_active=True)
        return cls(
            today_start=today_start,
            held=held,
            window=window,
            account_of={row[0]: row[1] for row in held},
            lead_of=lead_of,
            staffed=staffed,
            executive_user={pk: user_id for pk, user_id, _ in executives},
            user_function={user_id: function_id for _, user_id, function_id in executives},
            time_zone=dict(User.objects.values_list("pk", "time_zone")),
            function_owner={
                name: (pk, user_id) for name, pk, user_id in leads.values_list("name", "pk", "lead__user_id")
            },
            demo_executive_user=User.objects.get(email=DEMO_EXECUTIVE_EMAIL).pk,
        )

    def local_date(self, moment: dt.datetime, user_id: int) -> dt.date:
        return moment.astimezone(zoneinfo.ZoneInfo(self.time_zone[user_id])).date()


def _action_fate(
    rng: random.Random, world: _World, created_at: dt.datetime, due_on: dt.date
) -> tuple[str, dt.datetime]:
    """The status an action has come to today, and when it came to it:
    long past due, closed; lately due, some still open (overdue); not yet
    due, mostly open or under way."""
    today = world.today_start.date()
    status_of = ActionItem.Status
    if due_on < today - dt.timedelta(days=21):
        status = rng.choices(list(status_of), weights=(0, 0, 80, 20))[0]
    elif due_on < today:
        status = rng.choices(list(status_of), weights=(12, 13, 60, 15))[0]
    else:
        status = rng.choices(list(status_of), weights=(55, 35, 10, 0))[0]
    latest = world.today_start - dt.timedelta(hours=1)
    due_at = dt.datetime.combine(due_on, dt.time(17), tzinfo=dt.UTC)
    changed_at = min(created_at + (due_at - created_at) * rng.uniform(0.2, 1.2), latest)
    changed_at = max(changed_at, created_at)
    return status, created_at if status == status_of.OPEN else changed_at


def _seed_debriefs(ctx: DemoContext, world: _World, themes: dict[str, Theme]) -> tuple[int, int]:
    """Submitted debriefs by the lead executive, and sometimes by the account
    manager too; the engagements they debrief marked so, with the history
    row the service would write; an action from about a third of them."""
    rng = ctx.rng
    names = list(THEMES)
    theme_cum = list(accumulate(THEMES[name]["weight"] for name in names))
    sentiments, sentiment_cum = list(SENTIMENT_WEIGHTS), list(accumulate(SENTIMENT_WEIGHTS.values()))
    latest = world.today_start - dt.timedelta(minutes=30)
    debriefs: list[Debrief] = []
    plans: list[Written] = []
    for pk, account_id, status, _ends_at, held_at in world.held:
        executive_id = world.lead_of.get(pk)
        if status != Engagement.Status.COMPLETED or executive_id is None:
            continue
        lead_user = world.executive_user[executive_id]
        days = (world.today_start - held_at).days
        table = DEMO_EXECUTIVE_SHARE if lead_user == world.demo_executive_user else DEBRIEFED_SHARE
        if rng.random() >= _share(table, days):
            continue
        submitted_at = held_at + dt.timedelta(hours=rng.uniform(2, 20) + rng.expovariate(1 / 30))
        if submitted_at >= latest:
            continue
        manager_id = ctx.accounts[account_id].manager_id
        authors = [(lead_user, submitted_at)]
        if rng.random() < (0.4 if (pk, manager_id) in world.staffed else 0.04):
            # The account manager writes their own, before or after the executive.
            authors.append((manager_id, held_at + dt.timedelta(hours=rng.uniform(1, 40))))
        theme_names = _themes_for(rng, names, theme_cum)
        sentiment = rng.choices(sentiments, cum_weights=sentiment_cum)[0]
        slots = _slots(rng)
        for index, (author_id, at) in enumerate(authors):
            if at >= latest:
                continue
            if index:
                # Two people in the same meeting: close, not identical.
                sentiment = max(-2, min(2, sentiment + rng.choice((-1, 0, 0, 0, 1))))
            written = _debrief_text(rng, theme_names, sentiment, slots)
            follow_up = None
            if rng.random() < 0.4:
                follow_up = world.local_date(at, author_id) + dt.timedelta(days=rng.choice((14, 21, 30, 45, 60, 90)))
            # A draft begun as the author typed, then submitted.
            steps = [
                Taken("draft", author_id, at - dt.timedelta(minutes=rng.randint(6, 90))),
                Taken("submit", author_id, at),
            ]
            debriefs.append(
                Debrief(
                    engagement_id=pk,
                    author_id=author_id,
                    status=Debrief.STEPS.reached(steps),
                    follow_up_on=follow_up,
                    created_at=steps[0].at,
                    updated_at=steps[-1].at,
                    submitted_at=steps[-1].at,
                    **written.fields,
                )
            )
            plans.append(written)
    Debrief.objects.bulk_create(debriefs, batch_size=BATCH)
    Debrief.themes.through.objects.bulk_create(
        [
            Debrief.themes.through(debrief_id=debrief.pk, theme_id=themes[name].pk)
            for debrief, written in zip(debriefs, plans, strict=True)
            for name in written.theme_names
        ],
        batch_size=BATCH,
    )
    _mark_debriefed(world, debriefs)
    actions = _actions_from(ctx, world, debriefs, plans)
    ActionItem.objects.bulk_create(actions, batch_size=BATCH)
    return len(debriefs), len(actions)


def _mark_debriefed(world: _World, debriefs: list[Debrief]) -> None:
    """What ``engagement_debriefed`` does for each: the status, since the
    first debrief, and the history row by its author."""
    first: dict[int, Debrief] = {}
    for debrief in debriefs:
        seen = first.get(debrief.engagement_id)
        if seen is None or debrief.submitted_at < seen.submitted_at:
            first[debrief.engagement_id] = debrief
    held = Engagement.Status.COMPLETED
    engagement_history_create(
        (
            (engagement_id, [Taken("debriefed", debrief.author_id, debrief.submitted_at, DEBRIEFED_NOTE)])
            for engagement_id, debrief in first.items()
        ),
        status=held,
        batch_size=BATCH,
    )
    # One UPDATE: each engagement takes the time of its first debrief. The
    # subqueries are keyed on the engagement alone, so that SQLite reads them
    # through the engagement's index rather than its status index, which
    # would scan every submitted debrief for each engagement.
    submitted = Debrief.objects.filter(engagement=OuterRef("pk"), submitted_at__isnull=False).order_by()
    first_at = submitted.values("engagement").annotate(first=Min("submitted_at")).values("first")
    world.window.filter(Exists(submitted), status=held).update(
        status=Engagement.STEPS.reached([Taken("debriefed", None, world.today_start)], status=held),
        status_changed_at=Subquery(first_at),
    )


def _action(
    rng: random.Random,
    world: _World,
    *,
    engagement_id: int,
    created_at: dt.datetime,
    owner_id: int,
    title: str,
    detail: str,
    notes: tuple[str, str],
    due_on: dt.date | None = None,
    created_by_id: int | None = None,
    function_id: int | None = None,
    debrief_id: int | None = None,
    survey_id: int | None = None,
) -> ActionItem:
    """An action as it stands today, its note saying what was done or why not."""
    if due_on is None:
        due_on = world.local_date(created_at, owner_id) + dt.timedelta(days=rng.choice((7, 10, 14, 14, 21, 30)))
    status, changed_at = _action_fate(rng, world, created_at, due_on)
    done, wont = notes
    note = {ActionItem.Status.DONE: done, ActionItem.Status.WONT_DO: wont}.get(status, "")
    if status == ActionItem.Status.IN_PROGRESS:
        note = rng.choice(WORDS["progress_notes"])
    steps = [Taken("create", created_by_id, created_at)]
    if status != ActionItem.Status.OPEN:
        # Each step is named for the status it sets.
        steps.append(Taken(status, owner_id, changed_at, note))
    action = ActionItem(
        engagement_id=engagement_id,
        debrief_id=debrief_id,
        survey_id=survey_id,
        title=title[:200],
        detail=detail,
        owner_id=owner_id,
        function_id=function_id,
        created_by_id=created_by_id,
        due_on=due_on,
        created_at=created_at,
        updated_at=created_at,
    )
    # Each step as ``action_status_set`` takes it, on the action not yet saved.
    walked = ActionItem.STEPS.walk(steps)
    action.status = walked[0][1]
    for _, reached, step in walked[1:]:
        for name, value in action_step_changes(action, status=reached, note=step.note, now=step.at).items():
            setattr(action, name, value)
        action.status = reached
    return action


def _actions_from(ctx: DemoContext, world: _World, debriefs: list[Debrief], plans: list[Written]) -> list[ActionItem]:
    """About a third of the debriefs start an action, the unhappier the more
    often: for the author or the account manager, or routed to the lead of
    the function that owns the issue when it is not the author's own."""
    rng = ctx.rng
    actions = []
    for debrief, written in zip(debriefs, plans, strict=True):
        if rng.random() >= ACTION_CHANCE[debrief.sentiment]:
            continue
        author_id = debrief.author_id
        manager_id = ctx.accounts[world.account_of[debrief.engagement_id]].manager_id
        for theme_name in (list(written.issues) or written.theme_names)[: rng.choice((1, 1, 1, 2))]:
            voice = THEMES[theme_name]
            action = rng.choice(voice["action"])
            title, done, wont = action["title"], action["done"], action["wont"]
            slots = written.slots
            function_id, owner_id = None, author_id if rng.random() < 0.6 else manager_id
            routed = world.function_owner.get(voice["function"])
            if (
                routed is not None
                and routed[1] != author_id
                and world.user_function.get(author_id) != routed[0]
                and rng.random() < 0.35
            ):
                function_id, owner_id = routed
            actions.append(
                _action(
                    rng,
                    world,
                    engagement_id=debrief.engagement_id,
                    created_at=debrief.submitted_at + dt.timedelta(minutes=rng.randint(2, 30)),
                    owner_id=owner_id,
                    title=_fill(title, slots),
                    detail=written.issues.get(theme_name, ""),
                    notes=(_fill(done, slots), _fill(wont, slots)),
                    created_by_id=author_id,
                    function_id=function_id,
                    debrief_id=debrief.pk,
                )
            )
    return actions


def _survey_words(rng: random.Random, value: int, recommend: int) -> str:
    """What a customer writes in the free text: often nothing when happy."""
    if value >= 4 and recommend >= 7:
        return rng.choice(WORDS["survey"]["high"]) if rng.random() < (0.55 if value == 5 else 0.7) else ""
    if value >= 3:
        return rng.choice(WORDS["survey"]["middle"]) if rng.random() < 0.85 else ""
    return rng.choice(WORDS["survey"]["low"]) if rng.random() < 0.9 else ""


def _seed_surveys(ctx: DemoContext, world: _World) -> tuple[int, int, int]:
    """Surveys of about 40% of the engagements held in the last six months,
    to each customer contact who attended, sent within a day of the meeting;
    about half answered, and each low answer followed up by the account
    manager, as ``survey_answer`` does."""
    rng = ctx.rng
    since = world.today_start - dt.timedelta(days=SURVEY_HISTORY_DAYS)
    attended: dict[int, list[tuple[int, str]]] = {}
    for engagement_id, contact_id, name in (
        Engagement.contacts.through.objects.filter(
            engagement__in=world.window.filter(starts_at__gte=since), contact__active=True
        )
        .exclude(contact__email="")
        .order_by("engagement_id", "contact_id")
        .values_list("engagement_id", "contact_id", "contact__name")
    ):
        attended.setdefault(engagement_id, []).append((contact_id, name))
    values, value_cum = list(VALUE_WEIGHTS), list(accumulate(VALUE_WEIGHTS.values()))
    latest = world.today_start - dt.timedelta(minutes=30)
    surveys: list[Survey] = []
    names: list[str] = []
    for pk, account_id, _status, ends_at, held_at in world.held:
        contacts = attended.get(pk)
        if not contacts or held_at < since or rng.random() >= SURVEYED_SHARE:
            continue
        sent_at = max(ends_at, held_at) + dt.timedelta(hours=rng.uniform(0.5, 26))
        if sent_at >= latest:
            continue
        for contact_id, name in contacts:
            survey = Survey(
                engagement_id=pk,
                contact_id=contact_id,
                sent_by_id=ctx.accounts[account_id].manager_id,
                created_at=sent_at - dt.timedelta(seconds=rng.randint(5, 300)),
                claimed_at=sent_at,
                sent_at=sent_at,
                expires_at=sent_at + dt.timedelta(days=SURVEY_VALID_DAYS),
            )
            if rng.random() < ANSWERED_SHARE:
                answered_at = sent_at + dt.timedelta(hours=min(0.3 + rng.expovariate(1 / 40), 24 * 29))
                if answered_at < latest:
                    survey.value = rng.choices(values, cum_weights=value_cum)[0]
                    survey.recommend = rng.choice(RECOMMEND_BY_VALUE[survey.value])
                    survey.differently = _survey_words(rng, survey.value, survey.recommend)
                    survey.answered_at = answered_at
            surveys.append(survey)
            names.append(name)
    Survey.objects.bulk_create(surveys, batch_size=BATCH)
    follow_ups = [
        _action(
            rng,
            world,
            engagement_id=survey.engagement_id,
            created_at=survey.answered_at,
            owner_id=owner_id,
            title=f"Follow up with {name}: the survey scored {survey.value}/5 and {survey.recommend}/10",
            detail=survey.differently,
            notes=(rng.choice(WORDS["follow_up"]["done"]), rng.choice(WORDS["follow_up"]["wont"])),
            due_on=world.local_date(survey.answered_at, owner_id) + dt.timedelta(days=LOW_ANSWER_FOLLOW_UP_DAYS),
            survey_id=survey.pk,
        )
        for survey, name in zip(surveys, names, strict=True)
        if survey.answered_at is not None and survey.is_low
        for owner_id in [ctx.accounts[world.account_of[survey.engagement_id]].manager_id]
    ]
    ActionItem.objects.bulk_create(follow_ups, batch_size=BATCH)
    answered = sum(survey.answered_at is not None for survey in surveys)
    return len(surveys), answered, len(follow_ups)


# --- The demo logins' own feedback -------------------------------------------------
#
# The executive finds a debrief to write (with a draft begun), actions owed to
# them (one routed to the function they lead, if they lead one) and what
# customers answered; the account manager finds debriefs of their accounts and
# the actions that came out of them. All through the services.


def _seed_demo_logins(ctx: DemoContext, themes: dict[str, Theme]) -> set[int]:
    """The demo logins' feedback, through the services; returns the
    engagements it touched, for the bulk part to leave alone."""
    manager = User.objects.get(email=DEMO_ACCOUNT_MANAGER_EMAIL)
    executive = Executive.objects.select_related("user", "function").get(user__email=DEMO_EXECUTIVE_EMAIL)
    jordan = executive.user
    today_start = dt.datetime.combine(ctx.today, dt.time.min, tzinfo=dt.UTC)
    first_new = (Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    story: set[int] = set()
    with_email = Exists(Contact.objects.filter(engagements=OuterRef("pk"), active=True).exclude(email=""))

    # The walkthrough of the visits demo, held two weeks ago: the customer
    # answered the survey, lukewarm; the executive has begun a draft.
    held = (
        Engagement.objects.filter(
            status=Engagement.Status.COMPLETED,
            requested_by=manager,
            attendances__executive=executive,
            status_changes__from_status=Engagement.Status.SCHEDULED,
            status_changes__to_status=Engagement.Status.COMPLETED,
        )
        .select_related("account", "type")
        .order_by("-pk")
        .first()
    )
    if held is not None and held.contacts.exists():
        story.add(held.pk)
        held_at = held.status_changed_at
        _surveys_sent(held, by=manager, at=held_at + dt.timedelta(minutes=20))
        walkthrough = STORY["walkthrough"]
        _answer(held, **walkthrough["answer"], at=held_at + dt.timedelta(days=2, hours=3))
        follow_up = ActionItem.objects.filter(engagement=held, survey__isnull=False, owner=manager).first()
        if follow_up is not None:
            action_status_set(
                action=follow_up,
                by=manager,
                status=ActionItem.Status.IN_PROGRESS,
                note=walkthrough["follow_up_note"],
                now=held_at + dt.timedelta(days=6, hours=2),
            )
        debrief_draft_save(
            engagement=held,
            author=jordan,
            fields=walkthrough["draft"],
            themes=[themes[name] for name in walkthrough["themes"]],
            now=held_at + dt.timedelta(hours=11),
        )
        action_create(
            engagement=held,
            by=manager,
            owner=jordan,
            title=walkthrough["action_title"],
            detail=walkthrough["action_detail"],
            due_on=ctx.today + dt.timedelta(days=2),
            now=held_at + dt.timedelta(hours=5),
        )

    # An earlier meeting of the executive, debriefed by them and by the
    # account manager, with actions for each and one routed to Finance.
    candidates = (
        Engagement.objects.filter(
            with_email,
            attendances__executive=executive,
            status=Engagement.Status.COMPLETED,
            starts_at__range=(today_start - dt.timedelta(days=45), today_start - dt.timedelta(days=16)),
        )
        .exclude(pk__in=story)
        .select_related("account__account_manager", "type")
        .order_by("-starts_at", "-pk")
    )
    previous = candidates.filter(account__account_manager=manager).first() or candidates.first()
    if previous is not None:
        story.add(previous.pk)
        _previous_meeting(ctx, previous, executive, themes)

    # An issue another executive heard, routed to the function the demo
    # executive leads.
    led = executive.functions_led.order_by("name").first()
    if led is not None and led.name in STORY["routed"]:
        story.update(_routed_to_lead(ctx, executive, led, manager, themes, story))

    _notifications_read(first_new, before=today_start - dt.timedelta(days=5))
    ctx.say(f"  feedback of the demo logins on {len(story)} engagements")
    return story


def _debrief(
    *, engagement: Engagement, author: User, fields: dict[str, object], themes: list[Theme], now: dt.datetime
) -> Debrief:
    """Submit a debrief as the page does: its draft saved while the author
    typed the customer's words, then submitted."""
    debrief_draft_save(
        engagement=engagement,
        author=author,
        fields={"heard": str(fields["heard"]).split("\n\n")[0]},
        now=now - dt.timedelta(minutes=25),
    )
    return debrief_submit(engagement=engagement, author=author, fields=fields, themes=themes, now=now)


def _surveys_sent(engagement: Engagement, *, by: User, at: dt.datetime) -> list[int]:
    """Send the survey through the service, and record it delivered at
    ``at``: the demo sends no email (the queued task finds it sent)."""
    queued = surveys_send(engagement=engagement, by=by, now=at).queued
    Survey.objects.filter(pk__in=queued).update(
        claimed_at=at, sent_at=at, expires_at=at + dt.timedelta(days=SURVEY_VALID_DAYS)
    )
    return queued


def _answer(engagement: Engagement, *, value: int, recommend: int, differently: str, at: dt.datetime) -> None:
    """The next contact who has not answered answers, through their link's service."""
    survey = Survey.objects.filter(engagement=engagement, answered_at__isnull=True).order_by("pk").first()
    if survey is not None:
        survey_answer(survey=survey, value=value, recommend=recommend, differently=differently, now=at)


def _previous_meeting(ctx: DemoContext, engagement: Engagement, executive: Executive, themes: dict[str, Theme]) -> None:
    """A meeting of the demo executive's three to six weeks ago, debriefed by
    them and by the account manager, with an action for each, one routed to
    Finance, and two customers' answers."""
    jordan = executive.user
    today_start = dt.datetime.combine(ctx.today, dt.time.min, tzinfo=dt.UTC)
    held_at = engagement.status_changed_at
    manager = engagement.account.account_manager
    at = min(held_at + dt.timedelta(hours=20), today_start - dt.timedelta(hours=3))
    words = STORY["previous"]
    _debrief(
        engagement=engagement,
        author=jordan,
        fields={**words["debrief"], "follow_up_on": ctx.today + dt.timedelta(days=21)},
        themes=[themes[name] for name in words["themes"]],
        now=at,
    )
    if manager is not None and manager.is_active:
        _debrief(
            engagement=engagement,
            author=manager,
            fields=words["manager_debrief"],
            themes=[themes[name] for name in words["manager_themes"]],
            now=at + dt.timedelta(hours=4),
        )
    routed_to = words["routed_to"]
    function = Function.objects.filter(name=routed_to, lead__active=True, lead__user__is_active=True).first()
    ask = STORY["routed"][routed_to]
    routable = function is not None and executive.function_id != function.pk and function.lead_id != executive.pk
    action_create(
        engagement=engagement,
        by=jordan,
        title=ask["title"],
        detail=ask["detail"],
        due_on=ctx.today + dt.timedelta(days=9),
        function=function if routable else None,
        owner=None if routable else manager or jordan,
        now=at + dt.timedelta(minutes=10),
    )
    if manager is not None and manager.is_active:
        report = action_create(
            engagement=engagement,
            by=jordan,
            owner=manager,
            **words["report_action"],
            due_on=ctx.today + dt.timedelta(days=4),
            now=at + dt.timedelta(minutes=12),
        )
        action_status_set(
            action=report,
            by=manager,
            status=ActionItem.Status.IN_PROGRESS,
            note=words["report_note"],
            now=today_start - dt.timedelta(days=3, hours=-15),
        )
    action_create(
        engagement=engagement,
        by=jordan,
        owner=jordan,
        **words["own_action"],
        due_on=max(ctx.today - dt.timedelta(days=2), (at + dt.timedelta(days=1)).date()),
        now=at + dt.timedelta(minutes=14),
    )
    _surveys_sent(engagement, by=manager or jordan, at=held_at + dt.timedelta(hours=2))
    for answer, after in zip(
        words["answer"], (dt.timedelta(days=1, hours=4), dt.timedelta(days=3, hours=1)), strict=True
    ):
        _answer(engagement, **answer, at=held_at + after)


def _routed_to_lead(
    ctx: DemoContext, executive: Executive, led: Function, manager: User, themes: dict[str, Theme], story: set[int]
) -> set[int]:
    """Another executive's meeting, where the customer raised something the
    demo executive's function owns: debriefed, and routed to them."""
    today_start = dt.datetime.combine(ctx.today, dt.time.min, tzinfo=dt.UTC)
    leads = (
        EngagementExecutive.objects.filter(
            role=EngagementExecutive.Role.LEAD,
            executive__active=True,
            engagement__status=Engagement.Status.COMPLETED,
            engagement__starts_at__range=(today_start - dt.timedelta(days=30), today_start - dt.timedelta(days=5)),
        )
        .exclude(executive=executive)
        .exclude(executive__function=led)
        .exclude(engagement__in=story)
        .exclude(engagement__attendances__executive=executive)
        .select_related("executive__user", "engagement__account", "engagement__type")
        .order_by("-engagement__starts_at", "-pk")
    )
    lead = leads.filter(engagement__account__account_manager=manager).first() or leads.first()
    if lead is None:
        return set()
    ask = STORY["routed"][led.name]
    engagement, author = lead.engagement, lead.executive.user
    at = min(engagement.status_changed_at + dt.timedelta(hours=18), today_start - dt.timedelta(hours=2))
    _debrief(
        engagement=engagement,
        author=author,
        fields={
            **{name: text for name, text in STORY["routed_debrief"].items() if name != "heard_after"},
            "heard": f"{ask['quote']}\n\n{STORY['routed_debrief']['heard_after']}",
            "issues_raised": ask["detail"],
            "follow_up_on": ctx.today + dt.timedelta(days=30),
        },
        themes=[themes[ask["theme"]]],
        now=at,
    )
    action_create(
        engagement=engagement,
        by=author,
        function=led,
        title=ask["title"],
        detail=ask["detail"],
        due_on=ctx.today + dt.timedelta(days=3),
        now=at + dt.timedelta(minutes=8),
    )
    return {engagement.pk}


def _notifications_read(first_new: int, *, before: dt.datetime) -> None:
    """The story's notifications older than ``before`` have been read, the
    morning after they came; the recent ones wait."""
    seen = list(Notification.objects.filter(pk__gte=first_new, created_at__lt=before, read_at__isnull=True))
    for notification in seen:
        notification.read_at = notification.created_at + dt.timedelta(hours=20)
    Notification.objects.bulk_update(seen, ["read_at"])
