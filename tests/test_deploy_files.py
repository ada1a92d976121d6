"""The Procfile and docker-compose.yml describe one deployment: the same
commands for web, worker and beat, one beat, and web's health from /healthz."""

from __future__ import annotations

import pytest
import yaml

from tests import deployment


@pytest.fixture(scope="module")
def procfile() -> dict[str, list[str]]:
    return deployment.procfile()


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((deployment.BASE_DIR / "docker-compose.yml").read_text())


def test_compose_runs_web_workers_beat_postgresql_and_redis(compose):
    assert set(compose["services"]) == {"db", "redis", "migrate", "web", "worker", "beat"}
    assert compose["services"]["db"]["image"].startswith("postgres:")
    assert compose["services"]["redis"]["image"].startswith("redis:")
    app_env = compose["services"]["web"]["environment"]
    assert app_env["DJANGO_ENV"] == "production"
    assert app_env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in app_env["DATABASE_URL"]
    assert app_env["REDIS_URL"] == "redis://redis:6379/0"


@pytest.mark.parametrize("process", ["web", "worker", "beat"])
def test_compose_and_procfile_run_the_same_command(process, procfile, compose):
    assert compose["services"][process]["command"] == procfile[process]


def test_migrations_run_before_the_app_in_both(procfile, compose):
    assert procfile["release"] == compose["services"]["migrate"]["command"]
    assert compose["services"]["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_there_are_several_workers_and_one_beat(compose):
    assert compose["services"]["worker"]["deploy"]["replicas"] >= 2
    assert compose["services"]["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_web_health_is_healthz_and_workers_wait_for_it(compose):
    assert "/healthz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])
    for process in ("worker", "beat"):
        assert compose["services"][process]["depends_on"]["web"]["condition"] == "service_healthy"
