"""The Celery app. Periodic schedules are defined here, in one place."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("groundwork")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each periodic job of the program, by name. django-celery-beat copies these
# into its tables at start-up, where program admins can see and pause them.
app.conf.beat_schedule = {
    # Finds who is due a reminder, records it once, sends what is in working hours.
    "Contact reminders": {"task": "engagement.tasks.run_reminders", "schedule": settings.REMINDER_SCAN_SECONDS},
    # Queues the tasks the broker could not take when they were queued (it was down).
    "Unsent tasks": {"task": "engagement.tasks.send_unsent_tasks", "schedule": 60},
    # Sends any customer survey whose email was never sent (a lost task, a long mail outage).
    "Unsent surveys": {"task": "feedback.tasks.send_unsent_surveys", "schedule": 60 * 60},
    # Queues a read of each calendar due one, spread over the period (visits.tasks).
    "Calendar reads": {"task": "visits.tasks.read_calendars", "schedule": settings.CALENDAR_READ_SECONDS},
    # Logs the ended customer meetings of those who chose not to be asked (visits.tasks).
    "Calendar meetings logged": {"task": "visits.tasks.log_calendar_meetings", "schedule": 15 * 60},
    # Moves each account's twelve months of executive contact on a day (key-person risk reads it).
    "Account contact counts": {
        "task": "engagement.tasks.count_account_contacts",
        "schedule": crontab(hour=2, minute=0),
    },
    # Deletes audit-trail entries older than AUDIT_RETENTION_DAYS (none when it is 0).
    "Audit trail retention": {"task": "engagement.tasks.prune_audit_trail", "schedule": crontab(hour=3, minute=0)},
}
