"""Invitations: a login someone sets up from an emailed link, sent and retried until the mail server takes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from engagement.cadence.models import Program
from engagement.delivery.emails import SENDING_STALE_AFTER
from engagement.delivery.links import absolute_url
from engagement.delivery.outbox import task_enqueue
from engagement.errors import ProgramError
from engagement.people.models import Executive, Function, Invitation, Level, User
from engagement.people.roles import Role
from engagement.people.services import user_set_roles

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

    task_enqueue(task="engagement.tasks.send_invitation", args=(invitation_id,))


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


def login_never_used(*, user: User) -> bool:
    """Whether ``user`` never chose a password nor signed in: an invitation
    that did not arrive, or was not acted on yet."""
    return user.is_active and user.last_login is None and not user.has_usable_password()


def invitation_list() -> QuerySet[Invitation]:
    """Every invitation, the latest asked for first, with whom it is for and
    who asked (whether it was taken up is the user's own facts)."""
    return Invitation.objects.select_related("user", "invited_by").order_by("-queued_at", "-pk")


def invitation_of(*, user: User) -> Invitation | None:
    """``user``'s invitation, if one was recorded (logins made in the admin have none)."""
    return Invitation.objects.filter(user=user).first()
