"""The contact source: due soon, overdue and escalated, from each executive's cadence."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from engagement.cadence.rule import ContactState, contact_state, episode_start
from engagement.cadence.selectors import executive_contact_statuses
from engagement.people.models import Executive, User
from engagement.people.roles import Role
from engagement.reminders.models import Reminder
from engagement.reminders.scan import Due, ScanMoment, reminder_source


def _program_admin_ids() -> list[int]:
    return list(
        User.objects.filter(groups__name=Role.PROGRAM_ADMIN.value, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def contact_episode(*, executive_id: int, start: dt.date) -> str:
    """The episode of an executive's contact reminders: from the day their
    cadence counts from. The overdue reminder adds which week it repeats in."""
    return f"executive:{executive_id}:{start.isoformat()}"


def _overdue_reminders_sent(*, executive_ids: list[int]) -> dict[str, dt.datetime]:
    """When each episode's first overdue reminder went to the executive
    themselves, by episode (without its week). One query."""
    if not executive_ids:
        return {}
    sent: dict[str, dt.datetime] = {}
    rows = Reminder.objects.filter(
        kind=Reminder.Kind.OVERDUE,
        status=Reminder.Status.SENT,
        executive_id__in=executive_ids,
        recipient_id=F("executive__user_id"),
    ).values_list("episode", "sent_at")
    for episode, sent_at in rows:
        base = episode.rsplit(":", 1)[0]
        if sent_at is not None and (base not in sent or sent_at < sent[base]):
            sent[base] = sent_at
    return sent


# Who already has a customer contact coming before their window closes, so
# that they are not told it is closing: a source takes the executives (id ->
# when their window closes) and now, and returns those with such a contact,
# in one query. The apps that know of meetings register one (visits: the
# customer meetings read from each executive's calendar).
UpcomingContactSource = Callable[[Mapping[int, dt.datetime], dt.datetime], set[int]]
UPCOMING_CONTACT_SOURCES: list[UpcomingContactSource] = []

COVERED_REASON = "A customer meeting in their calendar falls before the window closes."


def upcoming_contact_source(source: UpcomingContactSource) -> UpcomingContactSource:
    """Register a source of customer contacts to come (see above)."""
    if source not in UPCOMING_CONTACT_SOURCES:
        UPCOMING_CONTACT_SOURCES.append(source)
    return source


def contacts_coming(*, deadlines: Mapping[int, dt.datetime], now: dt.datetime) -> set[int]:
    """Of the executives (id -> when their window closes), those with a
    customer contact to come before then, by every registered source."""
    if not deadlines:
        return set()
    return set().union(*(source(deadlines, now) for source in UPCOMING_CONTACT_SOURCES))


def _window_closes(due_on: dt.date, time_zone: str) -> dt.datetime:
    """The end of the window's last day, in the executive's own zone."""
    return dt.datetime.combine(due_on + dt.timedelta(days=1), dt.time.min, tzinfo=zoneinfo.ZoneInfo(time_zone))


@reminder_source
def contact_reminders(moment: ScanMoment) -> Iterator[Due]:
    """Due soon, overdue (then again every ``overdue_repeat_days``) and
    escalated, for every active executive, from the same contact status the
    pages show. An escalation goes only once the executive's own overdue
    reminder of the episode went out at least the escalation delay before:
    nobody is escalated who was not warned. Nobody is told their window
    closes soon who has a customer meeting coming before it does
    (``contacts_coming``). Seven queries, however many executives."""
    executives = moment.within(Executive.objects.filter(active=True, user__is_active=True), "executive")
    statuses = executive_contact_statuses(executives=executives, now=moment.now, as_of=moment.as_of, exposure=False)
    people = {
        row["pk"]: row
        for row in executives.values(
            "pk",
            "user_id",
            "user__time_zone",
            "manager__user_id",
            "manager__active",
            "manager__user__is_active",
            "user__full_name",
        )
    }
    covered = contacts_coming(
        deadlines={
            pk: _window_closes(status.due_on, people[pk]["user__time_zone"])
            for pk, status in statuses.items()
            if status.state == ContactState.DUE_SOON and pk in people
        },
        now=moment.now,
    )
    warned = _overdue_reminders_sent(
        executive_ids=[pk for pk, status in statuses.items() if status.state == ContactState.ESCALATED]
    )
    admins: list[int] | None = None
    log_url = reverse("visits:log_contact")
    for executive_id, status in statuses.items():
        state = status.state
        if state == ContactState.ON_TRACK:
            continue
        person, start = people.get(executive_id), status.episode_start
        if person is None:
            continue  # left the program between the two reads: nobody to remind
        days = (status.today - start).days
        since = (
            f"no contact since joining {start:%-d %b %Y}"
            if status.counts_from_joining
            else f"last contact {start:%-d %b %Y}"
        )
        episode = contact_episode(executive_id=executive_id, start=start)
        if state == ContactState.DUE_SOON:
            if executive_id in covered:
                continue
            reason = f"The six-week window closes on {status.due_on:%-d %b %Y} ({since})."
            yield Due(person["user_id"], Reminder.Kind.DUE_SOON, episode, reason, log_url, executive_id)
            continue
        overdue_days = days - status.cadence.cadence_days
        week = (overdue_days - 1) // status.cadence.overdue_repeat_days
        reason = f"{overdue_days} day{'s' if overdue_days != 1 else ''} past the window ({since})."
        yield Due(person["user_id"], Reminder.Kind.OVERDUE, f"{episode}:{week}", reason, log_url, executive_id)
        warned_at = warned.get(episode)
        escalation_delay = dt.timedelta(days=status.cadence.escalation_days)
        if state == ContactState.ESCALATED and warned_at is not None and warned_at <= moment.now - escalation_delay:
            # A manager who left the program, or whose login is closed, cannot act on it.
            if person["manager__user_id"] and person["manager__active"] and person["manager__user__is_active"]:
                recipients = [person["manager__user_id"]]
            else:
                admins = _program_admin_ids() if admins is None else admins
                recipients = admins
            reason = f"{person['user__full_name']} is {overdue_days} days past the contact window ({since})."
            for recipient_id in recipients:
                yield Due(recipient_id, Reminder.Kind.ESCALATION, episode, reason, "", executive_id)


@dataclass(frozen=True)
class StandingImpact:
    """What a change to executives' last contacts would do, before it is made."""

    executives: int  # whose state would change
    into: dict[str, int]  # of those, how many would be in each state
    reminders: int  # contact reminders (due soon, overdue) the next scan would record
    escalations: int  # executives the next scan would escalate


def reminders_caused_by(
    *, last_contacts: Mapping[int, dt.date | None], now: dt.datetime | None = None
) -> StandingImpact:
    """What giving the active executives of ``last_contacts`` those last
    contacts would change: whose state, and which reminders and escalations
    the next scan would then find that it has not recorded yet (as
    ``contact_reminders`` decides, an escalation only after a warning). A
    fixed number of queries."""
    now = now or timezone.now()
    executives = Executive.objects.filter(pk__in=list(last_contacts), active=True, user__is_active=True)
    before = executive_contact_statuses(executives=executives, now=now, exposure=False)
    after: dict[int, tuple[ContactState, dt.date, int]] = {}
    into: dict[str, int] = defaultdict(int)
    for pk, status in before.items():
        start = episode_start(last_contact_on=last_contacts[pk], joined_on=status.joined_on)
        days = (status.today - start).days
        state = contact_state(days_since=days, cadence=status.cadence)
        if state != status.state:
            into[state.value] += 1
        if state != status.state or start != status.episode_start:
            after[pk] = (state, start, days)
    episodes: dict[int, tuple[str, str]] = {}
    for pk, (state, start, days) in after.items():
        cadence = before[pk].cadence
        episode = contact_episode(executive_id=pk, start=start)
        if state == ContactState.DUE_SOON:
            episodes[pk] = (Reminder.Kind.DUE_SOON, episode)
        elif state in (ContactState.OVERDUE, ContactState.ESCALATED):
            week = (days - cadence.cadence_days - 1) // cadence.overdue_repeat_days
            episodes[pk] = (Reminder.Kind.OVERDUE, f"{episode}:{week}")
    recorded = set(
        Reminder.objects.filter(
            executive_id__in=list(episodes), episode__in=[episode for _kind, episode in episodes.values()]
        ).values_list("executive_id", "kind", "episode")
    )
    warned = _overdue_reminders_sent(
        executive_ids=[pk for pk, (state, _start, _days) in after.items() if state == ContactState.ESCALATED]
    )
    escalations = 0
    for pk, (state, start, _days) in after.items():
        delay = dt.timedelta(days=before[pk].cadence.escalation_days)
        sent = warned.get(contact_episode(executive_id=pk, start=start))
        escalations += state == ContactState.ESCALATED and sent is not None and sent <= now - delay
    return StandingImpact(
        executives=sum(into.values()),
        into=dict(into),
        reminders=sum((pk, *episodes[pk]) not in recorded for pk in episodes),
        escalations=escalations,
    )
