"""API keys: made, found by key, revoked, touched."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db.models import Q, QuerySet
from django.utils import timezone

from engagement.api.models import ApiToken
from engagement.audit.trail import audit_change
from engagement.errors import ProgramError
from engagement.people.models import User

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


def api_token_hash(key: str) -> str:
    """What is kept of an API key: its SHA-256. A key is 32 random bytes, so
    a fast unsalted hash is safe at rest and lets a request find its token
    by an indexed lookup."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_for_key(*, key: str) -> ApiToken | None:
    """The live token of ``key``, with its user; None for a key that is
    unknown, revoked, or of someone who can no longer sign in."""
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=api_token_hash(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def api_token_list() -> QuerySet[ApiToken]:
    """Every API token, newest first, with whose it is and who made and revoked it."""
    return ApiToken.objects.select_related("user", "created_by", "revoked_by").order_by("-created_at", "-pk")
