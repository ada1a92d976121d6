"""Queueing background tasks so that a broker outage loses none of them.

Every task is queued through ``task_enqueue``, after the commit of the
transaction that made its rows. When the broker does not take it (Redis
stopped, restarting, unreachable), the task is kept as an ``UnsentTask`` row
and the request or job that queued it carries on as if it had gone; the
periodic ``send_unsent_tasks`` queues the kept ones once the broker answers.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping, Sequence

from celery import Task
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from config.celery import app as celery_app
from engagement.delivery.models import UnsentTask

logger = logging.getLogger(__name__)

# After the broker refused a task, this process keeps the tasks of the next
# seconds straight away instead of trying each: a reminder run queueing
# hundreds of emails would otherwise wait on the broker once per email.
REFUSED_SKIP_SECONDS = 10.0
# A sweep that claimed a row and died before deleting it (the worker killed)
# leaves it claimed; after this long another sweep takes it again.
UNSENT_STALE_CLAIM = dt.timedelta(minutes=10)
# Rows queued per sweep; the sweep runs every minute.
UNSENT_BATCH = 1000

_refused_until = 0.0


def task_enqueue(*, task: Task | str, args: Sequence[object] = (), kwargs: Mapping[str, object] | None = None) -> None:
    """Queue ``task`` (a task, or its name: a service queues by name, so that
    it need not import the tasks that call it) with ``args`` and ``kwargs``
    (ids and ISO dates: they are kept as JSON) once the current transaction
    commits, or at once outside one. Never raises for the broker: a task it
    cannot take is kept for ``unsent_tasks_send``."""
    args, kwargs = list(args), dict(kwargs or {})
    transaction.on_commit(lambda: task_publish(task=task, args=args, kwargs=kwargs))


def task_publish(*, task: Task | str, args: list[object], kwargs: dict[str, object]) -> bool:
    """Hand ``task`` to the broker now, or keep it as an unsent task when the
    broker does not take it. Returns whether the broker took it."""
    global _refused_until
    if isinstance(task, str):
        task = _task_named(task)
    if not task.app.conf.task_always_eager and time.monotonic() < _refused_until:
        _unsent_task_record(name=task.name, args=args, kwargs=kwargs, error="The broker refused a task just before.")
        return False
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception as error:  # noqa: BLE001 - whatever the transport raises, the task is kept, not lost
        _refused_until = time.monotonic() + REFUSED_SKIP_SECONDS
        _unsent_task_record(name=task.name, args=args, kwargs=kwargs, error=f"{error.__class__.__name__}: {error}")
        return False
    return True


def broker_refusals_forget() -> None:
    """Try the broker again with the next task, however recently it refused one."""
    global _refused_until
    _refused_until = 0.0


def _unsent_task_record(*, name: str, args: list[object], kwargs: dict[str, object], error: str) -> None:
    try:
        UnsentTask.objects.create(name=name, args=args, kwargs=kwargs, error=error[:300])
    except Exception:
        # The commit is done: failing the request now would hide that, not undo it.
        logger.exception(
            "task lost: neither the broker nor the database took it", extra={"task": name, "task_args": args}
        )
        return
    logger.warning("task kept until the broker answers", extra={"task": name, "task_args": args, "error": error[:300]})


def _claimable(now: dt.datetime) -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - UNSENT_STALE_CLAIM)


def _task_named(name: str) -> Task:
    if name not in celery_app.tasks:
        # Services queue tasks by name: a web process may not have imported them yet.
        celery_app.loader.import_default_modules()
    return celery_app.tasks[name]


def unsent_tasks_send(*, now: dt.datetime | None = None, limit: int = UNSENT_BATCH) -> int:
    """Queue the kept tasks, oldest first, each exactly once: a row is claimed
    with one conditional UPDATE (of two sweeps, one gets it), queued, then
    deleted. The first refusal stops the sweep: the broker is still down, and
    the rest wait for the next run. Returns how many were queued."""
    now = now or timezone.now()
    rows = list(UnsentTask.objects.filter(_claimable(now)).order_by("pk")[:limit])
    queued = 0
    for row in rows:
        claimed = UnsentTask.objects.filter(_claimable(now), pk=row.pk).update(
            claimed_at=now, attempts=F("attempts") + 1
        )
        if not claimed:
            continue  # another sweep has it
        mine = UnsentTask.objects.filter(pk=row.pk, claimed_at=now)
        try:
            task = _task_named(row.name)
        except KeyError:
            # Renamed or removed since: kept for whoever runs Groundwork to see, not in the others' way.
            mine.update(claimed_at=None, error="No task of this name any more.")
            continue
        try:
            task.apply_async(args=row.args, kwargs=row.kwargs)
        except Exception as error:  # noqa: BLE001 - kept for the next sweep, whatever went wrong
            mine.update(claimed_at=None, error=f"{error.__class__.__name__}: {error}"[:300])
            logger.warning("unsent tasks still waiting for the broker", extra={"error": error.__class__.__name__})
            break
        mine.delete()
        queued += 1
    if queued:
        broker_refusals_forget()
        logger.info("unsent tasks queued", extra={"queued": queued})
    return queued
