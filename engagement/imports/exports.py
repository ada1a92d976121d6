"""CSV downloads of the dashboards' tables.

Each export streams its rows, so a table of thousands never sits in memory, and names its columns once
(``CsvColumn``): docs/architecture.md's table of exports lists them, and they only ever grow at the end.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Aggregate, QuerySet, Subquery, TextField, Value
from django.http import StreamingHttpResponse
from django.utils import timezone

from engagement.bounds import one_line

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CsvColumn:
    """One column of an export: its header, how a row gives its value, and whether its text may run over several
    lines (notes). A single-line column never makes a cell of several lines, whatever a row holds: a spreadsheet or a
    script reading the file line by line would split the row."""

    header: str
    value: Callable[[Any], Any]
    multi_line: bool = False


def _cell(value: Any, *, multi_line: bool = False) -> Any:
    if isinstance(value, str) and not multi_line:
        value = one_line(value)
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
            yield writer.writerow([_cell(column.value(row), multi_line=column.multi_line) for column in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


# Between the values ``TextList`` joins: a character no name or address holds.
_LIST_SEPARATOR = "\x1f"


class TextList(Aggregate):
    """The values of a group joined in one text, in no particular order (``text_list_values`` splits them again):
    GROUP_CONCAT in SQLite, STRING_AGG in PostgreSQL."""

    function = "GROUP_CONCAT"
    output_field = TextField()

    def __init__(self, expression: Any, **extra: Any) -> None:
        super().__init__(expression, Value(_LIST_SEPARATOR), **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra_context)


def text_list(queryset: QuerySet, *, group_by: str, field: str) -> Subquery:
    """For each outer row, every ``field`` of ``queryset`` (filtered on an ``OuterRef``) in one text: a list of names
    in the same query as the rows, however many rows an export streams."""
    grouped = queryset.order_by().values(group_by).annotate(joined=TextList(field)).values("joined")
    return Subquery(grouped[:1], output_field=TextField())


def text_list_values(joined: str | None) -> list[str]:
    """The values ``TextList`` joined, sorted."""
    return sorted(joined.split(_LIST_SEPARATOR), key=str.casefold) if joined else []


def cell_text(value: str) -> str:
    """A cell's text as it was before ``csv_response`` kept a spreadsheet from running it: an import reads back what
    an export wrote."""
    if value.startswith("'") and value[1:2] and value[1:].startswith(_FORMULA_STARTS):
        return value[1:]
    return value
