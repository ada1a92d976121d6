"""The engagements export: the program admin's CSV of past engagements, in the columns their import reads
(``visits.imports``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from engagement.imports.exports import csv_response
from engagement.imports.forms import EngagementExportForm
from engagement.imports.framework import IMPORT_KINDS
from engagement.imports.models import ImportJob
from engagement.people.roles import Role, role_required

EXPORT_CHUNK = 2000


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def export_engagements(request: HttpRequest) -> HttpResponse:
    """The engagements that started between two dates (the last twelve months unless asked otherwise: there may be
    millions), streamed in one query. Dates that do not fit are refused with the export page saying why."""
    form = EngagementExportForm.from_query(request.GET)
    if not form.is_valid():
        context = {"engagement_form": form, "kinds": IMPORT_KINDS, "refused": True}
        return render(request, "engagement/imports/exports.html", context, status=400)
    since, until = form.range()
    kind = IMPORT_KINDS[ImportJob.Kind.ENGAGEMENTS]
    rows = kind.export_rows(starts_at__gte=since, starts_at__lt=until).iterator(chunk_size=EXPORT_CHUNK)
    return csv_response(filename="engagements", columns=kind.export_columns(), rows=rows)
