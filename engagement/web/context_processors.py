from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from engagement.notifications.selectors import notification_unread_count
from engagement.people.roles import Role, user_roles


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The roles of the signed-in user and their unread notifications, for the
    navigation in base.html."""
    user = request.user
    roles = user_roles(user)
    # Lazy: counted (one query) only when a page renders the navigation, and
    # at most once however often the template reads it.
    unread = SimpleLazyObject(lambda: notification_unread_count(user=user) if user.is_authenticated else 0)
    return {
        "roles": roles,
        "is_executive": Role.EXECUTIVE in roles,
        "is_account_manager": Role.ACCOUNT_MANAGER in roles,
        "is_program_admin": Role.PROGRAM_ADMIN in roles,
        "unread_notifications": unread,
    }
