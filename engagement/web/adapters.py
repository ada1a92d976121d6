"""The one place where allauth is told how Groundwork differs from its defaults."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import render

from engagement.delivery.emails import email_queue
from engagement.delivery.links import absolute_url
from engagement.web.ratelimit import client_address


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join by invitation from a program admin only.
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        # The sign-in and reset limits count per client, read the one way the
        # whole site reads it. allauth's own TRUSTED_PROXY_COUNT would be a
        # second reading, and it answers an X-Forwarded-For shorter than the
        # count with a server error.
        return client_address(request)

    def get_reset_password_from_key_url(self, key: str) -> str:
        # From SITE_URL: a forged Host header must not redirect reset links.
        return absolute_url(super().get_reset_password_from_key_url(key))

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Kept and sent by a task that tries again while the mail server
        # fails: a password reset never fails because the mail server does,
        # and the page says "we sent you an email" as it always does.
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request), **context},
        )
        email_queue(message=message)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # Past the failed sign-in limit, answer 429 with its own page, even
        # when the password is right, instead of a form error.
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if error.code == "too_many_login_attempts":
                raise ImmediateHttpResponse(render(request, "429.html", status=429)) from error
            raise
