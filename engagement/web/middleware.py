from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control

from engagement.people.roles import Role, has_role, program_admins_only
from engagement.web.ratelimit import client_address

# The Django admin, whose views are not the program's own.
ADMIN_SITE_PREFIX = "/admin/"

# Browser features no page uses, denied to the site and anything it might
# embed. Left out on purpose: the clipboard (the copy buttons of the API docs
# and of the recovery codes) and web authentication (passkeys, should
# two-factor sign-in offer them).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)

# Where gunicorn's access log reads the client's address (config/gunicorn.py):
# request.META is the WSGI environ it logs from.
CLIENT_ADDRESS_ENVIRON_KEY = "groundwork.client_address"


class ClientAddressMiddleware:
    """Note the client's address for the access log, which would otherwise
    show the proxy's for everyone (see ``TRUSTED_PROXY_COUNT``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META[CLIENT_ADDRESS_ENVIRON_KEY] = client_address(request)
        return self.get_response(request)


class PrivacyHeadersMiddleware:
    """Deny unused browser features on every response (static files and
    error pages included), and keep what a signed-in person sees out of every
    cache, the browser's back-and-forward one and shared proxies alike."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # Set by the authentication middleware (or an API key) further in;
        # absent when whitenoise answered first with a static file.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class ProgramAdminMFAMiddleware:
    """Send a program admin without multi-factor sign-in to set it up before
    any page only program admins use, and the Django admin, when
    ``MFA_REQUIRED_FOR_PROGRAM_ADMINS`` is on. A page says whom it is for by
    ``role_required``, whichever app's address it has."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if (
            settings.MFA_REQUIRED_FOR_PROGRAM_ADMINS
            and (request.path.startswith(ADMIN_SITE_PREFIX) or program_admins_only(view))
            and has_role(request.user, Role.PROGRAM_ADMIN)
            and not is_mfa_enabled(request.user)
        ):
            messages.warning(request, "Program admins must turn on two-factor sign-in before using admin pages.")
            return redirect(reverse("mfa_activate_totp"))
        return None


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
