"""The audit trail's page: who changed what, and when, for program admins."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from engagement.audit.trail import KINDS, AuditFilters, audit_object_of, audit_rows, audit_trail
from engagement.bounds import DayField, LineField
from engagement.dashboards.tables import query_without
from engagement.forms import FilterForm
from engagement.people.roles import Role, role_required

PAGE_SIZE = 50


class AuditFilterForm(FilterForm):
    """The audit page's filters, from the query string. A value that does
    not fit is named on the page and left out, never a 500."""

    kind = forms.ChoiceField(
        label="Kind of thing",
        choices=[("", "Anything"), *KINDS.items()],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a kind of thing listed."},
    )
    who = LineField(label="Who (name or email)", required=False, max_length=100)
    # Any day from 1900 to 2999: the last day's end is a datetime in every zone.
    date_from = DayField(label="From", required=False, error_messages={"invalid": "Give the date as YYYY-MM-DD."})
    date_to = DayField(label="To", required=False, error_messages={"invalid": "Give the date as YYYY-MM-DD."})
    # Set by the "History" links of an object's page, not typed.
    object = LineField(required=False, max_length=200, widget=forms.HiddenInput)

    def clean_object(self) -> str:
        value = self.cleaned_data["object"].strip()
        if value and audit_object_of(value) is None:
            raise forms.ValidationError(f"“{value}” is not a record the audit trail keeps.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = self.value("date_from"), self.value("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self, *, time_zone: zoneinfo.ZoneInfo) -> AuditFilters:
        """What to show: the dates are whole days in ``time_zone``, the viewer's."""
        self.is_valid()
        start, end = self.value("date_from"), self.value("date_to")
        subject = audit_object_of(self.value("object") or "")
        return AuditFilters(
            kind=self.value("kind") or None,
            who=(self.value("who") or "").strip() or None,
            since=dt.datetime.combine(start, dt.time.min, tzinfo=time_zone) if start else None,
            before=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=time_zone) if end else None,
            model=subject[0] if subject else None,
            object_id=subject[1] if subject else None,
        )


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    """Who changed what in engagements, debriefs, pairings, program settings,
    people and accounts, newest first, 50 a page."""
    form = AuditFilterForm(request.GET)
    filters = form.filters(time_zone=request.user.tzinfo)
    page = Paginator(audit_trail(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = audit_rows(page.object_list)
    query = query_without(request.GET, "page")
    return render(
        request,
        "engagement/audit/trail.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query,
            "filtered": bool(query),
            # The history of one record: named by its latest entry, which the page shows first.
            "subject": rows[0] if filters.model is not None and rows else None,
            "one_record": filters.model is not None,
            "retention_days": settings.AUDIT_RETENTION_DAYS,
        },
    )
