"""The three roles of the program, kept as auth groups.

One user may hold several roles. Views ask ``role_required``; templates read
the ``roles`` the navigation context processor puts in every page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse


class Role(models.TextChoices):
    # Ordered by which home page a person with several roles lands on.
    PROGRAM_ADMIN = "Program admin", "Program admin"
    ACCOUNT_MANAGER = "Account manager", "Account manager"
    EXECUTIVE = "Executive", "Executive"


# Pages every role may open (who sees which object is decided per object).
EVERY_ROLE = tuple(Role)

HOME_URL_NAMES = {
    Role.PROGRAM_ADMIN: "engagement:program_home",
    Role.ACCOUNT_MANAGER: "engagement:account_manager_home",
    Role.EXECUTIVE: "engagement:executive_home",
}

# What each role may do in the Django admin; program admins manage everything.
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.PROGRAM_ADMIN: ["*"],
    Role.ACCOUNT_MANAGER: [
        "engagement.view_account",
        "engagement.view_contact",
        "engagement.add_contact",
        "engagement.change_contact",
        "engagement.view_executive",
        "visits.view_engagement",
        "visits.add_engagement",
        "visits.change_engagement",
    ],
    Role.EXECUTIVE: [
        "engagement.view_account",
        "engagement.view_contact",
        "visits.view_engagement",
        "visits.add_engagement",
    ],
}


def user_roles(user: Any) -> frozenset[Role]:
    """The roles ``user`` holds, read once per request and cached on the user."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_groundwork_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        user._groundwork_roles = cached
    return cached


def has_role(user: Any, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


def role_required(*roles: Role) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Let only users holding one of ``roles`` through; everyone else gets 403.
    The view keeps its ``roles`` (decorators that wrap it carry them out), so
    that what a page is for is known wherever its address is."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your role does not include this page.")
            return view(request, *args, **kwargs)

        wrapped.roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapped

    return decorator


def program_admins_only(view: Callable[..., Any]) -> bool:
    """Whether ``view`` is a page only program admins may use."""
    return getattr(view, "roles", None) == frozenset({Role.PROGRAM_ADMIN})
