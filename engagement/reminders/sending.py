"""Sending reminders: each claimed once, checked again, emailed with its
in-app notification, or gathered into a weekly digest, with the
notifications their readers chose to get in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from engagement.accounts.models import Account
from engagement.accounts.selectors import account_suggestions_for_executive
from engagement.delivery.emails import templated_email
from engagement.delivery.links import absolute_url
from engagement.delivery.models import MailDelivery
from engagement.moments import moments_in_zone
from engagement.notifications.models import KIND_EMAILS, DigestItem, Notification
from engagement.people.models import Executive, User
from engagement.people.roles import Role, has_role
from engagement.reminders.models import Reminder
from engagement.reminders.scan import ScanMoment
from engagement.reminders.standing import (
    CONTACT_KINDS,
    SUPERSEDED,
    _by_pk,
    _take_episode,
    _withdraw,
    reminders_standing,
)

# A claim older than this belongs to a sender that died: take it back.
STALE_CLAIM = dt.timedelta(minutes=15)


def _claimable(*, now: dt.datetime) -> Q:
    """Reminders a sender may take: pending, or claimed by a sender that died (a stale claim)."""
    return Q(status=Reminder.Status.PENDING) | Q(status=Reminder.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)


def _notify_sent(*, recipient: User, reminders: Iterable[Reminder], now: dt.datetime) -> None:
    """The in-app notification of each reminder just sent to ``recipient``, in one insert."""
    Notification.objects.bulk_create(
        Notification(
            user=recipient,
            message=f"{r.get_kind_display()}: {r.reason}"[:300],
            url=r.url,
            reminder=r,
            created_at=now,
        )
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
    """The email of one reminder, in plain text and HTML, with absolute links,
    its moments in the recipient's time zone."""
    links = _links()
    context = {
        "reminder": reminder,
        "reason": moments_in_zone(reminder.reason, reminder.recipient.time_zone),
        "recipient": reminder.recipient,
        "url": absolute_url(reminder.url) if reminder.url else links["home_url"],
        **links,
        **reminder_message_details(reminder=reminder),
    }
    return templated_email(
        "engagement/email/reminder", context, to=reminder.recipient.email, time_zone=reminder.recipient.time_zone
    )


def reminder_deliver(*, reminder_id: int, now: dt.datetime | None = None, as_of: dt.date | None = None) -> bool:
    """Send reminder ``reminder_id``, which the caller has claimed, if it
    still holds at ``now`` (or as of ``as_of``, as the scan that found it): the email, then, with the row marked
    sent, the in-app notification, both with the reason as it stands. One
    that no longer holds is withdrawn, with why, and nothing is sent. A mail
    error propagates, for the caller to retry; the row stays claimed
    meanwhile. Returns whether it was sent."""
    moment = ScanMoment(now=now or timezone.now(), as_of=as_of)
    reminder = Reminder.objects.select_related("recipient", "executive__user").get(pk=reminder_id)
    if reminder.status != Reminder.Status.SENDING:
        return False
    due = reminders_standing(reminders=[reminder], moment=moment)[reminder.pk]
    if isinstance(due, str) or not _take_episode(reminder, due):
        why = due if isinstance(due, str) else SUPERSEDED
        _withdraw(reasons={reminder.pk: why}, statuses=[Reminder.Status.SENDING], now=moment.now)
        return False
    reminder.reason, reminder.url = due.reason[:300], due.url
    reminder_message(reminder=reminder).send()
    with transaction.atomic():
        marked = Reminder.objects.filter(pk=reminder_id, status=Reminder.Status.SENDING).update(
            status=Reminder.Status.SENT, sent_at=moment.now, last_error="", reason=reminder.reason, url=reminder.url
        )
        if marked:
            _notify_sent(recipient=reminder.recipient, reminders=[reminder], now=moment.now)
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
        manager_id = executive.manager_id
        details["for_manager"] = (
            manager_id is not None and Executive.objects.filter(pk=manager_id, user_id=reminder.recipient_id).exists()
        )
        if has_role(reminder.recipient, Role.PROGRAM_ADMIN):
            details["program_url"] = absolute_url(reverse("engagement:program_home"))
    return details


def _digest_claimable(*, now: dt.datetime) -> Q:
    return Q(channel=Reminder.Channel.DIGEST, due_at__lte=now) & _claimable(now=now)


def _items_claimable(*, now: dt.datetime) -> Q:
    """Notifications a digest sender may take: waiting, or claimed by a sender that died."""
    waiting = Q(status__in=[MailDelivery.Status.PENDING, MailDelivery.Status.RETRYING])
    stale = Q(status=MailDelivery.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    return Q(due_at__lte=now) & (waiting | stale)


def _digest_items_standing(items: list[DigestItem]) -> list[DigestItem]:
    """The claimed notices still worth telling: one withdrawn since it was kept (what it led to is gone, an
    engagement deleted) is not sent, and says why."""
    for item in items:
        if item.notification.withdrawn_at is not None:
            reason = f"Not sent: withdrawn before the digest ({item.notification.withdrawn_reason})"
            DigestItem.objects.filter(pk=item.pk).update(status=MailDelivery.Status.FAILED, last_error=reason[:300])
    return [item for item in items if item.notification.withdrawn_at is None]


def reminders_digest_ready(*, now: dt.datetime | None = None) -> list[int]:
    """The recipients with a weekly digest to send: pending digest reminders,
    or notifications kept for their digest, whose Monday morning has come, or
    whose sender died while sending (a stale claim). Two queries."""
    now = now or timezone.now()
    reminded = Reminder.objects.filter(_digest_claimable(now=now)).values_list("recipient_id", flat=True)
    told = DigestItem.objects.filter(_items_claimable(now=now)).values_list("recipient_id", flat=True)
    return sorted(set(reminded) | set(told))


def reminder_digest_message(
    *, recipient: User, reminders: list[Reminder], now: dt.datetime, items: Sequence[DigestItem] = ()
) -> EmailMultiAlternatives:
    """The one email of a weekly digest, listing ``reminders``, then the
    notifications of ``items``, in plain text and HTML, with absolute links,
    moments in the recipient's time zone."""
    links = _links()
    own = next((r.executive for r in reminders if r.kind in CONTACT_KINDS and r.executive is not None), None)
    context = {
        "recipient": recipient,
        "items": [
            {
                "reminder": reminder,
                "reason": moments_in_zone(reminder.reason, recipient.time_zone),
                "url": absolute_url(reminder.url) if reminder.url else links["home_url"],
            }
            for reminder in reminders
        ],
        "notes": [
            {
                "kind": item.get_kind_display(),
                "at": item.notification.created_at,
                "message": moments_in_zone(item.notification.message, recipient.time_zone),
                "action": KIND_EMAILS[item.kind].action,
                "url": absolute_url(item.notification.url) if item.notification.url else links["home_url"],
            }
            for item in items
        ],
        "count": len(reminders) + len(items),
        "week_of": now.astimezone(recipient.tzinfo).date(),
        **links,
        "suggestions": suggested_accounts(executive=own) if own else [],
    }
    return templated_email("engagement/email/digest", context, to=recipient.email, time_zone=recipient.time_zone)


def _digest_reminders_standing(*, mine: QuerySet[Reminder], moment: ScanMoment) -> list[Reminder]:
    """The reminders of this digest's claim (``mine``) that still hold, with
    their reason and link as they stand; the others are withdrawn, with why."""
    claimed_rows = list(mine.select_related("recipient", "executive__user").order_by("created_at", "pk"))
    standing = reminders_standing(reminders=claimed_rows, moment=moment)
    reminders, reasons = [], {}
    for reminder in claimed_rows:
        due = standing[reminder.pk]
        if isinstance(due, str) or not _take_episode(reminder, due):
            reasons[reminder.pk] = due if isinstance(due, str) else SUPERSEDED
            continue
        reminder.reason, reminder.url = due.reason[:300], due.url
        reminders.append(reminder)
    _withdraw(reasons=reasons, statuses=[Reminder.Status.SENDING], now=moment.now)
    return reminders


def _digest_reminders_sent(*, mine: QuerySet[Reminder], reminders: list[Reminder], now: dt.datetime) -> int:
    """Mark the digest's ``reminders`` sent, each with its in-app notification."""
    if not reminders:
        return 0
    ids = [reminder.pk for reminder in reminders]
    mine.filter(pk__in=ids).update(
        status=Reminder.Status.SENT,
        sent_at=now,
        last_error="",
        reason=_by_pk({r.pk: r.reason for r in reminders}),
        url=_by_pk({r.pk: r.url for r in reminders}),
    )
    # Re-read rather than trust the count: a sender that took a stale
    # claim over would have changed ``claimed_at`` and owns those rows now.
    sent = set(
        Reminder.objects.filter(pk__in=ids, status=Reminder.Status.SENT, claimed_at=now).values_list("pk", flat=True)
    )
    _notify_sent(recipient=reminders[0].recipient, reminders=[r for r in reminders if r.pk in sent], now=now)
    return len(sent)


def reminder_digest_deliver(*, recipient_id: int, now: dt.datetime | None = None, as_of: dt.date | None = None) -> int:
    """Send ``recipient_id`` their weekly digest: claim all their due digest
    reminders, and the notifications kept for it, with one conditional
    UPDATE each (of two senders, each goes to one), withdraw the reminders
    that no longer hold (``reminders_standing``), send one email listing the
    rest as they stand and the notifications, then mark exactly those sent,
    each reminder with its in-app notification. Returns how many went out. A
    mail error propagates with them still claimed at ``now``, for the caller
    to hand to ``reminder_digest_failed``."""
    moment = ScanMoment(now=now or timezone.now(), as_of=as_of)
    now = moment.now
    claimed = Reminder.objects.filter(_digest_claimable(now=now), recipient_id=recipient_id).update(
        status=Reminder.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    claimed_items = DigestItem.objects.filter(_items_claimable(now=now), recipient_id=recipient_id).update(
        status=MailDelivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed and not claimed_items:
        return 0
    # ``claimed_at`` tells this claim's rows from any other sender's.
    mine = Reminder.objects.filter(
        recipient_id=recipient_id, channel=Reminder.Channel.DIGEST, status=Reminder.Status.SENDING, claimed_at=now
    )
    reminders = _digest_reminders_standing(mine=mine, moment=moment) if claimed else []
    my_items = DigestItem.objects.filter(recipient_id=recipient_id, status=MailDelivery.Status.SENDING, claimed_at=now)
    items = (
        list(my_items.select_related("notification", "recipient").order_by("notification__created_at", "pk"))
        if claimed_items
        else []
    )
    items = _digest_items_standing(items)
    if not reminders and not items:
        return 0
    recipient = reminders[0].recipient if reminders else items[0].recipient
    reminder_digest_message(recipient=recipient, reminders=reminders, items=items, now=now).send()
    with transaction.atomic():
        sent = _digest_reminders_sent(mine=mine, reminders=reminders, now=now)
        sent += my_items.filter(pk__in=[item.pk for item in items]).update(
            status=MailDelivery.Status.SENT, sent_at=now, last_error=""
        )
    return sent


def reminder_digest_failed(*, recipient_id: int, claimed_at: dt.datetime, error: str, final: bool) -> int:
    """Note a failed try of a digest, for every reminder and notification
    that try claimed (at ``claimed_at``): back to waiting for the next try,
    or failed for good."""
    reminders = Reminder.objects.filter(
        recipient_id=recipient_id,
        channel=Reminder.Channel.DIGEST,
        status=Reminder.Status.SENDING,
        claimed_at=claimed_at,
    ).update(status=Reminder.Status.FAILED if final else Reminder.Status.PENDING, last_error=error[:300])
    items = DigestItem.objects.filter(
        recipient_id=recipient_id, status=MailDelivery.Status.SENDING, claimed_at=claimed_at
    ).update(status=MailDelivery.Status.FAILED if final else MailDelivery.Status.RETRYING, last_error=error[:300])
    return reminders + items
