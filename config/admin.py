"""The Django admin, signed in to through allauth like every other page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


class GroundworkAdminSite(admin.AdminSite):
    site_header = "Groundwork administration"
    site_title = "Groundwork"
    index_title = "Program data"

    def admin_view(self, view: Callable[..., HttpResponse], cacheable: bool = False) -> Callable[..., HttpResponse]:
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # Signed in without the program admin role: say no (403) rather
            # than offering the admin's own sign-in page.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied("The administration is for program admins.")
            return inner(request, *args, **kwargs)

        return wrapper

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return secure_admin_login(super().login)(request, extra_context)
