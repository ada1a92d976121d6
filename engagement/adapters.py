"""The one place where allauth is told how Groundwork differs from its defaults."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from engagement.links import absolute_url


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join by invitation from a program admin only.
        return False

    def get_reset_password_from_key_url(self, key: str) -> str:
        # From SITE_URL: a forged Host header must not redirect reset links.
        return absolute_url(super().get_reset_password_from_key_url(key))
