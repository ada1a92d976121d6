from __future__ import annotations

import uuid

import pytest


@pytest.fixture(autouse=True)
def _isolated_settings(settings):
    # Each test gets a cache of its own (rate limits live there): in memory,
    # or under a fresh key prefix on the shared Redis when REDIS_URL is set.
    cache = dict(settings.CACHES["default"])
    if cache["BACKEND"].endswith("FileBasedCache"):
        cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    else:
        cache["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": cache}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://groundwork.example"
    # PBKDF2 would make every user a factory builds cost a fifth of a second.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
