"""System checks of engagements: what `manage.py check --deploy` refuses."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def calendar_secret_key_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Production keeps calendars' secret addresses under a key of its own,
    never one derived from SECRET_KEY."""
    if settings.PRODUCTION and not settings.CALENDAR_SECRET_KEY_SET:
        return [
            checks.Error(
                "CALENDAR_SECRET_KEY must be set when DJANGO_ENV=production.",
                hint=(
                    "Make one with: python -c "
                    '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
                ),
                id="visits.E001",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def calendar_secret_keys_valid(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Each key of CALENDAR_SECRET_KEY is a Fernet key."""
    errors: list[checks.CheckMessage] = []
    for position, key in enumerate(settings.CALENDAR_SECRET_KEYS, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            errors.append(
                checks.Error(
                    f"Key {position} of CALENDAR_SECRET_KEY is not a Fernet key (32 bytes, URL-safe base64).",
                    id="visits.E002",
                )
            )
    return errors
