"""What a form, an API body or an imported cell may hold: one rule each,
shared by every form (the fields below), every serializer (``engagement.api``),
the imports and the exports.

- **Ids.** A value that cannot be a row's id (not a whole number, or past the
  database's 64-bit integers) is "not one of the choices", never a 500.
- **Dates.** Every date a person gives lies between 1900 and 2999: beyond, a
  day's first moment or its time in another zone is not a datetime Python
  holds. A field narrows that to its own window (a meeting in the next few
  years, a contact in the last year), and its message says which.
- **Text.** Every free-text field has a maximum length. Single-line text
  (names, titles, places, one-line notes) has its line breaks and tabs turned
  into spaces, as a paste from a document brings them; multi-line text keeps
  its line breaks. Any other control character is refused, being invisible.
  Identifiers (CRM ids, keys) are never rewritten: a line break in one is
  refused.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

# --- Ids ---------------------------------------------------------------------------------

MAX_ID = 2**63 - 1  # the largest 64-bit integer: PostgreSQL's bigint, SQLite's INTEGER


def row_id(value: object) -> int | None:
    """``value`` as a primary key, or None when it cannot be one: not a whole
    number, or too large for the database's 64-bit integers (SQLite raises)."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_ID:
        return None
    return int(text)


def _integer_keys(queryset: models.QuerySet, to_field_name: str | None) -> bool:
    key = queryset.model._meta.get_field(to_field_name) if to_field_name else queryset.model._meta.pk
    return isinstance(key, models.IntegerField | models.AutoField)


class RowChoiceField(forms.ModelChoiceField):
    """One row of a queryset, by id: anything that is not an id is not one of the choices."""

    def to_python(self, value: Any) -> Any:
        if (
            value not in self.empty_values
            and _integer_keys(self.queryset, self.to_field_name)
            and row_id(value) is None
        ):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class RowsChoiceField(forms.ModelMultipleChoiceField):
    """Rows of a queryset, by id: anything that is not an id is not one of the choices."""

    def _check_values(self, value: Any) -> models.QuerySet:
        if _integer_keys(self.queryset, self.to_field_name) and isinstance(value, list | tuple):
            for item in value:
                if row_id(item) is None:
                    raise ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                    )
        return super()._check_values(value)


# --- Dates --------------------------------------------------------------------------------

FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
# How far ahead a meeting, an action or a follow-up may be planned.
YEARS_AHEAD = 3


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (28 February for a 29th that is not there)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def planning_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """From ``today`` to ``YEARS_AHEAD`` years on."""
    return today, years_after(today, YEARS_AHEAD)


def _day(day: dt.date) -> str:
    return f"{day:%-d %B %Y}"


def date_outside(day: dt.date, window: tuple[dt.date, dt.date]) -> str | None:
    """What is wrong with ``day`` when it lies outside ``window``, else None."""
    earliest, latest = window
    if earliest <= day <= latest:
        return None
    if (earliest, latest) == (FIRST_DAY, LAST_DAY):
        return f"Choose a date between {FIRST_DAY.year} and {LAST_DAY.year}."
    return f"Choose a date from {_day(earliest)} to {_day(latest)}."


class _Window:
    """A date field's window: every date from 1900 to 2999 until the form
    narrows it (``field.window = ...``), usually from the form's today."""

    window: tuple[dt.date, dt.date]

    def _date_of(self, value: Any) -> dt.date:
        raise NotImplementedError

    def validate(self, value: Any) -> None:
        super().validate(value)  # type: ignore[misc]
        if value in (None, ""):
            return
        # The date as written, before any conversion between zones, which
        # is where a year-9999 or year-1 moment overflows.
        message = date_outside(self._date_of(value), self.window)
        if message:
            raise ValidationError(message, code="out_of_range")


class DayField(_Window, forms.DateField):
    """A calendar day, within a window (1900 to 2999 unless the form narrows it)."""

    def __init__(self, *, window: tuple[dt.date, dt.date] = (FIRST_DAY, LAST_DAY), **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)
        self.window = window

    def _date_of(self, value: dt.date) -> dt.date:
        return value


class MomentField(_Window, forms.DateTimeField):
    """A date and time of day, as the browser's date-time picker sends it,
    within a window of days (1900 to 2999 unless the form narrows it)."""

    def __init__(self, *, window: tuple[dt.date, dt.date] = (FIRST_DAY, LAST_DAY), **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)
        self.window = window

    def to_python(self, value: Any) -> dt.datetime | None:
        try:
            return super().to_python(value)
        except OverflowError:
            # Made aware in a zone whose offset carries it past year 1 or 9999.
            raise ValidationError(
                f"Choose a date between {FIRST_DAY.year} and {LAST_DAY.year}.", code="out_of_range"
            ) from None

    def _date_of(self, value: dt.datetime) -> dt.date:
        return value.replace(tzinfo=None).date()


# --- Text -------------------------------------------------------------------------------------

# A page of notes: nobody types more into one box, and a screenful of a
# debrief or a brief is read, not a book.
LONG_TEXT = 10_000
# Line breaks and the other characters that end a line or move across it.
_LINE_BREAKS = "\n\r\t\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_BREAKS_AND_SPACE = re.compile(f"[ {re.escape(_LINE_BREAKS)}]*[{re.escape(_LINE_BREAKS)}][ {re.escape(_LINE_BREAKS)}]*")


def one_line(text: str) -> str:
    """``text`` on one line: each run of line breaks and tabs, with the
    spaces around it, becomes one space."""
    return _BREAKS_AND_SPACE.sub(" ", text)


def lines(text: str) -> str:
    """Multi-line ``text`` with its line breaks written one way (``\\n``)."""
    return re.sub(r"\r\n?|[\v\f\x1c\x1d\x1e\x85\u2028\u2029]", "\n", text)


def control_character(text: str, *, allowed: str = "") -> str | None:
    """The first control character of ``text`` not in ``allowed``, or None."""
    return next(
        (char for char in text if char not in allowed and unicodedata.category(char) == "Cc"),
        None,
    )


# The most of a search box's text that is looked for.
SEARCH_LENGTH = 100


def search_words(text: str) -> str:
    """What a search box sent, as the words to look for: one line, without
    control characters (PostgreSQL cannot compare a NUL), at most
    ``SEARCH_LENGTH`` characters. A search never refuses what was typed."""
    return " ".join("".join(char for char in text if unicodedata.category(char) != "Cc").split())[:SEARCH_LENGTH]


def control_message(char: str) -> str:
    if char == "\x00":
        return "Remove the null character: text cannot hold one."
    return f"Remove the invisible control character (U+{ord(char):04X})."


def check_text(text: str, *, multi_line: bool) -> str:
    """``text`` as a text field keeps it; ValueError with a message for one
    that holds a control character."""
    text = lines(text) if multi_line else one_line(text)
    if char := control_character(text, allowed="\n\t" if multi_line else ""):
        raise ValueError(control_message(char))
    return text


def check_identifier(text: str) -> str:
    """``text``, an identifier: ValueError for a control character, line breaks included."""
    if char := control_character(text):
        raise ValueError(control_message(char))
    return text


class _TextField(forms.CharField):
    multi_line = False

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if text in self.empty_values:
            return text
        try:
            text = check_text(text, multi_line=self.multi_line)
        except ValueError as error:
            raise ValidationError(str(error), code="control_character") from None
        return text.strip() if self.strip else text


class LineField(_TextField):
    """One line of text: a name, a title, a place, a one-line note."""


class TextField(_TextField):
    """Text of several lines, in a text area."""

    multi_line = True

    def __init__(self, *, max_length: int = LONG_TEXT, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(max_length=max_length, **kwargs)


def text_field(model: type[models.Model], name: str, **kwargs: Any) -> forms.CharField:
    """The form field for the model's text field ``name``: its length, and
    one line or several as the model keeps it."""
    model_field = model._meta.get_field(name)
    kind = TextField if isinstance(model_field, models.TextField) else LineField
    kwargs.setdefault("required", not model_field.blank)
    return kind(max_length=model_field.max_length, **kwargs)


def bounded_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """A model form's field for ``db_field``, with the bounds above: a model
    form's ``formfield_callback``."""
    if isinstance(db_field, models.ForeignKey):
        return db_field.formfield(form_class=RowChoiceField, **kwargs)
    if isinstance(db_field, models.ManyToManyField):
        return db_field.formfield(form_class=RowsChoiceField, **kwargs)
    if db_field.choices:
        return db_field.formfield(**kwargs)
    if isinstance(db_field, models.TextField):
        return db_field.formfield(form_class=TextField, **kwargs)
    if isinstance(db_field, models.CharField) and not isinstance(db_field, models.EmailField | models.URLField):
        return db_field.formfield(form_class=LineField, **kwargs)
    if isinstance(db_field, models.DateTimeField):
        return db_field.formfield(form_class=MomentField, **kwargs)
    if isinstance(db_field, models.DateField):
        return db_field.formfield(form_class=DayField, **kwargs)
    return db_field.formfield(**kwargs)


class BoundedModelForm(forms.ModelForm):
    """A model form whose fields have the bounds above."""

    class Meta:
        formfield_callback = bounded_formfield


# The form fields that carry their own bounds: checked by tests, so that a
# field added without them is noticed.
BOUNDED_FIELDS: tuple[type[forms.Field], ...] = (
    RowChoiceField,
    RowsChoiceField,
    DayField,
    MomentField,
    LineField,
    TextField,
)


def unbounded_fields(form_class: type[forms.BaseForm]) -> Iterable[str]:
    """The declared fields of ``form_class`` that take text, an id or a date
    without the bounds above."""
    for name, form_field in form_class.base_fields.items():
        if isinstance(form_field, BOUNDED_FIELDS):
            continue
        if (
            isinstance(form_field, forms.ModelChoiceField | forms.DateField | forms.DateTimeField)
            or type(form_field) is forms.CharField
        ):
            yield name
