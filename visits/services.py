"""Writes for engagements."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from engagement.accounts.models import Account, Contact
from engagement.audit.trail import audit_actor_set, audit_change, audit_diff, audit_names, audit_snapshot
from engagement.cadence.ledger import ContactFact, executive_contacts_replace
from engagement.dates import local_date
from engagement.errors import ProgramError
from engagement.lifecycle import Taken
from engagement.moments import moment_text, moments_in_zone
from engagement.notifications.models import NotificationKind
from engagement.notifications.services import notification_send, notifications_withdraw_leading_to
from engagement.people.models import Executive, User
from engagement.reminders.standing import reminders_withdraw_about
from visits.models import CalendarFeed, Engagement, EngagementExecutive, EngagementStatusChange, EngagementType
from visits.selectors import engagement_already_logged
from visits.signals import engagement_held

# How far back a contact may be logged: older ones belong to an import.
LOG_DAYS_BACK = 365


def _contact_facts(engagement_ids: Iterable[int] | QuerySet) -> Iterator[ContactFact]:
    attendances = (
        EngagementExecutive.objects.filter(
            engagement_id__in=engagement_ids,
            engagement__status__in=Engagement.HELD_STATUSES,
            engagement__type__counts_toward_cadence=True,
        )
        .values_list(
            "engagement_id",
            "executive_id",
            "engagement__account_id",
            "engagement__starts_at",
            "engagement__ends_at",
            "engagement__duration_minutes",
            "engagement__type__default_duration_minutes",
            "engagement__type__directness",
        )
        .order_by("engagement_id", "executive_id")
    )
    for (
        engagement_id,
        executive_id,
        account_id,
        starts_at,
        ends_at,
        actual,
        default,
        directness,
    ) in attendances.iterator(chunk_size=5000):
        if actual is None:
            # Not recorded: take the planned length, else the type's usual one.
            actual = int((ends_at - starts_at).total_seconds() // 60) if ends_at and ends_at > starts_at else default
        yield ContactFact(
            engagement_id=engagement_id,
            executive_id=executive_id,
            account_id=account_id,
            occurred_at=starts_at,
            duration_minutes=actual,
            unfiltered=directness == EngagementType.Directness.UNFILTERED,
        )


@transaction.atomic
def engagement_contacts_sync(*, engagement_ids: Iterable[int] | QuerySet) -> int:
    """Bring the program's record of customer contact in line with the
    engagements in ``engagement_ids`` (ids, or a ``values("pk")`` queryset):
    each held engagement of a counting type is one contact for every executive
    who attended it; any other engagement, or one deleted, is none. Call it
    after every change to an engagement's status, time, type, account or
    executives. Returns how many contacts the engagements now make."""
    return executive_contacts_replace(engagement_ids=engagement_ids, contacts=_contact_facts(engagement_ids))


@transaction.atomic
def engagement_delete(*, engagement_ids: Iterable[int]) -> None:
    """Delete engagements, and the customer contact they made."""
    engagement_ids = list(engagement_ids)
    Engagement.objects.filter(pk__in=engagement_ids).delete()
    engagement_contacts_sync(engagement_ids=engagement_ids)


@transaction.atomic
def engagement_type_update(*, engagement_type: EngagementType) -> None:
    """Save an engagement type; when whether it counts or its directness
    changed, recount its engagements (each contact carries both)."""
    before = (
        EngagementType.objects.filter(pk=engagement_type.pk).values_list("counts_toward_cadence", "directness").first()
    )
    engagement_type.save()
    if before is not None and before != (engagement_type.counts_toward_cadence, engagement_type.directness):
        engagement_contacts_sync(engagement_ids=Engagement.objects.filter(type=engagement_type).values("pk"))


def engagement_status_record(
    *, engagement: Engagement, from_status: str, to_status: str, by: User | None, note: str = ""
) -> EngagementStatusChange:
    """Keep who changed an engagement's status, and when."""
    return EngagementStatusChange.objects.create(
        engagement=engagement, from_status=from_status, to_status=to_status, by=by, note=note
    )


def engagement_history_create(
    histories: Iterable[tuple[int, Sequence[Taken]]], *, status: str = "", batch_size: int = 5000
) -> int:
    """The history of each (engagement id, steps taken) in bulk, for history
    that is loaded rather than lived: the rows the steps below record one at
    a time, each step walked through ``Engagement.STEPS`` from ``status``
    (blank: new engagements, whose first step is a beginning). Returns how
    many rows."""
    rows = [
        EngagementStatusChange(
            engagement_id=engagement_id,
            from_status=from_status,
            to_status=to_status,
            by_id=step.by_id,
            at=step.at,
            note=step.note,
        )
        for engagement_id, taken in histories
        for from_status, to_status, step in Engagement.STEPS.walk(taken, status=status)
    ]
    EngagementStatusChange.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)


# What an engagement's history says of a step, wherever the step is recorded.
LOGGED_NOTE = "Logged as held"
DEBRIEFED_NOTE = "First debrief submitted"


def scheduled_note(starts_at: dt.datetime) -> str:
    return f"For {moment_text(starts_at)}"


def held_note(duration_minutes: int) -> str:
    return f"Held, {duration_minutes} minutes"


# --- From request to a held engagement ------------------------------------------
#
# Each change of status is one conditional UPDATE: it changes the row only if
# the engagement is still in the status the person acted on. Two people who
# decide the same request at once both send theirs; the database lets exactly
# one through, and the other is told what happened instead.


def _actor(user: User | None) -> str:
    return user.get_full_name() if user is not None else "someone"


def _refusal(*, engagement_pk: int, step: str) -> str:
    """Why ``step`` cannot be taken on the engagement as it is now."""
    current = Engagement.objects.filter(pk=engagement_pk).values_list("status", flat=True).first()
    if current is None:
        return "This engagement no longer exists."
    last = (
        EngagementStatusChange.objects.filter(engagement_id=engagement_pk, to_status=current)
        .select_related("by")
        .order_by("-at", "-pk")
        .first()
    )
    label = Engagement.Status(current).label.lower()
    by = f" by {_actor(last.by)}" if last is not None and last.by is not None else ""
    if current in (Engagement.Status.APPROVED, Engagement.Status.DECLINED) and step in DECISIONS:
        return f"This request was already decided: {label}{by}. Nothing was changed."
    return f"This engagement cannot be {Engagement.STEPS[step].doing} now: it is {label}{by}. Nothing was changed."


# The executive's answers to a request.
DECISIONS = ("approve", "decline", "ask")


def _transition(
    *,
    engagement: Engagement,
    step: str,
    by: User | None,
    note: str = "",
    now: dt.datetime | None = None,
    audited: bool = True,
    **changes: object,
) -> Engagement:
    """Take ``step`` of ``Engagement.STEPS`` on ``engagement``, with
    ``changes``, if the status it was read in allows it and nobody changed it
    since. Records who did it and why, in the engagement's history and
    (unless the caller records more with it: ``audited=False``) in the audit
    trail; raises ProgramError otherwise."""
    seen = engagement.status
    now = now or timezone.now()
    # The UPDATE sends no signal to the audit trail: what it changes is
    # recorded below, from what the person saw.
    before = audit_snapshot(engagement, ["status", *changes])
    if not Engagement.STEPS.claim(engagement, step=step, status_changed_at=now, updated_at=now, **changes):
        raise ProgramError(_refusal(engagement_pk=engagement.pk, step=step))
    # Only what the UPDATE changed: the account and type already loaded stay.
    engagement.refresh_from_db(fields=["status", "status_changed_at", "updated_at", "sequence", *changes])
    EngagementStatusChange.objects.create(
        engagement=engagement, from_status=seen, to_status=engagement.status, by=by, at=now, note=note.strip()
    )
    if audited:
        audit_change(instance=engagement, changes=audit_diff(before, engagement), actor=by)
    return engagement


def _required(text: str, message: str) -> str:
    text = text.strip()
    if not text:
        raise ProgramError(message)
    return text


def engagement_executive_users(*, engagement: Engagement) -> list[User]:
    """The users of the executives who attend or are asked, lead first."""
    return [
        attendance.executive.user
        for attendance in EngagementExecutive.objects.filter(engagement=engagement)
        .select_related("executive__user")
        .order_by("-role", "pk")
    ]


def _attendee_users(engagement: Engagement) -> list[User]:
    """Everyone who would be in the room from our side."""
    return [*engagement_executive_users(engagement=engagement), *User.objects.filter(engagements_staffed=engagement)]


def _account_team(engagement: Engagement) -> list[User]:
    """Who asked for the engagement and who manages its account."""
    return list(
        User.objects.filter(Q(pk=engagement.requested_by_id) | Q(managed_accounts=engagement.account_id)).distinct()
    )


def _link(engagement: Engagement) -> str:
    return reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})


def _local(moment: dt.datetime, user: User) -> str:
    """``moment`` as ``user`` reads it, with its zone, for what they are told
    at once. A text that is kept and read later holds ``moment_text`` instead."""
    return moments_in_zone(moment_text(moment), user.time_zone)


@transaction.atomic
def engagement_request(
    *,
    account: Account,
    executive: Executive,
    requested_by: User,
    engagement_type: EngagementType,
    purpose: str,
    objective: str,
    value_proposition: str,
    starts_at: dt.datetime,
    duration_minutes: int,
    alternative_dates: str = "",
    working_contact: Contact | None = None,
    submission_key: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> Engagement:
    """Ask ``executive`` for their time with ``account``. The executive is told
    in the app; the request waits for their decision. The same
    ``submission_key`` sent twice returns the first request."""
    if submission_key is not None:
        existing = Engagement.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing
    now = now or timezone.now()
    if starts_at <= now:
        raise ProgramError("Propose a date in the future.")
    if not executive.active:
        raise ProgramError(f"{executive} is no longer in the program: choose another executive.")
    if working_contact is not None and working_contact.account_id != account.pk:
        raise ProgramError("The working-level contact must be someone at this account.")
    objective = _required(objective, "Say what the meeting should achieve.")
    value_proposition = _required(value_proposition, "Say why this executive, and what the customer gains.")
    try:
        with transaction.atomic():
            engagement = Engagement.objects.create(
                account=account,
                type=engagement_type,
                purpose=purpose,
                objective=objective,
                value_proposition=value_proposition,
                working_contact=working_contact,
                alternative_dates=alternative_dates.strip(),
                requested_by=requested_by,
                status=Engagement.Status.REQUESTED,
                status_changed_at=now,
                created_at=now,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=duration_minutes),
                submission_key=submission_key,
            )
    except IntegrityError:
        # The same form, sent twice at once: the other request made it.
        if submission_key is None:
            raise
        return Engagement.objects.get(submission_key=submission_key)
    EngagementExecutive.objects.create(engagement=engagement, executive=executive, role=EngagementExecutive.Role.LEAD)
    EngagementStatusChange.objects.create(
        engagement=engagement, from_status="", to_status=Engagement.Status.REQUESTED, by=requested_by, at=now,
        note=objective,
    )  # fmt: skip
    notification_send(
        users=[executive.user],
        message=f"{_actor(requested_by)} asks for your time with {account}: {objective}",
        url=_link(engagement),
        kind=NotificationKind.NEW_REQUEST,
        now=now,
    )
    return engagement


def _decide(
    *, engagement: Engagement, by: User, step: str, note: str, message: str, now: dt.datetime | None
) -> Engagement:
    """The executive's answer to a request, which goes back to the account team."""
    now = now or timezone.now()
    engagement = _transition(
        engagement=engagement,
        step=step,
        by=by,
        note=note,
        now=now,
    )
    notification_send(users=_account_team(engagement), message=message, url=_link(engagement), exclude=by, now=now)
    return engagement


@transaction.atomic
def engagement_approve(
    *, engagement: Engagement, by: User, note: str = "", now: dt.datetime | None = None
) -> Engagement:
    """Agree to a request; the account team can schedule it."""
    return _decide(
        engagement=engagement,
        by=by,
        step="approve",
        note=note,
        message=f"{_actor(by)} agreed to meet {engagement.account}: schedule it.",
        now=now,
    )


@transaction.atomic
def engagement_decline(*, engagement: Engagement, by: User, reason: str, now: dt.datetime | None = None) -> Engagement:
    """Turn a request down, saying why."""
    reason = _required(reason, "Say why you decline, so the account team can find another way.")
    return _decide(
        engagement=engagement,
        by=by,
        step="decline",
        note=reason,
        message=f"{_actor(by)} declined the meeting with {engagement.account}: {reason}",
        now=now,
    )


@transaction.atomic
def engagement_ask(*, engagement: Engagement, by: User, question: str, now: dt.datetime | None = None) -> Engagement:
    """Send a request back to the account team with a question."""
    question = _required(question, "Write the question for the account manager.")
    return _decide(
        engagement=engagement,
        by=by,
        step="ask",
        note=question,
        message=f"{_actor(by)} has a question about the meeting with {engagement.account}: {question}",
        now=now,
    )


@transaction.atomic
def engagement_answer(*, engagement: Engagement, by: User, answer: str, now: dt.datetime | None = None) -> Engagement:
    """Answer the executive's question; the request goes back to them."""
    answer = _required(answer, "Write your answer to the question.")
    engagement = _transition(
        engagement=engagement,
        step="answer",
        by=by,
        note=answer,
        now=now,
    )
    notification_send(
        users=engagement_executive_users(engagement=engagement)[:1],
        message=f"{_actor(by)} answered your question about {engagement.account}: {answer}",
        url=_link(engagement),
        exclude=by,
        now=now,
    )
    return engagement


@dataclass(frozen=True)
class Plan:
    """When, where and with whom a meeting takes place."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str = ""
    meeting_link: str = ""
    executives: tuple[Executive, ...] = ()
    staff: tuple[User, ...] = ()
    contacts: tuple[Contact, ...] = ()
    brief: str = ""


def _plan_check(*, engagement: Engagement, plan: Plan, now: dt.datetime) -> None:
    if plan.starts_at <= now:
        raise ProgramError("Choose a start in the future.")
    if plan.ends_at <= plan.starts_at:
        raise ProgramError("The end must come after the start.")
    if not (plan.location.strip() or plan.meeting_link.strip()):
        raise ProgramError("Say where it takes place: a place, a meeting link, or both.")
    if any(contact.account_id != engagement.account_id for contact in plan.contacts):
        raise ProgramError("Choose people from this account.")
    if any(not executive.active for executive in plan.executives):
        raise ProgramError("An executive you chose is no longer in the program.")


Attendance = dict[str, tuple[str | None, str | None]]


def _plan_apply(*, engagement: Engagement, plan: Plan) -> tuple[list[User], Attendance]:
    """Set who attends; returns the users of executives and staff now
    attending, and for the audit trail who attended before and after, by
    name, for each of executives, staff and contacts that changed."""
    lead = EngagementExecutive.objects.filter(engagement=engagement, role=EngagementExecutive.Role.LEAD).first()
    keep = {lead.executive_id} if lead else set()
    wanted = {executive.pk for executive in plan.executives} | keep
    attended: dict[str, tuple[type[models.Model], set[int], set[int]]] = {
        "executives": (
            Executive,
            set(EngagementExecutive.objects.filter(engagement=engagement).values_list("executive_id", flat=True)),
            wanted,
        )
    }
    EngagementExecutive.objects.filter(engagement=engagement).exclude(executive_id__in=wanted).delete()
    present = set(EngagementExecutive.objects.filter(engagement=engagement).values_list("executive_id", flat=True))
    EngagementExecutive.objects.bulk_create(
        EngagementExecutive(engagement=engagement, executive_id=pk) for pk in sorted(wanted - present)
    )
    # Replaced through the link tables, which send no signal: who was there
    # is read first, for the audit trail.
    # Each link table with the column naming who: a model of its own per table, hence Any.
    links: list[tuple[str, type[models.Model], Any, str, tuple[models.Model, ...]]] = [
        ("staff", User, Engagement.staff.through, "user_id", plan.staff),
        ("contacts", Contact, Engagement.contacts.through, "contact_id", plan.contacts),
    ]
    for name, model, through, column, chosen in links:
        chosen_pks = {item.pk for item in chosen}
        attended[name] = (
            model,
            set(through.objects.filter(engagement=engagement).values_list(column, flat=True)),
            chosen_pks,
        )
        through.objects.filter(engagement=engagement).delete()
        through.objects.bulk_create(through(engagement_id=engagement.pk, **{column: pk}) for pk in sorted(chosen_pks))
    changed: Attendance = {}
    for name, (model, before, after) in attended.items():
        if before != after:
            names = audit_names(model, before | after)
            changed[name] = (_names_of(before, names), _names_of(after, names))
    return _attendee_users(engagement), changed


def _names_of(pks: set[int], names: dict[int, str]) -> str | None:
    return ", ".join(sorted(names.get(pk, f"#{pk}") for pk in pks)) or None


def _plan_changes(plan: Plan) -> dict[str, object]:
    return {
        "starts_at": plan.starts_at,
        "ends_at": plan.ends_at,
        "location": plan.location.strip(),
        "meeting_link": plan.meeting_link.strip(),
        "brief": plan.brief.strip(),
    }


@transaction.atomic
def engagement_schedule(*, engagement: Engagement, by: User, plan: Plan, now: dt.datetime | None = None) -> Engagement:
    """Fix an approved engagement's time, place and attendees; everyone
    attending is told."""
    now = now or timezone.now()
    _plan_check(engagement=engagement, plan=plan, now=now)
    before = audit_snapshot(engagement, ["status", *_plan_changes(plan)])
    engagement = _transition(
        engagement=engagement,
        step="schedule",
        by=by,
        note=scheduled_note(plan.starts_at),
        now=now,
        audited=False,  # below, with who attends
        **_plan_changes(plan),
    )
    attendees, attendance = _plan_apply(engagement=engagement, plan=plan)
    audit_change(instance=engagement, changes={**audit_diff(before, engagement), **attendance}, actor=by)
    notification_send(
        users=attendees,
        message=f"Scheduled: {engagement.type} with {engagement.account}, {moment_text(plan.starts_at)}.",
        url=_link(engagement),
        exclude=by,
        kind=NotificationKind.SCHEDULE_CHANGED,
        now=now,
    )
    return engagement


@transaction.atomic
def engagement_reschedule(
    *, engagement: Engagement, by: User, plan: Plan, reason: str, now: dt.datetime | None = None
) -> Engagement:
    """Change a scheduled engagement's time, place or attendees, saying why.
    Everyone attending before or after is told, and calendar invites are
    raised to a new SEQUENCE."""
    now = now or timezone.now()
    reason = _required(reason, "Say why it changes: the attendees are told.")
    _plan_check(engagement=engagement, plan=plan, now=now)
    before = _attendee_users(engagement)
    planned = audit_snapshot(engagement, _plan_changes(plan))
    engagement = _transition(
        engagement=engagement,
        step="reschedule",
        by=by,
        note=f"Moved to {moment_text(plan.starts_at)}: {reason}",
        now=now,
        audited=False,  # below, with who attends
        sequence=F("sequence") + 1,
        **_plan_changes(plan),
    )
    after, attendance = _plan_apply(engagement=engagement, plan=plan)
    audit_change(instance=engagement, changes={**audit_diff(planned, engagement), **attendance}, actor=by)
    notification_send(
        users=[*before, *after],
        message=(
            f"Changed: {engagement.type} with {engagement.account} is now {moment_text(plan.starts_at)}. {reason}"
        ),
        url=_link(engagement),
        exclude=by,
        kind=NotificationKind.SCHEDULE_CHANGED,
        now=now,
    )
    return engagement


@transaction.atomic
def engagement_cancel(*, engagement: Engagement, by: User, reason: str, now: dt.datetime | None = None) -> Engagement:
    """Call off an engagement that has not taken place, saying why."""
    reason = _required(reason, "Say why it is cancelled: the attendees are told.")
    was_scheduled = engagement.status == Engagement.Status.SCHEDULED
    engagement = _transition(
        engagement=engagement,
        step="cancel",
        by=by,
        note=reason,
        now=now,
        # A calendar only replaces the invite it has with a higher SEQUENCE.
        sequence=F("sequence") + (1 if was_scheduled else 0),
    )
    notification_send(
        users=[*_attendee_users(engagement), *_account_team(engagement)],
        message=f"Cancelled: {engagement.type} with {engagement.account}. {reason}",
        url=_link(engagement),
        exclude=by,
        kind=NotificationKind.CANCELLED,
        now=now,
    )
    return engagement


def _ended_check(engagement: Engagement, now: dt.datetime, by: User) -> None:
    ends_at = engagement.ends_at or engagement.starts_at
    if engagement.status == Engagement.Status.SCHEDULED and ends_at > now:
        raise ProgramError(f"It can be marked once it has ended, after {_local(ends_at, by)}.")


@transaction.atomic
def engagement_complete(
    *, engagement: Engagement, by: User, duration_minutes: int, now: dt.datetime | None = None
) -> Engagement:
    """Record that a scheduled engagement took place, and how long it lasted.
    It counts toward the cadence of every executive who attended."""
    now = now or timezone.now()
    if not 0 < duration_minutes <= 24 * 60:
        raise ProgramError("Give the actual length, between a few minutes and a day.")
    _ended_check(engagement, now, by)
    engagement = _transition(
        engagement=engagement,
        step="complete",
        by=by,
        note=held_note(duration_minutes),
        now=now,
        duration_minutes=duration_minutes,
    )
    engagement_contacts_sync(engagement_ids=[engagement.pk])
    engagement_held.send(sender=Engagement, engagement=engagement)
    return engagement


def engagement_debriefed(*, engagement: Engagement, by: User, now: dt.datetime | None = None) -> Engagement:
    """Mark a held engagement debriefed, once its first debrief is in. Later
    debriefs, or two submitted at once, leave it debriefed."""
    if engagement.status == Engagement.Status.DEBRIEFED:
        return engagement
    try:
        return _transition(
            engagement=engagement,
            step="debriefed",
            by=by,
            note=DEBRIEFED_NOTE,
            now=now,
        )
    except ProgramError:
        engagement.refresh_from_db(fields=["status", "status_changed_at"])
        if engagement.status != Engagement.Status.DEBRIEFED:
            raise
        return engagement


NOT_HELD_REASONS = [
    ("no_show", "The customer did not come"),
    ("cancelled", "Called off at short notice"),
    ("other", "Another reason"),
]


@transaction.atomic
def engagement_not_held(
    *, engagement: Engagement, by: User, reason: str, note: str = "", now: dt.datetime | None = None
) -> Engagement:
    """Record that a scheduled engagement did not take place."""
    now = now or timezone.now()
    reasons = dict(NOT_HELD_REASONS)
    if reason not in reasons:
        raise ProgramError("Choose why it did not take place.")
    if reason == "other" and not note.strip():
        raise ProgramError("Say what happened.")
    _ended_check(engagement, now, by)
    return _transition(
        engagement=engagement,
        step="not_held",
        by=by,
        note=" — ".join(part for part in (reasons[reason], note.strip()) if part),
        now=now,
        sequence=F("sequence") + 1,
    )


def _logged_start(*, executive: Executive, on: dt.date, duration_minutes: int, now: dt.datetime | None) -> dt.datetime:
    """When a contact logged as held on ``on`` (the executive's own day)
    began: only its day is known. Raises ProgramError for a day that cannot
    be logged."""
    time_zone = zoneinfo.ZoneInfo(executive.time_zone)
    local_now = (now or timezone.now()).astimezone(time_zone)
    if on > local_now.date():
        raise ProgramError("A contact can only be logged once it has happened: choose today or an earlier date.")
    if on < local_now.date() - dt.timedelta(days=LOG_DAYS_BACK):
        raise ProgramError(f"Contacts older than {LOG_DAYS_BACK} days cannot be logged here.")
    if on == local_now.date():
        # Logged straight after the meeting: it ended now, and began today.
        start_of_day = dt.datetime.combine(on, dt.time.min, tzinfo=time_zone)
        return max(local_now - dt.timedelta(minutes=duration_minutes), start_of_day)
    return dt.datetime.combine(on, dt.time(12), tzinfo=time_zone)


def _logged_contacts_check(*, account: Account, contacts: list[Contact]) -> None:
    if any(contact.account_id != account.pk for contact in contacts):
        raise ProgramError("Choose people from the account you met.")


def engagement_log_contact(
    *,
    executive: Executive,
    account: Account,
    engagement_type: EngagementType,
    on: dt.date,
    duration_minutes: int,
    contacts: Iterable[Contact] = (),
    colleagues: Iterable[Executive] = (),
    note: str = "",
    debrief_wanted: bool = False,
    submission_key: uuid.UUID | None = None,
    submission_digest: str = "",
    crm_id: str | None = None,
    calendar_key: str | None = None,
    starts_at: dt.datetime | None = None,
    capture: str = Engagement.Capture.TYPED,
    by: User | None = None,
    now: dt.datetime | None = None,
) -> tuple[Engagement, bool]:
    """Log a customer contact the executive already had: a held engagement
    that counts toward their cadence at once, and toward that of each
    colleague who was there. Returns the engagement, and whether this call
    made it.

    ``on`` is the date in the executive's own time zone. The same
    ``submission_key`` sent twice (a double tap, a retried request), even at
    the same moment, returns the engagement the first one made instead of
    making another; so does the same ``crm_id`` (the activity's id in the CRM
    it comes from). ``submission_digest`` is kept with the key, so that the
    API can tell a retry from another request sent with the same key. ``by``
    is who logged it when it is not the executive (a program admin, through
    the API). It owes a debrief only with ``debrief_wanted``: whoever logged
    it said they would add one.

    A meeting read from the executive's calendar is logged with its own
    ``starts_at`` (``on`` is then its day) and its ``calendar_key`` (the
    event's UID and occurrence), which, like a submission key, makes it
    once however often it is confirmed; ``capture`` says whether they
    confirmed it or chose to have it logged without asking.
    """
    existing = engagement_already_logged(submission_key=submission_key, crm_id=crm_id, calendar_key=calendar_key)
    if existing is not None:
        return existing, False
    contacts = list(contacts)
    _logged_contacts_check(account=account, contacts=contacts)
    if starts_at is None:
        starts_at = _logged_start(executive=executive, on=on, duration_minutes=duration_minutes, now=now)
    else:
        _logged_start(executive=executive, on=local_date(starts_at, executive.time_zone), duration_minutes=0, now=now)
    length = dt.timedelta(minutes=duration_minutes)
    try:
        with transaction.atomic():
            engagement = Engagement.objects.create(
                account=account,
                type=engagement_type,
                purpose=Engagement.Purpose.RELATIONSHIP,
                status=Engagement.Status.COMPLETED,
                starts_at=starts_at,
                ends_at=starts_at + length,
                duration_minutes=duration_minutes,
                notes=note.strip(),
                logged=True,
                debrief_wanted=debrief_wanted,
                requested_by=executive.user,
                submission_key=submission_key,
                submission_digest=submission_digest if submission_key else "",
                crm_id=crm_id or None,
                calendar_key=calendar_key or None,
                capture=capture,
            )
            EngagementExecutive.objects.bulk_create(
                [EngagementExecutive(engagement=engagement, executive=executive, role=EngagementExecutive.Role.LEAD)]
                + [
                    EngagementExecutive(engagement=engagement, executive=colleague)
                    for colleague in {colleague.pk: colleague for colleague in colleagues}.values()
                    if colleague.pk != executive.pk
                ]
            )
            engagement.contacts.set(contacts)
            engagement_status_record(
                engagement=engagement,
                from_status="",
                to_status=Engagement.Status.COMPLETED,
                by=by or executive.user,
                note=LOGGED_NOTE,
            )
            engagement_contacts_sync(engagement_ids=[engagement.pk])
            _colleagues_credited(engagement=engagement, executive=executive, by=by or executive.user)
            engagement_held.send(sender=Engagement, engagement=engagement)
    except IntegrityError:
        # The same form, sent twice at once: the other request made it.
        existing = engagement_already_logged(submission_key=submission_key, crm_id=crm_id, calendar_key=calendar_key)
        if existing is None:
            raise
        return existing, False
    return engagement, True


def _colleagues_credited(*, engagement: Engagement, executive: Executive, by: User) -> None:
    """A contact logged with colleagues counts for them at once; so that
    nobody is credited with a meeting unawares, each colleague is told, with
    a one-tap "I was not there", and who was counted goes in the audit trail."""
    colleagues = list(
        Executive.objects.filter(attendances__engagement=engagement).exclude(pk=executive.pk).select_related("user")
    )
    if not colleagues:
        return
    names = audit_names(Executive, [executive.pk, *(colleague.pk for colleague in colleagues)])
    audit_change(instance=engagement, changes={"executives": (None, _names_of(set(names), names))}, actor=by)
    notification_send(
        users=[colleague.user for colleague in colleagues],
        message=f"{_actor(by)} logged the {engagement.type} with {engagement.account} on "
        f"{moment_text(engagement.starts_at, day=True)} with you there: it counts toward your customer contact.",
        url=_link(engagement),
        action=("I was not there", reverse("visits:engagement_not_there", kwargs={"pk": engagement.pk})),
        exclude=by,
    )


@transaction.atomic
def engagement_not_there(*, engagement: Engagement, executive: Executive, by: User) -> bool:
    """Take ``executive`` off a held engagement they are counted at but were
    not at, and recount their cadence from their other contacts. Whoever
    logged it is told, and the audit trail keeps it. The lead, who logged or
    led it, changes it otherwise. Returns False when they were not counted at
    it (a second tap)."""
    if not engagement.is_held:
        raise ProgramError("Only a meeting that took place counts toward anyone's contact.")
    lead = engagement.attendances.filter(role=EngagementExecutive.Role.LEAD).values_list("executive_id", flat=True)
    if executive.pk in lead:
        raise ProgramError("You led this engagement: change it or call it off instead.")
    before = set(engagement.attendances.values_list("executive_id", flat=True))
    removed, _ = EngagementExecutive.objects.filter(
        engagement=engagement, executive=executive, role=EngagementExecutive.Role.ATTENDEE
    ).delete()
    if not removed:
        return False
    engagement_contacts_sync(engagement_ids=[engagement.pk])
    names = audit_names(Executive, before)
    audit_change(
        instance=engagement,
        changes={"executives": (_names_of(before, names), _names_of(before - {executive.pk}, names))},
        actor=by,
    )
    notification_send(
        users=[engagement.requested_by, *engagement_executive_users(engagement=engagement)[:1]],
        message=f"{_actor(by)} was not at the {engagement.type} with {engagement.account} on "
        f"{moment_text(engagement.starts_at, day=True)}: it no longer counts for them.",
        url=_link(engagement),
        exclude=by,
    )
    return True


# --- Correcting a logged contact ------------------------------------------------------
#
# Whoever logged a contact may change or delete it for 30 days: a wrong
# account, day or colleague is put right by them, not left to count. Each
# change locks the engagement's row first, so that two changes at once (or a
# form sent twice) apply one after the other, and the recount, which replaces
# the engagement's contacts rather than adding to them, counts it once.

# How long after logging a contact whoever logged it may change or delete it.
LOGGED_CHANGE_DAYS = 30
DELETED_REASON = "The engagement was deleted."


@dataclass(frozen=True)
class LoggedContact:
    """What the log form holds: a logged contact as it should be."""

    account: Account
    engagement_type: EngagementType
    on: dt.date
    duration_minutes: int
    contacts: tuple[Contact, ...] = ()
    colleagues: tuple[Executive, ...] = ()
    note: str = ""
    debrief_wanted: bool = False


def logged_contact_refusal(*, engagement: Engagement, user: User, now: dt.datetime | None = None) -> str | None:
    """Why ``user`` may not change or delete ``engagement`` now, or None when
    they may: a contact logged after it happened, by whoever logged it (the
    executive it was logged for), within 30 days of logging it."""
    if not engagement.logged:
        return "Only a contact logged after it happened can be changed or deleted here."
    if engagement.requested_by_id is None or engagement.requested_by_id != user.pk:
        return "Only whoever logged this contact can change or delete it."
    if (now or timezone.now()) - engagement.created_at > dt.timedelta(days=LOGGED_CHANGE_DAYS):
        logged_on = moments_in_zone(moment_text(engagement.created_at, day=True), user.time_zone)
        return (
            f"It was logged on {logged_on}, more than {LOGGED_CHANGE_DAYS} days ago: it can no longer be changed "
            "or deleted. A program admin can correct it."
        )
    return None


def _logged_locked(*, engagement_pk: int, by: User, now: dt.datetime) -> Engagement | None:
    """The engagement, its row locked until the commit, or None when it is
    gone; ProgramError when ``by`` may not change it now."""
    engagement = (
        Engagement.objects.select_for_update(of=("self",))
        .select_related("account", "type", "requested_by")
        .filter(pk=engagement_pk)
        .first()
    )
    if engagement is not None and (refusal := logged_contact_refusal(engagement=engagement, user=by, now=now)):
        raise ProgramError(refusal)
    return engagement


def _logged_lead(engagement: Engagement) -> Executive:
    return Executive.objects.select_related("user").get(
        attendances__engagement=engagement, attendances__role=EngagementExecutive.Role.LEAD
    )


def _logged_moment(*, engagement: Engagement, lead: Executive, fix: LoggedContact, now: dt.datetime) -> dt.datetime:
    """When the corrected contact began: where it was, unless its day changed."""
    if local_date(engagement.starts_at, lead.time_zone) == fix.on:
        return engagement.starts_at
    return _logged_start(executive=lead, on=fix.on, duration_minutes=fix.duration_minutes, now=now)


def _executive_users(pks: set[int]) -> list[User]:
    return [executive.user for executive in Executive.objects.filter(pk__in=pks).select_related("user")]


@transaction.atomic
def engagement_logged_update(
    *, engagement: Engagement, by: User, fix: LoggedContact, now: dt.datetime | None = None
) -> tuple[Engagement, bool]:
    """Correct a contact ``by`` logged, within 30 days: its account, kind,
    day, length, people, note and whether they will add a debrief. The
    cadence of every executive on it before or after is recounted, the audit
    trail keeps what changed, and each colleague on it is told (one taken off
    that it no longer counts for them). Returns the engagement and whether
    anything changed (a form sent twice changes it once)."""
    now = now or timezone.now()
    locked = _logged_locked(engagement_pk=engagement.pk, by=by, now=now)
    if locked is None:
        raise ProgramError("This contact no longer exists: it was deleted.")
    engagement = locked
    contacts = list(fix.contacts)
    _logged_contacts_check(account=fix.account, contacts=contacts)
    lead = _logged_lead(engagement)
    starts_at = _logged_moment(engagement=engagement, lead=lead, fix=fix, now=now)
    changes: dict[str, Any] = {
        "account": fix.account,
        "type": fix.engagement_type,
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(minutes=fix.duration_minutes),
        "duration_minutes": fix.duration_minutes,
        "notes": fix.note.strip(),
        "debrief_wanted": fix.debrief_wanted,
    }
    before = audit_snapshot(engagement, changes)
    for name, value in changes.items():
        setattr(engagement, name, value)
    fields = audit_diff(before, engagement)
    fields = {name: values for name, values in fields.items() if values[0] != values[1]}
    executives_before = set(engagement.attendances.values_list("executive_id", flat=True))
    _, attendance = _plan_apply(
        engagement=engagement,
        plan=Plan(
            starts_at=starts_at,
            ends_at=starts_at,
            executives=tuple(fix.colleagues),
            staff=tuple(engagement.staff.all()),
            contacts=tuple(contacts),
        ),
    )
    if not fields and not attendance:
        return engagement, False
    # One UPDATE of what changed, which sends no signal: the audit trail
    # records it below, with who attends, as one change by ``by``.
    Engagement.objects.filter(pk=engagement.pk).update(**{name: changes[name] for name in fields}, updated_at=now)
    audit_change(instance=engagement, changes={**fields, **attendance}, actor=by)
    engagement_status_record(
        engagement=engagement, from_status=engagement.status, to_status=engagement.status, by=by, note="Corrected"
    )
    engagement_contacts_sync(engagement_ids=[engagement.pk])
    executives_after = set(engagement.attendances.values_list("executive_id", flat=True))
    day = moment_text(engagement.starts_at, day=True)
    notification_send(
        users=_executive_users(executives_after - {lead.pk}),
        message=f"{_actor(by)} corrected the {engagement.type} with {engagement.account} on {day}, logged with "
        "you there: it counts toward your customer contact as it is now.",
        url=_link(engagement),
        action=("I was not there", reverse("visits:engagement_not_there", kwargs={"pk": engagement.pk})),
        exclude=by,
        now=now,
    )
    notification_send(
        users=_executive_users(executives_before - executives_after),
        message=f"{_actor(by)} took you off the {engagement.type} with {engagement.account} on {day}: it no "
        "longer counts toward your customer contact.",
        url=reverse("visits:my_engagements"),
        exclude=by,
        now=now,
    )
    return engagement, True


@transaction.atomic
def engagement_logged_delete(*, engagement_pk: int, by: User, now: dt.datetime | None = None) -> Engagement | None:
    """Delete a contact ``by`` logged, within 30 days (the log's "Undo", or
    the engagement page's "Delete"): ``engagement_logged_remove``. Returns
    the engagement as it was, or None when it was gone already (a second
    tap, or two at once: one deletes it)."""
    now = now or timezone.now()
    engagement = _logged_locked(engagement_pk=engagement_pk, by=by, now=now)
    if engagement is None:
        return None
    engagement_logged_remove(
        engagement=engagement,
        by=by,
        reason=DELETED_REASON,
        told=f"{_actor(by)} deleted the {engagement.type} with {engagement.account} on "
        f"{moment_text(engagement.starts_at, day=True)}, logged with you there",
        now=now,
    )
    return engagement


def engagement_logged_remove(
    *, engagement: Engagement, by: User | None, reason: str, told: str, now: dt.datetime
) -> None:
    """Take a logged contact out of the record: the cadence of every
    executive on it is recounted without it, the audit trail keeps who
    removed it (``by``; None for Groundwork itself) and who was on it, its
    reminders and the notices about it are withdrawn (``reason``), and each
    colleague on it is told (``told`` says what happened, from their side).
    The caller holds the engagement's row locked."""
    engagement_pk = engagement.pk
    executives = set(engagement.attendances.values_list("executive_id", flat=True))
    colleagues = _executive_users(executives)
    names = audit_names(Executive, executives)
    # Who was on it, which the deletion's own entry does not say; the
    # deletion itself is recorded by the audit trail's receiver, by ``by``.
    audit_change(instance=engagement, changes={"executives": (_names_of(executives, names), None)}, actor=by)
    if by is not None:
        audit_actor_set(by)
    recipients = {user.pk for user in colleagues} | {
        pk for pk in (engagement.requested_by_id, engagement.account.account_manager_id) if pk is not None
    }
    link = _link(engagement)
    engagement.delete()
    engagement_contacts_sync(engagement_ids=[engagement_pk])
    subject = f"engagement:{engagement_pk}"
    reminders_withdraw_about(subject=subject, recipient_ids=recipients, reason=reason, now=now)
    notifications_withdraw_leading_to(user_ids=recipients, url=link, reason=reason, now=now)
    notification_send(
        users=colleagues,
        message=f"{told}: it no longer counts toward your customer contact.",
        url=reverse("visits:my_engagements"),
        exclude=by,
        now=now,
    )
    engagement.pk = engagement_pk


def _calendar_feed_secret() -> str:
    # 32 random bytes: the address is the only credential, and cannot be guessed.
    return secrets.token_urlsafe(32)


def calendar_feed_token(*, user: User) -> CalendarFeed:
    """The user's private calendar address, made the first time it is asked for.

    Two requests making it at once make one: the second finds the first's.
    """
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(user=user, token=_calendar_feed_secret())
    except IntegrityError:
        # The other request made it between our read and our insert.
        return CalendarFeed.objects.get(user=user)


def calendar_feed_revoke(*, user: User) -> CalendarFeed:
    """Give the user a new calendar address: the old one stops working at once,
    and every calendar subscribed to it stops updating."""
    replaced = CalendarFeed.objects.filter(user=user).update(token=_calendar_feed_secret(), created_at=timezone.now())
    if not replaced:
        return calendar_feed_token(user=user)
    return CalendarFeed.objects.get(user=user)
