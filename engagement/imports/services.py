"""An import from upload to done: the writes of ``ImportJob``.

A file is kept in its job (the worker that imports it may run on another machine) and checked, in the request for a
small file and by a task for a larger one; its preview says what importing it will do. Importing is claimed once
(ready → queued by the person who asks, queued → importing by the task that runs it, each a conditional UPDATE, so a
double click or a task run twice does nothing), then done in one transaction that checks every row again against the
database as it is then: the whole file goes in, or none of it does.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict

from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Length
from django.utils import timezone

from engagement.audit.trail import audit_change
from engagement.delivery.outbox import task_enqueue
from engagement.imports.framework import (
    ERRORS_KEPT,
    ImportOptions,
    ImportPlan,
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
Status = ImportJob.Status

# A file this small is checked while its uploader waits: the preview is there at once, with no round trip through a
# worker.
CHECK_IN_REQUEST_BYTES = 256 * 1024
# An import claimed this long ago whose worker never finished (killed, the machine lost) may be claimed again by the
# task's redelivery; 50,000 rows take well under a minute.
IMPORT_STALE_AFTER = dt.timedelta(minutes=30)
OUR_SIDE = "if it happens again, tell whoever runs Groundwork."


class _Superseded(Exception):
    """Another run claimed the job after this one was thought lost."""


class ImportFailed(Exception):
    """The import found rows it cannot write: everything is rolled back."""

    def __init__(self, message: str, errors: list[RowError]) -> None:
        super().__init__(message)
        self.errors = errors


def import_job_create(*, kind: str, filename: str, data: bytes, date_order: str, uploaded_by: User) -> ImportJob:
    """Keep an uploaded file as a job and check it: at once when it is small, else by a task after the commit. A file
    that cannot be read as a whole (too large, empty, not UTF-8 CSV, columns missing) is refused with
    ``ImportRefused`` and nothing is kept."""
    if date_order not in ImportJob.DateOrder.values:
        raise ImportRefused("Choose how the file writes its dates.")
    _kind, csv_file, _match = import_file_read(kind, data)
    fields = {"kind": kind, "filename": filename[:255], "data": data, "date_order": date_order}
    job = ImportJob.objects.create(**fields, uploaded_by=uploaded_by, row_count=len(csv_file.records))
    _check_soon(job_id=job.pk, size=len(data))
    return job


def _check_soon(*, job_id: int, size: int) -> None:
    """Check a job's file while its uploader waits when it is small, else by a task after the commit."""
    if size <= CHECK_IN_REQUEST_BYTES:
        import_job_check(job_id=job_id)
    else:
        task_enqueue(task="engagement.tasks.check_import", args=(job_id,))


def import_job_recheck(*, job: ImportJob, date_order: str, time_zone: str) -> bool:
    """Check a file again, read another way (the order of its dates, the zone of its times), instead of uploading it
    again: only while it waits to be imported or has errors to fix. Returns whether it is being checked again."""
    if date_order not in ImportJob.DateOrder.values:
        raise ImportRefused("Choose how the file writes its dates.")
    again: dict[str, object] = {"status": Status.CHECKING, "date_order": date_order, "time_zone": time_zone}
    again |= {"message": "", "errors": [], "error_count": 0, "preview": {}}
    if not ImportJob.objects.filter(pk=job.pk, status__in=(Status.READY, Status.INVALID)).update(**again):
        return False
    _check_soon(job_id=job.pk, size=ImportJob.objects.filter(pk=job.pk).values_list(Length("data"), flat=True)[0])
    return True


def _plan(job: ImportJob, progress: Progress) -> ImportPlan:
    options = ImportOptions(date_order=job.date_order, time_zone=job.time_zone, now=timezone.now())
    return import_plan(kind=job.kind, data=bytes(job.data), options=options, progress=progress)


def _errors(errors: list[RowError]) -> dict[str, object]:
    return {"errors": [asdict(error) for error in errors[:ERRORS_KEPT]], "error_count": len(errors)}


def import_job_check(*, job_id: int) -> str | None:
    """Check every row of a job still being checked, writing nothing but the job: its preview, or its row errors.
    Safe to run twice: the job is written only while it is still being checked. Returns its new status."""
    job = ImportJob.objects.filter(pk=job_id, status=Status.CHECKING).first()
    if job is None:
        return None
    changes: dict[str, object]
    try:
        plan = _plan(job, Progress(job_id=job.pk, total=job.row_count))
    except ImportRefused as error:
        changes = {"status": Status.INVALID, "message": str(error)}
    except Exception:
        logger.exception("import check failed", extra={"import_job_id": job.pk})
        message = f"The file could not be checked because of an error on our side. Upload it again; {OUR_SIDE}"
        changes = {"status": Status.INVALID, "message": message}
    else:
        n = len(plan.errors)
        message = (
            f"{n} error{'s' if n != 1 else ''} in the file: nothing was imported. Fix {'them' if n != 1 else 'it'}"
        )
        changes = {"status": Status.INVALID if n else Status.READY, "row_count": plan.row_count, **_errors(plan.errors)}
        changes |= {"preview": plan.preview(), "message": f"{message} in the file and upload it again." if n else ""}
    ImportJob.objects.filter(pk=job.pk, status=Status.CHECKING).update(**changes)
    return str(changes["status"])


def import_job_start(*, job: ImportJob) -> bool:
    """Queue the import of a checked file, once: the first of two clicks queues it, the second finds it queued and
    does nothing. Returns whether this call queued it."""
    if queued := ImportJob.objects.filter(pk=job.pk, status=Status.READY).update(status=Status.QUEUED):
        task_enqueue(task="engagement.tasks.run_import", args=(job.pk,))
    return bool(queued)


def import_job_claim(*, job_id: int, now: dt.datetime) -> bool:
    """Claim a queued job for one run (or one whose run was lost: claimed long ago and never finished). ``now`` is
    the claim: only the run holding it may finish the job."""
    claimable = Q(status=Status.QUEUED) | Q(status=Status.IMPORTING, started_at__lt=now - IMPORT_STALE_AFTER)
    return ImportJob.objects.filter(claimable, pk=job_id).update(status=Status.IMPORTING, started_at=now) == 1


def import_job_run(*, job_id: int) -> str | None:
    """Import a queued job's file whole or not at all. Its rows are checked again inside the transaction, against the
    database as it is now; any row that no longer imports, or any error while writing, rolls everything back and
    marks the job failed with why. Safe to run twice: a job that is not queued is left alone. Returns its new status."""
    claimed_at = timezone.now()
    if not import_job_claim(job_id=job_id, now=claimed_at):
        return None
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    progress = Progress(job_id=job.pk, total=job.row_count)
    mine = ImportJob.objects.filter(pk=job.pk, status=Status.IMPORTING, started_at=claimed_at)
    try:
        with transaction.atomic():
            plan = _plan(job, progress)
            if plan.errors:
                rows = "rows no longer import" if len(plan.errors) != 1 else "row no longer imports"
                raise ImportFailed(
                    f"{len(plan.errors)} {rows} as the preview showed: the data changed in Groundwork since. "
                    "Nothing was imported. Fix the file and upload it again.",
                    plan.errors,
                )
            progress.start("importing")
            import_kind_get(job.kind).apply(plan=plan, job=job, progress=progress)
            summary = dict(zip(("created", "updated", "unchanged"), plan.counts().values(), strict=True))
            if mine.update(status=Status.DONE, summary=summary, finished_at=timezone.now()) != 1:
                raise _Superseded  # its import stands, not this one: everything here is undone
            counts = {name: (0, count) for name, count in summary.items()}
            audit_change(
                instance=job, changes={"status": (Status.IMPORTING, Status.DONE), **counts}, actor=job.uploaded_by
            )
    except _Superseded:
        return None
    except ImportFailed as failure:
        return _import_failed(job, mine, str(failure), failure.errors)
    except Exception:
        logger.exception("import failed", extra={"import_job_id": job.pk})
        message = "The import stopped on an error on our side, and everything it had written was undone: nothing was"
        return _import_failed(job, mine, f"{message} imported. Try again with a new upload; {OUR_SIDE}")
    done = {f"rows_{name}": n for name, n in summary.items()}
    logger.info("import done", extra={"import_job_id": job.pk, "kind": job.kind, **done})
    return Status.DONE


def _import_failed(
    job: ImportJob, mine: QuerySet[ImportJob], message: str, errors: list[RowError] | None = None
) -> str | None:
    failed = {"status": Status.FAILED, "message": message, "finished_at": timezone.now()}
    if mine.update(**failed, **(_errors(errors) if errors else {})) != 1:
        return None
    changes = {"status": (Status.IMPORTING, Status.FAILED), "message": ("", message)}
    audit_change(instance=job, changes=changes, actor=job.uploaded_by)
    return Status.FAILED
