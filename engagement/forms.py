"""What every app's forms share: choices read once (the lists' filters are
FilterSets: ``engagement.filters``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import QuerySet


def read_choices_once(field: forms.ModelChoiceField, *blank: tuple[str, str]) -> None:
    """Fix ``field``'s choices from one query: a rendered form reads them more than once."""
    field.choices = [*blank, *((item.pk, str(item)) for item in field.queryset)]


def read_choices_many(
    field: forms.ModelMultipleChoiceField, queryset: QuerySet, label: Callable[[Any], str] = str
) -> None:
    """As ``read_choices_once``, with each choice labelled by ``label``."""
    field.queryset = queryset
    field.choices = [(item.pk, label(item)) for item in queryset]
