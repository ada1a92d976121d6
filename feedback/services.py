"""Writes for debriefs, actions and customer surveys."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

from auditlog.context import disable_auditlog
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from engagement.audit.trail import audit_change, audit_diff, audit_snapshot
from engagement.cadence.models import Program
from engagement.dates import local_date
from engagement.delivery.emails import templated_email
from engagement.delivery.links import absolute_url
from engagement.delivery.outbox import task_enqueue
from engagement.errors import ProgramError
from engagement.moments import moment_text
from engagement.notifications.services import notification_send
from engagement.people.models import Executive, Function, User
from feedback.models import ActionItem, Debrief, Survey, Theme
from visits.models import Engagement
from visits.services import engagement_debriefed, engagement_executive_users

# The fields of a debrief its author types, saved as drafts as they go.
DEBRIEF_TEXT_FIELDS = ("heard", "surprised", "disagreed", "insights", "issues_raised")
DEBRIEF_FIELDS = (*DEBRIEF_TEXT_FIELDS, "sentiment", "follow_up_on")

SURVEY_SALT = "feedback.survey"
SURVEY_VALID_DAYS = 30
# A survey claimed longer ago than this by a sender that never finished is sent again.
SURVEY_STALE_CLAIM = dt.timedelta(minutes=15)
# A low answer gives the account manager this long to follow up.
LOW_ANSWER_FOLLOW_UP_DAYS = 7


def _engagement_link(engagement_id: int) -> str:
    return reverse("visits:engagement_detail", kwargs={"pk": engagement_id})


def _action_link(action: ActionItem) -> str:
    return reverse("feedback:action_detail", kwargs={"pk": action.pk})


def _held_check(engagement: Engagement, doing: str) -> None:
    if engagement.status not in Engagement.HELD_STATUSES:
        status = engagement.get_status_display().lower()
        raise ProgramError(f"{doing} once the engagement has been held; it is {status}.")


# --- Debriefs ------------------------------------------------------------------------


def _debrief_for(engagement: Engagement, author: User, now: dt.datetime) -> Debrief:
    """The author's debrief of the engagement, made empty if there is none.
    Two saves racing to make it both end up with the one row."""
    debrief = Debrief.objects.filter(engagement=engagement, author=author).first()
    if debrief is not None:
        return debrief
    try:
        with transaction.atomic():
            return Debrief.objects.create(engagement=engagement, author=author, created_at=now, updated_at=now)
    except IntegrityError:
        return Debrief.objects.get(engagement=engagement, author=author)


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: fields[name] for name in DEBRIEF_FIELDS if name in fields}


@transaction.atomic
def debrief_draft_save(
    *,
    engagement: Engagement,
    author: User,
    fields: dict[str, Any],
    themes: Iterable[Theme] | None = None,
    now: dt.datetime | None = None,
) -> Debrief:
    """Keep what ``author`` has typed so far, as it is: nothing is required in
    a draft. A submitted debrief is left alone (a late autosave from another
    tab must not undo an edit); the caller sees that from its status."""
    now = now or timezone.now()
    _held_check(engagement, "A debrief is written")
    debrief = _debrief_for(engagement, author, now)
    saved = Debrief.objects.filter(pk=debrief.pk, status=Debrief.Status.DRAFT).update(
        **_clean_fields(fields), updated_at=now
    )
    if saved and themes is not None:
        # A draft is its author's work in progress, saved as they type: the
        # audit trail records the submission and every change after it.
        with disable_auditlog():
            debrief.themes.set(list(themes))
    debrief.refresh_from_db()
    return debrief


@transaction.atomic
def debrief_submit(
    *,
    engagement: Engagement,
    author: User,
    fields: dict[str, Any],
    themes: Iterable[Theme],
    now: dt.datetime | None = None,
) -> Debrief:
    """Submit ``author``'s debrief (or save changes to one already submitted).
    The first debrief submitted marks the engagement debriefed; each author's
    submission tells the others who took part, once."""
    now = now or timezone.now()
    _held_check(engagement, "A debrief is written")
    fields = _clean_fields(fields)
    if not str(fields.get("heard", "")).strip():
        raise ProgramError("Write down what the customer said, in their own words.")
    if fields.get("sentiment") is None:
        raise ProgramError("Choose how the customer felt.")
    debrief = _debrief_for(engagement, author, now)
    # Neither UPDATE sends a signal to the audit trail: recorded below.
    before = audit_snapshot(debrief, ["status", *fields])
    # Submitting is one conditional UPDATE: of two submits of the same draft
    # (a double tap, two tabs), one is the submission and the other an edit.
    first = Debrief.STEPS.claim(debrief, step="submit", **fields, submitted_at=now, updated_at=now)
    if not first:
        Debrief.objects.filter(pk=debrief.pk).update(**fields, updated_at=now)
    debrief.themes.set(list(themes))
    debrief.refresh_from_db()
    audit_change(instance=debrief, changes=audit_diff(before, debrief), actor=author)
    if first:
        engagement_debriefed(engagement=engagement, by=author, now=now)
        notification_send(
            users=[*engagement_executive_users(engagement=engagement), *_account_team(engagement)],
            message=f"{author.get_full_name()} debriefed the {engagement.type} with {engagement.account}.",
            url=reverse("feedback:debrief", kwargs={"pk": engagement.pk}),
            exclude=author,
            now=now,
        )
    return debrief


def _account_team(engagement: Engagement) -> list[User]:
    """The account manager and whoever asked for the engagement."""
    return list(
        User.objects.filter(
            Q(pk=engagement.requested_by_id) | Q(managed_accounts=engagement.account_id), is_active=True
        ).distinct()
    )


# --- Actions -----------------------------------------------------------------------------


def function_owner(function: Function) -> User:
    """Who an issue routed to ``function`` goes to: the executive who leads it."""
    lead: Executive | None = function.lead
    if lead is None or not lead.active or not lead.user.is_active:
        raise ProgramError(
            f"{function} has no active lead executive to route this to. Choose a person instead, "
            "and ask a program admin to name the function's lead."
        )
    return lead.user


@transaction.atomic
def action_create(
    *,
    engagement: Engagement,
    by: User,
    title: str,
    due_on: dt.date,
    owner: User | None = None,
    function: Function | None = None,
    detail: str = "",
    submission_key: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> ActionItem:
    """An action from ``by``'s debrief of ``engagement``, for ``owner``, or
    routed to the lead of ``function`` (which wins when both are given). The
    owner is told; the author and the account manager follow it. The same
    ``submission_key`` sent twice returns the action the first one made."""
    if submission_key is not None:
        existing = ActionItem.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing
    now = now or timezone.now()
    _held_check(engagement, "Actions are added")
    title = title.strip()
    if not title:
        raise ProgramError("Say what is to be done.")
    if due_on < local_date(now, by.time_zone):
        raise ProgramError("Choose a due date from today on.")
    if function is not None:
        owner = function_owner(function)
    if owner is None or not owner.is_active:
        raise ProgramError("Choose who owns it: a person with an active login, or a function to route it to.")
    try:
        with transaction.atomic():
            action = ActionItem.objects.create(
                engagement=engagement,
                debrief=Debrief.objects.filter(engagement=engagement, author=by).first(),
                title=title[:200],
                detail=detail.strip(),
                owner=owner,
                function=function,
                created_by=by,
                due_on=due_on,
                created_at=now,
                updated_at=now,
                submission_key=submission_key,
            )
    except IntegrityError:
        # The same form, sent twice at once: the other request made it.
        if submission_key is None:
            raise
        return ActionItem.objects.get(submission_key=submission_key)
    routed = f" (routed to {function})" if function is not None else ""
    notification_send(
        users=[owner],
        message=f"{by.get_full_name()} gave you an action{routed}: {action.title}",
        url=_action_link(action),
        exclude=by,
        now=now,
    )
    return action


# What a closing status asks of whoever sets it.
CLOSING_NOTES: dict[str, str] = {
    ActionItem.Status.DONE: "Say what was done, and what the customer was told.",
    ActionItem.Status.WONT_DO: "Say why it won't be done.",
}


def action_followers(action: ActionItem) -> list[User]:
    """Who hears of changes to ``action``: its owner, its author and the account manager."""
    people = (action.owner, action.created_by, action.engagement.account.account_manager)
    return [user for user in people if user is not None and user.is_active]


def action_step_changes(action: ActionItem, *, status: str, note: str, now: dt.datetime) -> dict[str, Any]:
    """What the step to ``status`` changes on ``action`` beside its status:
    closing keeps the note and the moment it was first closed, reopening
    clears the closing and keeps the note unless a new one is given."""
    closed = status in ActionItem.CLOSED_STATUSES
    return {
        "status_note": note[:1000] if closed or note else action.status_note,
        "closed_at": (action.closed_at or now) if closed else None,
        "updated_at": now,
    }


@transaction.atomic
def action_status_set(
    *, action: ActionItem, by: User, status: str, note: str = "", now: dt.datetime | None = None
) -> ActionItem:
    """Move ``action`` from the status ``by`` saw to ``status``. Done and won't
    do need a note; reopening clears the closing. A change someone else made
    meanwhile wins, and ``by`` is told."""
    now = now or timezone.now()
    if status not in ActionItem.Status.values:
        raise ProgramError("Choose a status.")
    note = note.strip()
    if status in CLOSING_NOTES and not note:
        raise ProgramError(CLOSING_NOTES[status])
    if not ActionItem.STEPS.allows(status, action.status):
        current = action.get_status_display().lower()
        step = ActionItem.STEPS[status]
        raise ProgramError(
            f"It is already {current}." if status == action.status else f"It cannot be {step.doing}: it is {current}."
        )
    # The UPDATE sends no signal to the audit trail: recorded below.
    before = audit_snapshot(action, ["status", "status_note"])
    changed = ActionItem.STEPS.claim(
        action, step=status, **action_step_changes(action, status=status, note=note, now=now)
    )
    if not changed:
        now_status = ActionItem.objects.filter(pk=action.pk).values_list("status", flat=True).first()
        label = ActionItem.Status(now_status).label.lower() if now_status else "gone"
        raise ProgramError(f"Someone changed this action meanwhile: it is now {label}. Nothing was changed.")
    action.refresh_from_db(fields=["status", "status_note", "closed_at", "updated_at"])
    audit_change(instance=action, changes=audit_diff(before, action), actor=by)
    told = f": {note}" if note else ""
    notification_send(
        users=action_followers(action),
        message=f"{by.get_full_name()} set “{action.title}” to {action.get_status_display().lower()}{told}",
        url=_action_link(action),
        exclude=by,
        now=now,
    )
    return action


# --- Customer surveys ------------------------------------------------------------------------


def survey_token(*, survey: Survey) -> str:
    """The signed credential in a survey's link. It names the survey and
    nothing else: the salt keeps it from opening any other signed link."""
    return signing.dumps(survey.pk, salt=SURVEY_SALT)


def survey_url(*, survey: Survey) -> str:
    return absolute_url(reverse("feedback:survey", kwargs={"token": survey_token(survey=survey)}))


@dataclass(frozen=True)
class SurveyLink:
    """What a survey link leads to: ``state`` is ``open``, ``answered``,
    ``expired`` or ``invalid`` (altered, or naming no survey)."""

    state: str
    survey: Survey | None = None


def survey_link(*, token: str, now: dt.datetime | None = None) -> SurveyLink:
    """Read a survey link: never raises, whatever was typed into it."""
    now = now or timezone.now()
    try:
        survey_id = signing.loads(token, salt=SURVEY_SALT)
    except signing.BadSignature:
        return SurveyLink("invalid")
    if not isinstance(survey_id, int):
        return SurveyLink("invalid")
    survey = (
        Survey.objects.select_related("engagement__account", "engagement__type", "contact").filter(pk=survey_id).first()
    )
    if survey is None or survey.sent_at is None:
        return SurveyLink("invalid")
    if survey.answered_at is not None:
        return SurveyLink("answered", survey)
    if survey.expires_at is None or survey.expires_at <= now:
        return SurveyLink("expired", survey)
    return SurveyLink("open", survey)


@dataclass(frozen=True)
class SurveyCompany:
    """Who a customer's survey comes from: the company's name (never
    Groundwork's) and the email's From: line under it."""

    name: str
    from_email: str


def survey_company(*, engagement: Engagement | None = None) -> SurveyCompany:
    """The company a survey speaks for: the program of the first executive
    who attended ``engagement`` (by the program's id), else the first active
    program; its company name, else its own name. The sender's address is the
    program's survey address, else the site's."""
    programs = Program.objects.filter(active=True).order_by("pk")
    program = None
    if engagement is not None:
        program = programs.filter(executives__attendances__engagement=engagement).first()
    program = program or programs.first()
    name = (program.company_name or program.name) if program else "Our company"
    address = (program.survey_from_email if program else "") or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return SurveyCompany(name=name, from_email=formataddr((name, address)))


def survey_executives_met(*, engagement: Engagement) -> list[str]:
    """The names of the executives the customer met, as the survey says them."""
    return [user.get_full_name() for user in engagement_executive_users(engagement=engagement)]


def program_sends_surveys(*, engagement: Engagement) -> bool:
    """Whether surveys go out on their own once ``engagement`` is held: when a
    program of an executive who attended says so (for executives in no
    program, the first active program, as for their cadence)."""
    programs = Program.objects.filter(active=True, executives__attendances__engagement=engagement)
    if programs.exists():
        return programs.filter(surveys_after_held=True).exists()
    first = Program.objects.filter(active=True).order_by("pk").first()
    return first is not None and first.surveys_after_held


@dataclass(frozen=True)
class SurveysQueued:
    queued: list[int]
    without_email: list[str]


@transaction.atomic
def surveys_send(*, engagement: Engagement, by: User | None, now: dt.datetime | None = None) -> SurveysQueued:
    """Invite each customer contact who attended ``engagement`` to the
    survey, once per contact however often it is asked. The emails go from a
    task after the commit; contacts without an email address are named."""
    now = now or timezone.now()
    _held_check(engagement, "The survey is sent")
    contacts = list(engagement.contacts.filter(active=True).order_by("name"))
    if not contacts:
        raise ProgramError("No customer contact attended: add who was there before sending the survey.")
    with_email = [contact for contact in contacts if contact.email]
    Survey.objects.bulk_create(
        [Survey(engagement=engagement, contact=contact, sent_by=by, created_at=now) for contact in with_email],
        ignore_conflicts=True,
    )
    queued = list(
        Survey.objects.filter(engagement=engagement, contact__in=with_email, sent_at__isnull=True).values_list(
            "pk", flat=True
        )
    )

    for survey_id in queued:
        task_enqueue(task="feedback.tasks.send_survey", args=(survey_id,))
    return SurveysQueued(queued=queued, without_email=[contact.name for contact in contacts if not contact.email])


def surveys_send_after_held(*, engagement_id: int) -> int:
    """On the program's behalf, send the survey of held engagement
    ``engagement_id`` when its program sends them on its own and someone
    attended to ask. Returns how many went out."""
    engagement = Engagement.objects.filter(pk=engagement_id, status__in=Engagement.HELD_STATUSES).first()
    if engagement is None or not program_sends_surveys(engagement=engagement):
        return 0
    if not engagement.contacts.filter(active=True).exists():
        return 0  # nobody to ask: surveys_send would refuse
    return len(surveys_send(engagement=engagement, by=None).queued)


def _claimable(now: dt.datetime) -> Q:
    """Not sent, and nobody sending it (or whoever was has died)."""
    return Q(sent_at__isnull=True) & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - SURVEY_STALE_CLAIM))


def surveys_unsent(*, now: dt.datetime | None = None) -> list[int]:
    """Surveys recorded in the last 30 days that nobody has sent."""
    now = now or timezone.now()
    recent = Q(created_at__gte=now - dt.timedelta(days=SURVEY_VALID_DAYS))
    return list(Survey.objects.filter(recent & _claimable(now)).values_list("pk", flat=True))


def survey_claim(*, survey_id: int, now: dt.datetime | None = None) -> bool:
    """Claim an unsent survey for sending, with one conditional UPDATE: of
    two senders, one gets it. A stale claim is taken back."""
    now = now or timezone.now()
    return Survey.objects.filter(_claimable(now), pk=survey_id).update(claimed_at=now) == 1


def survey_deliver(*, survey_id: int, now: dt.datetime | None = None) -> None:
    """Email the claimed survey ``survey_id`` and mark it sent; its link is
    valid for 30 days from now. A mail error propagates and frees the claim,
    for the caller to retry."""
    now = now or timezone.now()
    survey = Survey.objects.select_related("contact", "engagement__account__account_manager", "engagement__type").get(
        pk=survey_id
    )
    survey.sent_at, survey.expires_at = now, now + dt.timedelta(days=SURVEY_VALID_DAYS)
    # The customer's own time zone is not known: the day is the one the
    # executive who led the meeting logged it on, where they met.
    executives = engagement_executive_users(engagement=survey.engagement)
    company = survey_company(engagement=survey.engagement)
    message = templated_email(
        "feedback/email/survey",
        {
            "survey": survey,
            "url": survey_url(survey=survey),
            "valid_days": SURVEY_VALID_DAYS,
            "company": company,
            "executives": [user.get_full_name() for user in executives],
        },
        to=survey.contact.email,
        time_zone=executives[0].time_zone if executives else None,
    )
    message.from_email = company.from_email
    manager = survey.engagement.account.account_manager
    if manager is not None:
        message.reply_to = [manager.email]
    try:
        message.send()
    except Exception:
        Survey.objects.filter(pk=survey_id).update(claimed_at=None)
        raise
    Survey.objects.filter(pk=survey_id).update(sent_at=survey.sent_at, expires_at=survey.expires_at)


def _survey_owner(engagement: Engagement) -> User | None:
    """Who follows up a low answer: the account manager, else whoever asked
    for the engagement, else the executive who led it."""
    for user in (engagement.account.account_manager, engagement.requested_by):
        if user is not None and user.is_active:
            return user
    return next((user for user in engagement_executive_users(engagement=engagement) if user.is_active), None)


@transaction.atomic
def survey_answer(
    *,
    survey: Survey,
    value: int,
    recommend: int,
    differently: str = "",
    now: dt.datetime | None = None,
) -> Survey:
    """Record a customer's answer, once: a second answer through the same link
    (a reload, a second tab) changes nothing and raises ProgramError. The
    executives who attended are told; a low answer becomes an action for the
    account manager."""
    now = now or timezone.now()
    if not 1 <= value <= 5 or not 0 <= recommend <= 10:
        raise ProgramError("Choose a value from 1 to 5 and a likelihood from 0 to 10.")
    answered = Survey.objects.filter(
        pk=survey.pk, answered_at__isnull=True, sent_at__isnull=False, expires_at__gt=now
    ).update(answered_at=now, value=value, recommend=recommend, differently=differently.strip())
    if answered != 1:
        raise ProgramError("This survey has already been answered, or its link has expired.")
    survey.refresh_from_db()
    engagement = survey.engagement
    contact = survey.contact
    notification_send(
        users=engagement_executive_users(engagement=engagement),
        message=f"{contact.name} of {engagement.account} answered the survey about your "
        f"{engagement.type} on {moment_text(engagement.starts_at, day=True)}: {value}/5, {recommend}/10.",
        url=_engagement_link(engagement.pk),
        now=now,
    )
    owner = _survey_owner(engagement)
    if survey.is_low and owner is not None:
        action = ActionItem.objects.create(
            engagement=engagement,
            survey=survey,
            title=f"Follow up with {contact.name}: the survey scored {value}/5 and {recommend}/10"[:200],
            detail=survey.differently,
            owner=owner,
            due_on=local_date(now, owner.time_zone) + dt.timedelta(days=LOW_ANSWER_FOLLOW_UP_DAYS),
            created_at=now,
            updated_at=now,
        )
        notification_send(
            users=[owner],
            message=f"{contact.name} of {engagement.account} gave a low survey answer: follow up with them.",
            url=_action_link(action),
            now=now,
        )
    return survey
