"""The import and export pages of program admins: upload a CSV file, see what importing it will do, import it whole,
follow it, and download the program's data in the same columns."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from engagement.imports.exports import csv_response
from engagement.imports.forms import EngagementExportForm, ImportReadForm, ImportUploadForm
from engagement.imports.framework import IMPORT_KINDS, ImportRefused, import_progress
from engagement.imports.models import ImportJob
from engagement.imports.selectors import import_job_for_page, import_job_list
from engagement.imports.services import import_job_create, import_job_recheck, import_job_start
from engagement.people.roles import Role, role_required

JOBS_PER_PAGE = 25
ERRORS_PER_PAGE = 50
EXPORT_CHUNK = 2000
UNDER_WAY = (ImportJob.Status.CHECKING, ImportJob.Status.QUEUED, ImportJob.Status.IMPORTING)


@role_required(Role.PROGRAM_ADMIN)
@require_http_methods(["GET", "POST"])
def imports(request: HttpRequest) -> HttpResponse:
    """Upload a file to import, and the imports made so far."""
    posted = request.method == "POST"
    form = ImportUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            named = {key: form.cleaned_data[key] for key in ("kind", "date_order")}
            filename, data = form.cleaned_data["file"].name, form.file_data()
            job = import_job_create(**named, filename=filename, data=data, uploaded_by=request.user)
        except ImportRefused as error:
            form.add_error("file", str(error))
        else:
            return redirect("engagement:import_detail", pk=job.pk)
    page = Paginator(import_job_list(), JOBS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "kinds": list(IMPORT_KINDS.values())}
    return render(request, "engagement/imports/imports.html", context)


def _under_way(job: ImportJob) -> dict[str, object]:
    """The job, whether it is under way, and the stage and share done of its progress bar."""
    progress = import_progress(job_id=job.pk) if job.status in UNDER_WAY else None
    shown = {"job": job, "under_way": job.status in UNDER_WAY}
    if job.status == ImportJob.Status.QUEUED or progress is None:
        return {**shown, "progress": {"stage": job.status, "done": None, "total": job.row_count}}
    stage = "checking" if job.status == ImportJob.Status.CHECKING else progress["stage"]
    return {
        **shown,
        "progress": {"stage": stage, "done": progress["done"], "total": progress["total"] or job.row_count},
    }


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: its progress while it is under way, then its preview and row errors, or what it did."""
    job = import_job_for_page(pk=pk)
    errors = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    context = {**_under_way(job), "kind": IMPORT_KINDS.get(job.kind), "preview": job.preview, "errors": errors}
    context["read_form"] = ImportReadForm(initial={"date_order": job.date_order, "time_zone": job.time_zone})
    return render(request, "engagement/imports/import_detail.html", context)


@role_required(Role.PROGRAM_ADMIN)
@require_POST
def import_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    """Check the same file again, its dates or times read another way."""
    job = import_job_for_page(pk=pk, with_details=False)
    form = ImportReadForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how the file writes its dates, and a time zone from the list.")
    elif import_job_recheck(job=job, **form.cleaned_data):
        messages.success(request, "The file was checked again, read as you chose.")
    else:
        messages.info(request, "This file is being imported or was imported: upload it again to read it another way.")
    return redirect("engagement:import_detail", pk=job.pk)


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def import_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar of an import under way, which the page asks for again every two seconds; once the import is
    over, the whole page is loaded again."""
    job = import_job_for_page(pk=pk, with_details=False)
    if job.status not in UNDER_WAY and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "engagement/imports/includes/progress.html", _under_way(job))


@role_required(Role.PROGRAM_ADMIN)
@require_POST
def import_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a checked file; a second click finds it under way and changes nothing."""
    job = import_job_for_page(pk=pk, with_details=False)
    if import_job_start(job=job):
        messages.success(request, f"Importing {job.row_count:,} rows. This page follows it.")
    elif job.status in UNDER_WAY:
        messages.info(request, "This file is being imported already.")
    elif job.status == ImportJob.Status.DONE:
        messages.info(request, "This file was imported already.")
    else:
        messages.error(request, "This file cannot be imported: see why below.")
    return redirect("engagement:import_detail", pk=job.pk)


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def exports(request: HttpRequest) -> HttpResponse:
    """Downloads of the program's executives, accounts, contacts and engagements, in the columns their imports read."""
    context = {"engagement_form": EngagementExportForm.from_query(request.GET), "kinds": IMPORT_KINDS}
    return render(request, "engagement/imports/exports.html", context)


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def export_csv(request: HttpRequest, kind: str) -> HttpResponse:
    """Every row of ``kind`` as CSV, streamed in one query, with the headings its import reads: a file exported,
    edited and imported again updates the same rows."""
    rows = IMPORT_KINDS[kind].export_rows().iterator(chunk_size=EXPORT_CHUNK)
    return csv_response(filename=kind, columns=IMPORT_KINDS[kind].export_columns(), rows=rows)
