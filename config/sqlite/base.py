"""SQLite shared by several processes: the embedded setup's web server,
Celery workers and beat write to one file.

SQLite lets one writer in at a time. The others poll for its lock, sleeping
longer between tries the longer they have waited (up to a tenth of a
second), and give up after the busy timeout with "database is locked". So a
contact logged while an import holds its one long transaction fails once
the import outlasts the timeout; a worker that commits batch after batch
(the audit trail's prune) takes the lock back a moment after letting go, so
a polling writer gets in only when a poll happens to fall in that moment;
and under load a newcomer often beats someone who has waited for seconds.

Here writers queue in the kernel instead, with no timeout. Each write
transaction, and each write statement outside one, first takes two file
locks beside the database: a gate, then the write turn, letting go of the
gate as soon as it has the turn. Whoever holds the gate is next, so a writer
that has just committed queues behind one already waiting, and a waiting
writer is woken the moment the turn is free. A web request still ends at the
server's request timeout; a worker waits for as long as the writer before it.
"""

from __future__ import annotations

import fcntl
import os
import re
from typing import Any

from django.db.backends.sqlite3 import base

# The statements Django runs outside a transaction that write. Schema changes
# run inside one (migrations are atomic on SQLite), so they queue with it.
WRITE_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class WriterQueue:
    """The write turn of one database file, taken in the order asked for
    (as near as the kernel wakes waiters) by every connection to it."""

    def __init__(self, database: str) -> None:
        # Read-only is enough to lock a file, and lets processes of another
        # user that may write the database take their turn too.
        self.gate = os.open(f"{database}-gate.lock", os.O_RDONLY | os.O_CREAT, 0o644)
        self.turn = os.open(f"{database}-writer.lock", os.O_RDONLY | os.O_CREAT, 0o644)
        self.held = False

    def acquire(self) -> None:
        fcntl.flock(self.gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self.turn, fcntl.LOCK_EX)
        finally:
            fcntl.flock(self.gate, fcntl.LOCK_UN)
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            fcntl.flock(self.turn, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        os.close(self.gate)
        os.close(self.turn)


class QueuedCursor(base.SQLiteCursorWrapper):
    """A cursor that queues for the write turn around each write statement
    run outside a transaction (Django's autocommit)."""

    writers: WriterQueue | None = None

    def execute(self, query: str, params: Any = None) -> Any:
        if not self._queues(query):
            return super().execute(query, params)
        self.writers.acquire()
        try:
            return super().execute(query, params)
        finally:
            self.writers.release()

    def executemany(self, query: str, param_list: Any) -> Any:
        if not self._queues(query):
            return super().executemany(query, param_list)
        self.writers.acquire()
        try:
            return super().executemany(query, param_list)
        finally:
            self.writers.release()

    def _queues(self, query: str) -> bool:
        return self.writers is not None and not self.writers.held and WRITE_STATEMENT.match(query) is not None


class DatabaseWrapper(base.DatabaseWrapper):
    writers: WriterQueue | None = None

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            self.writers = WriterQueue(self.settings_dict["NAME"])
        return connection

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=QueuedCursor)
        cursor.writers = self.writers
        return cursor

    def _start_transaction_under_autocommit(self) -> None:
        if self.writers is not None:
            self.writers.acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writers()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._release_writers()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._release_writers()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            if self.writers is not None:
                self.writers.close()
                self.writers = None

    def _release_writers(self) -> None:
        if self.writers is not None:
            self.writers.release()
