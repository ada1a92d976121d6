from __future__ import annotations

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        # Surveys after a held engagement; reminders of debriefs and actions;
        # the panels and needs this app adds to home pages, its panel on the
        # engagement page; debriefs, actions and themes in the audit trail;
        # its entries on each account's timeline; survey scores and days to
        # close routed actions as measures of each account.
        from feedback import audit, measures, needs, panels, receivers, reminders, timeline  # noqa: F401
