"""CSV import of the program's data, as common CRMs export it.

A file is read (UTF-8 only, with or without a byte-order mark; comma,
semicolon or tab between cells), its headings are matched to the columns of
its kind whatever their case and punctuation, under the names Salesforce,
HubSpot and Dynamics give them, and each row is checked against the database.
``ImportPlan`` is what that check finds: per row, whether it creates,
updates or leaves something unchanged, and every row error with its file
line and the file's own heading. The same plan is made twice: for the
preview, and again inside the import's transaction, so that whatever changed
in between can never half-apply.

Each kind of file is an ``ImportKind`` in ``IMPORT_KINDS``: executives,
accounts and contacts here; ``visits.imports`` adds past engagements (this
app never imports ``visits``). A kind names its columns once: the first name
of each column is the heading its export writes, so a file exported from
Groundwork imports again unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models import Model, OuterRef, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from engagement.accounts.models import Account, Contact
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
    parse_email,
    parse_names,
    parse_time_zone,
    parse_yes_no,
)
from engagement.people.models import EXECUTIVE_LEVELS, Executive, Function, Level, Skill, User
from engagement.people.roles import Role

# Rows written per INSERT or UPDATE, and values per IN (...) list: well
# inside SQLite's limit of variables in one statement.
BATCH = 1000
IN_CHUNK = 2000
# How many rows the preview shows, and how many row errors a job keeps.
PREVIEW_ROWS = 10
ERRORS_KEPT = 1000


class ImportRefused(ProgramError):
    """The whole file is refused: its message says why and how to put it right."""


SAVE_AS_UTF8 = (
    "Save it as “CSV UTF-8 (Comma delimited)” (in Excel: File → Save As, then that file type; "
    "Google Sheets and Numbers write UTF-8 already) and upload it again."
)


# --- Reading the file ----------------------------------------------------------------


@dataclass(frozen=True)
class CsvFile:
    """A CSV file's headings and its records, each with the file line it starts on."""

    headers: list[str]
    records: list[tuple[int, list[str]]]
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


def _delimiter(text: str) -> str:
    """The separator the heading line uses most: comma, semicolon (Excel where
    the decimal mark is a comma) or tab."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: first.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def csv_file_read(data: bytes) -> CsvFile:
    """Read ``data`` as a CSV file, refusing it as a whole (``ImportRefused``)
    when it is empty, not UTF-8 text, or not CSV. Blank lines are skipped."""
    if not data.strip():
        raise ImportRefused("The file is empty.")
    text = _text_of(data)
    delimiter = _delimiter(text)
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
    # The lines Salesforce writes under a report ("Copyright (c) ...",
    # "Generated By: ...") are one cell each: not rows of a file of columns.
    while len(headers) > 1 and records and len(records[-1][1]) == 1:
        records.pop()
    return CsvFile(headers=headers, records=records, delimiter=delimiter)


# --- Columns and headings ------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a kind of file: the heading exports write (``key``),
    the name people read (``label``), the other headings it is known by, and
    what its cells hold."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    format: str = ""
    # Notes keep their line breaks; every other cell is one line (engagement.bounds).
    multi_line: bool = False

    @property
    def headings(self) -> tuple[str, ...]:
        return (self.key, self.label, *self.aliases)

    @property
    def other_headings(self) -> list[str]:
        """The headings read besides ``key``, each once."""
        seen = {normalized(self.key)}
        others = []
        for heading in (self.label, *self.aliases):
            if normalized(heading) not in seen:
                seen.add(normalized(heading))
                others.append(heading)
        return others


@dataclass(frozen=True)
class HeaderMatch:
    """Which of the file's headings is read as which column."""

    headers: dict[str, str]  # column key -> the file's heading
    positions: dict[str, int]  # column key -> the cell's index in a record
    ignored: list[str]  # the file's headings left out, with why


def headers_match(kind: ImportKind, headers: Sequence[str]) -> HeaderMatch:
    """Match the file's ``headers`` to ``kind``'s columns, or refuse the file
    naming the columns it lacks and the headings that would do."""
    known: dict[str, tuple[str, int]] = {}
    for column in kind.columns:
        for rank, heading in enumerate(column.headings):
            known.setdefault(normalized(heading), (column.key, rank))
    chosen: dict[str, tuple[int, int]] = {}  # key -> (rank, position)
    for position, header in enumerate(headers):
        found = known.get(normalized(header))
        if found is None:
            continue
        key, rank = found
        if key not in chosen or rank < chosen[key][0]:
            chosen[key] = (rank, position)
    positions = {key: position for key, (_rank, position) in chosen.items()}
    labels = {column.key: column.label for column in kind.columns}
    ignored = []
    for position, header in enumerate(headers):
        found = known.get(normalized(header))
        if found is not None and positions.get(found[0]) == position:
            continue
        if found is not None:
            ignored.append(f"{header} (“{headers[positions[found[0]]]}” is read as {labels[found[0]].lower()})")
        else:
            ignored.append(header or f"column {position + 1} (no heading)")
    missing = [column for column in kind.columns if column.required and column.key not in positions]
    groups = [group for group in kind.required_any if not any(key in positions for key in group)]
    if missing or groups:
        columns = {column.key: column for column in kind.columns}
        needed = [column.label for column in missing] + [
            " or ".join(columns[key].label for key in group) for group in groups
        ]
        accepted = "; ".join(
            f"{column.label}: {', '.join([column.key, *column.other_headings])}"
            for column in [*missing, *(columns[key] for group in groups for key in group)]
        )
        raise ImportRefused(
            f"The file has no column for {', '.join(needed)}, which {kind.label.lower()} need. "
            f"Headings Groundwork reads for {'it' if len(needed) == 1 else 'them'}: {accepted}. "
            f"This file's headings: {', '.join(header for header in headers if header) or 'none'}."
        )
    return HeaderMatch(
        headers={key: headers[position] for key, position in positions.items()}, positions=positions, ignored=ignored
    )


# --- Rows and what checking them finds ------------------------------------------------------


class Row:
    """One record of the file: its line and its cells by column key (stripped)."""

    __slots__ = ("line", "values")

    def __init__(self, line: int, values: dict[str, str]) -> None:
        self.line = line
        self.values = values

    def get(self, key: str) -> str:
        return self.values.get(key, "")


@dataclass(frozen=True)
class RowError:
    """What is wrong with one cell (or a whole row, with no column)."""

    line: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass
class Outcome:
    """What importing one row does: ``action``, the kind's own ``item`` to
    write, and the row as it will be imported (``shown``, for the preview)."""

    line: int
    action: str
    item: Any
    shown: list[str]


@dataclass
class ImportOptions:
    date_order: str = DAY_FIRST
    now: dt.datetime = field(default_factory=timezone.now)
    filename: str = ""


class ImportPlan:
    """Everything checking a file finds: an outcome per good row, an error
    per bad cell, and notes for the preview (new skills, say)."""

    def __init__(
        self, *, kind: ImportKind, match: HeaderMatch, options: ImportOptions, delimiter: str = ",", width: int = 0
    ) -> None:
        self.kind = kind
        self.match = match
        self.options = options
        self.delimiter = delimiter
        self.width = width  # how many headings the file has
        self.row_count = 0
        # What a kind's check finds for its writing to use (the skills to create, say).
        self.state: dict[str, Any] = {}
        self.errors: list[RowError] = []
        self.outcomes: list[Outcome] = []
        self.notes: list[str] = []
        # What importing would do to where executives stand (``reminders_caused_by``), for kinds that move it.
        self.impact: dict[str, Any] | None = None
        self._bad_lines: set[int] = set()
        self._labels = {column.key: column.label for column in kind.columns}

    def heading(self, key: str) -> str:
        """The file's heading of column ``key``, or its label when the file has none."""
        return self.match.headers.get(key) or self._labels.get(key, key)

    def has(self, key: str) -> bool:
        return key in self.match.positions

    def error(self, row: Row, key: str | None, message: str) -> None:
        self.errors.append(RowError(row.line, self.heading(key) if key else "", message))
        self._bad_lines.add(row.line)

    def failed(self, row: Row) -> bool:
        return row.line in self._bad_lines

    def value(self, row: Row, key: str, read: Callable[[str], Any] | None = None) -> Any:
        """The cell's value read by ``read``, or None when it is empty or wrong
        (the error is recorded)."""
        text = row.get(key)
        if not text:
            return None
        if read is None:
            return text
        try:
            return read(text)
        except ValueError as error:
            # A reader's own refusal says what is wrong; anything else still blames the cell.
            message = str(error) if isinstance(error, CellError) else f"“{text}” cannot be read here."
            self.error(row, key, message)
            return None

    def add(self, row: Row, action: str, item: Any, shown: list[Any]) -> None:
        self.outcomes.append(Outcome(row.line, action, item, ["" if value is None else str(value) for value in shown]))

    def of(self, action: str) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.action == action]

    def counts(self) -> dict[str, int]:
        counts = {CREATE: 0, UPDATE: 0, UNCHANGED: 0}
        for outcome in self.outcomes:
            counts[outcome.action] += 1
        return counts

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


class RecordsOfFile:
    """Which record each line of one file names. Two lines naming the same
    record, or the same new CRM id, are an error on the second: which of them
    should win is the person's call, not the import's."""

    def __init__(self, noun: str) -> None:
        self.noun = noun
        self.lines_by_pk: dict[int, int] = {}
        self.lines_by_new_crm_id: dict[str, int] = {}

    def claim(self, plan: ImportPlan, row: Row, record: dict[str, Any] | None, crm_id: str | None) -> bool:
        """Note that ``row`` names ``record`` (None: a new one with ``crm_id``);
        False, with the row's error, when an earlier line named it already."""
        if record is not None:
            earlier = self.lines_by_pk.setdefault(record["pk"], row.line)
            if earlier != row.line:
                name = f", {record['name']}" if record.get("name") else ""
                plan.error(row, None, f"Line {earlier} updates the same {self.noun}{name}.")
                return False
        elif crm_id:
            earlier = self.lines_by_new_crm_id.setdefault(crm_id, row.line)
            if earlier != row.line:
                plan.error(row, "crm_id", f"Line {earlier} has the same CRM id.")
                return False
        return True


def rows_read(plan: ImportPlan, records: list[tuple[int, list[str]]]) -> list[Row]:
    """Each record as a ``Row`` of the columns the file has; a record with
    more cells than headings is an error (a value with the separator in it,
    not in quotes)."""
    positions = plan.match.positions
    multi_line = {column.key for column in plan.kind.columns if column.multi_line}
    width = plan.width
    rows = []
    for line, cells in records:
        values, refused = {}, {}
        for key, index in positions.items():
            try:
                text = check_text(cells[index], multi_line=key in multi_line) if index < len(cells) else ""
            except ValueError as error:
                text, refused[key] = "", str(error)
            values[key] = cell_text(text.strip())
        row = Row(line, values)
        for key, message in refused.items():
            plan.error(row, key, message)
        if any(cell.strip() for cell in cells[width:]):
            plan.error(
                row,
                None,
                f"This row has {len(cells)} cells where the file has {width} headings: a value holding "
                f"“{plan.delimiter}” must be in double quotes.",
            )
        rows.append(row)
    return rows


# --- Kinds of file ------------------------------------------------------------------------


class Progress:
    """How far an import has got, in the cache that every process shares: the
    import's transaction hides its rows from other connections until the end."""

    EVERY_SECONDS = 0.5

    def __init__(self, *, job_id: int | None, total: int) -> None:
        self.job_id = job_id
        self.total = total
        self.stage = "checking"
        self.done = 0
        self._written_at = 0.0

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
    """A kind of file: its columns, how its rows are checked (``plan``) and
    written (``apply``), and its export with the same headings."""

    kind: ClassVar[str]
    label: ClassVar[str]  # plural, as in "Executives"
    columns: ClassVar[tuple[Column, ...]]
    # At least one column of each group: "Name, or First name and Last name".
    required_any: ClassVar[tuple[tuple[str, ...], ...]] = ()
    matching: ClassVar[str]  # how rows find what they update, for the upload page
    shown: ClassVar[tuple[str, ...]]  # the preview's columns

    @property
    def requirements(self) -> list[str]:
        """The columns a file must have, one alternative after another."""
        labels = {column.key: column.label for column in self.columns}
        return [column.label for column in self.columns if column.required] + [
            " or ".join(labels[key] for key in group) for group in self.required_any
        ]

    def plan(self, *, rows: list[Row], plan: ImportPlan, progress: Progress) -> None:
        raise NotImplementedError

    def apply(self, *, plan: ImportPlan, job: ImportJob, progress: Progress) -> None:
        raise NotImplementedError

    def export_columns(self) -> list[CsvColumn]:
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


def import_plan(*, kind: str, data: bytes, options: ImportOptions, progress: Progress | None = None) -> ImportPlan:
    """Read ``data`` and check every row against the database, writing
    nothing. Raises ``ImportRefused`` for a file that cannot be read as a
    whole; row errors are in the plan."""
    import_kind_ = import_kind_get(kind)
    csv_file = csv_file_read(data)
    match = headers_match(import_kind_, csv_file.headers)
    if not csv_file.records:
        raise ImportRefused("The file has its headings but no rows under them.")
    plan = ImportPlan(
        kind=import_kind_, match=match, options=options, delimiter=csv_file.delimiter, width=len(csv_file.headers)
    )
    progress = progress or Progress(job_id=None, total=len(csv_file.records))
    rows = rows_read(plan, csv_file.records)
    plan.row_count = len(rows)
    import_kind_.plan(rows=rows, plan=plan, progress=progress)
    plan.errors.sort(key=lambda error: error.line)
    return plan


# --- Looking things up, a chunk at a time -----------------------------------------------------


def chunks(items: Iterable[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class Person:
    """A user found by email, and their executive profile if they have one."""

    user_id: int
    email: str
    full_name: str
    time_zone: str
    is_active: bool
    executive_id: int | None


def people_by_email(emails: Iterable[str]) -> dict[str, Person]:
    """The users with ``emails`` (lowercase), matched whatever their case."""
    found: dict[str, Person] = {}
    for batch in chunks(sorted(set(emails))):
        rows = (
            User.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=batch)
            .values_list("pk", "email_lower", "full_name", "time_zone", "is_active", "executive")
        )
        for pk, email, full_name, time_zone, is_active, executive_id in rows:
            found[email] = Person(pk, email, full_name, time_zone, is_active, executive_id)
    return found


def people_by_name(names: Iterable[str]) -> dict[str, list[int]]:
    """The active users whose full name is one of ``names`` (lowercase)."""
    found: dict[str, list[int]] = {}
    for batch in chunks(sorted(set(names))):
        users = User.objects.annotate(name_lower=Lower("full_name")).filter(name_lower__in=batch, is_active=True)
        for pk, name in users.values_list("pk", "name_lower"):
            found.setdefault(name, []).append(pk)
    return found


class Vocabulary:
    """Names of a shared vocabulary (skills, functions) matched whatever their
    case; names not there yet are created with the import."""

    def __init__(self, model: type[Skill] | type[Function], *, noun: str) -> None:
        self.model = model
        self.noun = noun
        self.ids = {name.casefold(): pk for pk, name in model.objects.values_list("pk", "name")}
        self.new: dict[str, str] = {}

    def use(self, names: Iterable[str]) -> None:
        for name in names:
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


def _links_replace(through: Any, owner: str, target: str, wanted: dict[int, set[int]]) -> None:
    """Make the many-to-many links of each owner in ``wanted`` exactly its set."""
    for batch in chunks(wanted):
        through.objects.filter(**{f"{owner}__in": batch}).delete()
    through.objects.bulk_create(
        [through(**{owner: pk, target: linked}) for pk, links in wanted.items() for linked in sorted(links)],
        batch_size=BATCH,
    )


def bulk_update_fields(model: type[Model], changes: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """Write each row's own changed fields (``{"title": ..., "function_id": ...}``),
    one UPDATE per batch of rows that change the same fields."""
    groups: dict[tuple[str, ...], list[Model]] = {}
    for pk, fields in changes:
        if fields:
            groups.setdefault(tuple(sorted(fields)), []).append(model(pk=pk, **fields))
    for fields, rows in groups.items():
        model.objects.bulk_update(rows, [model._meta.get_field(name).name for name in fields], batch_size=BATCH)


def _names(values: Iterable[str]) -> str:
    return f"{LIST_SEPARATOR} ".join(sorted(values, key=str.casefold))


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


# --- Executives -----------------------------------------------------------------------------

_LEVEL_NAMES: dict[str, object] = {
    **{level.label: level.value for level in Level},
    "C-level": Level.C_SUITE,
    "CxO": Level.C_SUITE,
    "Chief": Level.C_SUITE,
    "Executive Vice President": Level.SVP,
    "EVP": Level.SVP,
    "Senior Vice President": Level.SVP,
    "Vice President": Level.VP,
    "Head": Level.DIRECTOR,
    "Senior Director": Level.DIRECTOR,
    "Senior Manager": Level.MANAGER,
    "Individual contributor": Level.STAFF,
}
_read_level = choice_reader(_LEVEL_NAMES, what="a level", accepted=[level.label for level in Level])
_EXECUTIVE_LEVEL_VALUES = {value for value, _label in EXECUTIVE_LEVELS}


def _read_executive_level(text: str) -> int:
    level = _read_level(text)
    if level not in _EXECUTIVE_LEVEL_VALUES:
        raise CellError(f"“{text}” is not an executive's level: write Director, VP, SVP or C-suite.")
    return level


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


def normalized_words(text: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.casefold()).split())


EMAIL = Column(
    "email",
    "Email",
    ("Email Address", "E-mail", "E-mail Address", "Work Email", "Business Email", "Primary Email", "Email 1"),
    format="an email address",
)
NAME_COLUMNS = (
    Column("name", "Name", ("Full Name", "Display Name"), format="text"),
    Column("first_name", "First name", ("Given Name", "First"), format="text, with Last name when there is no Name"),
    Column("last_name", "Last name", ("Surname", "Family Name", "Last"), format="text, with First name"),
)
TITLE = Column("title", "Title", ("Job Title", "Position", "Job Role"), format="text")
ACTIVE = Column("active", "Active", ("Is Active", "Enabled"), format="yes or no (also true/false, 1/0)")


def _full_name(plan: ImportPlan, row: Row) -> str | None:
    name = plan.value(row, "name")
    if name is None:
        name = " ".join(part for part in (row.get("first_name"), row.get("last_name")) if part) or None
    return name


@dataclass
class ExecutiveItem:
    email: str
    user_id: int | None  # None: a new login
    executive_id: int | None  # None: a new executive profile
    user_fields: dict[str, Any]
    executive_fields: dict[str, Any]
    function: str | None  # its name; None: as it is
    manager_email: str | None  # None: as it is
    talents: list[str] | None  # None: as they are
    time_zone_changed: bool = False


@import_kind
class ExecutiveImport(ImportKind):
    kind = ImportJob.Kind.EXECUTIVES
    label = "Executives"
    columns = (
        Column(EMAIL.key, EMAIL.label, EMAIL.aliases, required=True, format=EMAIL.format),
        *NAME_COLUMNS,
        TITLE,
        Column("level", "Level", ("Seniority", "Executive Level"), format="Director, VP, SVP or C-suite"),
        Column(
            "function", "Function", ("Department", "Division", "Business Unit"), format="a name; new ones are created"
        ),
        Column(
            "manager_email",
            "Manager email",
            ("Manager", "Manager E-mail", "Reports To", "Reports To Email", "Supervisor Email"),
            format="the email of another executive, in Groundwork or in this file",
        ),
        Column(
            "talents",
            "Talents",
            ("Skills", "Expertise", "Strengths"),
            format="skill names separated by semicolons; new ones are created",
        ),
        Column("time_zone", "Time zone", ("Timezone", "TZ", "Time Zone Sid Key"), format="e.g. Europe/London"),
        ACTIVE,
    )
    matching = (
        "By email, whatever its case: an executive with that email is updated; someone who has a login but no "
        "executive profile gets one; anyone else gets a login (no invitation is sent) and a profile."
    )
    shown = ("Email", "Name", "Title", "Level", "Function", "Manager", "Talents", "Time zone", "Active")

    def plan(self, *, rows: list[Row], plan: ImportPlan, progress: Progress) -> None:
        parsed = []
        first_line: dict[str, int] = {}
        for row in rows:
            email = plan.value(row, "email", parse_email)
            if email is None and not plan.failed(row):
                plan.error(row, "email", "Give the executive's email address.")
            elif email in first_line:
                plan.error(row, "email", f"{email} is on line {first_line[email]} already.")
            elif email is not None:
                first_line[email] = row.line
            values = {
                "email": email,
                "name": _full_name(plan, row),
                "title": plan.value(row, "title"),
                "level": plan.value(row, "level", _read_executive_level),
                "function": plan.value(row, "function"),
                "manager_email": plan.value(row, "manager_email", parse_email),
                "talents": plan.value(row, "talents", parse_names),
                "time_zone": plan.value(row, "time_zone", parse_time_zone),
                "active": plan.value(row, "active", parse_yes_no),
            }
            for key, limit in (("name", 150), ("title", 150), ("function", 80)):
                if values[key] is not None and len(values[key]) > limit:
                    plan.error(row, key, f"At most {limit} characters.")
            parsed.append((row, values))
        people = people_by_email([*first_line, *(v["manager_email"] for _, v in parsed if v["manager_email"])])
        current = _executives_current([p.executive_id for p in people.values() if p.executive_id])
        functions = Vocabulary(Function, noun="functions")
        skills = Vocabulary(Skill, noun="skills")
        joining = 0
        for row, values in parsed:
            progress.advance(1)
            email, manager_email = values["email"], values["manager_email"]
            if manager_email is not None:
                manager = people.get(manager_email)
                if manager_email == email:
                    plan.error(row, "manager_email", "An executive cannot be their own manager.")
                elif manager_email not in first_line and (manager is None or manager.executive_id is None):
                    plan.error(
                        row,
                        "manager_email",
                        f"No executive has the email {manager_email}, in Groundwork or in this file.",
                    )
            if plan.failed(row):
                continue
            person = people.get(email)
            if person is None and not values["name"]:
                plan.error(row, "name", "Give the name of this new executive.")
                continue
            functions.use([values["function"]] if values["function"] else [])
            skills.use(values["talents"] or [])
            item, now = self._item(email, person, current, values)
            joining += person is not None and person.executive_id is None
            action = CREATE if item.executive_id is None else (UPDATE if item_changed(item) else UNCHANGED)
            plan.add(
                row,
                action,
                item,
                [
                    email,
                    now["name"],
                    now["title"],
                    Level(now["level"]).label,
                    now["function"],
                    now["manager_email"],
                    _names(now["talents"]),
                    now["time_zone"],
                    _yes_no(now["active"]),
                ],
            )
        functions.note(plan)
        skills.note(plan)
        if joining:
            plan.notes.append(f"{joining} of these people have a login already: they become executives too.")
        new_logins = sum(1 for outcome in plan.of(CREATE) if outcome.item.user_id is None)
        if new_logins:
            plan.notes.append(
                f"{new_logins} new login{'s' if new_logins != 1 else ''} will be made, without an invitation email: "
                "each person sets their password from “Forgot your password?” on the sign-in page."
            )
        plan.state.update(functions=functions, skills=skills)

    def _item(
        self, email: str, person: Person | None, current: dict[int, dict[str, Any]], values: dict[str, Any]
    ) -> tuple[ExecutiveItem, dict[str, Any]]:
        """What the row changes, and the executive as they will be."""
        before = current.get(person.executive_id) if person and person.executive_id else None
        if before is None:
            before = {
                "name": person.full_name if person else "",
                "time_zone": person.time_zone if person else "UTC",
                "title": "Executive",
                "level": Level.VP,
                "active": True,
                "function": "",
                "manager_email": "",
                "talents": [],
            }
        given = {key: value for key, value in values.items() if value is not None and key != "email"}
        now = {**before, **given}
        user_fields = {
            field_name: now[key]
            for key, field_name in (("name", "full_name"), ("time_zone", "time_zone"))
            if person is None or now[key] != before[key]
        }
        executive_fields = {
            key: now[key]
            for key in ("title", "level", "active")
            if person is None or person.executive_id is None or now[key] != before[key]
        }
        function = given.get("function")
        if (
            function is not None
            and person
            and person.executive_id
            and function.casefold() == before["function"].casefold()
        ):
            function = None
        manager_email = given.get("manager_email")
        if manager_email is not None and person and person.executive_id and manager_email == before["manager_email"]:
            manager_email = None
        talents = given.get("talents")
        if (
            talents is not None
            and person
            and person.executive_id
            and {name.casefold() for name in talents} == {name.casefold() for name in before["talents"]}
        ):
            talents = None
        item = ExecutiveItem(
            email=email,
            user_id=person.user_id if person else None,
            executive_id=person.executive_id if person else None,
            user_fields=user_fields,
            executive_fields=executive_fields,
            function=function,
            manager_email=manager_email,
            talents=talents,
            time_zone_changed=person is not None and "time_zone" in user_fields,
        )
        return item, now

    def apply(self, *, plan: ImportPlan, job: ImportJob, progress: Progress) -> None:
        skill_ids = plan.state["skills"].ensure()
        function_ids = plan.state["functions"].ensure()
        created, updated = plan.of(CREATE), plan.of(UPDATE)
        today = timezone.localdate()

        # New logins: no password until they set one (nobody is emailed).
        new_users = [
            User(email=o.item.email, password=make_password(None), **o.item.user_fields)
            for o in created
            if o.item.user_id is None
        ]
        User.objects.bulk_create(new_users, batch_size=BATCH)
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=user, email=user.email, primary=True, verified=False) for user in new_users],
            batch_size=BATCH,
        )
        user_ids = {user.email: user.pk for user in new_users}
        new_ids = set(user_ids.values())
        for outcome in created:
            outcome.item.user_id = outcome.item.user_id or user_ids[outcome.item.email]
        group = Group.objects.get(name=Role.EXECUTIVE.value)
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=o.item.user_id, group_id=group.pk) for o in created],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        executives = [
            Executive(
                user_id=o.item.user_id,
                joined_on=today,
                function_id=function_ids[o.item.function.casefold()] if o.item.function else None,
                **o.item.executive_fields,
            )
            for o in created
        ]
        Executive.objects.bulk_create(executives, batch_size=BATCH)
        for outcome, executive in zip(created, executives, strict=True):
            outcome.item.executive_id = executive.pk
        programs = list(Program.objects.filter(active=True).values_list("pk", flat=True))
        Executive.programs.through.objects.bulk_create(
            [Executive.programs.through(executive_id=e.pk, program_id=pk) for e in executives for pk in programs],
            batch_size=BATCH,
        )
        progress.advance(len(created))

        # Logins that were there already, whose name or time zone the file corrects.
        bulk_update_fields(
            User, [(o.item.user_id, o.item.user_fields) for o in (*created, *updated) if o.item.user_id not in new_ids]
        )
        for outcome in updated:
            if outcome.item.function is not None:
                outcome.item.executive_fields["function_id"] = function_ids[outcome.item.function.casefold()]
        bulk_update_fields(Executive, [(o.item.executive_id, o.item.executive_fields) for o in updated])
        progress.advance(len(updated))

        wanted_talents = {
            o.item.executive_id: {skill_ids[name.casefold()] for name in o.item.talents}
            for o in (*created, *updated)
            if o.item.talents is not None
        }
        _links_replace(Executive.talents.through, "executive_id", "skill_id", wanted_talents)

        # Managers last: a manager may come later in the file than their reports.
        managed = [o.item for o in (*created, *updated) if o.item.manager_email is not None]
        managers = people_by_email(item.manager_email for item in managed)
        Executive.objects.bulk_update(
            [Executive(pk=item.executive_id, manager_id=managers[item.manager_email].executive_id) for item in managed],
            ["manager"],
            batch_size=BATCH,
        )
        # bulk_create sends no signals: each new executive's cadence is copied here.
        executive_cadences_refresh(executive_ids=[executive.pk for executive in executives])
        moved = [o.item.executive_id for o in updated if o.item.time_zone_changed]
        if moved:
            executive_contacts_redate(executive_ids=moved)

    def export_columns(self) -> list[CsvColumn]:
        return [
            CsvColumn("email", lambda e: e.user.email),
            CsvColumn("name", lambda e: e.user.full_name),
            CsvColumn("title", lambda e: e.title),
            CsvColumn("level", lambda e: e.get_level_display()),
            CsvColumn("function", lambda e: e.function.name if e.function else ""),
            CsvColumn("manager_email", lambda e: e.manager.user.email if e.manager else ""),
            CsvColumn("talents", lambda e: _names(text_list_values(e.talent_names))),
            CsvColumn("time_zone", lambda e: e.user.time_zone),
            CsvColumn("active", lambda e: _yes_no(e.active)),
        ]


def item_changed(item: ExecutiveItem) -> bool:
    return bool(
        item.user_fields
        or item.executive_fields
        or item.function is not None
        or item.manager_email is not None
        or item.talents is not None
    )


def _executives_current(executive_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The imported fields of existing executives, as the file would write them."""
    current: dict[int, dict[str, Any]] = {}
    for batch in chunks(executive_ids):
        rows = Executive.objects.filter(pk__in=batch).values_list(
            "pk", "user__full_name", "user__time_zone", "title", "level", "active", "function__name",
            "manager__user__email",
        )  # fmt: skip
        for pk, name, time_zone, title, level, active, function, manager_email in rows:
            current[pk] = {
                "name": name,
                "time_zone": time_zone,
                "title": title,
                "level": level,
                "active": active,
                "function": function or "",
                "manager_email": (manager_email or "").lower(),
                "talents": [],
            }
        links = Executive.talents.through.objects.filter(executive_id__in=batch).values_list(
            "executive_id", "skill__name"
        )
        for pk, name in links:
            current[pk]["talents"].append(name)
    return current


def executives_export_rows() -> QuerySet[Executive]:
    """Every executive, as the executives export writes them: one query."""
    talents = text_list(
        Executive.talents.through.objects.filter(executive_id=OuterRef("pk")),
        group_by="executive_id",
        field="skill__name",
    )
    return (
        Executive.objects.select_related("user", "function", "manager__user")
        .annotate(talent_names=talents)
        .order_by("user__email")
    )


# --- Accounts -------------------------------------------------------------------------------

GROUNDWORK_ID = Column(
    "groundwork_id",
    "Groundwork id",
    ("Groundwork ID",),
    format="the row's id in Groundwork, as exports write it; leave it empty for rows from elsewhere",
)


def read_groundwork_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise CellError(f"“{text}” is not a Groundwork id (a whole number, as exports write it).")
    return int(text)


def _read_account_kind(text: str) -> str:
    words = normalized_words(text)
    if any(word in words for word in ("partner", "reseller", "alliance", "distributor")):
        return Account.Kind.PARTNER
    if any(word in words for word in ("customer", "client", "prospect")):
        return Account.Kind.CUSTOMER
    raise CellError(f"“{text}” is neither a customer nor a partner: write customer or partner.")


_read_tier = choice_reader(
    {
        **{tier.label: tier.value for tier in Account.Tier},
        **{str(tier.value): tier.value for tier in Account.Tier},
        **{f"Tier {tier.value}": tier.value for tier in Account.Tier},
    },
    what="a tier",
    accepted=[tier.label for tier in Account.Tier],
)
_read_status = choice_reader(
    {
        **{status.label: status.value for status in Account.Status},
        **{status.value: status.value for status in Account.Status},
        "Former customer": Account.Status.CHURNED,
    },
    what="an account status",
    accepted=[status.label for status in Account.Status],
)

ACCOUNT_FIELDS = ("name", "crm_id", "kind", "tier", "industry", "region", "account_manager_id", "status")
_ACCOUNT_DEFAULTS = {
    "crm_id": None,
    "kind": Account.Kind.CUSTOMER,
    "tier": Account.Tier.STANDARD,
    "industry": "",
    "region": "",
    "account_manager_id": None,
    "status": Account.Status.ACTIVE,
}


@dataclass
class AccountItem:
    account_id: int | None  # None: a new account
    fields: dict[str, Any]  # what changes (everything, for a new one)
    needs: list[str] | None  # None: as they are


class PeopleReferences:
    """Users a file names by email or by full name (account managers, owners)."""

    def __init__(self, texts: Iterable[str]) -> None:
        texts = set(texts)
        self.by_email = people_by_email(text.lower() for text in texts if "@" in text)
        self.by_name = people_by_name(text.casefold() for text in texts if "@" not in text)

    def find(self, plan: ImportPlan, row: Row, key: str) -> tuple[int | None, str]:
        """The user named in the cell ``key``, and their email; None after an error."""
        text = row.get(key)
        if "@" in text:
            person = self.by_email.get(text.lower())
            if person is None:
                plan.error(row, key, f"No one in Groundwork has the email {text}.")
                return None, ""
            return person.user_id, person.email
        found = self.by_name.get(text.casefold(), [])
        if len(found) != 1:
            plan.error(
                row,
                key,
                f"No one in Groundwork is called “{text}”: give their email."
                if not found
                else f"{len(found)} people in Groundwork are called “{text}”: give their email.",
            )
            return None, ""
        return found[0], text


@import_kind
class AccountImport(ImportKind):
    kind = ImportJob.Kind.ACCOUNTS
    label = "Accounts"
    columns = (
        GROUNDWORK_ID,
        Column(
            "crm_id",
            "CRM id",
            ("Account ID", "Record ID", "Company ID", "ID", "External ID", "(Do Not Modify) Account"),
            format="the account's id in the CRM",
        ),
        Column(
            "name",
            "Name",
            ("Account Name", "Company Name", "Company", "Organization", "Organisation"),
            required=True,
            format="text",
        ),
        Column(
            "kind",
            "Kind",
            ("Type", "Account Type", "Company Type", "Relationship"),
            format="customer or partner; CRM types such as “Customer - Direct” or “Channel Partner / Reseller” are "
            "read by their words",
        ),
        Column(
            "tier", "Tier", ("Account Tier", "Customer Tier"), format="Strategic, Key, Growth or Standard (or 1 to 4)"
        ),
        Column("industry", "Industry", ("Sector",), format="text"),
        Column("region", "Region", ("Territory", "Sales Territory", "Sales Region", "Country/Region"), format="text"),
        Column(
            "account_manager_email",
            "Account manager email",
            (
                "Account Manager",
                "Account Owner",
                "Account Owner Email",
                "Owner",
                "Owner Email",
                "Company Owner",
                "Company Owner Email",
            ),
            format="a Groundwork user's email, or their full name",
        ),
        Column("status", "Status", ("Account Status",), format="Active, Prospect, At risk or Churned"),
        Column(
            "needs",
            "Needs",
            ("Skills Needed", "Interests"),
            format="skill names separated by semicolons; new ones are created",
        ),
    )
    matching = (
        "By Groundwork id, else by CRM id, else by name (whatever its case): a row with a CRM id Groundwork does "
        "not know takes over the account of the same name that has no CRM id yet; without any id, a name shared "
        "by several accounts is refused. Anything else is a new account."
    )
    shown = ("CRM id", "Name", "Kind", "Tier", "Industry", "Region", "Account manager", "Status", "Needs")

    def plan(self, *, rows: list[Row], plan: ImportPlan, progress: Progress) -> None:
        parsed = []
        for row in rows:
            values = {
                "groundwork_id": plan.value(row, "groundwork_id", read_groundwork_id),
                "crm_id": plan.value(row, "crm_id"),
                "name": plan.value(row, "name"),
                "kind": plan.value(row, "kind", _read_account_kind),
                "tier": plan.value(row, "tier", _read_tier),
                "industry": plan.value(row, "industry"),
                "region": plan.value(row, "region"),
                "status": plan.value(row, "status", _read_status),
                "needs": plan.value(row, "needs", parse_names),
            }
            for key, limit in (("crm_id", 64), ("name", 200), ("industry", 80), ("region", 80)):
                if values[key] is not None and len(values[key]) > limit:
                    plan.error(row, key, f"At most {limit} characters.")
            if values["name"] is None and values["groundwork_id"] is None and not plan.failed(row):
                plan.error(row, "name", "Give the account's name.")
            parsed.append((row, values))
        good = [values for row, values in parsed if not plan.failed(row)]
        known = _accounts_current(
            pks=[v["groundwork_id"] for v in good if v["groundwork_id"]],
            crm_ids=[v["crm_id"] for v in good if v["crm_id"]],
            names=[v["name"].casefold() for v in good if v["name"]],
        )
        managers = PeopleReferences(
            row.get("account_manager_email") for row, _ in parsed if row.get("account_manager_email")
        )
        skills = Vocabulary(Skill, noun="skills")
        taken: dict[int, int] = {}  # account id -> line
        new_keys: dict[str, int] = {}  # CRM id, or name without one, of new accounts -> line
        for row, values in parsed:
            progress.advance(1)
            manager_id, manager_email = None, ""
            if row.get("account_manager_email"):
                manager_id, manager_email = managers.find(plan, row, "account_manager_email")
            if plan.failed(row):
                continue
            if manager_id is not None:
                values["account_manager_id"] = manager_id
            account = known.match(plan, row, values, taken)
            if plan.failed(row):
                continue
            if account is None:
                key = values["crm_id"] or f"name:{values['name'].casefold()}"
                if key in new_keys:
                    plan.error(
                        row,
                        "crm_id" if values["crm_id"] else "name",
                        f"Line {new_keys[key]} makes the same new account: give each account its own CRM id.",
                    )
                    continue
                new_keys[key] = row.line
            else:
                taken[account["pk"]] = row.line
            skills.use(values["needs"] or [])
            given = {key: values[key] for key in (*ACCOUNT_FIELDS, "needs") if values.get(key) is not None}
            before = account or {**_ACCOUNT_DEFAULTS, "needs": []}
            now = {**before, **given}
            fields = {key: now[key] for key in ACCOUNT_FIELDS if account is None or now[key] != before[key]}
            needs = given.get("needs")
            if (
                needs is not None
                and account
                and {n.casefold() for n in needs} == {n.casefold() for n in before["needs"]}
            ):
                needs = None
            item = AccountItem(account_id=account["pk"] if account else None, fields=fields, needs=needs)
            action = CREATE if account is None else (UPDATE if fields or needs is not None else UNCHANGED)
            if account and manager_id is None and now["account_manager_id"]:
                manager_email = known.manager_emails.get(now["account_manager_id"], "")
            plan.add(
                row,
                action,
                item,
                [
                    now["crm_id"],
                    now["name"],
                    Account.Kind(now["kind"]).label,
                    Account.Tier(now["tier"]).label,
                    now["industry"],
                    now["region"],
                    manager_email,
                    Account.Status(now["status"]).label,
                    _names(now["needs"]),
                ],
            )
        skills.note(plan)
        plan.state["skills"] = skills

    def apply(self, *, plan: ImportPlan, job: ImportJob, progress: Progress) -> None:
        skill_ids = plan.state["skills"].ensure()
        created, updated = plan.of(CREATE), plan.of(UPDATE)
        accounts = [Account(**outcome.item.fields) for outcome in created]
        for batch in chunks(accounts, BATCH):
            Account.objects.bulk_create(batch)
            progress.advance(len(batch))
        for outcome, account in zip(created, accounts, strict=True):
            outcome.item.account_id = account.pk
        bulk_update_fields(Account, [(o.item.account_id, o.item.fields) for o in updated])
        progress.advance(len(updated))
        _links_replace(
            Account.needs.through,
            "account_id",
            "skill_id",
            {
                o.item.account_id: {skill_ids[name.casefold()] for name in o.item.needs}
                for o in (*created, *updated)
                if o.item.needs is not None
            },
        )

    def export_columns(self) -> list[CsvColumn]:
        return [
            CsvColumn("groundwork_id", lambda a: a.pk),
            CsvColumn("crm_id", lambda a: a.crm_id),
            CsvColumn("name", lambda a: a.name),
            CsvColumn("kind", lambda a: a.kind),
            CsvColumn("tier", lambda a: a.get_tier_display()),
            CsvColumn("industry", lambda a: a.industry),
            CsvColumn("region", lambda a: a.region),
            CsvColumn("account_manager_email", lambda a: a.account_manager.email if a.account_manager else ""),
            CsvColumn("status", lambda a: a.status),
            CsvColumn("needs", lambda a: _names(text_list_values(a.need_names))),
        ]


class _KnownAccounts:
    """The accounts a file's rows may update, looked up together."""

    def __init__(self, rows: list[dict[str, Any]], needs: dict[int, list[str]], manager_emails: dict[int, str]) -> None:
        self.by_pk = {row["pk"]: row for row in rows}
        self.by_crm_id = {row["crm_id"]: row for row in rows if row["crm_id"]}
        self.by_name: dict[str, list[dict[str, Any]]] = {}
        for row in sorted(rows, key=lambda row: row["pk"]):
            self.by_name.setdefault(row["name"].casefold(), []).append(row)
            row["needs"] = needs.get(row["pk"], [])
        self.manager_emails = manager_emails

    def match(self, plan: ImportPlan, row: Row, values: dict[str, Any], taken: dict[int, int]) -> dict[str, Any] | None:
        """The account ``row`` updates, None for a new one; errors are recorded."""
        crm_id, name = values["crm_id"], values["name"]
        if values["groundwork_id"] is not None:
            account = self.by_pk.get(values["groundwork_id"])
            if account is None:
                plan.error(row, "groundwork_id", f"No account has the Groundwork id {values['groundwork_id']}.")
                return None
            other = self.by_crm_id.get(crm_id) if crm_id else None
            if other is not None and other["pk"] != account["pk"]:
                plan.error(row, "crm_id", f"The CRM id {crm_id} belongs to another account, {other['name']}.")
                return None
        elif crm_id and crm_id in self.by_crm_id:
            account = self.by_crm_id[crm_id]
        else:
            named = [a for a in self.by_name.get(name.casefold(), []) if not crm_id or not a["crm_id"]]
            named = [a for a in named if a["pk"] not in taken] if crm_id else named
            if len(named) > 1 and not crm_id:
                plan.error(
                    row, "name", f"{len(named)} accounts are called “{name}”: add their CRM ids to tell them apart."
                )
                return None
            account = named[0] if named else None
        if account is not None and account["pk"] in taken:
            plan.error(row, None, f"Line {taken[account['pk']]} updates the same account, {account['name']}.")
            return None
        return account


def _accounts_current(*, pks: list[int], crm_ids: list[str], names: list[str]) -> _KnownAccounts:
    fields = ("pk", *ACCOUNT_FIELDS)
    rows: dict[int, dict[str, Any]] = {}
    for batch in chunks(set(pks)):
        rows.update((row["pk"], row) for row in Account.objects.filter(pk__in=batch).values(*fields))
    for batch in chunks(set(crm_ids)):
        rows.update((row["pk"], row) for row in Account.objects.filter(crm_id__in=batch).values(*fields))
    for batch in chunks(set(names)):
        named = Account.objects.annotate(name_lower=Lower("name")).filter(name_lower__in=batch)
        rows.update((row["pk"], row) for row in named.values(*fields))
    needs: dict[int, list[str]] = {}
    for batch in chunks(rows):
        links = Account.needs.through.objects.filter(account_id__in=batch).values_list("account_id", "skill__name")
        for pk, name in links:
            needs.setdefault(pk, []).append(name)
    manager_ids = {row["account_manager_id"] for row in rows.values() if row["account_manager_id"]}
    emails: dict[int, str] = {}
    for batch in chunks(manager_ids):
        emails.update(User.objects.filter(pk__in=batch).values_list("pk", "email"))
    return _KnownAccounts(list(rows.values()), needs, emails)


def accounts_export_rows() -> QuerySet[Account]:
    """Every account, as the accounts export writes them: one query."""
    needs = text_list(
        Account.needs.through.objects.filter(account_id=OuterRef("pk")), group_by="account_id", field="skill__name"
    )
    return Account.objects.select_related("account_manager").annotate(need_names=needs).order_by("name", "pk")


# --- Contacts, and the accounts other files name ----------------------------------------------

ACCOUNT_REFERENCES = (
    Column(
        "account_groundwork_id",
        "Account Groundwork id",
        (),
        format="the account's id in Groundwork, as exports write it",
    ),
    Column(
        "account_crm_id",
        "Account CRM id",
        ("Account ID", "Company ID", "Associated Company ID", "Parent Account ID"),
        format="the account's id in the CRM",
    ),
    Column(
        "account_name",
        "Account name",
        ("Account", "Company Name", "Company", "Associated Company", "Organization", "Organisation", "Related To"),
        format="the account's name, when the file has no id for it",
    ),
)
ACCOUNT_REFERENCE_KEYS = tuple(column.key for column in ACCOUNT_REFERENCES)


class AccountReferences:
    """The accounts a file's rows belong to, named by Groundwork id, CRM id or
    name (the first the row gives that Groundwork knows), looked up together."""

    def __init__(self, plan: ImportPlan, rows: Iterable[Row]) -> None:
        pks, crm_ids, names = set(), set(), set()
        for row in rows:
            if (pk := plan.value(row, "account_groundwork_id", read_groundwork_id)) is not None:
                pks.add(pk)
            if row.get("account_crm_id"):
                crm_ids.add(row.get("account_crm_id"))
            if row.get("account_name"):
                names.add(row.get("account_name").casefold())
        self.names: dict[int, str] = {}
        self.by_crm_id: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        for batch in chunks(pks):
            self.names.update(Account.objects.filter(pk__in=batch).values_list("pk", "name"))
        for batch in chunks(crm_ids):
            for pk, crm_id, name in Account.objects.filter(crm_id__in=batch).values_list("pk", "crm_id", "name"):
                self.by_crm_id[crm_id] = pk
                self.names[pk] = name
        for batch in chunks(names):
            named = Account.objects.annotate(name_lower=Lower("name")).filter(name_lower__in=batch)
            for pk, name in named.values_list("pk", "name").order_by("pk"):
                self.by_name.setdefault(name.casefold(), []).append(pk)
                self.names[pk] = name

    def find(self, plan: ImportPlan, row: Row) -> int | None:
        """The account of ``row``, or None (with the error recorded)."""
        pk, crm_id, name = (row.get(key) for key in ACCOUNT_REFERENCE_KEYS)
        if pk:
            if not (pk.isascii() and pk.isdigit()):
                return None  # said when the ids were read
            if int(pk) not in self.names:
                plan.error(row, "account_groundwork_id", f"No account has the Groundwork id {pk}.")
                return None
            return int(pk)
        if crm_id in self.by_crm_id:
            return self.by_crm_id[crm_id]
        named = self.by_name.get(name.casefold(), []) if name else []
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            plan.error(row, "account_name", f"{len(named)} accounts are called “{name}”: give the account's CRM id.")
        elif crm_id or name:
            plan.error(
                row,
                "account_crm_id" if crm_id else "account_name",
                "Groundwork has no account "
                + " or ".join(
                    part for part in (crm_id and f"with the CRM id {crm_id}", name and f"called “{name}”") if part
                )
                + ": import the accounts first.",
            )
        else:
            plan.error(row, "account_name", "Say which account this row belongs to.")
        return None


CONTACT_FIELDS = ("account_id", "crm_id", "name", "title", "level", "email", "active")


@dataclass
class ContactItem:
    contact_id: int | None
    fields: dict[str, Any]


@import_kind
class ContactImport(ImportKind):
    kind = ImportJob.Kind.CONTACTS
    label = "Contacts"
    columns = (
        GROUNDWORK_ID,
        Column(
            "crm_id",
            "CRM id",
            ("Contact ID", "Record ID", "ID", "External ID", "(Do Not Modify) Contact"),
            format="the contact's id in the CRM",
        ),
        *ACCOUNT_REFERENCES,
        *NAME_COLUMNS,
        TITLE,
        Column(
            "level",
            "Level",
            ("Seniority",),
            format="Staff, Manager, Director, VP, SVP or C-suite; when empty for a new contact, guessed from the title",
        ),
        EMAIL,
        ACTIVE,
    )
    required_any = (("name", "first_name", "last_name"), ACCOUNT_REFERENCE_KEYS)
    matching = (
        "By Groundwork id, else by CRM id, else by email within the account (whatever its case), else, without "
        "an email, by name within the account. The account is named by its Groundwork id, CRM id or name; "
        "import accounts first. A contact never moves to another account."
    )
    shown = ("CRM id", "Account", "Name", "Title", "Level", "Email", "Active")

    def plan(self, *, rows: list[Row], plan: ImportPlan, progress: Progress) -> None:
        accounts = AccountReferences(plan, rows)
        parsed = []
        for row in rows:
            values = {
                "groundwork_id": plan.value(row, "groundwork_id", read_groundwork_id),
                "crm_id": plan.value(row, "crm_id"),
                "name": _full_name(plan, row),
                "title": plan.value(row, "title"),
                "level": plan.value(row, "level", _read_level),
                "email": plan.value(row, "email", parse_email),
                "active": plan.value(row, "active", parse_yes_no),
            }
            for key, limit in (("crm_id", 64), ("name", 150), ("title", 150)):
                if values[key] is not None and len(values[key]) > limit:
                    plan.error(row, key, f"At most {limit} characters.")
            values["account_id"] = accounts.find(plan, row)
            parsed.append((row, values))
        known = _KnownContacts([values for row, values in parsed if not plan.failed(row)])
        records = RecordsOfFile("contact")
        for row, values in parsed:
            progress.advance(1)
            if plan.failed(row):
                continue
            contact = known.match(plan, row, values)
            if plan.failed(row) or not records.claim(plan, row, contact, values["crm_id"]):
                continue
            if contact is None and not values["name"]:
                plan.error(row, "name", "Give the name of this new contact.")
                continue
            if contact is None and values["level"] is None:
                values["level"] = level_from_title(values["title"] or "") or Level.MANAGER
            given = {key: values[key] for key in CONTACT_FIELDS if values.get(key) is not None}
            before = contact or {"crm_id": None, "title": "", "email": "", "active": True}
            now = {**before, **given}
            fields = {key: now[key] for key in CONTACT_FIELDS if contact is None or now[key] != before[key]}
            action = CREATE if contact is None else (UPDATE if fields else UNCHANGED)
            plan.add(
                row,
                action,
                ContactItem(contact_id=contact["pk"] if contact else None, fields=fields),
                [
                    now["crm_id"],
                    accounts.names.get(now["account_id"], ""),
                    now["name"],
                    now["title"],
                    Level(now["level"]).label,
                    now["email"],
                    _yes_no(now["active"]),
                ],
            )

    def apply(self, *, plan: ImportPlan, job: ImportJob, progress: Progress) -> None:
        created = [Contact(**outcome.item.fields) for outcome in plan.of(CREATE)]
        for batch in chunks(created, BATCH):
            Contact.objects.bulk_create(batch)
            progress.advance(len(batch))
        updated = plan.of(UPDATE)
        bulk_update_fields(Contact, [(o.item.contact_id, o.item.fields) for o in updated])
        progress.advance(len(updated))

    def export_columns(self) -> list[CsvColumn]:
        return [
            CsvColumn("groundwork_id", lambda c: c.pk),
            CsvColumn("crm_id", lambda c: c.crm_id),
            CsvColumn("account_groundwork_id", lambda c: c.account_id),
            CsvColumn("account_crm_id", lambda c: c.account.crm_id),
            CsvColumn("account_name", lambda c: c.account.name),
            CsvColumn("name", lambda c: c.name),
            CsvColumn("title", lambda c: c.title),
            CsvColumn("level", lambda c: c.get_level_display()),
            CsvColumn("email", lambda c: c.email),
            CsvColumn("active", lambda c: _yes_no(c.active)),
        ]


class _KnownContacts:
    """The contacts a file's rows may update: by id, CRM id, and within each
    account by email and by name."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        fields = ("pk", *CONTACT_FIELDS)
        found: dict[int, dict[str, Any]] = {}
        pks = {row["groundwork_id"] for row in rows if row["groundwork_id"]}
        crm_ids = {row["crm_id"] for row in rows if row["crm_id"]}
        account_ids = {row["account_id"] for row in rows if row["account_id"]}
        for batch in chunks(pks):
            found.update((c["pk"], c) for c in Contact.objects.filter(pk__in=batch).values(*fields))
        for batch in chunks(crm_ids):
            found.update((c["pk"], c) for c in Contact.objects.filter(crm_id__in=batch).values(*fields))
        for batch in chunks(account_ids):
            found.update((c["pk"], c) for c in Contact.objects.filter(account_id__in=batch).values(*fields))
        self.by_pk = found
        self.by_crm_id = {c["crm_id"]: c for c in found.values() if c["crm_id"]}
        self.by_email: dict[tuple[int, str], list[dict[str, Any]]] = {}
        self.by_name: dict[tuple[int, str], list[dict[str, Any]]] = {}
        for contact in sorted(found.values(), key=lambda c: c["pk"]):
            if contact["email"]:
                self.by_email.setdefault((contact["account_id"], contact["email"].lower()), []).append(contact)
            self.by_name.setdefault((contact["account_id"], contact["name"].casefold()), []).append(contact)

    def match(self, plan: ImportPlan, row: Row, values: dict[str, Any]) -> dict[str, Any] | None:
        account_id, crm_id = values["account_id"], values["crm_id"]
        if values["groundwork_id"] is not None:
            contact = self.by_pk.get(values["groundwork_id"])
            if contact is None:
                plan.error(row, "groundwork_id", f"No contact has the Groundwork id {values['groundwork_id']}.")
                return None
            other = self.by_crm_id.get(crm_id) if crm_id else None
            if other is not None and other["pk"] != contact["pk"]:
                plan.error(row, "crm_id", f"The CRM id {crm_id} belongs to another contact, {other['name']}.")
                return None
        elif crm_id and crm_id in self.by_crm_id:
            contact = self.by_crm_id[crm_id]
        else:
            if values["email"]:
                candidates = self.by_email.get((account_id, values["email"]), [])
            elif values["name"]:
                candidates = self.by_name.get((account_id, values["name"].casefold()), [])
            else:
                candidates = []
            # A contact with a CRM id of its own is another person of the CRM.
            candidates = [c for c in candidates if not crm_id or not c["crm_id"]]
            contact = candidates[0] if candidates else None
        if contact is not None and contact["account_id"] != account_id:
            plan.error(
                row,
                "account_name" if plan.has("account_name") else ACCOUNT_REFERENCE_KEYS[1],
                f"{contact['name']} belongs to another account in Groundwork, and a contact never moves: add them "
                "to this account as a new contact, with a CRM id of their own.",
            )
            return None
        return contact


def contacts_export_rows() -> QuerySet[Contact]:
    """Every contact with their account, as the contacts export writes them: one query."""
    return Contact.objects.select_related("account").order_by("account__name", "account_id", "name", "pk")


EXPORT_ROWS: dict[str, Callable[[], QuerySet]] = {
    ImportJob.Kind.EXECUTIVES: executives_export_rows,
    ImportJob.Kind.ACCOUNTS: accounts_export_rows,
    ImportJob.Kind.CONTACTS: contacts_export_rows,
}
