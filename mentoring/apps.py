from __future__ import annotations

from django.apps import AppConfig


class MentoringConfig(AppConfig):
    name = "mentoring"
    verbose_name = "Mentoring"

    def ready(self) -> None:
        # Reminders of sessions due, the pairings panel of the program dashboard,
        # pairings and their goals in the audit trail, and the accounts their
        # executives may open; sponsorships and sessions on each account's timeline.
        from mentoring import access, audit, panels, reminders, timeline  # noqa: F401
