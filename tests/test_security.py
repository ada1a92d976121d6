"""Security headers, sign-in throttling, multi-factor sign-in and error pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from engagement.roles import Role
from engagement.tests.factories import PASSWORD, ExecutiveFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/auth/login/", "/auth/password/reset/", "/healthz", "/no-such-page/"])
def test_every_response_carries_a_strict_content_security_policy(client, path):
    response = client.get(path)
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_signed_in_pages_carry_the_same_headers(client):
    executive = ExecutiveFactory()
    client.force_login(executive.user)
    response = client.get(reverse("engagement:executive_home"))
    assert response.status_code == 200
    assert csp_directives(response)["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def test_production_mode_sends_hsts_and_secure_cookies(tmp_path):
    script = (
        "import json, django; django.setup();"
        "from django.core.management import call_command;"
        "call_command('collectstatic', interactive=False, verbosity=0);"
        "from django.test import Client;"
        "r = Client().get('/auth/login/', secure=True, headers={'host': 'groundwork.example'});"
        "cookies = {k: {'secure': bool(v['secure'])} for k, v in r.cookies.items()};"
        "print(json.dumps({'status': r.status_code, 'hsts': r.get('Strict-Transport-Security', ''),"
        " 'cookies': cookies}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 20 + "production-secret-key-for-this-test-only-0123456789",
        "ALLOWED_HOSTS": "groundwork.example",
        "DATABASE_URL": "sqlite:///:memory:",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    env.pop("DEBUG", None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["status"] == 200
    assert "max-age=31536000" in seen["hsts"]
    assert "includeSubDomains" in seen["hsts"]
    assert seen["cookies"]["csrftoken"]["secure"] is True


@pytest.mark.django_db
def test_sixth_sign_in_for_one_email_within_five_minutes_is_refused_even_with_the_right_password():
    user = UserFactory(email="target@groundwork.example", roles=[Role.EXECUTIVE])
    client = Client()
    for _ in range(5):
        response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"})
        assert response.status_code == 200
        assert "not correct" in response.content.decode() or "incorrect" in response.content.decode().lower()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_failed_sign_ins_for_one_email_do_not_lock_out_another(client):
    UserFactory(email="target@groundwork.example")
    other = UserFactory(email="other@groundwork.example", roles=[Role.EXECUTIVE])
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "target@groundwork.example", "password": "wrong-password"})
    response = client.post(reverse("account_login"), {"login": other.email, "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_program_admins_must_turn_on_two_factor_sign_in_when_required(client, settings):
    settings.MFA_REQUIRED_FOR_PROGRAM_ADMINS = True
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    client.force_login(admin)
    for path in [reverse("engagement:program_home"), reverse("admin:index")]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")
    # The set-up page stays reachable (after allauth asks for the password again).
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    assert "Authenticator" in response.content.decode()

    Authenticator.objects.create(user=admin, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    assert client.get(reverse("engagement:program_home")).status_code == 200


@pytest.mark.django_db
def test_two_factor_requirement_leaves_other_roles_and_the_demo_setting_alone(client, settings):
    settings.MFA_REQUIRED_FOR_PROGRAM_ADMINS = True
    executive = ExecutiveFactory()
    client.force_login(executive.user)
    assert client.get(reverse("engagement:executive_home")).status_code == 200

    settings.MFA_REQUIRED_FOR_PROGRAM_ADMINS = False
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    client.force_login(admin)
    assert client.get(reverse("engagement:program_home")).status_code == 200


@pytest.mark.django_db
def test_two_factor_pages_are_offered_to_everyone(client):
    executive = ExecutiveFactory()
    client.force_login(executive.user)
    response = client.get(reverse("mfa_index"))
    assert response.status_code == 200
    assert reverse("mfa_activate_totp") in response.content.decode()


@pytest.mark.django_db
def test_error_pages_use_the_site_layout(client):
    executive = ExecutiveFactory()
    client.force_login(executive.user)
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404
    assert "Page not found" in not_found.content.decode()
    assert 'id="main"' in not_found.content.decode()
    forbidden = client.get(reverse("engagement:program_home"))
    assert forbidden.status_code == 403
    assert "You cannot open this page" in forbidden.content.decode()
    assert "Something went wrong" in render_to_string("500.html")
