from __future__ import annotations

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        # Surveys after a held engagement; reminders of debriefs and actions;
        # the panels this app adds to home pages and the engagement page;
        # debriefs, actions and themes in the audit trail; its entries on each
        # account's timeline.
        from feedback import audit, panels, receivers, reminders, timeline  # noqa: F401
