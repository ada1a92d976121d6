"""Reads of the import pages: jobs without the files they keep."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from engagement.imports.models import ImportJob


def import_job_list() -> QuerySet[ImportJob]:
    """Past and current imports, newest first, with who uploaded each; the files, their errors and previews are left
    in the database."""
    return ImportJob.objects.select_related("uploaded_by").defer("data", "errors", "preview")


def import_job_for_page(*, pk: int, with_details: bool = True) -> ImportJob:
    """One import job (404 when there is none), without its file."""
    jobs = ImportJob.objects.select_related("uploaded_by").defer("data")
    if not with_details:
        jobs = jobs.defer("data", "errors", "preview")
    return get_object_or_404(jobs, pk=pk)
