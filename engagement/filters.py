"""What every list's filters share (django-filter): the FilterSet base, and
filters whose fields keep the bounds of ``engagement.bounds``.

Each list's filters are one FilterSet in its app's ``filters.py``: the
parameter's name, its field (label, help text, the message for a value that
does not fit) and what it narrows. A page builds it from the query string
and shows its form; the API hands it to ``engagement.api.base.ProgramFilterBackend``,
which answers 400 where a page reports the value and leaves it out. Each
filter says what it is in the API's schema (``api_field``), so that the
schema documents the parameters the list takes.
"""

from __future__ import annotations

import datetime as dt
import keyword
from collections.abc import Iterable, Mapping
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from rest_framework import serializers

from engagement.bounds import FIRST_DAY, LAST_DAY, MAX_ID, DayField, LineField, RowChoiceField
from engagement.forms import read_choices_once


class ProgramFilterSet(django_filters.FilterSet):
    """A list's filters. A value that does not fit is named in ``errors``
    and left out of ``qs``; the others still apply.

    A filter named with a trailing underscore is the parameter without it
    (``from_`` is ``?from=``), as Python cannot name an attribute ``from``.
    ``defaults`` stand for a filter that was not given or did not fit."""

    defaults: Mapping[str, Any] = {}
    # Whether one value that does not fit leaves every filter out.
    all_or_nothing = False

    @classmethod
    def get_filters(cls) -> dict[str, django_filters.Filter]:
        return {_parameter(name): item for name, item in super().get_filters().items()}

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            for field in form.fields.values():
                # A rendered select reads its choices more than once: once here.
                if isinstance(field, forms.ModelChoiceField):
                    read_choices_once(field, *([("", field.empty_label)] if field.empty_label else []))
            for name, choices in self.choices().items():
                form.fields[name].choices = list(choices)
        return self._form

    def choices(self) -> dict[str, Iterable[tuple[Any, str]]]:
        """Choices read from the database when the form is made, by filter name."""
        return {}

    @property
    def cleaned_data(self) -> dict[str, Any]:
        """The form's values that fit (none when nothing was asked)."""
        if not self.is_bound:
            return {}
        self.errors  # noqa: B018 - validates the form
        return self.form.cleaned_data

    def values(self) -> dict[str, Any]:
        """The filters that apply: each given value that fits, else its default."""
        cleaned = self.cleaned_data
        if self.all_or_nothing and self.errors:
            cleaned = {}
        given = {name: value for name, value in cleaned.items() if name in self.filters and value not in EMPTY}
        return {**self.defaults, **given}

    @property
    def query(self) -> str:
        """The filters that apply as a query string, for links and downloads."""
        return urlencode([(name, getattr(value, "pk", value)) for name, value in self.values().items()])

    @property
    def filtered(self) -> bool:
        """Whether any filter narrows the list."""
        return any(name not in self.defaults for name in self.values())

    @property
    def qs(self) -> QuerySet:
        # Filtered unbound too: the defaults apply to a list asked for with no filter.
        if not hasattr(self, "_qs"):
            self._qs = self.filter_queryset(self.queryset.all())
        return self._qs

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # Only the filters' own values: the form may carry others (a table's sort).
        for name, value in self.values().items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset


EMPTY = ([], (), {}, "", None)


class DayRangeForm(forms.Form):
    """A filters' form with a range of days, ``date_from`` to ``date_to``."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


def _parameter(name: str) -> str:
    bare = name.removesuffix("_")
    return bare if name.endswith("_") and keyword.iskeyword(bare) else name


class ApiFilter(django_filters.Filter):
    """A filter of the API: ``api_field`` is the serializer field that would
    read it, which the API's schema documents (``engagement.api.base.ProgramFilterScheme``)."""

    def api_field(self, **kwargs: Any) -> serializers.Field:
        raise NotImplementedError


# --- Filters for the pages -------------------------------------------------------------


class LineFilter(django_filters.CharFilter):
    """One line of text (``LineField``): give ``max_length``."""

    field_class = LineField


class DayFilter(django_filters.DateFilter):
    """A calendar day from 1900 to 2999 (``DayField``)."""

    field_class = DayField


class RowFilter(django_filters.ModelChoiceFilter):
    """One row of ``queryset``, chosen from a list (``RowChoiceField``)."""

    field_class = RowChoiceField


class ChoiceFilter(django_filters.ChoiceFilter):
    """One of ``choices``, or "any" (``empty_label``)."""


class TypedChoiceFilter(django_filters.TypedChoiceFilter):
    """One of ``choices``, coerced (an id, a level); give ("", "any") among them."""


# --- Filters for the API --------------------------------------------------------------------


# The API's messages for a value that does not fit are those its body fields
# give (DRF's), whatever reads the value.


class IdField(forms.IntegerField):
    """The id of a row: a whole number the database can hold."""

    default_error_messages = {"invalid": "A valid integer is required."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class IdFilter(ApiFilter):
    """A row by its id. An id of no row is no error: nothing has it."""

    field_class = IdField

    def api_field(self, **kwargs: Any) -> serializers.Field:
        return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class OpenDayField(DayField):
    """A calendar day (YYYY-MM-DD): days before 1900 or after 2999 count as
    those years' ends, where nothing lies."""

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        try:
            day = parse_date(str(value))
        except ValueError:
            day = None
        if day is None:
            raise ValidationError(
                "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.", code="invalid"
            )
        return min(max(day, FIRST_DAY), LAST_DAY)


class OpenDayFilter(ApiFilter, django_filters.DateFilter):
    field_class = OpenDayField

    def api_field(self, **kwargs: Any) -> serializers.Field:
        return serializers.DateField(**kwargs)


class ApiChoiceFilter(ApiFilter, django_filters.ChoiceFilter):
    """One of ``choices``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"invalid_choice": '"%(value)s" is not a valid choice.'})
        super().__init__(*args, **kwargs)

    def api_field(self, **kwargs: Any) -> serializers.Field:
        return serializers.ChoiceField(choices=self.extra["choices"], **kwargs)


class IdentifierField(forms.CharField):
    """An identifier (a CRM id), matched as given, spaces and all."""

    default_error_messages = {"max_length": "Ensure this field has no more than %(limit_value)d characters."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strip=False, **kwargs)
        # Any text may be asked for; one with a NUL character, which the
        # database cannot hold, simply matches nothing (``IdentifierFilter``).
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


class IdentifierFilter(ApiFilter, django_filters.CharFilter):
    """An identifier, matched exactly: give ``max_length``."""

    field_class = IdentifierField

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value not in EMPTY and "\x00" in value:
            return qs.none()
        return super().filter(qs, value)

    def api_field(self, **kwargs: Any) -> serializers.Field:
        return serializers.CharField(max_length=self.extra["max_length"], **kwargs)


class EmailFilter(ApiFilter, django_filters.CharFilter):
    """An email address, matched whatever its case."""

    field_class = forms.EmailField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("lookup_expr", "iexact")
        super().__init__(*args, **kwargs)

    def api_field(self, **kwargs: Any) -> serializers.Field:
        return serializers.EmailField(**kwargs)


def query_without(params: QueryDict, *names: str) -> str:
    """``params`` as a query string, less ``names`` and empty values; a
    parameter given more than once keeps each of its values."""
    return urlencode([(key, value) for key, values in params.lists() if key not in names for value in values if value])


def page_of(request: HttpRequest, items: Any, per_page: int) -> tuple[Page, str]:
    """The page of ``items`` the query string asks for (the last one past
    the end, the first for a page that is not a number), and the query
    string less ``page`` for the links to the other pages."""
    return Paginator(items, per_page).get_page(request.GET.get("page")), query_without(request.GET, "page")
