"""Who may see which object: one helper per model, used by every view."""

from __future__ import annotations

from django.http import Http404

from engagement.models import Executive, User


def get_executive_for_user(user: User) -> Executive:
    """The executive profile of ``user``; 404 when they have none."""
    executive = Executive.objects.select_related("user", "function", "manager__user").filter(user=user).first()
    if executive is None:
        raise Http404("No executive profile belongs to this login.")
    return executive
