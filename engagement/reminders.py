"""The reminder engine: find what is due, record it once, send it in working hours.

A scan asks every *source* what is due now. The contact sources (due soon,
overdue, escalation) live here; other apps register theirs (upcoming
engagements, requests waiting) with ``reminder_source``, so that this app
imports none of them. Each reminder found is recorded as a ``Reminder`` row,
``pending``; the unique constraint on (recipient, kind, episode) makes a
second scan, or one running at the same time, record nothing new. Sending
claims a pending row with one conditional UPDATE, sends the email and the
in-app notification, and marks it sent. A crash between recording and sending
leaves the row pending, and the next run sends it; a crash while sending
leaves it claimed, and a later run takes it back once the claim is stale.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from engagement.emails import templated_email
from engagement.links import absolute_url
from engagement.models import Account, Executive, Notification, Reminder, User
from engagement.roles import Role, has_role
from engagement.selectors import ContactState, account_suggestions_for_executive, executive_contact_statuses

# Working hours, in each recipient's own time zone, Monday to Friday.
WORKDAY_START = dt.time(9)
WORKDAY_END = dt.time(17)
# A weekly digest goes out on Monday morning.
DIGEST_WEEKDAY = 0
# A claim older than this belongs to a sender that died: take it back.
STALE_CLAIM = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Due:
    """A reminder a scan found due: to whom, of what kind, for which episode, and why."""

    recipient_id: int
    kind: str
    episode: str
    reason: str
    url: str = ""
    executive_id: int | None = None
    # When it must go out by, whatever the working hours (an engagement's start).
    deadline: dt.datetime | None = None


@dataclass(frozen=True)
class ScanMoment:
    """When a scan runs, and the calendar day it acts as of (``--as-of``)."""

    now: dt.datetime
    as_of: dt.date | None = None


Source = Callable[[ScanMoment], Iterable[Due]]
SOURCES: list[Source] = []


def reminder_source(source: Source) -> Source:
    """Register ``source`` with the engine: it yields what is due at a moment,
    in a fixed number of queries."""
    if source not in SOURCES:
        SOURCES.append(source)
    return source


# --- Working hours ----------------------------------------------------------------


def next_working_moment(moment: dt.datetime, time_zone: str) -> dt.datetime:
    """``moment`` if it falls in working hours in ``time_zone``, else the start
    of the next working day there."""
    local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    if local.weekday() < 5 and WORKDAY_START <= local.time() < WORKDAY_END:
        return moment
    day = local.date() if local.weekday() < 5 and local.time() < WORKDAY_START else local.date() + dt.timedelta(1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, WORKDAY_START, tzinfo=local.tzinfo)


def next_digest_moment(moment: dt.datetime, time_zone: str) -> dt.datetime:
    """The next Monday 09:00 in ``time_zone`` at or after ``moment``."""
    local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    day = local.date() + dt.timedelta(days=(DIGEST_WEEKDAY - local.weekday()) % 7)
    start = dt.datetime.combine(day, WORKDAY_START, tzinfo=local.tzinfo)
    return start if start >= local else start + dt.timedelta(days=7)


# --- The contact sources -------------------------------------------------------------


def _program_admin_ids() -> list[int]:
    return list(
        User.objects.filter(groups__name=Role.PROGRAM_ADMIN.value, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@reminder_source
def contact_reminders(moment: ScanMoment) -> Iterator[Due]:
    """Due soon, overdue (then again every ``overdue_repeat_days``) and
    escalated, for every active executive, from the same contact status the
    pages show. Five queries, however many executives."""
    executives = Executive.objects.filter(active=True, user__is_active=True)
    statuses = executive_contact_statuses(executives=executives, now=moment.now, as_of=moment.as_of, exposure=False)
    people = {
        row["pk"]: row
        for row in executives.values(
            "pk", "user_id", "manager__user_id", "manager__active", "manager__user__is_active", "user__full_name"
        )
    }
    admins: list[int] | None = None
    log_url = reverse("visits:log_contact")
    for executive_id, status in statuses.items():
        state = status.reminder_state
        if state == ContactState.ON_TRACK:
            continue
        person, start = people.get(executive_id), status.episode_start
        if person is None:
            continue  # left the program between the two reads: nobody to remind
        days = (status.today - start).days
        since = (
            f"last contact {start:%-d %b %Y}"
            if status.last_contact_on
            else f"no contact since joining {start:%-d %b %Y}"
        )
        episode = f"executive:{executive_id}:{start.isoformat()}"
        if state == ContactState.DUE_SOON:
            reason = f"The six-week window closes on {status.due_on:%-d %b %Y} ({since})."
            yield Due(person["user_id"], Reminder.Kind.DUE_SOON, episode, reason, log_url, executive_id)
            continue
        overdue_days = days - status.cadence.cadence_days
        week = (overdue_days - 1) // status.cadence.overdue_repeat_days
        reason = f"{overdue_days} day{'s' if overdue_days != 1 else ''} past the window ({since})."
        yield Due(person["user_id"], Reminder.Kind.OVERDUE, f"{episode}:{week}", reason, log_url, executive_id)
        if state == ContactState.ESCALATED:
            # A manager who left the program, or whose login is closed, cannot act on it.
            if person["manager__user_id"] and person["manager__active"] and person["manager__user__is_active"]:
                recipients = [person["manager__user_id"]]
            else:
                admins = _program_admin_ids() if admins is None else admins
                recipients = admins
            reason = f"{person['user__full_name']} is {overdue_days} days past the contact window ({since})."
            for recipient_id in recipients:
                yield Due(recipient_id, Reminder.Kind.ESCALATION, episode, reason, "", executive_id)


# --- Scan, record, send --------------------------------------------------------------


def reminders_due(*, now: dt.datetime | None = None, as_of: dt.date | None = None) -> list[Due]:
    """Everything every source finds due at ``now`` (or on ``as_of``), in
    recipient, kind, episode order."""
    moment = ScanMoment(now=now or timezone.now(), as_of=as_of)
    found = [due for source in SOURCES for due in source(moment)]
    return sorted(found, key=lambda due: (due.recipient_id, due.kind, due.episode))


def reminders_not_yet_recorded(dues: list[Due]) -> list[Due]:
    """Those of ``dues`` that have no reminder row yet (what a dry run would send)."""
    episodes = {due.episode for due in dues}
    recorded = set(
        Reminder.objects.filter(episode__in=episodes).values_list("recipient_id", "kind", "episode") if episodes else []
    )
    return [due for due in dues if (due.recipient_id, due.kind, due.episode) not in recorded]


def _when(due: Due, *, user: dict, now: dt.datetime) -> tuple[str, dt.datetime]:
    """The channel and the not-before moment of ``due`` for its recipient."""
    time_zone = user["time_zone"]
    if user["reminder_digest"] and due.kind != Reminder.Kind.ESCALATION and due.deadline is None:
        return Reminder.Channel.DIGEST, next_digest_moment(now, time_zone)
    at = next_working_moment(now, time_zone)
    if due.deadline is not None and at >= due.deadline:
        at = now  # waiting for working hours would miss it
    return Reminder.Channel.EMAIL, at


@transaction.atomic
def reminders_record(*, dues: list[Due], now: dt.datetime | None = None) -> int:
    """Record ``dues`` as pending reminders; those already recorded are left
    as they are (the unique constraint decides, so two scans at once record
    each reminder once). Returns how many rows the dues now have in all."""
    if not dues:
        return 0
    now = now or timezone.now()
    users = {
        row["pk"]: row
        for row in User.objects.filter(pk__in={due.recipient_id for due in dues}).values(
            "pk", "time_zone", "reminder_digest"
        )
    }
    rows = []
    for due in dues:
        channel, due_at = _when(due, user=users[due.recipient_id], now=now)
        rows.append(
            Reminder(
                recipient_id=due.recipient_id,
                kind=due.kind,
                episode=due.episode,
                executive_id=due.executive_id,
                reason=due.reason[:300],
                url=due.url,
                channel=channel,
                due_at=due_at,
                created_at=now,
            )
        )
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def _claimable(*, now: dt.datetime) -> Q:
    """Reminders a sender may take: pending, or claimed by a sender that died (a stale claim)."""
    return Q(status=Reminder.Status.PENDING) | Q(status=Reminder.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)


def _notify_sent(*, recipient: User, reminders: Iterable[Reminder], now: dt.datetime) -> None:
    """The in-app notification of each reminder just sent to ``recipient``, in one insert."""
    Notification.objects.bulk_create(
        Notification(user=recipient, message=f"{r.get_kind_display()}: {r.reason}"[:300], url=r.url, created_at=now)
        for r in reminders
    )


def reminders_ready(*, now: dt.datetime | None = None) -> list[int]:
    """The pending email reminders whose time has come, and those whose sender
    died while sending (a stale claim), oldest first."""
    now = now or timezone.now()
    return list(
        Reminder.objects.filter(_claimable(now=now), channel=Reminder.Channel.EMAIL, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)
    )


def reminder_claim(*, reminder_id: int, now: dt.datetime | None = None) -> bool:
    """Take reminder ``reminder_id`` for sending: one conditional UPDATE, so
    of two senders exactly one gets it."""
    now = now or timezone.now()
    return (
        Reminder.objects.filter(_claimable(now=now), pk=reminder_id).update(
            status=Reminder.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        == 1
    )


def _links() -> dict[str, str]:
    """The absolute links every reminder email may offer."""
    return {
        "home_url": absolute_url(reverse("home")),
        "log_url": absolute_url(reverse("visits:log_contact")),
        "settings_url": absolute_url(reverse("engagement:notification_settings")),
    }


def reminder_message(*, reminder: Reminder) -> EmailMultiAlternatives:
    """The email of one reminder, in plain text and HTML, with absolute links."""
    links = _links()
    context = {
        "reminder": reminder,
        "recipient": reminder.recipient,
        "url": absolute_url(reminder.url) if reminder.url else links["home_url"],
        **links,
        **reminder_message_details(reminder=reminder),
    }
    return templated_email("engagement/email/reminder", context, to=reminder.recipient.email)


def reminder_deliver(*, reminder_id: int, now: dt.datetime | None = None) -> bool:
    """Send reminder ``reminder_id``, which the caller has claimed: the email,
    then, with the row marked sent, the in-app notification. A mail error
    propagates, for the caller to retry; the row stays claimed meanwhile."""
    reminder = Reminder.objects.select_related("recipient", "executive__user").get(pk=reminder_id)
    if reminder.status != Reminder.Status.SENDING:
        return False
    reminder_message(reminder=reminder).send()
    now = now or timezone.now()
    with transaction.atomic():
        marked = Reminder.objects.filter(pk=reminder_id, status=Reminder.Status.SENDING).update(
            status=Reminder.Status.SENT, sent_at=now, last_error=""
        )
        if marked:
            _notify_sent(recipient=reminder.recipient, reminders=[reminder], now=now)
    return bool(marked)


def reminder_failed(*, reminder_id: int, error: str, final: bool) -> None:
    """Note a failed try: back to pending for the next try, or failed for
    good (shown to program admins, who may send it again)."""
    Reminder.objects.filter(pk=reminder_id, status=Reminder.Status.SENDING).update(
        status=Reminder.Status.FAILED if final else Reminder.Status.PENDING, last_error=error[:300]
    )


def reminders_resend(*, reminder_ids: Iterable[int]) -> int:
    """Put the failed ones of ``reminder_ids`` back in line, to go out at the
    next run, in one UPDATE. Returns how many were failed."""
    return Reminder.objects.filter(pk__in=list(reminder_ids), status=Reminder.Status.FAILED).update(
        status=Reminder.Status.PENDING, due_at=timezone.now(), attempts=0
    )


def reminder_resend(*, reminder_id: int) -> bool:
    """Put a failed reminder back in line, to go out at the next run."""
    return reminders_resend(reminder_ids=[reminder_id]) == 1


# --- What a reminder's email says --------------------------------------------------

CONTACT_KINDS = (Reminder.Kind.DUE_SOON, Reminder.Kind.OVERDUE)


@dataclass(frozen=True)
class SuggestedAccount:
    """An account an executive would suit, with a ready-made email asking its
    account manager for a meeting (``mailto`` is empty when it has none)."""

    account: Account
    mailto: str


def suggested_accounts(*, executive: Executive) -> list[SuggestedAccount]:
    """The accounts a reminder suggests to ``executive``, each with an email to
    its account manager: the account team stays in charge of the meeting, so
    the executive asks rather than books. ``executive.user`` should be loaded."""
    suggestions = []
    for account in account_suggestions_for_executive(executive=executive):
        manager, mailto = account.account_manager, ""
        if manager is not None and manager.is_active:
            body = (
                f"Hello {manager.get_short_name()},\n\n"
                f"I would like to meet {account.name} in the next few weeks. Could we set up a meeting? "
                "Tell me what you would want from it.\n\n"
                f"{executive.user.get_full_name()}"
            )
            fields = {"subject": f"Could we set up a meeting with {account.name}?", "body": body}
            mailto = f"mailto:{quote(manager.email, safe='@')}?{urlencode(fields, quote_via=quote)}"
        suggestions.append(SuggestedAccount(account=account, mailto=mailto))
    return suggestions


def reminder_message_details(*, reminder: Reminder) -> dict[str, object]:
    """What a reminder's email says beyond its reason: to an executive due
    soon or overdue, accounts to meet and whom to ask; with an escalation,
    whether the recipient is the executive's manager (asked to help) or a
    program admin (sent to the program's executives page)."""
    details: dict[str, object] = {
        "suggestions": [],
        "for_manager": False,
        "program_url": "",
    }
    executive = reminder.executive
    if executive is None:
        return details
    if reminder.kind in CONTACT_KINDS:
        details["suggestions"] = suggested_accounts(executive=executive)
    elif reminder.kind == Reminder.Kind.ESCALATION:
        details["for_manager"] = bool(executive.manager_id) and (
            Executive.objects.filter(pk=executive.manager_id, user_id=reminder.recipient_id).exists()
        )
        if has_role(reminder.recipient, Role.PROGRAM_ADMIN):
            details["program_url"] = absolute_url(reverse("engagement:program_home"))
    return details


# --- The weekly digest -------------------------------------------------------------


def _digest_claimable(*, now: dt.datetime) -> Q:
    return Q(channel=Reminder.Channel.DIGEST, due_at__lte=now) & _claimable(now=now)


def reminders_digest_ready(*, now: dt.datetime | None = None) -> list[int]:
    """The recipients with a weekly digest to send: pending digest reminders
    whose Monday morning has come, or whose sender died while sending (a stale
    claim). One query."""
    now = now or timezone.now()
    return list(
        Reminder.objects.filter(_digest_claimable(now=now))
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def reminder_digest_message(*, recipient: User, reminders: list[Reminder], now: dt.datetime) -> EmailMultiAlternatives:
    """The one email of a weekly digest, listing ``reminders``, in plain text
    and HTML, with absolute links."""
    links = _links()
    own = next((r.executive for r in reminders if r.kind in CONTACT_KINDS and r.executive is not None), None)
    context = {
        "recipient": recipient,
        "items": [
            {"reminder": reminder, "url": absolute_url(reminder.url) if reminder.url else links["home_url"]}
            for reminder in reminders
        ],
        "week_of": now.astimezone(recipient.tzinfo).date(),
        **links,
        "suggestions": suggested_accounts(executive=own) if own else [],
    }
    return templated_email("engagement/email/digest", context, to=recipient.email)


def reminder_digest_deliver(*, recipient_id: int, now: dt.datetime | None = None) -> int:
    """Send ``recipient_id`` their weekly digest: claim all their due digest
    reminders with one conditional UPDATE (of two senders, each reminder goes
    to one), send one email listing them, then mark exactly those sent, each
    with its in-app notification. Returns how many went out. A mail error
    propagates with the reminders still claimed at ``now``, for the caller to
    hand to ``reminder_digest_failed``."""
    now = now or timezone.now()
    claimed = Reminder.objects.filter(_digest_claimable(now=now), recipient_id=recipient_id).update(
        status=Reminder.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return 0
    # ``claimed_at`` tells this claim's rows from any other sender's.
    mine = Reminder.objects.filter(
        recipient_id=recipient_id, channel=Reminder.Channel.DIGEST, status=Reminder.Status.SENDING, claimed_at=now
    )
    reminders = list(mine.select_related("recipient", "executive__user").order_by("created_at", "pk"))
    if not reminders:
        return 0
    recipient = reminders[0].recipient
    reminder_digest_message(recipient=recipient, reminders=reminders, now=now).send()
    ids = [reminder.pk for reminder in reminders]
    with transaction.atomic():
        mine.filter(pk__in=ids).update(status=Reminder.Status.SENT, sent_at=now, last_error="")
        # Re-read rather than trust the count: a sender that took a stale
        # claim over would have changed ``claimed_at`` and owns those rows now.
        sent = set(
            Reminder.objects.filter(pk__in=ids, status=Reminder.Status.SENT, claimed_at=now).values_list(
                "pk", flat=True
            )
        )
        _notify_sent(recipient=recipient, reminders=[r for r in reminders if r.pk in sent], now=now)
    return len(sent)


def reminder_digest_failed(*, recipient_id: int, claimed_at: dt.datetime, error: str, final: bool) -> int:
    """Note a failed try of a digest, for every reminder that try claimed (at
    ``claimed_at``): back to pending for the next try, or failed for good."""
    return Reminder.objects.filter(
        recipient_id=recipient_id,
        channel=Reminder.Channel.DIGEST,
        status=Reminder.Status.SENDING,
        claimed_at=claimed_at,
    ).update(status=Reminder.Status.FAILED if final else Reminder.Status.PENDING, last_error=error[:300])
