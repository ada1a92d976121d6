"""Security headers, sign-in throttling, multi-factor sign-in, error pages,
and the one page a customer opens without signing in: the survey."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from django.conf import settings as django_settings
from django.core import mail, signing
from django.template.loader import render_to_string
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
from rest_framework.request import Request

from engagement.api.policy import AnonThrottle
from engagement.people.invitations import invitation_token
from engagement.people.roles import Role, program_admins_only
from engagement.tests.factories import (
    PASSWORD,
    AccountFactory,
    ContactFactory,
    ExecutiveFactory,
    UserFactory,
    api_key,
)
from engagement.web import ratelimit
from feedback import views as feedback_views
from feedback.models import Survey
from feedback.services import surveys_send
from feedback.views import SURVEY_RATE
from visits.services import calendar_feed_token
from visits.tests.factories import EngagementFactory

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


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def denied_features(response) -> set[str]:
    return {part.strip().removesuffix("=()") for part in response["Permissions-Policy"].split(",")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 302),
        ("/auth/login/", 200),
        ("/healthz", 200),
        ("/no-such-page/", 404),
        ("/api/v1/accounts/", 401),
        ("/static/css/groundwork.css", 200),
    ],
)
def test_every_response_denies_the_browser_features_no_page_uses(client, path, status):
    response = client.get(path)

    assert response.status_code == status
    assert {"camera", "microphone", "geolocation", "payment", "usb"} <= denied_features(response)


@pytest.mark.django_db
def test_signed_in_and_error_pages_deny_the_browser_features_too(surveys, monkeypatch):
    executive = ExecutiveFactory()
    signed_in = Client()
    signed_in.force_login(executive.user)

    def fail(*args, **kwargs):
        raise RuntimeError("a fault in the survey page")

    monkeypatch.setattr(feedback_views, "rate_limited", fail)
    failed = Client(raise_request_exception=False).get(survey_path(surveys[0]))

    assert failed.status_code == 500
    assert "Something went wrong" in failed.content.decode()
    for response in (failed, signed_in.get(reverse("engagement:executive_home")), signed_in.get("/no-such-page/")):
        assert "camera" in denied_features(response)


@pytest.mark.django_db
def test_signed_in_pages_are_kept_out_of_every_cache(client):
    executive = ExecutiveFactory()
    client.force_login(executive.user)
    api = Client(headers={"authorization": f"Bearer {api_key(executive.user)}"})

    pages = {
        "a page": client.get(reverse("engagement:executive_home")),
        "a page not found": client.get("/no-such-page/"),
        "the API by key": api.get(reverse("api:engagement-type-list")),
        "the API by session": client.get(reverse("api:engagement-type-list")),
    }

    assert [response.status_code for response in pages.values()] == [200, 404, 200, 200]
    for what, response in pages.items():
        assert {"private", "no-store"} <= cache_control(response), what


@pytest.mark.django_db
def test_pages_for_anyone_are_not_marked_private(client):
    # A static file and the reset form hold nothing of anyone's: shared caches may keep them.
    assert "private" not in cache_control(client.get("/static/css/groundwork.css"))
    assert "private" not in cache_control(client.get("/auth/password/reset/"))


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


# --- Behind a proxy: the client's address from X-Forwarded-For ------------------------

PROXY = "10.0.0.2"


def failed_sign_ins(client: Client, *, count: int, forwarded_for: list[str]) -> list[int]:
    """``count`` wrong passwords, each for an email of its own (so that only the
    per-address limit can refuse them), with each request's X-Forwarded-For."""
    return [
        client.post(
            reverse("account_login"),
            {"login": f"nobody{number}@groundwork.example", "password": "wrong-password"},
            headers={"x-forwarded-for": forwarded_for[number]},
        ).status_code
        for number in range(count)
    ]


@pytest.mark.django_db
def test_behind_the_proxy_ten_failed_sign_ins_from_one_client_leave_another_free_to_sign_in(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = UserFactory(email="colleague@groundwork.example", roles=[Role.EXECUTIVE])
    guesser = Client(REMOTE_ADDR=PROXY)
    # What the guesser writes on the left is never read: the proxy appends the real address.
    forged = [f"192.0.2.{number}, 203.0.113.7" for number in range(11)]

    answers = failed_sign_ins(guesser, count=11, forwarded_for=forged)
    colleague = Client(REMOTE_ADDR=PROXY)
    signed_in = colleague.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD},
        headers={"x-forwarded-for": "198.51.100.2"},
    )

    assert answers == [200] * 10 + [429]
    assert signed_in.status_code == 302
    assert colleague.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_x_forwarded_for_does_not_escape_the_sign_in_limit(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    user = UserFactory(email="target@groundwork.example", roles=[Role.EXECUTIVE])
    guesser = Client(REMOTE_ADDR="203.0.113.7")

    answers = failed_sign_ins(guesser, count=10, forwarded_for=[f"192.0.2.{number}" for number in range(10)])
    refused = guesser.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD},
        headers={"x-forwarded-for": "198.51.100.99"},
    )

    assert answers == [200] * 10
    assert refused.status_code == 429
    assert "_auth_user_id" not in guesser.session


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, None, PROXY),
        (0, "203.0.113.7", PROXY),
        (1, None, PROXY),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "192.0.2.1, 203.0.113.7", "203.0.113.7"),
        (1, "203.0.113.7:51234", "203.0.113.7"),
        (1, "[2001:db8::7]:51234", "2001:db8::7"),
        (1, "not an address", PROXY),
        (2, "192.0.2.1, 203.0.113.7, 10.0.0.1", "203.0.113.7"),
        # Shorter than the proxies configured: it skipped one, so only the connection is sure.
        (2, "203.0.113.7", PROXY),
    ],
)
def test_the_client_address_is_read_from_the_trusted_proxies_only(settings, rf, proxies, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    headers = {} if forwarded_for is None else {"x-forwarded-for": forwarded_for}
    request = rf.get("/", REMOTE_ADDR=PROXY, headers=headers)

    assert ratelimit.client_address(request) == expected


def test_behind_the_proxy_the_api_throttles_each_client_address_on_its_own(settings, rf):
    # Every API view asks for a key before it throttles, so the throttle is
    # asked directly, as DRF does once per request.
    settings.TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/minute"},
    }

    def allowed(forwarded_for: str) -> bool:
        request = rf.get("/api/v1/", REMOTE_ADDR=PROXY, headers={"x-forwarded-for": forwarded_for})
        return AnonThrottle().allow_request(Request(request), view=None)

    # A different forged left part each time buys no fresh count.
    assert [allowed(f"192.0.2.{number}, 203.0.113.7") for number in range(3)] == [True, True, False]
    assert allowed("198.51.100.2") is True


@pytest.mark.django_db
def test_the_access_log_names_the_client_behind_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    response = Client(REMOTE_ADDR=PROXY).get("/auth/login/", headers={"x-forwarded-for": "203.0.113.7"})

    line = gunicorn_access_log_line(response)

    assert line.startswith('203.0.113.7 "GET /auth/login/ HTTP/1.1" 200 ')
    assert PROXY not in line


def gunicorn_access_log_line(response) -> str:
    """The line gunicorn's access log would write for ``response``, formatted
    as config/gunicorn.py says, from the WSGI environ the app saw."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger, SafeAtoms

    from config import gunicorn as gunicorn_settings

    environ = {**response.wsgi_request.META, "RAW_URI": response.wsgi_request.get_full_path()}
    environ.setdefault("SERVER_PROTOCOL", "HTTP/1.1")
    answer = SimpleNamespace(status=f"{response.status_code} OK", headers=list(response.items()), sent=1)
    atoms = Logger(Config()).atoms(answer, SimpleNamespace(headers=[]), environ, dt.timedelta(milliseconds=3))
    return gunicorn_settings.access_log_format % SafeAtoms(atoms)


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


def program_admin_pages() -> list[str]:
    """Every page of the project only program admins may use, by its view's
    roles, whichever app's address it has (those with arguments left out)."""
    pages = []
    for name, view in _named_views(get_resolver(), ""):
        if program_admins_only(view):
            with contextlib.suppress(NoReverseMatch):
                pages.append(reverse(name))
    return pages


def _named_views(resolver, namespace: str):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _named_views(pattern, pattern.namespace or namespace)
        elif pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern.callback


@pytest.mark.django_db
def test_every_page_only_program_admins_use_asks_for_two_factor_sign_in_wherever_its_address(client, settings):
    settings.MFA_REQUIRED_FOR_PROGRAM_ADMINS = True
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    pages = program_admin_pages()

    # Pages of every app, under /program/ and elsewhere.
    assert {"/program/", "/pairings/", "/debriefs/", "/engagements/trends/"} <= set(pages)
    for path in pages:
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, reverse("mfa_activate_totp")), path


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


# --- The customer survey: public, signed, single-use ----------------------------------


def survey_path(survey: Survey) -> str:
    """The path of the link emailed to the survey's contact, as they would open it."""
    [message] = [message for message in mail.outbox if message.to == [survey.contact.email]]
    [link] = re.findall(r"https?://\S+/survey/\S+/", message.body)
    return urlsplit(link).path


@pytest.fixture
def surveys(django_capture_on_commit_callbacks) -> list[Survey]:
    """Surveys A and B of a held engagement, sent to its two contacts the way
    the account manager sends them (the emails go after the commit, one task
    each: each task run is a unit of work of its own, as a request is)."""
    account = AccountFactory(account_manager=UserFactory(roles=[Role.ACCOUNT_MANAGER]))
    engagement = EngagementFactory(account=account, executives=[ExecutiveFactory()])
    engagement.contacts.add(
        ContactFactory(account=account, name="Ana A"), ContactFactory(account=account, name="Ben B")
    )
    with django_capture_on_commit_callbacks(execute=True):
        surveys_send(engagement=engagement, by=account.account_manager)
    sent = list(Survey.objects.select_related("contact").order_by("contact__name"))
    assert [survey.sent_at is not None for survey in sent] == [True, True]
    return sent


ANSWER = {"value": "2", "recommend": "3", "differently": "Send someone who has read our ticket history."}


@pytest.mark.django_db
def test_the_survey_answers_429_past_30_requests_from_one_address_and_records_nothing(surveys, monkeypatch):
    # One fixed window, so that a window turning over mid-test cannot reset the count.
    now = time.time()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now))
    path = survey_path(surveys[0])
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    assert SURVEY_RATE == {"limit": 30, "per_seconds": 600}

    answers = [guesser.get(path).status_code for _ in range(30)]
    refused = guesser.post(path, ANSWER)

    assert answers == [200] * 30
    assert refused.status_code == 429
    assert "Please try again in a few minutes" in refused.content.decode()
    surveys[0].refresh_from_db()
    assert surveys[0].answered_at is None
    # Another address is not held back by the first one's guessing.
    assert Client(REMOTE_ADDR="198.51.100.2").post(path, ANSWER).status_code == 200
    surveys[0].refresh_from_db()
    assert surveys[0].answered_at is not None


@pytest.mark.django_db
def test_a_survey_answer_without_the_csrf_token_is_refused_and_with_it_recorded(surveys):
    customer = Client(enforce_csrf_checks=True)
    path = survey_path(surveys[0])

    forged = customer.post(path, ANSWER)
    surveys[0].refresh_from_db()
    assert forged.status_code == 403
    assert surveys[0].answered_at is None

    page = customer.get(path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    answered = customer.post(path, {**ANSWER, "csrfmiddlewaretoken": token})

    assert answered.status_code == 200
    assert "Thank you" in answered.content.decode()
    surveys[0].refresh_from_db()
    assert (surveys[0].value, surveys[0].recommend) == (2, 3)
    assert surveys[0].differently == ANSWER["differently"]


@pytest.mark.django_db
def test_a_survey_token_opens_no_other_signed_link(client, surveys):
    survey_token = survey_path(surveys[0]).split("/")[-2]
    user = UserFactory()

    calendar = client.get(reverse("visits:calendar_feed_ics", kwargs={"token": survey_token}))
    invitation = client.get(reverse("engagement:invitation_accept", kwargs={"token": survey_token}))
    reset = client.get(
        reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": survey_token})
    )

    assert calendar.status_code == 404
    assert "BEGIN:VCALENDAR" not in calendar.content.decode()
    assert invitation.status_code == 400
    assert "This invitation link cannot be used" in invitation.content.decode()
    assert reset.status_code == 200
    assert "This reset link cannot be used" in reset.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_only_a_survey_token_opens_the_survey_and_only_unaltered(client, surveys):
    survey_a, survey_b = surveys
    token_a = survey_path(survey_a).split("/")[-2]
    executive = ExecutiveFactory().user
    altered = token_a[:-1] + ("A" if token_a[-1] != "A" else "B")
    tokens = {
        "an invitation token": invitation_token(user=UserFactory()),
        "a calendar feed token": calendar_feed_token(user=executive).token,
        "survey A's token altered by one character": altered,
        # Signed by this site for the same survey, but for another purpose.
        "the survey's number signed without the survey's salt": signing.dumps(survey_a.pk),
    }

    for what, token in tokens.items():
        response = client.get(reverse("feedback:survey", kwargs={"token": token}))
        assert response.status_code == 404, what
        assert "This link does not work" in response.content.decode(), what
        assert survey_a.contact.name not in response.content.decode(), what
    opened = client.get(survey_path(survey_b))
    assert opened.status_code == 200
    assert f"Dear {survey_b.contact.name}" in opened.content.decode()


@pytest.mark.django_db
def test_the_survey_sets_no_session_cookie_and_is_never_cached(surveys):
    customer = Client()
    path = survey_path(surveys[0])
    closed = reverse("feedback:survey", kwargs={"token": "made-up"})

    pages = {
        "the open survey": customer.get(path),
        "the thanks": customer.post(path, ANSWER),
        "the answered survey": customer.get(path),
        "an invalid link": customer.get(closed),
    }

    assert [response.status_code for response in pages.values()] == [200, 200, 410, 404]
    for what, response in pages.items():
        assert django_settings.SESSION_COOKIE_NAME not in response.cookies, what
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"no-cache", "no-store", "must-revalidate", "private"} <= cache_control, what
    assert django_settings.SESSION_COOKIE_NAME not in customer.cookies
