from __future__ import annotations

from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = "Engagements"

    def ready(self) -> None:
        # The reminder engine asks this app what is due: meetings about to
        # start, requests waiting for an answer; the program dashboard shows
        # its figures.
        from visits import panels, reminders  # noqa: F401
