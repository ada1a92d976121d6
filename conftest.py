from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import override_settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from zeal import zeal_context, zeal_ignore

from config.celery import app as celery_app

# Property-based tests (tests/test_bad_input.py): the same few examples on
# every run, so that a failure is one a rerun shows again, in a bounded time;
# ``pytest --hypothesis-profile=thorough`` looks much further, with new ones.
# The world each example runs in is the module's, reset by a savepoint per
# example, so the function-scoped fixtures around it are safe to share.
hypothesis_settings.register_profile(
    "default",
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.register_profile(
    "thorough", parent=hypothesis_settings.get_profile("default"), max_examples=300, derandomize=False
)
hypothesis_settings.load_profile("default")

ZEAL_MIDDLEWARE = "zeal.middleware.zeal_middleware"

# N+1 queries that are Django's by design, never ours. Keep this list short:
# every entry hides that pattern from the whole suite.
ZEAL_ALLOWLIST = [
    # The database session backend reads the one session row of a request
    # with .get(), again when login() cycles the key, and the test client's
    # force_login() does the same: one row per session, never one per row of
    # program data.
    {"model": "sessions.Session", "field": "get()"},
    # django-celery-beat touches its one-row "schedule changed" marker with
    # update_or_create() after every task or schedule saved or deleted.
    {"model": "django_celery_beat.PeriodicTasks", "field": "get()"},
]


@pytest.fixture(autouse=True)
def _isolated_settings(settings, request):
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
    # The tests serve calendars on 127.0.0.1; the tests of the refusal turn this off.
    settings.CALENDAR_ALLOW_PRIVATE_ADDRESSES = True
    # Tasks queued by a page (a survey's email) run at once, in the test,
    # never onto a broker another process might read; tests of a real worker
    # (tests/test_reminder_worker.py) turn this off for their broker.
    celery_conf = celery_app.conf
    saved = celery_conf.task_always_eager
    celery_conf.task_always_eager = True
    request.addfinalizer(lambda: setattr(celery_conf, "task_always_eager", saved))
    # PBKDF2 would make every user a factory builds cost a fifth of a second.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(autouse=True, scope="session")
def _zeal_settings() -> Iterator[None]:
    """django-zeal for the whole suite, and the N+1 patterns it is told to
    ignore (each with why: none of them is in our code)."""
    from django.apps import AppConfig
    from django.conf import settings
    from django.contrib.admin import ModelAdmin
    from django.contrib.auth.backends import ModelBackend
    from django.forms.models import ModelChoiceField
    from factory.base import BaseFactory

    # A test tool, so the settings never name it: the suite does here what its
    # app's ready() does, hooking it into the ORM. (Adding it to INSTALLED_APPS
    # now would run every app's ready() again, and the audit trail's links,
    # which one app registers and another completes, would be registered anew.)
    AppConfig.create("zeal").ready()
    overrides = override_settings(
        ZEAL_RAISE=True,
        ZEAL_ALLOWLIST=ZEAL_ALLOWLIST,
        # The failure lists every caller in our code, not only the first frame
        # outside site-packages (often the admin site's wrapper or a middleware).
        ZEAL_SHOW_ALL_CALLERS=True,
        # Outermost, so that each request is checked on its own, middleware
        # included; further in, the middleware before it would add up their
        # one query per request over all the requests of a test.
        MIDDLEWARE=[ZEAL_MIDDLEWARE, *settings.MIDDLEWARE],
    )
    with overrides, pytest.MonkeyPatch.context() as patch:
        # Test data is built one object per factory call, by design: what a
        # test builds is not the code it tests.
        generate = BaseFactory.__dict__["_generate"].__func__
        patch.setattr(BaseFactory, "_generate", classmethod(_outside_zeal(generate)))
        # A form checks each submitted choice with its own .get(): an admin
        # inline of n rows makes n of them. That grows with the rows posted,
        # not with the data, and happens inside Django's forms.
        patch.setattr(ModelChoiceField, "to_python", _ignoring_get(ModelChoiceField.to_python))
        # Each request reads its signed-in user by id with one .get(). zeal
        # names a query by the first frame outside site-packages, so that read
        # and any other single-row read of a user in Django or allauth code
        # during the same request (the user whose password is checked, the
        # user of a reset link, the user shown on an admin page) look like one
        # line run twice.
        patch.setattr(ModelBackend, "get_user", _ignoring_get(ModelBackend.get_user))
        # Before a delete the admin lists everything it will remove, by each
        # object's str(), one object at a time: Django's page, which grows
        # with what is deleted (and shows all of it) rather than with the data.
        patch.setattr(ModelAdmin, "get_deleted_objects", _outside_zeal(ModelAdmin.get_deleted_objects))
        yield


@pytest.fixture(autouse=True)
def _n_plus_one_queries_fail_the_test(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run every test inside django-zeal: an N+1 query raises NPlusOneError."""
    from celery import Task
    from django.core.management.base import BaseCommand

    # A command run is one unit of work, like a request: a test that runs a
    # command twice does not make its queries an N+1. (Per test, so that the
    # migrations that build the test database run without zeal.)
    monkeypatch.setattr(BaseCommand, "execute", _in_zeal_context_of_its_own(BaseCommand.execute))
    # So is a task run (each retry too), whether a worker runs it or the test
    # runs it at once where it is queued.
    monkeypatch.setattr(Task, "apply", _in_zeal_context_of_its_own(Task.apply))
    with zeal_context():
        yield


def _in_zeal_context_of_its_own(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with zeal_context():
            return function(*args, **kwargs)

    return wrapper


def _outside_zeal(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with zeal_ignore():
            return function(*args, **kwargs)

    return wrapper


def _ignoring_get(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with zeal_ignore([{"model": "*", "field": "get()"}]):
            return function(*args, **kwargs)

    return wrapper


def pytest_sessionstart(session: pytest.Session) -> None:
    # Before collection, so that the tests importing it get the wrapped one:
    # this helper records one contact and reads it back, once per call.
    from engagement.tests import factories

    factories.contact_record = _outside_zeal(factories.contact_record)
