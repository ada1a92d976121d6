"""DJANGO_ENV=production refuses to start on unsafe settings."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Settings that must come from the operator in production; none may leak in from the test run.
UNSAFE_TO_INHERIT = (
    "SECRET_KEY",
    "CALENDAR_SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "DJANGO_ENV",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
)


def strong_secret_key() -> str:
    return secrets.token_urlsafe(64)


def calendar_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def deploy_check(**settings: str) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py check --deploy --fail-level WARNING`` in production mode with ``settings``."""
    environment = {key: value for key, value in os.environ.items() if key not in UNSAFE_TO_INHERIT}
    environment.update({"DJANGO_ENV": "production", **settings})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_refuses_to_start():
    result = deploy_check(ALLOWED_HOSTS="groundwork.example")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_without_allowed_hosts_refuses_to_start():
    result = deploy_check(SECRET_KEY=strong_secret_key())

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_with_debug_on_refuses_to_start():
    result = deploy_check(SECRET_KEY=strong_secret_key(), ALLOWED_HOSTS="groundwork.example", DEBUG="true")

    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_with_a_weak_secret_key_fails_the_deploy_check():
    result = deploy_check(SECRET_KEY="too-short", ALLOWED_HOSTS="groundwork.example")

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_production_with_safe_settings_passes_the_deploy_check():
    result = deploy_check(
        SECRET_KEY=strong_secret_key(), CALENDAR_SECRET_KEY=calendar_key(), ALLOWED_HOSTS="groundwork.example"
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_without_a_calendar_key_of_its_own_fails_the_deploy_check():
    result = deploy_check(SECRET_KEY=strong_secret_key(), ALLOWED_HOSTS="groundwork.example")

    assert result.returncode != 0
    assert "visits.E001" in result.stderr and "CALENDAR_SECRET_KEY" in result.stderr


def test_unknown_environment_name_refuses_to_start():
    result = deploy_check(DJANGO_ENV="staging", SECRET_KEY=strong_secret_key(), ALLOWED_HOSTS="groundwork.example")

    assert result.returncode != 0
    assert "DJANGO_ENV" in result.stderr
