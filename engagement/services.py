"""Writes for the program's core: people, roles, invitations and contacts."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from engagement.audit import audit_change
from engagement.coverage import twelve_months_before
from engagement.dates import local_date
from engagement.emails import SENDING_STALE_AFTER
from engagement.links import absolute_url
from engagement.models import (
    Account,
    ApiToken,
    Executive,
    ExecutiveContact,
    Function,
    Invitation,
    Level,
    Notification,
    Program,
    Reminder,
    User,
)
from engagement.outbox import task_enqueue
from engagement.roles import ROLE_PERMISSIONS, Role
from engagement.selectors import api_token_hash, executive_cadences, login_never_used

MANAGED_APPS = ("engagement", "visits", "feedback", "mentoring", "account", "django_celery_beat")


class ProgramError(Exception):
    """A change the program's rules refuse; its message is shown to the user."""


@transaction.atomic
def role_groups_ensure() -> None:
    """Create the role groups and give each exactly its permissions. Safe to
    repeat; five queries, however many roles and permissions there are."""
    names = [role.value for role in ROLE_PERMISSIONS]
    Group.objects.bulk_create([Group(name=name) for name in names], ignore_conflicts=True)
    group_ids = dict(Group.objects.filter(name__in=names).values_list("name", "pk"))
    permission_ids = {
        f"{app_label}.{codename}": pk
        for app_label, codename, pk in Permission.objects.values_list("content_type__app_label", "codename", "pk")
    }
    wanted = set()
    for role, codenames in ROLE_PERMISSIONS.items():
        if codenames == ["*"]:
            codenames = [name for name in permission_ids if name.split(".", 1)[0] in MANAGED_APPS]
        wanted |= {(group_ids[role.value], permission_ids[name]) for name in codenames if name in permission_ids}
    through = Group.permissions.through
    granted = {
        (group_id, permission_id): pk
        for pk, group_id, permission_id in through.objects.filter(group_id__in=group_ids.values()).values_list(
            "pk", "group_id", "permission_id"
        )
    }
    through.objects.filter(pk__in=[pk for key, pk in granted.items() if key not in wanted]).delete()
    through.objects.bulk_create(
        [through(group_id=group_id, permission_id=permission_id) for group_id, permission_id in wanted - granted.keys()]
    )


def user_email_address_sync(*, user: User) -> None:
    """Keep allauth's record of ``user``'s address in step with their email, as
    invitations do, for users made or changed in the admin: a new or changed
    address is recorded as primary and not yet verified."""
    primary = EmailAddress.objects.filter(user=user, primary=True).first()
    if primary is None:
        EmailAddress.objects.filter(user=user, email__iexact=user.email).delete()
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    elif primary.email.lower() != user.email.lower():
        EmailAddress.objects.filter(user=user, email__iexact=user.email).exclude(pk=primary.pk).delete()
        primary.email, primary.verified = user.email, False
        primary.save(update_fields=["email", "verified"])


def user_set_roles(*, user: User, roles: Iterable[Role]) -> None:
    """Give ``user`` exactly ``roles``. Program admins may open the Django admin."""
    roles = set(roles)
    groups = Group.objects.filter(name__in=[role.value for role in roles])
    user.groups.set(groups)
    is_staff = Role.PROGRAM_ADMIN in roles or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_groundwork_roles", None)


INVITATION_SALT = "groundwork.engagement.invitation"


def _invitation_fingerprint(user: User) -> str:
    # Changes as soon as a password is set or the user signs in, which is what
    # makes a link single use.
    return salted_hmac(INVITATION_SALT, f"{user.password}{user.last_login}").hexdigest()[:24]


def invitation_token(*, user: User) -> str:
    return signing.dumps({"user": user.pk, "fingerprint": _invitation_fingerprint(user)}, salt=INVITATION_SALT)


def invitation_user(*, token: str) -> User | None:
    """The active user an invitation ``token`` is for, or None when the token
    is altered, expired or already used."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=dt.timedelta(days=settings.INVITATION_TIMEOUT_DAYS))
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None or not constant_time_compare(_invitation_fingerprint(user), data.get("fingerprint", "")):
        return None
    return user


def invitation_url(*, user: User) -> str:
    """The absolute link that lets ``user`` choose a password and sign in."""
    return absolute_url(reverse("engagement:invitation_accept", kwargs={"token": invitation_token(user=user)}))


@transaction.atomic
def user_invite(
    *,
    email: str,
    full_name: str,
    roles: Iterable[Role],
    invited_by: User,
    time_zone: str = "UTC",
    title: str = "",
    level: int = Level.VP,
    function: Function | None = None,
    manager: Executive | None = None,
) -> User:
    """Create a user who sets their own password from an emailed link.

    With the executive role the user also gets an executive profile in the
    active programs. The invitation is recorded as not sent yet; a task sends
    it after the commit, and tries again while the mail server fails.
    """
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ProgramError(f"{email} already has a Groundwork login.")
    roles = set(roles)
    if not roles:
        raise ProgramError("Choose at least one role.")
    user = User.objects.create_user(email=email, password=None, full_name=full_name.strip(), time_zone=time_zone)
    # allauth's record of the address; the invitation link verifies it.
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    user_set_roles(user=user, roles=roles)
    if Role.EXECUTIVE in roles:
        executive = Executive.objects.create(
            user=user, title=title or "Executive", level=level, function=function, manager=manager
        )
        executive.programs.set(Program.objects.filter(active=True))
    invitation = Invitation.objects.create(user=user, invited_by=invited_by)
    _invitation_enqueue(invitation_id=invitation.pk)
    return user


def _invitation_enqueue(*, invitation_id: int) -> None:
    from engagement.tasks import send_invitation

    task_enqueue(task=send_invitation, args=(invitation_id,))


def invitation_resend(*, user: User, by: User, now: dt.datetime | None = None) -> bool:
    """Send ``user``'s invitation again, with a new link, from a task after
    the commit: for a login never used only. Returns False when it is being
    sent at this moment (nothing to do); raises ``ProgramError`` when the
    login is in use."""
    if not login_never_used(user=user):
        raise ProgramError(
            f"{user.email} has chosen a password already: they sign in as usual, "
            "or reset their password from the sign-in page."
        )
    now = now or timezone.now()
    with transaction.atomic():
        invitation, created = Invitation.objects.get_or_create(
            user=user, defaults={"invited_by": by, "created_at": now, "queued_at": now}
        )
        if not created:
            # A try under way finishes by itself; one whose worker died long ago does not.
            under_way = Q(status=Invitation.Status.SENDING, claimed_at__gte=now - SENDING_STALE_AFTER)
            again = Invitation.objects.filter(pk=invitation.pk).exclude(under_way)
            if not again.update(
                status=Invitation.Status.PENDING, queued_at=now, attempts=0, last_error="", retry_at=None
            ):
                return False
        _invitation_enqueue(invitation_id=invitation.pk)
    return True


def _invitation_sendable(now: dt.datetime) -> Q:
    waiting = Q(status__in=[Invitation.Status.PENDING, Invitation.Status.RETRYING])
    return waiting | Q(status=Invitation.Status.SENDING, claimed_at__lt=now - SENDING_STALE_AFTER)


def invitation_claim(*, invitation_id: int, now: dt.datetime | None = None) -> bool:
    """Take an invitation for one try: one conditional UPDATE, so that of two
    senders (a retry and a resend) exactly one sends it."""
    now = now or timezone.now()
    return (
        Invitation.objects.filter(_invitation_sendable(now), pk=invitation_id).update(
            status=Invitation.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        == 1
    )


def invitation_message(*, invitation: Invitation) -> EmailMultiAlternatives:
    """The invitation email, with a link made now: valid from now for
    ``INVITATION_TIMEOUT_DAYS``, and never stored."""
    context = {
        "user": invitation.user,
        "invited_by": invitation.invited_by,
        "url": invitation_url(user=invitation.user),
        "days": settings.INVITATION_TIMEOUT_DAYS,
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}You are invited to Groundwork",
        body=render_to_string("engagement/email/invitation.txt", context),
        to=[invitation.user.email],
    )
    message.attach_alternative(render_to_string("engagement/email/invitation.html", context), "text/html")
    return message


def invitation_deliver(*, invitation_id: int, now: dt.datetime | None = None) -> None:
    """Email the claimed invitation and mark it sent. A mail error
    propagates, for the caller to note and retry."""
    invitation = Invitation.objects.select_related("user", "invited_by").get(pk=invitation_id)
    invitation_message(invitation=invitation).send()
    Invitation.objects.filter(pk=invitation_id, status=Invitation.Status.SENDING).update(
        status=Invitation.Status.SENT, sent_at=now or timezone.now(), last_error="", retry_at=None
    )


def invitation_failed(*, invitation_id: int, error: str, retry_at: dt.datetime | None) -> None:
    """Note a failed try, in plain words: to be retried at ``retry_at``, or,
    without one, given up (a program admin may resend it)."""
    Invitation.objects.filter(pk=invitation_id, status=Invitation.Status.SENDING).update(
        status=Invitation.Status.RETRYING if retry_at else Invitation.Status.FAILED,
        last_error=error[:300],
        retry_at=retry_at,
    )


@transaction.atomic
def invitation_accept(*, user: User, password: str) -> None:
    """Set the invited user's password; their email is proven by the link."""
    user.set_password(password)
    user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})


@dataclass(frozen=True)
class ContactFact:
    """One executive at one held engagement of a type that counts."""

    engagement_id: int
    executive_id: int
    account_id: int
    occurred_at: dt.datetime
    duration_minutes: int


# Past this many executives one UPDATE of them all is cheaper than a long IN list.
_REFRESH_ALL_ABOVE = 500


@transaction.atomic
def executive_contacts_replace(
    *, engagement_ids: Iterable[int] | QuerySet, contacts: Iterable[ContactFact], batch_size: int = 5000
) -> int:
    """Make the program's contacts from the engagements in ``engagement_ids``
    exactly ``contacts``, and keep the last contact dates of every affected
    executive and account right. ``visits`` calls this whenever engagements are held, changed or
    undone; ``contacts`` may be a generator of millions. Returns how many
    contacts were written."""
    stale = ExecutiveContact.objects.filter(engagement_id__in=engagement_ids)
    affected = set(stale.values_list("executive_id", flat=True).distinct())
    # Apart, not as pairs: replacing every engagement would bring back a
    # million pairs where there are thousands of executives and accounts.
    accounts = set(stale.values_list("account_id", flat=True).distinct())
    stale.delete()
    time_zones: dict[int, str] = {}
    written = 0

    def write(batch: list[ContactFact]) -> int:
        unknown = {fact.executive_id for fact in batch} - time_zones.keys()
        time_zones.update(Executive.objects.filter(pk__in=unknown).values_list("pk", "user__time_zone"))
        rows = [
            ExecutiveContact(
                engagement_id=fact.engagement_id,
                executive_id=fact.executive_id,
                account_id=fact.account_id,
                occurred_at=fact.occurred_at,
                contact_on=local_date(fact.occurred_at, time_zones[fact.executive_id]),
                duration_minutes=fact.duration_minutes,
            )
            for fact in batch
        ]
        return len(ExecutiveContact.objects.bulk_create(rows))

    batch: list[ContactFact] = []
    for fact in contacts:
        affected.add(fact.executive_id)
        accounts.add(fact.account_id)
        batch.append(fact)
        if len(batch) >= batch_size:
            written += write(batch)
            batch = []
    if batch:
        written += write(batch)
    if affected:
        # The accounts of the contacts removed are refreshed too: an account
        # whose executive met it no more would not be found from the executives.
        everything = len(affected) > _REFRESH_ALL_ABOVE or len(accounts) > _REFRESH_ALL_ABOVE
        executive_last_contact_refresh(
            executive_ids=None if everything else affected, account_ids=None if everything else accounts
        )
    return written


def executive_last_contact_refresh(
    *, executive_ids: Iterable[int] | None = None, account_ids: Iterable[int] | QuerySet | None = None
) -> int:
    """Recompute ``Executive.last_contact_on`` from the contacts in one UPDATE
    (for every executive when ``executive_ids`` is None), then the accounts'
    (``account_last_contact_refresh``): those of ``account_ids``, or when it
    is None every account the executives met (every account when both are
    None). Returns how many executives were updated."""
    # Newest first with LIMIT 1 walks the (executive, contact_on) index
    # backwards: one index probe per executive, however long their history.
    latest = ExecutiveContact.objects.filter(executive=OuterRef("pk")).order_by("-contact_on").values("contact_on")[:1]
    executives = Executive.objects.all()
    if executive_ids is not None:
        executive_ids = list(executive_ids)
        executives = executives.filter(pk__in=executive_ids)
        if account_ids is None:
            # Their contacts may have been redated (a new time zone), which
            # moves the accounts' dates with them.
            account_ids = ExecutiveContact.objects.filter(executive_id__in=executive_ids).values("account_id")
    updated = executives.update(last_contact_on=Subquery(latest))
    account_last_contact_refresh(account_ids=account_ids)
    return updated


def account_last_contact_refresh(
    *, account_ids: Iterable[int] | QuerySet | None = None, today: dt.date | None = None
) -> int:
    """Recompute ``Account.last_contact_on`` and the twelve months' counts up
    to ``today`` (``contacts_12m``, ``key_executive`` and its
    ``key_executive_contacts_12m``) from the contacts in one UPDATE, for
    every account when ``account_ids`` is None (each night: the twelve
    months move on even when nothing is recorded)."""
    since = twelve_months_before(today or timezone.localdate())
    contacts = ExecutiveContact.objects.filter(account=OuterRef("pk")).order_by()
    recent = contacts.filter(contact_on__gte=since)
    # The executive with most contacts (the earliest id of equals).
    leading = recent.values("executive_id").annotate(n=Count("pk")).order_by("-n", "executive_id")
    accounts = Account.objects.all()
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids if isinstance(account_ids, QuerySet) else list(account_ids))
    return accounts.update(
        last_contact_on=Subquery(contacts.order_by("-contact_on").values("contact_on")[:1]),
        contacts_12m=Coalesce(Subquery(recent.values("account").annotate(n=Count("pk")).values("n")), 0),
        key_executive_id=Subquery(leading.values("executive_id")[:1]),
        key_executive_contacts_12m=Coalesce(Subquery(leading.values("n")[:1]), 0),
    )


CADENCE_FIELDS = ("cadence_days", "warning_days", "escalation_days", "exposure_target_minutes")


def executive_cadences_refresh(*, executive_ids: Iterable[int] | None = None) -> int:
    """Copy onto each executive (every one when ``executive_ids`` is None) the
    cadence ``executive_cadences`` gives them, and return how many changed.

    The receivers in ``engagement.receivers`` call this whenever a program, a
    program membership or a cadence override changes; the seed calls it after
    creating executives in bulk. Four queries and one UPDATE per changed batch.
    """
    executives = Executive.objects.all()
    if executive_ids is not None:
        executives = executives.filter(pk__in=list(executive_ids))
    rows = list(executives.values_list("pk", "cadence_override_days", *CADENCE_FIELDS))
    cadences = executive_cadences(overrides={pk: override for pk, override, *_ in rows})
    changed = []
    for pk, _override, *stored in rows:
        cadence = cadences[pk]
        wanted = (
            cadence.cadence_days,
            cadence.warning_days,
            cadence.escalation_days,
            int(cadence.exposure_hours_target * 60),
        )
        if tuple(stored) != wanted:
            changed.append(Executive(pk=pk, **dict(zip(CADENCE_FIELDS, wanted, strict=True))))
    Executive.objects.bulk_update(changed, CADENCE_FIELDS, batch_size=500)
    return len(changed)


@transaction.atomic
def executive_time_zone_change(*, user: User, time_zone: str) -> None:
    """Change a user's time zone and redate their contacts in it."""
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])
    executive_ids = list(Executive.objects.filter(user=user).values_list("pk", flat=True))
    if executive_ids:
        executive_contacts_redate(executive_ids=executive_ids)


def executive_contacts_redate(*, executive_ids: list[int]) -> None:
    """Date again, each in its executive's current time zone, the contacts of
    ``executive_ids`` (after their zone changed), and refresh their last contact."""
    zones = dict(Executive.objects.filter(pk__in=executive_ids).values_list("pk", "user__time_zone"))
    contacts = ExecutiveContact.objects.filter(executive_id__in=executive_ids).only(
        "pk", "executive_id", "occurred_at", "contact_on"
    )
    changed = []
    for contact in contacts.iterator(chunk_size=1000):
        day = local_date(contact.occurred_at, zones[contact.executive_id])
        if day != contact.contact_on:
            contact.contact_on = day
            changed.append(contact)
    ExecutiveContact.objects.bulk_update(changed, ["contact_on"], batch_size=1000)
    executive_last_contact_refresh(executive_ids=executive_ids)


def notification_send(
    *,
    users: Iterable[User],
    message: str,
    url: str = "",
    action: tuple[str, str] | None = None,
    exclude: User | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Tell each of ``users`` (once each, skipping ``exclude``, who acted) in
    the app. ``url`` is the path the message leads to; ``action`` (a label and
    a path) is one thing the reader may do from it at once, by a POST.
    Returns how many were told."""
    recipients = {user.pk for user in users if user is not None and (exclude is None or user.pk != exclude.pk)}
    created_at = now or timezone.now()
    action_label, action_url = action or ("", "")
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=pk,
                message=message[:300],
                url=url,
                action_label=action_label,
                action_url=action_url,
                created_at=created_at,
            )
            for pk in sorted(recipients)
        ]
    )
    return len(recipients)


@transaction.atomic
def user_reminder_digest_set(*, user: User, digest: bool, now: dt.datetime | None = None) -> None:
    """Choose how ``user`` gets reminders by email: one email each, or gathered
    into a weekly digest (escalations and meeting reminders still come at once).
    Turning the digest off sends what was waiting for Monday in their next
    working hours, not a week late; turning it on leaves reminders already
    on their way as they are."""
    # The reminder engine builds on this module, so it is imported here.
    from engagement.reminders import next_working_moment

    user.reminder_digest = digest
    user.save(update_fields=["reminder_digest"])
    if not digest:
        Reminder.objects.filter(recipient=user, channel=Reminder.Channel.DIGEST, status=Reminder.Status.PENDING).update(
            channel=Reminder.Channel.EMAIL,
            due_at=next_working_moment(now or timezone.now(), user.time_zone),
        )


def notifications_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s notifications read: those of ``notification_ids``, or all.
    Returns how many were unread."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


# --- API tokens -----------------------------------------------------------------------

API_KEY_PREFIX = "gw_"
# The key's first characters, kept to tell keys apart: the prefix and six more.
API_KEY_SHOWN = len(API_KEY_PREFIX) + 6
# A token's last use is written at most this often, so that reading the API
# is not a write per request.
API_TOKEN_TOUCH_EVERY = dt.timedelta(minutes=1)


def api_token_create(*, user: User, name: str, by: User) -> tuple[ApiToken, str]:
    """Make a key with which another system calls the API as ``user``, with
    ``user``'s rights. Returns the token and the key itself, which is kept
    nowhere (only its hash is): show it once."""
    name = name.strip()
    if not name:
        raise ProgramError("Say what the key is for, such as “CRM sync”.")
    if not user.is_active:
        raise ProgramError(f"{user} can no longer sign in: choose someone active.")
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:API_KEY_SHOWN], key_hash=api_token_hash(key), created_by=by
    )
    return token, key


def api_token_revoke(*, token: ApiToken, by: User, now: dt.datetime | None = None) -> bool:
    """Stop ``token``'s key from working, at once. One conditional UPDATE:
    revoking it twice (two admins at once) revokes it once, and the first
    revoker stays on record. Returns whether this call revoked it."""
    now = now or timezone.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now, revoked_by=by)
    if revoked:
        audit_change(instance=token, changes={"revoked_at": (None, now)}, actor=by)
    return bool(revoked)


def api_token_mark_used(*, token: ApiToken, now: dt.datetime | None = None) -> None:
    """Note that ``token`` was used now, at most once a minute. Several
    processes may hold the same stale time: the UPDATE writes only when
    nobody did in the last minute, so a burst of requests writes once."""
    now = now or timezone.now()
    stale = now - API_TOKEN_TOUCH_EVERY
    if token.last_used_at is not None and token.last_used_at >= stale:
        return
    ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=token.pk).update(
        last_used_at=now
    )
    token.last_used_at = now
