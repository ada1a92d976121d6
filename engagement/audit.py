"""The audit trail: who changed what, and when.

django-auditlog records every save and delete of the models each app
registers in its ``AppConfig.ready``. A change made by one conditional UPDATE
(a status moved only if it still was what the service expected) sends no
signal, so the service that made it records it here, once the UPDATE has
touched its row.
"""

from __future__ import annotations

from typing import Any

from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from django.db import models


def audit_change(
    *,
    instance: models.Model,
    changes: dict[str, tuple[Any, Any]],
    actor: Any = None,
    action: int = LogEntry.Action.UPDATE,
) -> LogEntry:
    """Record that ``actor`` changed ``instance``: each field's old and new value."""
    entry = LogEntry.objects.log_create(
        instance,
        force_log=True,
        action=action,
        changes={field: [_text(old), _text(new)] for field, (old, new) in changes.items()},
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )
    return entry


def audit_actor_set(user: Any) -> None:
    """Make ``user`` the author of what the rest of this request changes.

    The audit middleware reads the signed-in user when the request arrives;
    an API call is only authenticated later, by its token."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return
    context["actor"] = user


def _text(value: Any) -> str:
    return "None" if value is None else str(value)
