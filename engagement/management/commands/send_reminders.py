"""Run the reminder scan by hand: the same scan the periodic task runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from engagement.moments import moments_in_zone
from engagement.people.models import Executive, User
from engagement.reminders.scan import reminders_due, reminders_not_yet_recorded
from engagement.tasks import run_reminders


class Command(BaseCommand):
    help = (
        "Find the reminders due and send them (recorded once each). --as-of acts as of a date; "
        "--dry-run sends and records nothing and prints one tab-separated line per reminder it would "
        "record: kind, recipient email, executive email, reason (its moments in UTC)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="Act as of this date (YYYY-MM-DD) instead of today.")
        parser.add_argument("--dry-run", action="store_true", help="Print what would be sent; change nothing.")

    def handle(self, *args: Any, as_of: str | None, dry_run: bool, **options: Any) -> None:
        day = None
        if as_of:
            try:
                day = dt.date.fromisoformat(as_of)
            except ValueError as error:
                raise CommandError(f"--as-of wants a date as YYYY-MM-DD, not {as_of!r}.") from error
        if not dry_run:
            self.stdout.write(run_summary(run_reminders(as_of=day.isoformat() if day else None)))
            return
        now = timezone.now() if day is None else dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        dues = reminders_not_yet_recorded(reminders_due(now=now, as_of=day))
        emails = dict(User.objects.filter(pk__in={d.recipient_id for d in dues}).values_list("pk", "email"))
        executives = dict(
            Executive.objects.filter(pk__in={d.executive_id for d in dues if d.executive_id}).values_list(
                "pk", "user__email"
            )
        )
        if not dues:
            self.stdout.write("Nothing to send: no reminder is due that was not recorded already.")
        for due in dues:
            executive = executives.get(due.executive_id, "-") if due.executive_id else "-"
            reason = moments_in_zone(due.reason, "UTC")
            self.stdout.write("\t".join([due.kind, emails[due.recipient_id], executive, reason]))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def run_summary(result: dict[str, int]) -> str:
    """One line on what a run did: the reminders new to it, and what became of those waiting."""
    if result["recorded"]:
        text = f"{_count(result['recorded'], 'new reminder')} recorded"
    else:
        text = "No new reminder is due: every one due was recorded already"
    details = []
    if result["to_send"]:
        details.append(f"{result['to_send']} sent now")
    if result["digests"]:
        details.append(f"{_count(result['digests'], 'weekly digest')} sent now")
    if result["waiting"]:
        details.append(f"{result['waiting']} waiting for working hours or a weekly digest")
    if result["withdrawn"]:
        details.append(f"{result['withdrawn']} withdrawn as no longer true")
    if details:
        text += (": " if result["recorded"] else "; ") + ", ".join(details)
    return f"{text}."
