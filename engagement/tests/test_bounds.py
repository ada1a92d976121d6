"""The bounds every form, API body, import and export shares
(``engagement.bounds``): what each keeps, changes or refuses, and that no
form of the project goes without them."""

from __future__ import annotations

import copy
import csv
import io

import pytest
from django import forms
from django.urls import get_resolver, reverse

from engagement.bounds import check_identifier, check_text, row_id, unbounded_fields
from engagement.filters import ProgramFilterSet
from engagement.imports.models import ImportJob
from engagement.imports.values import CellError, parse_date, parse_moment
from engagement.people.roles import Role
from engagement.tests.factories import ExecutiveFactory, UserFactory
from engagement.tests.import_helpers import csv_bytes, last_job, upload
from engagement.tests.test_imports import EXECUTIVES

PROJECT_APPS = ("engagement", "visits", "feedback", "mentoring")


def project_forms() -> list[type[forms.BaseForm]]:
    """Every form class of the project, found from the URL configuration's views."""
    get_resolver().url_patterns  # noqa: B018 - imports every view, and so every form
    found, todo = [], [forms.BaseForm]
    while todo:
        for subclass in todo.pop().__subclasses__():
            todo.append(subclass)
            # The admin's forms are Django's, for Django's pages: left to it.
            app, *_, module = subclass.__module__.split(".")
            if app in PROJECT_APPS and module != "admin":
                found.append(subclass)
    return found


def project_filtersets() -> list[type[ProgramFilterSet]]:
    """Every list's FilterSet, found from the URL configuration's views."""
    get_resolver().url_patterns  # noqa: B018 - imports every view, and so every FilterSet
    found, todo = [], [ProgramFilterSet]
    while todo:
        for subclass in todo.pop().__subclasses__():
            todo.append(subclass)
            found.append(subclass)
    return found


def filters_form(filterset: type[ProgramFilterSet]) -> type[forms.BaseForm]:
    """The form ``filterset`` builds for each request, with its fields."""
    fields = {name: copy.deepcopy(item).field for name, item in filterset.base_filters.items()}
    return type(f"{filterset.__name__}Form", (filterset._meta.form,), fields)


def test_every_field_of_every_form_has_bounds():
    missing = {form.__name__: list(unbounded_fields(form)) for form in project_forms()}

    assert len(missing) > 20
    assert {name: fields for name, fields in missing.items() if fields} == {}


def test_every_filter_of_every_list_has_bounds():
    filtersets = project_filtersets()
    missing = {filterset.__name__: list(unbounded_fields(filters_form(filterset))) for filterset in filtersets}

    assert len(missing) >= 15
    assert {name: fields for name, fields in missing.items() if fields} == {}


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Northwind HQ\r\n 12 Harbour Road", "Northwind HQ 12 Harbour Road"),
        ("VP\tSales\u2028EMEA\x85", "VP Sales EMEA "),
        ("Ana  Díaz", "Ana  Díaz"),
    ],
)
def test_single_line_text_turns_line_breaks_and_tabs_into_one_space(typed, kept):
    assert check_text(typed, multi_line=False) == kept


def test_multi_line_text_keeps_its_lines_written_one_way():
    assert check_text("First\r\nSecond\rThird\u2029Fourth\tend", multi_line=True) == "First\nSecond\nThird\nFourth\tend"


@pytest.mark.parametrize("multi_line", [False, True])
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x9b"])
def test_an_invisible_control_character_is_refused_with_its_code(char, multi_line):
    with pytest.raises(ValueError, match=r"Remove the (null|invisible control) character"):
        check_text(f"Ana{char}Díaz", multi_line=multi_line)


def test_an_identifier_with_a_line_break_is_refused_not_rewritten():
    with pytest.raises(ValueError, match=r"U\+000A"):
        check_identifier("CRM-1\n2")
    assert check_identifier(" CRM-1 ") == " CRM-1 "


@pytest.mark.parametrize("value", [str(2**63), str(2**64), "-1", "1.0", "١٢", "", None, "9" * 30])
def test_a_value_that_cannot_be_a_row_id_is_none(value):
    assert row_id(value) is None


def test_the_largest_64_bit_integer_is_a_row_id():
    assert row_id(str(2**63 - 1)) == 2**63 - 1


# --- Imports and exports -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "31/12/9999", "1 Jan 0001"])
def test_an_imported_date_outside_1900_to_2999_is_refused_with_a_message(text):
    with pytest.raises(CellError, match="is not a date Groundwork keeps: give one between 1900 and 2999"):
        parse_date(text)


def test_an_imported_moment_in_the_year_9999_is_refused_with_a_message():
    with pytest.raises(CellError, match="between 1900 and 2999"):
        parse_moment("9999-12-31T23:59:00+14:00")


@pytest.fixture
def program_admin_client(client):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    return client


@pytest.mark.django_db
def test_an_imported_name_over_two_lines_is_read_as_one(program_admin_client):
    data = csv_bytes([["Email", "Name", "Title"], ["ana@groundwork.example", "Ana\r\nDíaz", "VP,\nOperations"]])

    upload(program_admin_client, EXECUTIVES, data)

    job = last_job()
    assert job.status == ImportJob.Status.READY, job.errors
    assert job.preview["rows"][0][2:5] == ["ana@groundwork.example", "Ana Díaz", "VP, Operations"]


@pytest.mark.django_db
def test_an_imported_cell_with_a_control_character_is_refused_with_a_message(program_admin_client):
    data = csv_bytes([["Email", "Name", "Title"], ["bo@groundwork.example", "Bo\x07Lee", "VP Sales"]])

    upload(program_admin_client, EXECUTIVES, data)

    job = last_job()
    assert job.status == ImportJob.Status.INVALID
    assert [error["message"] for error in job.errors] == ["Remove the invisible control character (U+0007)."]


@pytest.mark.django_db
def test_an_export_never_splits_a_single_line_cell_kept_from_before(program_admin_client):
    # A name saved with a line break before forms refused them.
    ExecutiveFactory(user=UserFactory(full_name="Ana\nDíaz", roles=[Role.EXECUTIVE]), title="VP\r\nOperations")

    response = program_admin_client.get(reverse("engagement:export_executives"))

    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert len(text.splitlines()) == len(rows) == 2
    assert {"Ana Díaz", "VP Operations"} <= set(rows[1])


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["0", ":"])
def test_marking_notifications_read_with_a_next_that_is_not_a_path_goes_there_harmlessly(client, next_url):
    client.force_login(UserFactory())

    response = client.post(reverse("engagement:notifications_read"), {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == next_url
