"""Uploading and importing CSV files the way a program admin does, for the
import tests of every app."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from engagement.imports.models import ImportJob


def csv_bytes(rows: list[list[Any]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    """``rows`` (the headings first) as a UTF-8 CSV file."""
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


def upload(client: Client, kind: str, data: bytes, *, filename: str = "export.csv", date_order: str = "dmy") -> Any:
    """Upload ``data`` from the import page; the response after any redirect."""
    return client.post(
        reverse("engagement:imports"),
        {"kind": kind, "date_order": date_order, "file": SimpleUploadedFile(filename, data, "text/csv")},
        follow=True,
    )


def last_job() -> ImportJob:
    return ImportJob.objects.order_by("-pk").first()


def import_file(client: Client, capture: Any, kind: str, data: bytes, **options: Any) -> ImportJob:
    """Upload ``data``, check that its preview offers to import it, import
    it, and return the job as it ends (the task runs at once, after commit)."""
    response = upload(client, kind, data, **options)
    job = last_job()
    assert job is not None, response.content.decode()
    assert job.status == ImportJob.Status.READY, (job.message, job.errors)
    with capture(execute=True):
        client.post(reverse("engagement:import_start", kwargs={"pk": job.pk}))
    job.refresh_from_db()
    return job
