"""Forms of the import and export pages."""

from __future__ import annotations

import datetime as dt
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils import timezone

from engagement.bounds import DayField
from engagement.imports.framework import IMPORT_KINDS
from engagement.imports.models import ImportJob


class ImportUploadForm(forms.Form):
    """A CSV file to import, what it holds, and how it writes dates."""

    # Read when the form is drawn: ``visits`` registers its kind once every app is loaded.
    kind = forms.ChoiceField(
        label="What the file holds", choices=lambda: [(k, v.label) for k, v in IMPORT_KINDS.items()]
    )
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 text (“CSV UTF-8” in Excel), with a heading on its first line.",
        error_messages={"required": "Choose the CSV file to import.", "empty": "The file is empty."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}),
    )
    date_order = forms.ChoiceField(
        label="Dates written with slashes, dashes or dots",
        choices=ImportJob.DateOrder.choices,
        initial=ImportJob.DateOrder.DAY_FIRST,
        widget=forms.RadioSelect,
        help_text="ISO dates (2025-03-14) and dates with the month's name read the same either way. "
        "The preview shows how each date was read.",
    )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"This file is {upload.size / 1_000_000:.1f} MB; files of up to {limit / 1_000_000:.1f} MB can be "
                "imported. Split it into smaller files and import each."
            )
        return upload

    def file_data(self) -> bytes:
        return b"".join(self.cleaned_data["file"].chunks())


def time_zone_choices() -> list[tuple[str, str]]:
    return [("", "Each lead executive's own time zone"), *((name, name) for name in sorted(available_timezones()))]


class ImportReadForm(forms.Form):
    """How a file already uploaded is read again: the order of its dates, and where its times were written."""

    date_order = forms.ChoiceField(
        label="Dates written with slashes, dashes or dots",
        choices=ImportJob.DateOrder.choices,
        widget=forms.RadioSelect,
    )
    time_zone = forms.ChoiceField(
        label="Times without an offset from UTC were written in",
        choices=time_zone_choices,
        required=False,
        help_text="A CRM exports times in the time zone of whoever exported them.",
    )


class EngagementExportForm(forms.Form):
    """The dates of the engagements to export: there may be millions."""

    since = DayField(label="From")
    until = DayField(label="To")

    @classmethod
    def from_query(cls, query: QueryDict) -> EngagementExportForm:
        """The form from a query string: the last twelve months when it names no dates."""
        if "since" in query or "until" in query:
            return cls(query)
        today = timezone.localdate()
        return cls({"since": (today - dt.timedelta(days=365)).isoformat(), "until": today.isoformat()})

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end comes before the start.")
        return cleaned

    def range(self) -> tuple[dt.datetime, dt.datetime]:
        """From the first day's start to the end of the last, in the site's time zone."""
        zone = timezone.get_default_timezone()
        since = dt.datetime.combine(self.cleaned_data["since"], dt.time.min, tzinfo=zone)
        until = dt.datetime.combine(self.cleaned_data["until"] + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return since, until
