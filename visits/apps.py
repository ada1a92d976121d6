from __future__ import annotations

from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = "Engagements"

    def ready(self) -> None:
        # The reminder engine asks this app what is due: meetings about to
        # start, requests waiting for an answer; the program dashboard shows
        # its figures; the audit trail records its engagements and types;
        # past engagements are one of the program's kinds of CSV import; its
        # engagements are on each account's timeline; the homes list the
        # requests and meetings waiting for each person.
        # Its system checks refuse a production without a calendar secret key.
        from visits import audit, calendar_suggestions, checks, imports, needs, panels, reminders, timeline  # noqa: F401
