"""CSV downloads of the dashboards' tables.

Each export streams its rows, so a table of thousands never sits in memory,
and names its columns once (``CsvColumn``): README's "CSV exports" section
lists them, and they only ever grow at the end.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CsvColumn:
    """One column of an export: its header, and how a row gives its value."""

    header: str
    value: Callable[[Any], Any]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value  # text stays text when the file is opened
    return value


class _Echo:
    """A file that hands back what is written to it, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_response(*, filename: str, columns: list[CsvColumn], rows: Iterable[Any]) -> StreamingHttpResponse:
    """A CSV download of ``rows``, one line per row, ``columns`` in order."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow([column.header for column in columns])
        for row in rows:
            yield writer.writerow([_cell(column.value(row)) for column in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
