"""The audit page's filters: what kind of thing, who, when, or one record's
history. A value that does not fit is named on the page and left out, never a
500."""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditlog.models import LogEntry
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from engagement.audit.trail import KINDS, audit_models, audit_object_of
from engagement.filters import ChoiceFilter, DayFilter, DayRangeForm, LineFilter, ProgramFilterSet


class AuditForm(DayRangeForm):
    def clean_object(self) -> str:
        value = self.cleaned_data["object"].strip()
        if value and audit_object_of(value) is None:
            raise forms.ValidationError(f"“{value}” is not a record the audit trail keeps.")
        return value


class AuditFilter(ProgramFilterSet):
    """The dates are whole days in the viewer's time zone (the request's user's)."""

    kind = ChoiceFilter(
        label="Kind of thing",
        choices=list(KINDS.items()),
        empty_label="Anything",
        method="of_kind",
        error_messages={"invalid_choice": "“%(value)s” is not a kind of thing listed."},
    )
    who = LineFilter(label="Who (name or email)", max_length=100, method="by")
    # Any day from 1900 to 2999: the last day's end is a datetime in every zone.
    date_from = DayFilter(label="From", method="since", error_messages={"invalid": "Give the date as YYYY-MM-DD."})
    date_to = DayFilter(label="To", method="until", error_messages={"invalid": "Give the date as YYYY-MM-DD."})
    # Set by the "History" links of an object's page, not typed.
    object = LineFilter(max_length=200, widget=forms.HiddenInput, method="of_record")

    class Meta:
        model = LogEntry
        fields: list[str] = []
        form = AuditForm

    @property
    def one_record(self) -> bool:
        """Whether the page shows one record's history."""
        return "object" in self.values()

    def of_kind(self, entries: QuerySet, name: str, kind: str) -> QuerySet:
        if self.one_record:
            return entries
        types = ContentType.objects.get_for_models(*audit_models(kind)).values()
        return entries.filter(content_type__in=list(types))

    def by(self, entries: QuerySet, name: str, who: str) -> QuerySet:
        return entries.filter(
            Q(actor__full_name__icontains=who) | Q(actor__email__icontains=who) | Q(actor_email__icontains=who)
        )

    def since(self, entries: QuerySet, name: str, day: dt.date) -> QuerySet:
        return entries.filter(timestamp__gte=self._start_of(day))

    def until(self, entries: QuerySet, name: str, day: dt.date) -> QuerySet:
        return entries.filter(timestamp__lt=self._start_of(day + dt.timedelta(days=1)))

    def of_record(self, entries: QuerySet, name: str, key: str) -> QuerySet:
        model, object_id = audit_object_of(key)  # type: ignore[misc]
        return entries.filter(content_type=ContentType.objects.get_for_model(model), object_id=object_id)

    def _start_of(self, day: dt.date) -> dt.datetime:
        zone: Any = self.request.user.tzinfo
        return dt.datetime.combine(day, dt.time.min, tzinfo=zone)
