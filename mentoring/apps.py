from __future__ import annotations

from django.apps import AppConfig


class MentoringConfig(AppConfig):
    name = "mentoring"
    verbose_name = "Mentoring"

    def ready(self) -> None:
        # Reminders of sessions due, and the pairings panel of the program dashboard.
        from mentoring import panels, reminders  # noqa: F401
