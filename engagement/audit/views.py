"""The audit trail's page: who changed what, and when, for program admins."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from engagement.audit.filters import AuditFilter
from engagement.audit.trail import audit_rows, audit_trail
from engagement.filters import page_of
from engagement.people.roles import Role, role_required

PAGE_SIZE = 50


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    """Who changed what in engagements, debriefs, pairings, program settings,
    people and accounts, newest first, 50 a page."""
    filters = AuditFilter(request.GET, queryset=audit_trail(), request=request)
    page, query = page_of(request, filters.qs, PAGE_SIZE)
    rows = audit_rows(page.object_list)
    return render(
        request,
        "engagement/audit/trail.html",
        {
            "form": filters.form,
            "page": page,
            "rows": rows,
            "query": query,
            "filtered": bool(query),
            # The history of one record: named by its latest entry, which the page shows first.
            "subject": rows[0] if filters.one_record and rows else None,
            "one_record": filters.one_record,
            "retention_days": settings.AUDIT_RETENTION_DAYS,
        },
    )
