"""CSV files uploaded for import."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


def site_time_zone() -> str:
    """Where a CRM's times are read unless the person importing says otherwise: the site's time zone."""
    return settings.TIME_ZONE


class ImportJob(models.Model):
    """One CSV file uploaded for import: checked, previewed, then imported whole or not at all by a background task."""

    class Kind(models.TextChoices):
        EXECUTIVES = "executives", "Executives"
        ACCOUNTS = "accounts", "Accounts"
        CONTACTS = "contacts", "Contacts"
        ENGAGEMENTS = "engagements", "Past engagements"

    class Status(models.TextChoices):
        CHECKING = "checking", "Checking"
        READY = "ready", "Ready to import"
        INVALID = "invalid", "Has errors"
        QUEUED = "queued", "Queued"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    class DateOrder(models.TextChoices):
        # 03/04/2025 is 3 April in most of the world and 4 March in the United States: the file cannot say which, so
        # whoever uploads it does.
        DAY_FIRST = "dmy", "Day first (14/03/2025)"
        MONTH_FIRST = "mdy", "Month first (03/14/2025)"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    date_order = models.CharField(
        max_length=3,
        choices=DateOrder.choices,
        default=DateOrder.DAY_FIRST,
        help_text="How dates written with slashes, dashes or dots are read; ISO dates (2025-03-14) always read alike.",
    )
    # CRMs export times in the exporting person's zone, without saying which.
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        default=site_time_zone,
        help_text="Where times without an offset from UTC are read; empty: in each lead executive's own zone.",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    filename = models.CharField(max_length=255)
    # The file as uploaded, in the database: the worker that imports it may run on another machine than the web process
    # that received it.
    data = models.BinaryField(editable=False)
    row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first row errors: line, column, message.")
    preview = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the check found: the columns read and left out, the first rows as they will be "
        "imported, and how many rows will be created, updated or left unchanged.",
    )
    summary = models.JSONField(default=dict, blank=True, help_text="Rows created, updated and unchanged.")
    message = models.CharField(max_length=500, blank=True, help_text="Why the whole file was refused or failed.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.filename}"
