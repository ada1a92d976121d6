from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from engagement.roles import Role, has_role

# The pages that only program admins use.
ADMIN_PATH_PREFIXES = ("/program/", "/admin/")


class ProgramAdminMFAMiddleware:
    """Send a program admin without multi-factor sign-in to set it up before
    any admin page, when ``MFA_REQUIRED_FOR_PROGRAM_ADMINS`` is on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.MFA_REQUIRED_FOR_PROGRAM_ADMINS
            and request.path.startswith(ADMIN_PATH_PREFIXES)
            and has_role(request.user, Role.PROGRAM_ADMIN)
            and not is_mfa_enabled(request.user)
        ):
            messages.warning(request, "Program admins must turn on two-factor sign-in before using admin pages.")
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


class UserTimeZoneMiddleware:
    """Show and read times in the signed-in person's own time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.tzinfo)
        else:
            timezone.deactivate()
        return self.get_response(request)
