"""A calendar's secrets (its private address, a CalDAV password), encrypted at rest.

Whoever holds a calendar's private iCal address reads the calendar, so the
address is kept only encrypted, with the Fernet keys of
``settings.CALENDAR_SECRET_KEYS``: the first encrypts, any of them decrypts,
so a key is rotated by putting a new one first and, once
``calendar_secrets_rotate`` has re-encrypted every secret, dropping the old.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret none of the configured keys decrypts (a key dropped too soon)."""


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.CALENDAR_SECRET_KEYS])


def secret_encrypt(text: str) -> str:
    """``text`` encrypted with the newest key; empty stays empty."""
    if not text:
        return ""
    return _fernet().encrypt(text.encode()).decode()


def secret_decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("No configured CALENDAR_SECRET_KEY decrypts this secret.") from error


def secret_rotate(token: str) -> str:
    """``token`` encrypted again with the newest key (unchanged if empty)."""
    if not token:
        return ""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("No configured CALENDAR_SECRET_KEY decrypts this secret.") from error
