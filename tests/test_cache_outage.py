"""With Redis down, sign-in, the customer survey and the API answer as usual
and still rate-limit, each process counting on its own; the outage is logged
once, and /healthz names the cache."""

from __future__ import annotations

import importlib.util
import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from config import cache as cache_module
from engagement.people.roles import Role
from engagement.tests.factories import PASSWORD, UserFactory, api_key
from engagement.web import ratelimit
from feedback.services import survey_token
from feedback.tests.factories import SurveyFactory

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cache_settings_for(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The CACHES that config/settings.py makes for ``REDIS_URL``, read by
    running the settings module itself with that environment."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    spec = importlib.util.spec_from_file_location("settings_for_redis", ROOT / "config" / "settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CACHES


@pytest.fixture
def redis_down(settings, monkeypatch) -> None:
    """The production cache settings, with Redis on a port nothing listens on."""
    monkeypatch.setattr(cache_module, "_retry_at", {})
    settings.CACHES = cache_settings_for(f"redis://127.0.0.1:{free_port()}/0", monkeypatch)


def outage_warnings(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage().startswith("cache unreachable")]


@pytest.mark.django_db
def test_sign_in_works_and_still_limits_failures_while_redis_is_down(redis_down, caplog):
    user = UserFactory(email="target@groundwork.example", roles=[Role.EXECUTIVE])
    colleague = UserFactory(email="colleague@groundwork.example", roles=[Role.EXECUTIVE])
    caplog.set_level(logging.INFO, logger="config.cache")

    signed_in = Client().post(reverse("account_login"), {"login": colleague.email, "password": PASSWORD})
    guesser = Client()
    failures = [
        guesser.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"}).status_code
        for _ in range(5)
    ]
    refused = guesser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert signed_in.status_code == 302
    assert failures == [200] * 5
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert "_auth_user_id" not in guesser.session
    # Once for the outage, not once per request.
    assert len(outage_warnings(caplog)) == 1


@pytest.mark.django_db
def test_the_survey_answers_and_still_limits_while_redis_is_down(redis_down, monkeypatch):
    # One fixed window, so that a window turning over mid-test cannot reset the count.
    now = time.time()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now))
    survey = SurveyFactory()
    path = reverse("feedback:survey", kwargs={"token": survey_token(survey=survey)})
    answer = {"value": "2", "recommend": "3", "differently": "Nothing."}
    guesser = Client(REMOTE_ADDR="203.0.113.7")

    answers = [guesser.get(path).status_code for _ in range(30)]
    refused = guesser.post(path, answer)
    answered = Client(REMOTE_ADDR="198.51.100.2").post(path, answer)

    assert answers == [200] * 30
    assert refused.status_code == 429
    assert answered.status_code == 200
    assert "Thank you" in answered.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is not None


@pytest.mark.django_db
def test_the_api_answers_and_still_throttles_while_redis_is_down(redis_down, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/minute"},
    }
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(UserFactory(roles=[Role.PROGRAM_ADMIN]))}")

    answers = [client.get(reverse("api:engagement-type-list")) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert isinstance(answers[0].json()["results"], list)


@pytest.mark.django_db
def test_healthz_is_503_naming_the_cache_while_redis_is_down(redis_down, client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["cache"] == "error: ConnectionError"


# --- A Redis that stops and comes back ------------------------------------------------------


@pytest.fixture
def own_redis(settings, monkeypatch, tmp_path) -> Iterator[SimpleNamespace]:
    """A redis-server of this test's own, on a free port, that the test may
    stop and start again; the shared one is never touched."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    processes: list[subprocess.Popen] = []

    def start() -> None:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
        )
        processes.append(process)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop() -> None:
        process = processes[-1]
        process.terminate()
        process.wait(timeout=10)

    start()
    monkeypatch.setattr(cache_module, "_retry_at", {})
    settings.CACHES = cache_settings_for(f"redis://127.0.0.1:{port}/0", monkeypatch)
    yield SimpleNamespace(start=start, stop=stop)
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def test_an_outage_is_logged_once_and_redis_is_used_again_when_it_is_back(own_redis, monkeypatch, caplog):
    # Every call tries Redis again, so that each one meets the outage.
    monkeypatch.setattr(cache_module, "RETRY_SECONDS", 0.0)
    caplog.set_level(logging.INFO, logger="config.cache")
    cache = caches["default"]
    cache.set("attempts", 5)

    own_redis.stop()
    # The fallback counts on its own, from nothing: the shared count is out of reach.
    during = [cache.add("attempts", 1), cache.incr("attempts"), cache.incr("attempts")]
    for _ in range(20):
        cache.get("attempts")
    own_redis.start()
    after = [cache.add("attempts", 1), cache.incr("attempts")]

    assert during == [True, 2, 3]
    # Redis again (a new server, empty), not the fallback's 3.
    assert after == [True, 2]
    messages = [record.getMessage() for record in caplog.records if record.name == "config.cache"]
    assert [message.split(":")[0] for message in messages] == ["cache unreachable", "cache answers again"]
