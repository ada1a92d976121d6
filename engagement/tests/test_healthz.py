"""/healthz tells the load balancer whether the database, the Celery broker and the cache answer."""

from __future__ import annotations

import pytest

from config.celery import app as celery_app


@pytest.mark.django_db
def test_healthz_is_ok_when_the_database_broker_and_cache_answer(client):
    # Anonymous on purpose: load balancers do not sign in.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_default_broker_is_the_filesystem_transport(settings):
    if settings.REDIS_URL:
        pytest.skip("REDIS_URL is set: the broker is Redis")

    assert celery_app.conf.broker_url == "filesystem://"


@pytest.mark.django_db
def test_healthz_is_503_naming_the_broker_when_it_is_down(client, monkeypatch):
    # Celery prefers the environment over its configuration.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")
