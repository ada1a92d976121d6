from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from engagement.roles import Role, user_roles


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The roles of the signed-in user, for the navigation in base.html."""
    roles = user_roles(request.user)
    return {
        "roles": roles,
        "is_executive": Role.EXECUTIVE in roles,
        "is_account_manager": Role.ACCOUNT_MANAGER in roles,
        "is_program_admin": Role.PROGRAM_ADMIN in roles,
    }
