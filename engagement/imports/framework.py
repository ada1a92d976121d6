"""CSV import of the program's data, as common CRMs export it (docs/importing.md).

A file is read, its headings are matched to its kind's columns whatever their case and punctuation, and every row is
checked against the database into an ``ImportPlan``: per row, whether it creates, updates or leaves something
unchanged, and every row error with its line and the file's own heading. The plan is made for the preview, and again
inside the import's transaction, so that whatever changed in between never half-applies. Each kind of file is an
``ImportKind`` in ``IMPORT_KINDS``, declared by a table of ``Column``s: executives, accounts and contacts here, past
engagements in ``visits.imports``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import Any, ClassVar

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Model, OuterRef, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from engagement.accounts.domains import domains_read
from engagement.accounts.models import Account, AccountDomain, Contact
from engagement.bounds import check_text
from engagement.cadence.ledger import executive_cadences_refresh, executive_contacts_redate
from engagement.cadence.models import Program
from engagement.errors import ProgramError
from engagement.imports.exports import CsvColumn, cell_text, text_list, text_list_values
from engagement.imports.models import ImportJob
from engagement.imports.values import (
    DAY_FIRST,
    LIST_SEPARATOR,
    CellError,
    choice_reader,
    normalized,
    parse_amount,
    parse_date,
    parse_email,
    parse_names,
    parse_time_zone,
    parse_yes_no,
)
from engagement.people.models import EXECUTIVE_LEVELS, Executive, Function, Level, Skill, User
from engagement.people.roles import Role

# Rows written per INSERT or UPDATE, and values per IN (...) list: well inside SQLite's limits.
BATCH, IN_CHUNK = 1000, 2000
PREVIEW_ROWS, ERRORS_KEPT = 10, 1000  # rows the preview shows, row errors a job keeps
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
SAVE_AS_UTF8 = (
    "Save it as “CSV UTF-8 (Comma delimited)” (in Excel: File → Save As, then that file type; "
    "Google Sheets and Numbers write UTF-8 already) and upload it again."
)


class ImportRefused(ProgramError):
    """The whole file is refused: its message says why and how to put it right."""


# --- Reading the file ----------------------------------------------------------------


@dataclass(frozen=True)
class CsvFile:
    headers: list[str]
    records: list[tuple[int, list[str]]]  # each with the file line it starts on
    delimiter: str


def _text_of(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise ImportRefused(f"This is a spreadsheet workbook (.xlsx or .ods), not a CSV file. {SAVE_AS_UTF8}")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(f"This is an Excel 97-2003 workbook (.xls), not a CSV file. {SAVE_AS_UTF8}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise ImportRefused(
            "This file is saved as UTF-16 (Excel's “Unicode Text”) or is not text at all; Groundwork reads "
            f"UTF-8 only. {SAVE_AS_UTF8}"
        )
    data = data.removeprefix(b"\xef\xbb\xbf")  # Excel's “CSV UTF-8” starts with a byte-order mark
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportRefused(
            f"Line {line} holds characters that are not UTF-8: the file was probably saved as Windows-1252 or "
            f"Latin-1 (Excel's plain “CSV (Comma delimited)” does that). Nothing was imported. {SAVE_AS_UTF8}"
        ) from None


def csv_file_read(data: bytes) -> CsvFile:
    """``data`` as a CSV file (blank lines skipped), or ``ImportRefused``: empty, not UTF-8 text, not CSV."""
    if not data.strip():
        raise ImportRefused("The file is empty.")
    text = _text_of(data)
    # The separator the heading line uses most: comma, semicolon (Excel where the decimal mark is a comma) or tab.
    delimiter = max((",", ";", "\t"), key=next((line for line in text.splitlines() if line.strip()), "").count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if headers is None:
                headers = [cell.strip().lstrip("\ufeff") for cell in cells]
            else:
                records.append((start, cells))
    except csv.Error as error:
        raise ImportRefused(f"Line {reader.line_num} cannot be read as CSV ({error}). Nothing was imported.") from None
    if headers is None:
        raise ImportRefused("The file is empty.")
    # The one-cell lines Salesforce writes under a report ("Copyright (c) ...") are not rows.
    while len(headers) > 1 and records and len(records[-1][1]) == 1:
        records.pop()
    return CsvFile(headers=headers, records=records, delimiter=delimiter)


# --- Columns and headings ------------------------------------------------------------------


def attribute(path: str) -> Callable[[Any], Any]:
    """A record's value at ``path`` (``manager.user.email``), None past an empty link."""
    return lambda record: reduce(lambda value, name: value and getattr(value, name), path.split("."), record)


@dataclass(frozen=True)
class Column:
    """One column of a kind of file: ``names``, the heading its export writes (its key), the name people read, and
    the others it is known by; what its cells hold; how a cell is read (raising ``ValueError``) and how many
    characters it holds at most; and how the export writes a record's cell (``out``, an ``attribute`` path or a
    function; None: not exported). Notes (``multi_line``) keep their line breaks; every other cell is one line."""

    names: str
    format: str = "text"
    read: Callable[[str], Any] | None = None
    limit: int = 0
    out: Callable[[Any], Any] | str | None = None
    required: bool = False
    multi_line: bool = False

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(self.names.split(", "))

    @property
    def key(self) -> str:
        return self.headings[0]

    @property
    def label(self) -> str:
        return self.headings[1]

    @property
    def other_headings(self) -> list[str]:
        """The headings read besides ``key``, each once."""
        seen = {normalized(self.key)}
        return [name for name in self.headings[1:] if normalized(name) not in seen and not seen.add(normalized(name))]


@dataclass(frozen=True)
class HeaderMatch:
    headers: dict[str, str]  # column key -> the file's heading
    positions: dict[str, int]  # column key -> the cell's index in a record
    ignored: list[str]  # the file's headings left out, with why


def headers_match(kind: ImportKind, headers: Sequence[str]) -> HeaderMatch:
    """Match the file's ``headers`` to ``kind``'s columns (the heading nearer a column's key wins), or refuse the
    file naming what it lacks and what would do."""
    known: dict[str, tuple[str, int]] = {}
    for column in kind.columns:
        for rank, heading in enumerate(column.headings):
            known.setdefault(normalized(heading), (column.key, rank))
    found = [known.get(normalized(header)) for header in headers]
    chosen: dict[str, tuple[int, int]] = {}  # key -> (rank, position)
    for position, (key, rank) in ((p, f) for p, f in enumerate(found) if f):
        if key not in chosen or rank < chosen[key][0]:
            chosen[key] = (rank, position)
    positions = {key: position for key, (_rank, position) in chosen.items()}
    columns = {column.key: column for column in kind.columns}
    ignored = [
        f"{header} (“{headers[positions[hit[0]]]}” is read as {columns[hit[0]].label.lower()})"
        if hit
        else header or f"column {position + 1} (no heading)"
        for position, (header, hit) in enumerate(zip(headers, found, strict=True))
        if not hit or positions[hit[0]] != position
    ]
    missing = [[column.key] for column in kind.columns if column.required and column.key not in positions]
    missing += [list(group) for group in kind.required_any if not any(key in positions for key in group)]
    if missing:
        needed = [" or ".join(columns[key].label for key in group) for group in missing]
        accepted = "; ".join(
            f"{columns[key].label}: {', '.join([key, *columns[key].other_headings])}" for g in missing for key in g
        )
        raise ImportRefused(
            f"The file has no column for {', '.join(needed)}, which {kind.label.lower()} need. "
            f"Headings Groundwork reads for {'it' if len(needed) == 1 else 'them'}: {accepted}. "
            f"This file's headings: {', '.join(header for header in headers if header) or 'none'}."
        )
    return HeaderMatch({key: headers[position] for key, position in positions.items()}, positions, ignored)


# --- Rows and what checking them finds ------------------------------------------------------


@dataclass
class Row:
    line: int
    values: dict[str, str]  # the cells' text by column key, stripped

    def get(self, key: str) -> str:
        return self.values.get(key, "")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # empty: the whole row
    message: str


@dataclass
class Item:
    """What importing one row writes: its record (``pk``; None: a new one), the fields that change (all of them, for
    a new one), and its links that change."""

    pk: int | None
    fields: dict[str, Any]
    links: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    line: int
    action: str
    item: Any
    shown: list[str]  # the row as it will be imported


@dataclass
class ImportOptions:
    date_order: str = DAY_FIRST
    time_zone: str = ""  # where times without an offset are read; empty: each lead executive's own zone
    now: dt.datetime = field(default_factory=timezone.now)


class ImportPlan:
    """Everything checking a file finds: an outcome per good row, an error per bad cell, and notes for the preview."""

    def __init__(self, *, kind: ImportKind, match: HeaderMatch, options: ImportOptions) -> None:
        self.kind, self.match, self.options = kind, match, options
        self.row_count = 0
        self.state: dict[str, Any] = {}  # what a kind's check finds for its writing (the skills to create, say)
        self.errors: list[RowError] = []
        self.outcomes: list[Outcome] = []
        self.notes: list[str] = []
        self.impact: dict[str, Any] | None = None  # what importing does to where executives stand
        self._bad_lines: set[int] = set()
        self._labels = {column.key: column.label for column in kind.columns}

    def error(self, row: Row, key: str | None, message: str) -> None:
        column = (self.match.headers.get(key) or self._labels.get(key, key)) if key else ""
        self.errors.append(RowError(row.line, column, message))
        self._bad_lines.add(row.line)

    def failed(self, row: Row) -> bool:
        return row.line in self._bad_lines

    def value(self, row: Row, key: str, read: Callable[[str], Any] | None = None) -> Any:
        """The cell read by ``read``; None when it is empty or wrong (the error recorded)."""
        text = row.get(key)
        if not text or read is None:
            return text or None
        try:
            return read(text)
        except ValueError as error:
            # A reader's own refusal says what is wrong; anything else still blames the cell.
            self.error(row, key, str(error) if isinstance(error, CellError) else f"“{text}” cannot be read here.")
            return None

    def outcome(self, row: Row, new: bool, item: Item, shown: list[Any], *also: Any) -> None:
        """``row`` creates a record (``new``), else updates it if ``item`` (or anything in ``also``) changes it."""
        action = CREATE if new else UPDATE if item.fields or item.links or any(also) else UNCHANGED
        self.outcomes.append(Outcome(row.line, action, item, ["" if value is None else str(value) for value in shown]))

    def of(self, action: str) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.action == action]

    def counts(self) -> dict[str, int]:
        return {action: len(self.of(action)) for action in (CREATE, UPDATE, UNCHANGED)}

    def preview(self) -> dict[str, Any]:
        """What the preview page shows, as JSON."""
        return {
            "columns": [[header, self._labels[key]] for key, header in self.match.headers.items()],
            "ignored": self.match.ignored,
            "shown": list(self.kind.shown),
            "rows": [[outcome.line, outcome.action, *outcome.shown] for outcome in self.outcomes[:PREVIEW_ROWS]],
            "counts": self.counts(),
            "notes": self.notes,
            "impact": self.impact,
        }


def rows_read(plan: ImportPlan, csv_file: CsvFile) -> list[tuple[Row, dict[str, Any]]]:
    """Each record as a ``Row`` and its cells read by their columns. A record with more cells than headings is an
    error (a value holding the separator, not in quotes); so is a cell over its column's limit."""
    columns, width = plan.kind.columns, len(csv_file.headers)
    rows = []
    for line, cells in csv_file.records:
        row, refused = Row(line, {}), {}
        for column in columns:
            index = plan.match.positions.get(column.key, len(cells))
            try:
                text = check_text(cells[index], multi_line=column.multi_line) if index < len(cells) else ""
            except ValueError as error:
                text, refused[column.key] = "", str(error)
            row.values[column.key] = cell_text(text.strip())
        for key, message in refused.items():
            plan.error(row, key, message)
        if any(cell.strip() for cell in cells[width:]):
            message = f"This row has {len(cells)} cells where the file has {width} headings: a value holding"
            plan.error(row, None, f"{message} “{csv_file.delimiter}” must be in double quotes.")
        values = {column.key: plan.value(row, column.key, column.read) for column in columns}
        if "first_name" in values and values["name"] is None:
            values["name"] = " ".join(filter(None, (values["first_name"], values["last_name"]))) or None
        for column in columns:
            if column.limit and values[column.key] is not None and len(values[column.key]) > column.limit:
                plan.error(row, column.key, f"At most {column.limit} characters.")
        rows.append((row, values))
    return rows


# --- Kinds of file ------------------------------------------------------------------------


class Progress:
    """How far an import has got, in the cache that every process shares: the import's transaction hides its rows
    from other connections until the end."""

    EVERY_SECONDS = 0.5

    def __init__(self, *, job_id: int | None, total: int) -> None:
        self.job_id, self.total = job_id, total
        self.stage, self.done, self._written_at = "checking", 0, 0.0

    @staticmethod
    def key(job_id: int) -> str:
        return f"groundwork:import:{job_id}:progress"

    def start(self, stage: str) -> None:
        self.stage, self.done = stage, 0
        self.save()

    def advance(self, rows: int) -> None:
        self.done = min(self.total, self.done + rows)
        # Twice a second at most: a cache write per row would slow the import down.
        if time.monotonic() - self._written_at >= self.EVERY_SECONDS or self.done == self.total:
            self.save()

    def save(self) -> None:
        self._written_at = time.monotonic()
        if self.job_id is not None:
            cache.set(self.key(self.job_id), {"stage": self.stage, "done": self.done, "total": self.total}, 86400)


def import_progress(*, job_id: int) -> dict[str, Any] | None:
    """The stage and rows done of ``job_id``'s check or import, if under way."""
    return cache.get(Progress.key(job_id))


class ImportKind:
    """A kind of file: its columns, how its rows are checked (``plan``) and written (``apply``), and the rows its
    export writes."""

    kind: ClassVar[str]
    label: ClassVar[str]  # plural, as in "Executives"
    columns: ClassVar[tuple[Column, ...]]
    required_any: ClassVar[tuple[tuple[str, ...], ...]] = ()  # at least one column of each group
    matching: ClassVar[str]  # how rows find what they update, for the upload page
    shown: ClassVar[tuple[str, ...]]  # the preview's columns

    @property
    def requirements(self) -> list[str]:
        """The columns a file must have, one alternative after another."""
        labels = {column.key: column.label for column in self.columns}
        required = [" or ".join(labels[key] for key in group) for group in self.required_any]
        return [column.label for column in self.columns if column.required] + required

    def export_columns(self) -> list[CsvColumn]:
        return [
            CsvColumn(c.key, attribute(c.out) if isinstance(c.out, str) else c.out, multi_line=c.multi_line)
            for c in self.columns
            if c.out is not None
        ]

    def export_rows(self) -> QuerySet:
        raise NotImplementedError

    def plan(self, *, rows: list[tuple[Row, dict[str, Any]]], plan: ImportPlan, progress: Progress) -> None:
        raise NotImplementedError

    def apply(self, *, plan: ImportPlan, job: ImportJob, progress: Progress) -> None:
        raise NotImplementedError


IMPORT_KINDS: dict[str, ImportKind] = {}


def import_kind(cls: type[ImportKind]) -> type[ImportKind]:
    """Register a kind of file (a class decorator): ``visits`` registers its own."""
    IMPORT_KINDS[cls.kind] = cls()
    return cls


def import_kind_get(kind: str) -> ImportKind:
    if kind not in IMPORT_KINDS:
        raise ImportRefused(f"Groundwork does not import files of {kind or 'this kind'}.")
    return IMPORT_KINDS[kind]


def import_file_read(kind: str, data: bytes) -> tuple[ImportKind, CsvFile, HeaderMatch]:
    """``data`` read as a file of ``kind``, refused when it cannot be imported as a whole."""
    import_kind_ = import_kind_get(kind)
    csv_file = csv_file_read(data)
    match = headers_match(import_kind_, csv_file.headers)
    if not csv_file.records:
        raise ImportRefused("The file has its headings but no rows under them.")
    return import_kind_, csv_file, match


def import_plan(*, kind: str, data: bytes, options: ImportOptions, progress: Progress | None = None) -> ImportPlan:
    """Check every row of ``data`` against the database, writing nothing (``ImportRefused``: the whole file)."""
    import_kind_, csv_file, match = import_file_read(kind, data)
    plan = ImportPlan(kind=import_kind_, match=match, options=options)
    rows = rows_read(plan, csv_file)
    plan.row_count = len(rows)
    import_kind_.plan(rows=rows, plan=plan, progress=progress or Progress(job_id=None, total=len(rows)))
    plan.errors.sort(key=lambda error: error.line)
    return plan


# --- Finding what rows name, a chunk at a time -------------------------------------------------


def chunks(items: Iterable[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def records_found(queryset: QuerySet, fields: Sequence[str], **lookups: Iterable[Any]) -> dict[int, dict[str, Any]]:
    """The rows of ``queryset`` (dicts of ``fields``) any of ``lookups`` finds (``crm_id__in=[...]``), by pk."""
    found: dict[int, dict[str, Any]] = {}
    for lookup, values in lookups.items():
        for batch in chunks(set(values)):
            found.update((row["pk"], row) for row in queryset.filter(**{lookup: batch}).values("pk", *fields))
    return found


class Known:
    """The records a file's rows may update (``records_found``), matched by Groundwork id, else CRM id, else the
    kind's own ``fallback``; and which line names each. Two lines naming one record, or one new record, are an error
    on the second: which should win is the person's call."""

    def __init__(self, noun: str, found: dict[int, dict[str, Any]]) -> None:
        self.noun, self.by_pk = noun, found
        self.by_crm_id = {record["crm_id"]: record for record in found.values() if record["crm_id"]}
        self.lines: dict[int, int] = {}  # record -> the line that names it
        self.new_lines: dict[str, int] = {}  # a new record's key -> the line that makes it

    def match(self, plan: ImportPlan, row: Row, values: dict[str, Any], fallback: Any = None) -> dict[str, Any] | None:
        """The record ``row`` updates, None for a new one (or after an error)."""
        pk, crm_id = values["groundwork_id"], values["crm_id"]
        if pk is None:
            return self.by_crm_id[crm_id] if crm_id in self.by_crm_id else fallback and fallback(plan, row, values)
        record, other = self.by_pk.get(pk), self.by_crm_id.get(crm_id)
        if record is None:
            plan.error(row, "groundwork_id", f"No {self.noun} has the Groundwork id {pk}.")
        elif other is not None and other["pk"] != pk:
            name = f", {other['name']}" if other.get("name") else ""
            plan.error(row, "crm_id", f"The CRM id {crm_id} belongs to another {self.noun}{name}.")
            return None
        return record

    def claim(
        self, plan: ImportPlan, row: Row, record: dict[str, Any] | None, new: tuple[str, str], message: str = ""
    ) -> bool:
        """Note that ``row`` names ``record`` (None: a new one, keyed and blamed on a column by ``new``); False, with
        the row's error, if a line did already."""
        if record is not None:
            earlier = self.lines.setdefault(record["pk"], row.line)
            if earlier != row.line:
                name = f", {record['name']}" if record.get("name") else ""
                plan.error(row, None, f"Line {earlier} updates the same {self.noun}{name}.")
        elif new[0]:
            earlier = self.new_lines.setdefault(new[0], row.line)
            if earlier != row.line:
                plan.error(row, new[1], (message or "Line {} has the same CRM id.").format(earlier))
        return not plan.failed(row)


def changes(
    before: dict[str, Any], given: dict[str, Any], keys: Iterable[str], *, new: bool = False, fold: bool = False
) -> dict[str, Any]:
    """The values of ``keys`` once ``given`` is written over ``before``: all of them for a new record, else those
    that change. Lists of names compare whatever their case, and so do names when ``fold``."""

    def folded(value: Any) -> Any:
        if isinstance(value, list):
            return {name.casefold() for name in value}
        return value.casefold() if fold and isinstance(value, str) else value

    now = {**before, **given}
    return {key: now[key] for key in keys if new or (key in given and folded(given[key]) != folded(before[key]))}


@dataclass(frozen=True)
class Person:
    """A user found by email, and their executive profile if they have one."""

    user_id: int
    email: str
    full_name: str
    time_zone: str
    executive_id: int | None


PERSON_FIELDS = ("pk", "email_lower", "full_name", "time_zone", "executive")


def people_by_email(emails: Iterable[str]) -> dict[str, Person]:
    """The users with ``emails`` (lowercase), matched whatever their case."""
    found: dict[str, Person] = {}
    for batch in chunks(sorted(set(emails))):
        rows = User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=batch)
        found.update((row[1], Person(*row)) for row in rows.values_list(*PERSON_FIELDS))
    return found


class PeopleReferences:
    """Users a file names by email or by full name (an owner, as CRMs export one)."""

    def __init__(self, texts: Iterable[str]) -> None:
        texts = set(texts)
        self.by_email = people_by_email(text.lower() for text in texts if "@" in text)
        self.by_name: dict[str, list[Person]] = {}
        names = {text.casefold() for text in texts if text and "@" not in text}
        active = User.objects.annotate(email_lower=Lower("email"), name_lower=Lower("full_name")).filter(is_active=True)
        for batch in chunks(sorted(names)):
            for *person, name in active.filter(name_lower__in=batch).values_list(*PERSON_FIELDS, "name_lower"):
                self.by_name.setdefault(name, []).append(Person(*person))

    def person(self, plan: ImportPlan, row: Row, key: str, text: str) -> Person | None:
        """The one user ``text`` (in the cell ``key``) names; None after an error."""
        person = self.by_email.get(text.lower())
        found = [person] if person else self.by_name.get(text.casefold(), [])
        if len(found) == 1:
            return found[0]
        if "@" in text:
            plan.error(row, key, f"No one in Groundwork has the email {text}.")
        else:
            many = f"{len(found)} people in Groundwork are" if found else "No one in Groundwork is"
            plan.error(row, key, f"{many} called “{text}”: give their email.")
        return None

    def find(self, plan: ImportPlan, row: Row, key: str) -> tuple[int | None, str]:
        """The user named in the cell ``key``, and their email (or the name the cell gives); None after an error."""
        text = row.get(key)
        person = self.person(plan, row, key, text)
        return (person.user_id, person.email if "@" in text else text) if person else (None, "")


def read_groundwork_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise CellError(f"“{text}” is not a Groundwork id (a whole number, as exports write it).")
    return int(text)


def accounts_found(queryset: QuerySet, fields: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> dict[int, Any]:
    """The accounts of ``queryset`` that ``rows`` name, each a Groundwork id, a CRM id and a name (or None)."""
    pks, crm_ids, names = (set(filter(None, column)) for column in zip(*rows, strict=True)) if rows else ((), (), ())
    lookups = {"pk__in": pks, "crm_id__in": crm_ids, "name_lower__in": {name.casefold() for name in names}}
    return records_found(queryset.annotate(name_lower=Lower("name")), fields, **lookups)


def by_name(records: dict[int, dict[str, Any]]) -> dict[str, list[Any]]:
    """``records`` by their name whatever its case, oldest first."""
    named: dict[str, list[Any]] = {}
    for pk in sorted(records):
        named.setdefault(records[pk]["name"].casefold(), []).append(records[pk])
    return named


def crm_ids(text: str | None) -> list[str]:
    """The CRM ids in a cell: HubSpot lists a meeting's companies as several, separated by semicolons."""
    return [part.strip() for part in (text or "").split(LIST_SEPARATOR) if part.strip()]


class AccountReferences:
    """The accounts a file's rows belong to, named by Groundwork id, CRM id or name (the first the row gives that
    Groundwork knows), looked up together."""

    def __init__(self, rows: list[tuple[Row, dict[str, Any]]]) -> None:
        named = [
            (values["account_groundwork_id"], crm_id, values["account_name"])
            for _, values in rows
            for crm_id in crm_ids(values["account_crm_id"]) or [None]
        ]
        found = accounts_found(Account.objects, ("crm_id", "name"), named)
        self.names = {pk: account["name"] for pk, account in found.items()}
        self.by_crm_id = {account["crm_id"]: pk for pk, account in found.items() if account["crm_id"]}
        self.by_name = by_name(found)

    def find(self, plan: ImportPlan, row: Row, values: dict[str, Any]) -> int | None:
        """The account of ``row``, or None (with the error recorded)."""
        pk, crm_id, name = values["account_groundwork_id"], row.get("account_crm_id"), row.get("account_name")
        if row.get("account_groundwork_id"):
            if pk is not None and pk not in self.names:
                plan.error(row, "account_groundwork_id", f"No account has the Groundwork id {pk}.")
            return pk if pk in self.names else None
        known = list(dict.fromkeys(self.by_crm_id[i] for i in crm_ids(crm_id) if i in self.by_crm_id))
        if len(known) == 1:
            return known[0]
        if known:
            names = ", ".join(self.names[pk] for pk in known)
            plan.error(row, "account_crm_id", f"This row names {len(known)} accounts ({names}): keep one.")
            return None
        named = self.by_name.get(name.casefold(), [])
        if len(named) == 1:
            return named[0]["pk"]
        if named:
            plan.error(row, "account_name", f"{len(named)} accounts are called “{name}”: give the account's CRM id.")
        elif crm_id or name:
            nowhere = " or ".join(filter(None, (crm_id and f"with the CRM id {crm_id}", name and f"called “{name}”")))
            column = "account_crm_id" if crm_id else "account_name"
            plan.error(row, column, f"Groundwork has no account {nowhere}: import the accounts first.")
        else:
            plan.error(row, "account_name", "Say which account this row belongs to.")
        return None


class Vocabulary:
    """Names of a shared vocabulary (skills, functions) matched whatever their case; names not there yet are created
    with the import."""

    def __init__(self, model: type[Skill] | type[Function], noun: str) -> None:
        self.model, self.noun = model, noun
        self.ids = {name.casefold(): pk for pk, name in model.objects.values_list("pk", "name")}
        self.new: dict[str, str] = {}

    def use(self, names: Iterable[str] | None) -> None:
        for name in names or []:
            if name.casefold() not in self.ids:
                self.new.setdefault(name.casefold(), name[: self.model._meta.get_field("name").max_length])

    def note(self, plan: ImportPlan) -> None:
        if self.new:
            plan.notes.append(f"New {self.noun} to be created: {', '.join(sorted(self.new.values()))}.")

    def ensure(self) -> dict[str, int]:
        """Create the new names; every name's id, by its casefolded name."""
        if self.new:
            self.model.objects.bulk_create([self.model(name=name) for name in self.new.values()], ignore_conflicts=True)
            self.ids = {name.casefold(): pk for pk, name in self.model.objects.values_list("pk", "name")}
        return self.ids


# --- Writing in bulk ----------------------------------------------------------------------


def bulk_create(model: type[Model] | Any, records: list[Any], **options: Any) -> list[Any]:
    return model.objects.bulk_create(records, batch_size=BATCH, **options)


def links_replace(through: Any, owner: str, target: str, wanted: dict[int, Iterable[int]]) -> None:
    """Make the many-to-many links of each owner in ``wanted`` exactly those."""
    for batch in chunks(wanted):
        through.objects.filter(**{f"{owner}__in": batch}).delete()
    bulk_create(
        through, [through(**{owner: pk, target: linked}) for pk, targets in wanted.items() for linked in targets]
    )


def bulk_update_fields(model: type[Model], changes: Iterable[tuple[int | None, dict[str, Any]]]) -> None:
    """Write each row's own changed fields, one UPDATE per batch of rows that change the same fields."""
    groups: dict[tuple[str, ...], list[Model]] = {}
    for pk, fields in changes:
        if fields:
            groups.setdefault(tuple(sorted(fields)), []).append(model(pk=pk, **fields))
    for fields, rows in groups.items():
        model.objects.bulk_update(rows, [model._meta.get_field(name).name for name in fields], batch_size=BATCH)


def records_write(model: type[Model], plan: ImportPlan, progress: Progress, **also: Any) -> list[Outcome]:
    """Create the plan's new records and update its changed ones (with ``also`` on each); the outcomes written, their
    items' ``pk`` set."""
    created, updated = plan.of(CREATE), plan.of(UPDATE)
    for batch in chunks(created, BATCH):
        records = model.objects.bulk_create([model(**also, **outcome.item.fields) for outcome in batch])
        for outcome, record in zip(batch, records, strict=True):
            outcome.item.pk = record.pk
        progress.advance(len(batch))
    bulk_update_fields(model, [(outcome.item.pk, {**outcome.item.fields, **also}) for outcome in updated])
    progress.advance(len(updated))
    return [*created, *updated]


def skills_link(outcomes: list[Outcome], skills: Vocabulary, through: Any, owner: str, key: str) -> None:
    """Link each written record to the skills its row names under ``key``."""
    ids = skills.ensure()
    wanted = {o.item.pk: {ids[n.casefold()] for n in o.item.links[key]} for o in outcomes if key in o.item.links}
    links_replace(through, owner, "skill_id", wanted)


def names_text(values: Iterable[str]) -> str:
    return f"{LIST_SEPARATOR} ".join(sorted(values, key=str.casefold))


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


# --- Executives -----------------------------------------------------------------------------

_LEVEL_NAMES: dict[str, object] = {"Vice President": Level.VP, "Senior Manager": Level.MANAGER, "Head": Level.DIRECTOR}
_LEVEL_NAMES |= dict.fromkeys(("C-level", "CxO", "Chief"), Level.C_SUITE) | {"Individual contributor": Level.STAFF}
_LEVEL_NAMES |= dict.fromkeys(("Executive Vice President", "EVP", "Senior Vice President"), Level.SVP)
_LEVEL_NAMES["Senior Director"] = Level.DIRECTOR
_read_level = choice_reader(Level, "a level", _LEVEL_NAMES)


def _read_executive_level(text: str) -> int:
    level = _read_level(text)
    if level not in {value for value, _label in EXECUTIVE_LEVELS}:
        raise CellError(f"“{text}” is not an executive's level: write Director, VP, SVP or C-suite.")
    return level


def normalized_words(text: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.casefold()).split())


def level_from_title(title: str) -> int | None:
    """A contact's level guessed from their job title, when the file gives none."""
    words = f" {normalized_words(title)} "
    for level, markers in (
        (Level.C_SUITE, (" chief ", " ceo ", " cfo ", " coo ", " cto ", " cio ", " cmo ", " president ", " owner ")),
        (Level.SVP, (" svp ", " evp ", " senior vice president ", " executive vice president ")),
        (Level.VP, (" vp ", " vice president ")),
        (Level.DIRECTOR, (" director ", " head ")),
        (Level.MANAGER, (" manager ", " lead ")),
    ):
        if any(marker in words for marker in markers):
            return level
    return None


EMAIL_NAMES = "email, Email, Email Address, E-mail, E-mail Address, Work Email, Business Email, Primary Email, Email 1"
EMAIL = Column(EMAIL_NAMES, "an email address", parse_email)
NAME = Column("name, Name, Full Name, Display Name", limit=150)
FIRST_LAST = (
    Column("first_name, First name, Given Name, First", "text, with Last name when there is no Name"),
    Column("last_name, Last name, Surname, Family Name, Last", "text, with First name"),
)
TITLE = Column("title, Title, Job Title, Position, Job Role", limit=150, out="title")
ACTIVE = Column(
    "active, Active, Is Active, Enabled",
    "yes or no (also true/false, 1/0)",
    parse_yes_no,
    out=lambda r: yes_no(r.active),
)
NEW_NAMES = "skill names separated by semicolons; new ones are created"
_NEW_EXECUTIVE = {"title": "Executive", "level": Level.VP, "active": True, "function": "", "manager_email": ""}


@dataclass
class ExecutiveItem(Item):
    email: str = ""
    user_id: int | None = None  # None: a new login
    user_fields: dict[str, Any] = field(default_factory=dict)


@import_kind
class ExecutiveImport(ImportKind):
    kind = ImportJob.Kind.EXECUTIVES
    label = "Executives"
    columns = (
        replace(EMAIL, required=True, out="user.email"),
        replace(NAME, out="user.full_name"),
        *FIRST_LAST,
        TITLE,
        Column(
            "level, Level, Seniority, Executive Level",
            "Director, VP, SVP or C-suite",
            _read_executive_level,
            out=lambda e: e.get_level_display(),
        ),
        Column(
            "function, Function, Department, Division, Business Unit",
            "a name; new ones are created",
            limit=80,
            out="function.name",
        ),
        Column(
            "manager_email, Manager email, Manager, Manager E-mail, Reports To, Reports To Email, Supervisor Email",
            "the email of another executive, in Groundwork or in this file",
            parse_email,
            out="manager.user.email",
        ),
        Column(
            "talents, Talents, Skills, Expertise, Strengths",
            NEW_NAMES,
            parse_names,
            out=lambda e: names_text(text_list_values(e.talent_names)),
        ),
        Column(
            "time_zone, Time zone, Timezone, TZ, Time Zone Sid Key",
            "e.g. Europe/London",
            parse_time_zone,
            out="user.time_zone",
        ),
        ACTIVE,
    )
    matching = (
        "By email, whatever its case: an executive with that email is updated; someone who has a login but no "
        "executive profile gets one; anyone else gets a login (no invitation is sent) and a profile."
    )
    shown = ("Email", "Name", "Title", "Level", "Function", "Manager", "Talents", "Time zone", "Active")

    def export_rows(self) -> QuerySet[Executive]:
        talents = Executive.talents.through.objects.filter(executive_id=OuterRef("pk"))
        return (
            Executive.objects.select_related("user", "function", "manager__user")
            .annotate(talent_names=text_list(talents, group_by="executive_id", field="skill__name"))
            .order_by("user__email")
        )

    def plan(self, *, rows: list[tuple[Row, dict[str, Any]]], plan: ImportPlan, progress: Progress) -> None:
        lines: dict[str, int] = {}  # email -> its line
        for row, values in rows:
            email = values["email"]
            if not row.get("email"):
                plan.error(row, "email", "Give the executive's email address.")
            elif email in lines:
                plan.error(row, "email", f"{email} is on line {lines[email]} already.")
            elif email is not None:
                lines[email] = row.line
        people = people_by_email([*lines, *(values["manager_email"] for _, values in rows if values["manager_email"])])
        current = self._current([person.executive_id for person in people.values() if person.executive_id])
        plan.state = {"functions": Vocabulary(Function, "functions"), "skills": Vocabulary(Skill, "skills")}
        for row, values in rows:
            progress.advance(1)
            manager_email, manager = values["manager_email"], people.get(values["manager_email"])
            if manager_email and manager_email == values["email"]:
                plan.error(row, "manager_email", "An executive cannot be their own manager.")
            elif manager_email and manager_email not in lines and (manager is None or manager.executive_id is None):
                message = f"No executive has the email {manager_email}, in Groundwork or in this file."
                plan.error(row, "manager_email", message)
            person = people.get(values["email"])
            if not plan.failed(row) and person is None and not values["name"]:
                plan.error(row, "name", "Give the name of this new executive.")
            if not plan.failed(row):
                self._outcome(plan, row, values, person, current)
        for vocabulary in plan.state.values():
            vocabulary.note(plan)
        if joining := sum(1 for outcome in plan.of(CREATE) if outcome.item.user_id is not None):
            plan.notes.append(f"{joining} of these people have a login already: they become executives too.")
        if new_logins := len(plan.of(CREATE)) - joining:
            plan.notes.append(
                f"{new_logins} new login{'s' if new_logins != 1 else ''} will be made, without an invitation email: "
                "each person sets their password from “Forgot your password?” on the sign-in page."
            )

    @staticmethod
    def _outcome(
        plan: ImportPlan, row: Row, values: dict[str, Any], person: Person | None, current: dict[int, dict[str, Any]]
    ) -> None:
        profile = person.executive_id if person else None
        plan.state["functions"].use([values["function"]] if values["function"] else [])
        plan.state["skills"].use(values["talents"])
        new = {"name": person.full_name, "time_zone": person.time_zone} if person else {"name": "", "time_zone": "UTC"}
        before = current.get(profile or 0) or {**_NEW_EXECUTIVE, **new, "talents": []}
        given = {key: value for key, value in values.items() if value is not None and key in before}
        now = {**before, **given}
        user_fields = changes(before, given, ("name", "time_zone"), new=person is None)
        item = ExecutiveItem(
            pk=profile,
            fields=changes(before, given, ("title", "level", "active"), new=profile is None),
            links=changes(before, given, ("function", "manager_email", "talents"), fold=True),
            email=values["email"],
            user_id=person.user_id if person else None,
            user_fields={"full_name" if key == "name" else key: value for key, value in user_fields.items()},
        )
        shown = [values["email"], now["name"], now["title"], Level(now["level"]).label, now["function"]]
        shown += [now["manager_email"], names_text(now["talents"]), now["time_zone"], yes_no(now["active"])]
        plan.outcome(row, profile is None, item, shown, item.user_fields)

    def _current(self, executive_ids: list[int]) -> dict[int, dict[str, Any]]:
        """The imported fields of existing executives, as the file would write them."""
        fields = ("user__full_name", "user__time_zone", "title", "level", "active", "function__name")
        current: dict[int, dict[str, Any]] = {}
        for batch in chunks(executive_ids):
            rows = self.export_rows().filter(pk__in=batch)
            for pk, *row in rows.values_list("pk", *fields, "manager__user__email", "talent_names"):
                current[pk] = dict(zip(("name", "time_zone", "title", "level", "active"), row[:5], strict=True))
                current[pk].update(function=row[5] or "", manager_email=(row[6] or "").lower())
                current[pk]["talents"] = text_list_values(row[7])
        return current

    def apply(self, *, plan: ImportPlan, job: ImportJob, progress: Progress) -> None:
        created, updated = plan.of(CREATE), plan.of(UPDATE)
        items = [outcome.item for outcome in (*created, *updated)]
        logged_in = [item for item in items if item.user_id is not None]  # whose name or time zone the file corrects
        function_ids = plan.state["functions"].ensure()
        for item in (item for item in items if "function" in item.links):
            item.fields["function_id"] = function_ids[item.links["function"].casefold()]
        # New logins: no password until they set one (nobody is emailed).
        logins = [o.item for o in created if o.item.user_id is None]
        users = bulk_create(User, [User(email=i.email, password=make_password(None), **i.user_fields) for i in logins])
        bulk_create(EmailAddress, [EmailAddress(user=u, email=u.email, primary=True, verified=False) for u in users])
        for item, user in zip(logins, users, strict=True):
            item.user_id = user.pk
        group, through = Group.objects.get(name=Role.EXECUTIVE.value), User.groups.through
        bulk_create(
            through, [through(user_id=o.item.user_id, group_id=group.pk) for o in created], ignore_conflicts=True
        )
        today = timezone.localdate()
        executives = bulk_create(
            Executive, [Executive(user_id=o.item.user_id, joined_on=today, **o.item.fields) for o in created]
        )
        for outcome, executive in zip(created, executives, strict=True):
            outcome.item.pk = executive.pk
        programs, joins = (
            list(Program.objects.filter(active=True).values_list("pk", flat=True)),
            Executive.programs.through,
        )
        bulk_create(joins, [joins(executive_id=e.pk, program_id=pk) for e in executives for pk in programs])
        bulk_update_fields(User, [(item.user_id, item.user_fields) for item in logged_in])
        bulk_update_fields(Executive, [(o.item.pk, o.item.fields) for o in updated])
        progress.advance(len(items))
        skills_link([*created, *updated], plan.state["skills"], Executive.talents.through, "executive_id", "talents")
        # Managers last: a manager may come later in the file than their reports.
        managed = [item for item in items if "manager_email" in item.links]
        managers = people_by_email(item.links["manager_email"] for item in managed)
        managed = [Executive(pk=i.pk, manager_id=managers[i.links["manager_email"]].executive_id) for i in managed]
        Executive.objects.bulk_update(managed, ["manager"], batch_size=BATCH)
        # bulk_create sends no signals: each new executive's cadence is copied here.
        executive_cadences_refresh(executive_ids=[executive.pk for executive in executives])
        if moved := [o.item.pk for o in updated if "time_zone" in o.item.user_fields]:
            executive_contacts_redate(executive_ids=moved)


# --- Accounts and contacts ------------------------------------------------------------------

GROUNDWORK_ID = Column(
    "groundwork_id, Groundwork id, Groundwork ID",
    "the row's id in Groundwork, as exports write it; leave it empty for rows from elsewhere",
    read_groundwork_id,
    out="pk",
)


def _read_account_kind(text: str) -> str:
    words = normalized_words(text)
    if any(word in words for word in ("partner", "reseller", "alliance", "distributor")):
        return Account.Kind.PARTNER
    if any(word in words for word in ("customer", "client", "prospect")):
        return Account.Kind.CUSTOMER
    raise CellError(f"“{text}” is neither a customer nor a partner: write customer or partner.")


_read_tier = choice_reader(Account.Tier, "a tier", {f"Tier {tier.value}": tier.value for tier in Account.Tier})
_read_status = choice_reader(Account.Status, "an account status", {"Former customer": Account.Status.CHURNED})
ACCOUNT_FIELDS = ("name", "crm_id", "kind", "tier", "industry", "region", "account_manager_id", "status")
ACCOUNT_FIELDS += ("annual_value", "renewal_on", "renewed")
_NEW_ACCOUNT: dict[str, Any] = dict.fromkeys(
    ("crm_id", "account_manager_id", "need_names", "domain_names", "account_manager__email", *ACCOUNT_FIELDS[-3:])
)
_NEW_ACCOUNT |= {"industry": "", "region": "", "kind": Account.Kind.CUSTOMER, "tier": Account.Tier.STANDARD}
_NEW_ACCOUNT["status"] = Account.Status.ACTIVE
OWNER = "Account Manager, Account Owner, Account Owner Email, Owner, Owner Email, Company Owner, Company Owner Email"
CRM_TYPES = "CRM types such as “Customer - Direct” or “Channel Partner / Reseller” are read by their words"


def _read_domains(text: str) -> list[str]:
    try:
        return domains_read(text)
    except ValidationError as error:
        raise CellError(error.messages[0]) from None


class DomainClaims:
    """The accounts that hold the domains a file names: a domain is one account's, in Groundwork and in the file."""

    def __init__(self, named: Iterable[list[str] | None]) -> None:
        wanted = {domain for domains in named for domain in domains or []}
        self.holders = records_found(
            AccountDomain.objects, ("domain", "account_id", "account__name"), domain__in=wanted
        )
        self.by_domain = {record["domain"]: record for record in self.holders.values()}
        self.lines: dict[str, int] = {}

    def claim(self, plan: ImportPlan, row: Row, domains: list[str] | None, account: dict[str, Any] | None) -> None:
        for domain in domains or []:
            holder = self.by_domain.get(domain)
            if holder is not None and (account is None or holder["account_id"] != account["pk"]):
                plan.error(row, "domains", f"{domain} is a domain of {holder['account__name']} already.")
            elif (earlier := self.lines.setdefault(domain, row.line)) != row.line:
                plan.error(row, "domains", f"Line {earlier} gives {domain} to another account.")


@import_kind
class AccountImport(ImportKind):
    kind = ImportJob.Kind.ACCOUNTS
    label = "Accounts"
    columns = (
        GROUNDWORK_ID,
        Column(
            "crm_id, CRM id, Account ID, Record ID, Company ID, ID, External ID, (Do Not Modify) Account",
            "the account's id in the CRM",
            limit=64,
            out="crm_id",
        ),
        Column(
            "name, Name, Account Name, Company Name, Company, Organization, Organisation",
            limit=200,
            out="name",
            required=True,
        ),
        Column(
            "kind, Kind, Type, Account Type, Company Type, Relationship",
            f"customer or partner; {CRM_TYPES}",
            _read_account_kind,
            out="kind",
        ),
        Column(
            "tier, Tier, Account Tier, Customer Tier",
            "Strategic, Key, Growth or Standard (or 1 to 4)",
            _read_tier,
            out=lambda a: a.get_tier_display(),
        ),
        Column("industry, Industry, Sector", limit=80, out="industry"),
        Column("region, Region, Territory, Sales Territory, Sales Region, Country/Region", limit=80, out="region"),
        Column(
            f"account_manager_email, Account manager email, {OWNER}",
            "a Groundwork user's email, or their full name",
            out="account_manager.email",
        ),
        Column("status, Status, Account Status", "Active, Prospect, At risk or Churned", _read_status, out="status"),
        Column(
            "needs, Needs, Skills Needed, Interests",
            NEW_NAMES,
            parse_names,
            out=lambda a: names_text(text_list_values(a.need_names)),
        ),
        Column(
            "domains, Domains, Domain, Company Domain Name, Website, Web Site, Email Domain",
            "internet domains separated by semicolons, such as acme.com (a website's address will do)",
            _read_domains,
            out=lambda a: names_text(text_list_values(a.domain_names)),
        ),
        Column(
            "annual_value, Annual value, ARR, Annual contract value, ACV",
            "an amount of zero or more, in the program's currency (a currency sign is left out)",
            parse_amount,
            out="annual_value",
        ),
        Column(
            "renewal_on, Renewal date, Renewal, Next renewal date, Contract end date",
            "a date, in the order chosen for the file",
            out="renewal_on",
        ),
        Column(
            "renewed, Renewed",
            "yes or no; empty when not known yet",
            parse_yes_no,
            out=lambda a: "" if a.renewed is None else yes_no(a.renewed),
        ),
    )
    matching = (
        "By Groundwork id, else by CRM id, else by name (whatever its case): a row with a CRM id Groundwork does "
        "not know takes over the account of the same name that has no CRM id yet; without any id, a name shared "
        "by several accounts is refused. Anything else is a new account."
    )
    shown = ("CRM id", "Name", "Kind", "Tier", "Industry", "Region", "Account manager", "Status", "Needs", "Domains")
    shown += ("Annual value", "Renewal date", "Renewed")

    def export_rows(self) -> QuerySet[Account]:
        needs = Account.needs.through.objects.filter(account_id=OuterRef("pk"))
        domains = AccountDomain.objects.filter(account_id=OuterRef("pk"))
        return (
            Account.objects.select_related("account_manager")
            .annotate(
                need_names=text_list(needs, group_by="account_id", field="skill__name"),
                domain_names=text_list(domains, group_by="account_id", field="domain"),
            )
            .order_by("name", "pk")
        )

    def plan(self, *, rows: list[tuple[Row, dict[str, Any]]], plan: ImportPlan, progress: Progress) -> None:
        for row, values in rows:
            # A renewal date is read in the order chosen for the file, which its column's reader does not know.
            values["renewal_on"] = plan.value(row, "renewal_on", self._date_reader(plan))
            if values["name"] is None and values["groundwork_id"] is None and not plan.failed(row):
                plan.error(row, "name", "Give the account's name.")
        good = [values for row, values in rows if not plan.failed(row)]
        fields = (*ACCOUNT_FIELDS, "need_names", "domain_names", "account_manager__email")
        named_by = [(values["groundwork_id"], values["crm_id"], values["name"]) for values in good]
        known = Known("account", accounts_found(self.export_rows(), fields, named_by))
        by_lower_name = by_name(known.by_pk)

        def named(plan: ImportPlan, row: Row, values: dict[str, Any]) -> dict[str, Any] | None:
            """The account of the row's name: without a CRM id, the only one; with one, the first not taken that has
            none."""
            crm_id, name = values["crm_id"], values["name"]
            found = [a for a in by_lower_name.get(name.casefold(), []) if not crm_id or not a["crm_id"]]
            found = [a for a in found if a["pk"] not in known.lines] if crm_id else found
            if len(found) > 1 and not crm_id:
                plan.error(
                    row, "name", f"{len(found)} accounts are called “{name}”: add their CRM ids to tell them apart."
                )
            return found[0] if found else None

        managers = PeopleReferences(
            values["account_manager_email"] for _, values in rows if values["account_manager_email"]
        )
        plan.state["skills"] = skills = Vocabulary(Skill, "skills")
        domains = DomainClaims(values["domains"] for _, values in rows)
        for row, values in rows:
            progress.advance(1)
            if values["account_manager_email"]:
                manager = managers.find(plan, row, "account_manager_email")
                values["account_manager_id"], values["account_manager_email"] = manager
            account = None if plan.failed(row) else known.match(plan, row, values, named)
            new = (
                values["crm_id"] or f"name:{(values['name'] or '').casefold()}",
                "crm_id" if values["crm_id"] else "name",
            )
            message = "Line {} makes the same new account: give each account its own CRM id."
            if not plan.failed(row) and known.claim(plan, row, account, new, message):
                domains.claim(plan, row, values["domains"], account)
            if not plan.failed(row):
                skills.use(values["needs"])
                self._outcome(plan, row, values, account)

    @staticmethod
    def _date_reader(plan: ImportPlan) -> Callable[[str], dt.date]:
        return lambda text: parse_date(text, order=plan.options.date_order)

    @staticmethod
    def _outcome(plan: ImportPlan, row: Row, values: dict[str, Any], account: dict[str, Any] | None) -> None:
        before = {**(account or _NEW_ACCOUNT), "needs": text_list_values((account or _NEW_ACCOUNT)["need_names"])}
        before["domains"] = text_list_values(before["domain_names"])
        given = {key: value for key, value in values.items() if value is not None}
        now = {**before, **given}
        item = Item(account["pk"] if account else None, changes(before, given, ACCOUNT_FIELDS, new=account is None))
        item.links = changes(before, given, ("needs", "domains"))
        kind, tier, status = Account.Kind(now["kind"]), Account.Tier(now["tier"]), Account.Status(now["status"])
        shown = [now["crm_id"], now["name"], kind.label, tier.label, now["industry"], now["region"]]
        shown += [values["account_manager_email"] or before["account_manager__email"], status.label]
        shown += [names_text(now["needs"]), names_text(now["domains"]), now["annual_value"], now["renewal_on"]]
        plan.outcome(row, account is None, item, [*shown, "" if now["renewed"] is None else yes_no(now["renewed"])])

    def apply(self, *, plan: ImportPlan, job: ImportJob, progress: Progress) -> None:
        written = records_write(Account, plan, progress)
        skills_link(written, plan.state["skills"], Account.needs.through, "account_id", "needs")
        domains = {o.item.pk: o.item.links["domains"] for o in written if "domains" in o.item.links}
        links_replace(AccountDomain, "account_id", "domain", domains)


ACCOUNT_REFERENCES = (
    Column(
        "account_groundwork_id, Account Groundwork id",
        "the account's id in Groundwork, as exports write it",
        read_groundwork_id,
        out="account_id",
    ),
    Column(
        "account_crm_id, Account CRM id, Account ID, Company ID, Associated Company ID, Associated Company IDs, "
        "Parent Account ID",
        "the account's id in the CRM",
        out="account.crm_id",
    ),
    Column(
        "account_name, Account name, Account, Company Name, Company, Associated Company, Associated Companies, "
        "Company / Account, Organization, Organisation, Related To, Context Name",
        "the account's name, when the file has no id for it",
        out="account.name",
    ),
)
ACCOUNT_REFERENCE_KEYS = tuple(column.key for column in ACCOUNT_REFERENCES)
CONTACT_FIELDS = ("account_id", "crm_id", "name", "title", "level", "email", "active")
LEVEL_FORMAT = "Staff, Manager, Director, VP, SVP or C-suite; when empty for a new contact, guessed from the title"


@import_kind
class ContactImport(ImportKind):
    kind = ImportJob.Kind.CONTACTS
    label = "Contacts"
    columns = (
        GROUNDWORK_ID,
        Column(
            "crm_id, CRM id, Contact ID, Record ID, ID, External ID, (Do Not Modify) Contact",
            "the contact's id in the CRM",
            limit=64,
            out="crm_id",
        ),
        *ACCOUNT_REFERENCES,
        replace(NAME, out="name"),
        *FIRST_LAST,
        TITLE,
        Column("level, Level, Seniority", LEVEL_FORMAT, _read_level, out=lambda c: c.get_level_display()),
        replace(EMAIL, out="email"),
        ACTIVE,
    )
    required_any = (("name", "first_name", "last_name"), ACCOUNT_REFERENCE_KEYS)
    matching = (
        "By Groundwork id, else by CRM id, else by email within the account (whatever its case), else, without "
        "an email, by name within the account. The account is named by its Groundwork id, CRM id or name; "
        "import accounts first. A contact never moves to another account."
    )
    shown = ("CRM id", "Account", "Name", "Title", "Level", "Email", "Active")

    def export_rows(self) -> QuerySet[Contact]:
        return Contact.objects.select_related("account").order_by("account__name", "account_id", "name", "pk")

    def plan(self, *, rows: list[tuple[Row, dict[str, Any]]], plan: ImportPlan, progress: Progress) -> None:
        accounts = AccountReferences(rows)
        for row, values in rows:
            values["account_id"] = accounts.find(plan, row, values)
        good = [values for row, values in rows if not plan.failed(row)]
        lookups = {"pk__in": [values["groundwork_id"] for values in good if values["groundwork_id"]]}
        lookups |= {"crm_id__in": [values["crm_id"] for values in good if values["crm_id"]]}
        known = Known(
            "contact",
            records_found(
                Contact.objects, CONTACT_FIELDS, **lookups, account_id__in=[values["account_id"] for values in good]
            ),
        )
        # Within each account, by email and by name; a contact with a CRM id of its own is another person of the CRM.
        within: dict[tuple[int, str], list[dict[str, Any]]] = {}
        for contact in sorted(known.by_pk.values(), key=lambda contact: contact["pk"]):
            if contact["email"]:
                within.setdefault((contact["account_id"], contact["email"].lower()), []).append(contact)
            within.setdefault((contact["account_id"], f"name:{contact['name'].casefold()}"), []).append(contact)

        def by_email_or_name(plan: ImportPlan, row: Row, values: dict[str, Any]) -> dict[str, Any] | None:
            key = values["email"] or (values["name"] and f"name:{values['name'].casefold()}")
            found = [c for c in within.get((values["account_id"], key), []) if not values["crm_id"] or not c["crm_id"]]
            return found[0] if found else None

        for row, values in rows:
            progress.advance(1)
            contact = None if plan.failed(row) else known.match(plan, row, values, by_email_or_name)
            if contact is not None and contact["account_id"] != values["account_id"]:
                column = "account_name" if "account_name" in plan.match.positions else "account_crm_id"
                message = f"{contact['name']} belongs to another account in Groundwork, and a contact never moves: add"
                plan.error(row, column, f"{message} them to this account as a new contact, with a CRM id of their own.")
            if plan.failed(row) or not known.claim(plan, row, contact, (values["crm_id"], "crm_id")):
                continue
            if contact is None and not values["name"]:
                plan.error(row, "name", "Give the name of this new contact.")
                continue
            if contact is None and values["level"] is None:
                values["level"] = level_from_title(values["title"] or "") or Level.MANAGER
            before = contact or {"crm_id": None, "title": "", "email": "", "active": True}
            given = {key: value for key, value in values.items() if value is not None}
            now = {**before, **given}
            item = Item(contact["pk"] if contact else None, changes(before, given, CONTACT_FIELDS, new=contact is None))
            shown = [now["crm_id"], accounts.names.get(now["account_id"], ""), now["name"], now["title"]]
            plan.outcome(
                row, contact is None, item, [*shown, Level(now["level"]).label, now["email"], yes_no(now["active"])]
            )

    def apply(self, *, plan: ImportPlan, job: ImportJob, progress: Progress) -> None:
        records_write(Contact, plan, progress)
