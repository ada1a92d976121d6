from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_role_groups(sender: AppConfig, **kwargs: Any) -> None:
    from engagement.people.services import role_groups_ensure

    role_groups_ensure()


class EngagementConfig(AppConfig):
    name = "engagement"
    verbose_name = "Program"

    def ready(self) -> None:
        # Permissions exist only after every app has migrated, so the role
        # groups are (re)built then rather than in a data migration.
        post_migrate.connect(_ensure_role_groups, dispatch_uid="engagement.role_groups")
        from engagement.audit.trail import audit_register_core
        from engagement.cadence import receivers  # noqa: F401 - connects the cadence receivers
        from engagement.reminders import contact  # noqa: F401 - registers the contact reminders' source

        # The audit trail of people, program settings, accounts and contacts.
        audit_register_core()
