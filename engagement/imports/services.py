"""An import from upload to done: the writes of ``ImportJob``.

A file is kept in its job (the worker that imports it may run on another
machine) and checked, in the request for a small file and by a task for a
larger one; its preview says what importing it will do. Importing is claimed
once (ready → queued by the person who asks, queued → importing by the task
that runs it, each a conditional UPDATE, so a double click or a task run
twice does nothing), then done in one transaction that checks every row
again against the database as it is then: the whole file goes in, or none
of it does.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from engagement.audit.trail import audit_change
from engagement.delivery.outbox import task_enqueue
from engagement.imports.framework import (
    CREATE,
    ERRORS_KEPT,
    UNCHANGED,
    UPDATE,
    ImportOptions,
    ImportRefused,
    Progress,
    RowError,
    import_file_read,
    import_kind_get,
    import_plan,
)
from engagement.imports.models import ImportJob
from engagement.people.models import User

logger = logging.getLogger(__name__)

# A file this small is checked while its uploader waits: the preview is there
# at once, with no round trip through a worker.
CHECK_IN_REQUEST_BYTES = 256 * 1024
# An import claimed this long ago whose worker never finished (killed, the
# machine lost) may be claimed again by the task's redelivery; 50,000 rows
# take well under a minute.
IMPORT_STALE_AFTER = dt.timedelta(minutes=30)


class _Superseded(Exception):
    """Another run claimed the job after this one was thought lost."""


class ImportFailed(Exception):
    """The import found rows it cannot write: everything is rolled back."""

    def __init__(self, message: str, errors: list[RowError] | None = None, error_count: int = 0) -> None:
        super().__init__(message)
        self.errors = errors or []
        self.error_count = error_count or len(self.errors)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def import_job_create(*, kind: str, filename: str, data: bytes, date_order: str, uploaded_by: User) -> ImportJob:
    """Keep an uploaded file as a job and check it: at once when it is small,
    else by a task after the commit. A file that cannot be read as a whole
    (too large, empty, not UTF-8 CSV, columns missing) is refused with
    ``ImportRefused`` and nothing is kept."""
    limit = settings.IMPORT_MAX_BYTES
    if len(data) > limit:
        raise ImportRefused(
            f"This file is {_megabytes(len(data))}; files of up to {_megabytes(limit)} can be imported. "
            "Split it into smaller files and import each."
        )
    if date_order not in ImportJob.DateOrder.values:
        raise ImportRefused("Choose how the file writes its dates.")
    _kind, csv_file, _match = import_file_read(kind, data)
    job = ImportJob.objects.create(
        kind=kind,
        filename=filename[:255],
        data=data,
        date_order=date_order,
        uploaded_by=uploaded_by,
        row_count=len(csv_file.records),
    )
    if len(data) <= CHECK_IN_REQUEST_BYTES:
        import_job_check(job_id=job.pk)
    else:
        task_enqueue(task="engagement.tasks.check_import", args=(job.pk,))
    return job


def _options(job: ImportJob, now: dt.datetime | None = None) -> ImportOptions:
    return ImportOptions(date_order=job.date_order, now=now or timezone.now(), filename=job.filename)


def import_job_check(*, job_id: int) -> str | None:
    """Check every row of a job still being checked, writing nothing but the
    job: its preview, or its row errors. Safe to run twice: the job is
    written only while it is still being checked. Returns its new status."""
    job = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.CHECKING).first()
    if job is None:
        return None
    progress = Progress(job_id=job.pk, total=job.row_count)
    changes: dict[str, object]
    try:
        plan = import_plan(kind=job.kind, data=bytes(job.data), options=_options(job), progress=progress)
    except ImportRefused as error:
        changes = {"status": ImportJob.Status.INVALID, "message": str(error)}
    except Exception:
        logger.exception("import check failed", extra={"import_job_id": job.pk})
        changes = {
            "status": ImportJob.Status.INVALID,
            "message": "The file could not be checked because of an error on our side. Upload it again; if it "
            "happens again, tell whoever runs Groundwork.",
        }
    else:
        changes = {
            "status": ImportJob.Status.INVALID if plan.errors else ImportJob.Status.READY,
            "row_count": plan.row_count,
            "error_count": len(plan.errors),
            "errors": [asdict(error) for error in plan.errors[:ERRORS_KEPT]],
            "preview": plan.preview(),
            "message": "" if not plan.errors else _errors_message(len(plan.errors)),
        }
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKING).update(**changes)
    return str(changes["status"])


def _errors_message(count: int) -> str:
    return (
        f"{count} error{'s' if count != 1 else ''} in the file: nothing was imported. Fix "
        f"{'them' if count != 1 else 'it'} in the file and upload it again."
    )


def import_job_start(*, job: ImportJob) -> bool:
    """Queue the import of a checked file, once: the first of two clicks
    queues it, the second finds it queued and does nothing. Returns whether
    this call queued it."""
    queued = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READY).update(status=ImportJob.Status.QUEUED)
    if queued:
        task_enqueue(task="engagement.tasks.run_import", args=(job.pk,))
    return bool(queued)


def import_job_claim(*, job_id: int, now: dt.datetime) -> bool:
    """Claim a queued job for one run (or one whose run was lost: claimed long
    ago and never finished). ``now`` is the claim: only the run holding it may
    finish the job."""
    claimable = Q(status=ImportJob.Status.QUEUED) | Q(
        status=ImportJob.Status.IMPORTING, started_at__lt=now - IMPORT_STALE_AFTER
    )
    return ImportJob.objects.filter(claimable, pk=job_id).update(status=ImportJob.Status.IMPORTING, started_at=now) == 1


def import_job_run(*, job_id: int) -> str | None:
    """Import a queued job's file whole or not at all. Its rows are checked
    again inside the transaction, against the database as it is now; any row
    that no longer imports, or any error while writing, rolls everything back
    and marks the job failed with why. Safe to run twice: a job that is not
    queued is left alone. Returns its new status."""
    claimed_at = timezone.now()
    if not import_job_claim(job_id=job_id, now=claimed_at):
        return None
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    progress = Progress(job_id=job.pk, total=job.row_count)
    mine = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.IMPORTING, started_at=claimed_at)
    try:
        with transaction.atomic():
            plan = import_plan(kind=job.kind, data=bytes(job.data), options=_options(job), progress=progress)
            if plan.errors:
                rows = "rows no longer import" if len(plan.errors) != 1 else "row no longer imports"
                raise ImportFailed(
                    f"{len(plan.errors)} {rows} as the preview showed: the data changed in Groundwork since. "
                    "Nothing was imported. Fix the file and upload it again.",
                    plan.errors[:ERRORS_KEPT],
                    len(plan.errors),
                )
            progress.start("importing")
            import_kind_get(job.kind).apply(plan=plan, job=job, progress=progress)
            counts = plan.counts()
            summary = {"created": counts[CREATE], "updated": counts[UPDATE], "unchanged": counts[UNCHANGED]}
            finished = mine.update(status=ImportJob.Status.DONE, summary=summary, finished_at=timezone.now())
            if finished != 1:
                raise _Superseded  # its import stands, not this one: everything here is undone
            audit_change(
                instance=job,
                changes={
                    "status": (ImportJob.Status.IMPORTING, ImportJob.Status.DONE),
                    **{name: (0, count) for name, count in summary.items()},
                },
                actor=job.uploaded_by,
            )
    except _Superseded:
        return None
    except ImportFailed as failure:
        return _import_failed(job, mine, str(failure), failure.errors, failure.error_count)
    except Exception:
        logger.exception("import failed", extra={"import_job_id": job.pk})
        return _import_failed(
            job,
            mine,
            "The import stopped on an error on our side, and everything it had written was undone: nothing was "
            "imported. Try again with a new upload; if it happens again, tell whoever runs Groundwork.",
        )
    logger.info(
        "import done",
        extra={"import_job_id": job.pk, "kind": job.kind, **{f"rows_{name}": n for name, n in summary.items()}},
    )
    return ImportJob.Status.DONE


def _import_failed(
    job: ImportJob, mine: QuerySet[ImportJob], message: str, errors: list[RowError] | None = None, error_count: int = 0
) -> str | None:
    changes: dict[str, object] = {"status": ImportJob.Status.FAILED, "message": message, "finished_at": timezone.now()}
    if errors:
        changes.update(errors=[asdict(error) for error in errors], error_count=error_count)
    if mine.update(**changes) != 1:
        return None
    audit_change(
        instance=job,
        changes={"status": (ImportJob.Status.IMPORTING, ImportJob.Status.FAILED), "message": ("", message)},
        actor=job.uploaded_by,
    )
    return ImportJob.Status.FAILED
