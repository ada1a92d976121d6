"""Bad input never answers 5xx: generated values sent to every form and to
every API write operation.

The forms are found as a person finds them. Each URL of the access matrix
(``tests/test_access_matrix.py``, which lists every URL and who may use it)
is opened as a visitor allowed to use it, and every form on the page that
sends to that URL is read: its fields, what kind each is, and what the page
puts in them. A form the page does not show in the matrix's world (deciding
on a request, say, which the world's scheduled engagement is past) is found
by the form the view binds when something is posted to it. A new page, or a
new field on a page, is covered without editing this test.

Hypothesis then fills each form with what the page offers, replacing some
fields with values that break careless code: whole numbers past 64 bits,
negative ids, the years 1 and 9999, very long text, line breaks, NUL and
other control characters, unicode, empty values and values of the wrong
type; query strings of the pages that filter get the same. The API's write
operations come from its OpenAPI schema and get JSON of every wrong shape.
Each answer must be below 500.

``--hypothesis-profile=thorough`` tries many more values (see conftest.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django import forms
from django.conf import settings as django_settings
from django.db import transaction
from django.forms import BaseForm
from django.test import Client, override_settings
from django.urls import Resolver404, resolve
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given, settings
from hypothesis import strategies as st

from engagement.people.roles import Role
from tests.test_access_matrix import (
    ACCESS,
    ADMIN_NAMESPACE,
    PUBLIC,
    ROUTES,
    Route,
    World,
    build_world,
    expected_status,
    is_allowed,
    url_of,
    visitor_id,
)

# --- Who sends what where ------------------------------------------------------------

# Whom a form is filled in as: someone allowed to use it, anonymous first for
# the public pages (sign-in, the survey), where their forms are.
VISITOR_ORDER: list[Role | None] = [None, Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN]
# What an allowed visitor is answered when the URL takes nothing of this method.
NOT_TAKEN = {403, 404, 405}


@dataclass(frozen=True)
class Operation:
    route: Route
    visitor: Role | None
    method: str

    @property
    def label(self) -> str:
        return f"{self.method} {self.route.label} as {visitor_id(self.visitor)}"


def operations() -> list[Operation]:
    """Every URL that takes a GET or a POST, with a visitor allowed to send it.
    The admin is Django's own pages, left to Django."""
    found = []
    for route in ROUTES:
        if route.namespace == ADMIN_NAMESPACE or route.name is None:
            continue
        access = ACCESS[route.name]
        for method in ("GET", "POST"):
            if route.namespace == "api" and method == "POST":
                continue  # JSON: see test_no_api_write_answers_5xx
            for visitor in VISITOR_ORDER:
                if visitor is None and access != PUBLIC:
                    continue
                if is_allowed(access, visitor) and expected_status(route, visitor, method) not in NOT_TAKEN:
                    found.append(Operation(route, visitor, method))
                    break
    return found


OPERATIONS = operations()


# --- Reading the forms of a page ------------------------------------------------------


@dataclass
class Field:
    """One named control of a form: its kind ("date", "datetime", "choice",
    "number", "textarea", "text", "file", "button"), what the page put in it,
    and the values offered when it is a choice."""

    kind: str
    values: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    method: str
    action: str  # the path and query it sends to
    fields: dict[str, Field] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<{self.method} {self.action}: {', '.join(self.fields)}>"


INPUT_KINDS = {
    "date": "date",
    "datetime-local": "datetime",
    "number": "number",
    "checkbox": "choice",
    "radio": "choice",
    "file": "file",
    "url": "url",
    "email": "email",
    "submit": "button",
    "image": "button",
    "reset": "skip",
}


class FormsParser(HTMLParser):
    """The forms of a page, with their controls."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "a" and attr.get("href"):
            self.links.append(attr["href"])
        if tag == "form":
            action = attr.get("action") or self.page_url
            self._form = Form(method=attr.get("method", "get").upper(), action=action)
            self.forms.append(self._form)
            return
        if tag == "option" and self._select is not None:
            value = attr.get("value", "")
            self._select.options.append(value)
            if "selected" in attr:
                self._select.values.append(value)
            return
        form, name = self._form, attr.get("name")
        if form is None or not name:
            return
        if tag == "input":
            kind = INPUT_KINDS.get(attr.get("type", "text").lower(), "text")
            if kind == "skip":
                return
            control = form.fields.setdefault(name, Field(kind))
            value = attr.get("value", "on" if kind == "choice" else "")
            if kind == "choice":
                control.options.append(value)
                control.multiple = control.multiple or attr.get("type", "").lower() == "checkbox"
                if "checked" in attr:
                    control.values.append(value)
            elif kind == "button":
                control.options.append(value)
            elif kind != "file":
                control.values = [value]
        elif tag == "button" and attr.get("type", "submit").lower() == "submit":
            form.fields.setdefault(name, Field("button")).options.append(attr.get("value", ""))
        elif tag == "select":
            self._select = form.fields.setdefault(name, Field("choice", multiple="multiple" in attr))
        elif tag == "textarea":
            self._textarea = form.fields.setdefault(name, Field("textarea", values=[""]))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            # As a browser reads it: without the newline that opens the element.
            text = self._textarea.values[0] + data
            self._textarea.values = [text.removeprefix("\n") if not self._textarea.values[0] else text]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def route_name_of(url: str) -> str | None:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return match.view_name


def page_forms(client: Client, url: str) -> tuple[list[Form], list[str]]:
    """The forms of the page at ``url``, and its links."""
    response = client.get(url)
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return [], []
    parser = FormsParser(url)
    parser.feed(response.content.decode())
    return parser.forms, parser.links


def field_kind(form_field: Any) -> str:
    """The kind of a Django form field, as ``Field`` names it."""
    if isinstance(form_field, forms.SplitDateTimeField | forms.DateTimeField):
        return "datetime"
    if isinstance(form_field, forms.DateField):
        return "date"
    if isinstance(form_field, forms.ChoiceField | forms.ModelChoiceField | forms.BooleanField):
        return "choice"
    if isinstance(form_field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return "number"
    if isinstance(form_field, forms.FileField):
        return "file"
    if isinstance(form_field, forms.URLField):
        return "url"
    if isinstance(form_field, forms.EmailField):
        return "email"
    return "textarea" if isinstance(form_field.widget, forms.Textarea) else "text"


class BoundForms:
    """The forms a view binds to posted data, by field name and kind."""

    def __init__(self) -> None:
        self.fields: dict[str, Field] = {}

    def __enter__(self) -> BoundForms:
        original = BaseForm.__init__
        seen = self.fields

        def recording_init(form: BaseForm, data: Any = None, *args: Any, **kwargs: Any) -> None:
            original(form, data, *args, **kwargs)
            if data is not None:
                prefix = f"{form.prefix}-" if form.prefix else ""
                for name, form_field in form.fields.items():
                    seen.setdefault(prefix + name, Field(field_kind(form_field)))

        self._patch = pytest.MonkeyPatch()
        self._patch.setattr(BaseForm, "__init__", recording_init)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._patch.undo()


def sign_in(client: Client, world: World, visitor: Role | None) -> None:
    client.cookies.clear()
    if visitor is not None:
        client.cookies[django_settings.SESSION_COOKIE_NAME] = world.sessions[visitor]


def forms_of(client: Client, world: World, operation: Operation) -> list[Form]:
    """The forms a person sees for ``operation``: on its page, and on the
    pages its links to itself open (an account chosen from a list, say); with
    the fields of the forms the view binds to what is sent (a form shown on
    another page, a filter of a CSV download), and for the API the query
    parameters its schema documents."""
    route, method = operation.route, operation.method
    url = url_of(route, world)
    forms, links = page_forms(client, url)
    to_itself = [link for link in dict.fromkeys(links) if "?" in link and route_name_of(link) == route.name]
    for link in to_itself[:3]:
        forms += page_forms(client, link)[0]
    mine = [form for form in forms if form.method == method and route_name_of(form.action) == route.name]
    with BoundForms() as bound, transaction.atomic():
        if method == "GET":
            # Something in the query, so that a view binding ``request.GET or None`` binds it.
            client.get(f"{url}{'&' if '?' in url else '?'}probe=1")
        else:
            client.post(url, {})
        transaction.set_rollback(True)
    found = {**bound.fields, **(api_query_fields(url) if method == "GET" and route.namespace == "api" else {})}
    for form in mine or [(empty := Form(method, url))]:
        for field_name, control in found.items():
            # The field's own class says its kind better than its widget.
            form.fields.setdefault(field_name, control).kind = control.kind
    return mine or [empty]


# --- Values -------------------------------------------------------------------------------

PAST_64_BITS = [str(2**63), str(2**64), "9" * 30]
HUGE_IDS = [str(2**63), str(2**64), "9" * 30, "-1", "0", "-" + str(2**63 + 1)]
EXTREME_DAYS = ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01", "10000-01-01", "2025-02-30"]
EXTREME_MOMENTS = [
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "9999-12-31 23:59",
    "0001-01-01 00:00",
    "3000-01-01T00:00",
    "2025-13-01T25:61",
]
NASTY_TEXT = [
    "",
    " ",
    "x" * 100_000,
    "first line\nsecond line",
    "\r\n",
    "a\u2028b\u2029c\x85d",
    "\x00",
    "NUL\x00inside",
    "\x1b[31mred\x07",
    "\t\x0b\x0c",
    "😀" * 50,
    "\u202eevil\u200b",
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "null",
    "true",
    "[]",
    "{}",
    "1e309",
    "NaN",
]
# Long enough for any minimum a form sets, short enough for any maximum.
SENTENCE = "Why this executive: the customer's COO asked to meet a peer before the renewal."

any_text = st.text(max_size=60) | st.sampled_from(NASTY_TEXT)
whole_numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str) | st.sampled_from(HUGE_IDS)
days = st.sampled_from(EXTREME_DAYS) | st.dates().map(lambda day: f"{day.year:04d}-{day.month:02d}-{day.day:02d}")
moments = st.sampled_from(EXTREME_MOMENTS) | st.datetimes().map(
    lambda moment: f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}"
)
anything = any_text | whole_numbers | days | moments

# Each example attacks with one theme, on the fields it concerns, the others
# filled in as a person would: a bad date reaches the code behind a form that
# is otherwise valid, where most overflows are.
TEXT_KINDS = {"text", "textarea", "url", "email", "file", "button"}
THEMES: dict[str, dict[str, st.SearchStrategy[str]]] = {
    "ids past 64 bits": {"choice": st.sampled_from(PAST_64_BITS), "number": st.sampled_from(PAST_64_BITS)},
    "the year 9999": {
        "date": st.sampled_from(["9999-12-31", "9999-01-01", "3000-01-01"]),
        "datetime": st.sampled_from(["9999-12-31T23:59", "9999-12-31 23:59", "3000-01-01T00:00"]),
    },
    "the year 1": {
        "date": st.sampled_from(["0001-01-01", "1899-12-31"]),
        "datetime": st.sampled_from(["0001-01-01T00:00", "0001-01-01 00:00", "1899-12-31T23:59"]),
    },
    "text": {kind: st.sampled_from(NASTY_TEXT) | any_text for kind in TEXT_KINDS},
    "anything": dict.fromkeys(("choice", "number", "date", "datetime", *TEXT_KINDS), anything),
}


def plausible(control: Field) -> list[str]:
    """What a person would send: what the page put in the field, or a
    sensible value of its kind."""
    if control.kind == "button":
        return []
    # A date the page shows may be past already (the world's engagement): a
    # person would pick one that is not.
    if control.kind not in ("date", "datetime") and any(value.strip() for value in control.values):
        return control.values
    if control.kind == "choice":
        offered = [value for value in control.options if value]
        return [] if control.multiple else offered[:1]
    today = timezone.localdate()
    return {
        "text": [SENTENCE],
        "textarea": [SENTENCE],
        "url": ["https://meet.example/groundwork"],
        "email": ["someone@groundwork.example"],
        "number": ["60"],
        "date": [today.isoformat()],
        "datetime": [f"{today + dt.timedelta(days=30):%Y-%m-%d}T10:00"],
    }.get(control.kind, control.values)


def field_values(control: Field, theme: str) -> st.SearchStrategy[list[str]]:
    """The field as a person fills it, or (three times in four) the theme's
    bad values for its kind: one, or several as checkboxes send."""
    bad = THEMES[theme].get(control.kind)
    person = st.just(plausible(control))
    if bad is None:
        return person
    themed = st.lists(bad, min_size=1, max_size=1) | st.lists(bad, max_size=4)
    return st.integers(0, 3).flatmap(lambda roll: themed if roll else person)


def form_data(form: Form) -> st.SearchStrategy[dict[str, list[str]]]:
    """The form filled in, one theme of bad values in some of its fields, and
    a few made-up fields with anything in them. Shrinks toward the form as a
    person fills it."""

    def filled(theme: str) -> st.SearchStrategy[dict[str, list[str]]]:
        fields = st.fixed_dictionaries({name: field_values(control, theme) for name, control in form.fields.items()})
        made_up = st.dictionaries(
            st.sampled_from(["id", "pk", "next", "page", "q", "account"]), st.lists(anything, max_size=2), max_size=2
        )
        return st.builds(lambda given, more: {**more, **given}, fields, made_up if theme == "anything" else st.just({}))

    return st.sampled_from(list(THEMES)).flatmap(filled)


# --- The API's write operations ------------------------------------------------------------


@dataclass(frozen=True)
class ApiOperation:
    path: str
    method: str
    schema: dict[str, Any]
    example: Any

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@functools.cache
def api_schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


@functools.cache
def api_query_parameters() -> dict[str, dict[str, Field]]:
    """The query parameters of each API operation that reads, by URL name."""
    found: dict[str, dict[str, Field]] = {}
    for path, methods in api_schema()["paths"].items():
        operation = methods.get("get")
        name = route_name_of(re.sub(r"\{[^}]+\}", "1", path))
        if operation is None or name is None:
            continue
        fields = found.setdefault(name, {})
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            schema = parameter.get("schema", {})
            if "enum" in schema:
                fields[parameter["name"]] = Field("choice", options=[str(value) for value in schema["enum"]])
            elif schema.get("type") == "integer":
                fields[parameter["name"]] = Field("number")
            elif schema.get("format") == "date":
                fields[parameter["name"]] = Field("date")
            else:
                fields[parameter["name"]] = Field("text")
    return found


def api_query_fields(url: str) -> dict[str, Field]:
    return dict(api_query_parameters().get(route_name_of(url) or "", {}))


def api_write_operations() -> list[ApiOperation]:
    """Every operation of the API that takes a body, from its schema."""
    schema = api_schema()
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if method.upper() not in ("POST", "PUT", "PATCH") or body is None:
                continue
            found.append(
                ApiOperation(
                    path=path,
                    method=method.upper(),
                    schema=resolved(body["schema"], components),
                    example=body.get("example"),
                )
            )
    return found


def resolved(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return resolved(components[schema["$ref"].rsplit("/", 1)[1]], components)
    out = dict(schema)
    if "properties" in out:
        out["properties"] = {name: resolved(prop, components) for name, prop in out["properties"].items()}
    if "items" in out:
        out["items"] = resolved(out["items"], components)
    for key in ("allOf", "oneOf", "anyOf"):
        if key in out:
            out[key] = [resolved(part, components) for part in out[key]]
    return out


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([2**63, 2**64, -(2**63) - 1, 0, -1, 1e308, -0.5])
    | any_text
)
json_anything = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3), max_leaves=6
)


def json_value(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Bad JSON for a property of ``schema``: of its own type first, then anything."""
    kind = schema.get("type")
    if "allOf" in schema or "oneOf" in schema or "anyOf" in schema:
        kind = next((part.get("type") for part in [*schema.get("allOf", []), *schema.get("oneOf", [])]), kind)
    if kind == "integer":
        own = st.sampled_from([2**63, 2**64, -(2**63) - 1, -1, 0]) | st.integers(-(2**70), 2**70) | st.integers(1, 30)
    elif kind == "array":
        own = st.lists(json_value(schema.get("items", {})), max_size=4)
    elif kind == "string" and schema.get("format") == "date":
        own = days
    elif kind == "string" and schema.get("format") == "date-time":
        own = moments
    else:
        own = st.sampled_from(NASTY_TEXT) | any_text
    return own | json_anything


def api_body(operation: ApiOperation) -> st.SearchStrategy[Any]:
    properties = operation.schema.get("properties", {})
    example = operation.example if isinstance(operation.example, dict) else {}
    fields = {name: st.just(example[name]) | json_value(prop) for name, prop in properties.items() if name in example}
    fields.update({name: json_value(prop) for name, prop in properties.items() if name not in example})
    whole = st.fixed_dictionaries({}, optional=fields)
    as_documented = st.fixed_dictionaries(fields)
    return as_documented | whole | json_anything


# --- The tests --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The access matrix's world, built once for the module in a transaction
    rolled back at its end; each example runs in a savepoint of its own."""
    world_settings = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], MFA_REQUIRED_FOR_PROGRAM_ADMINS=False
    )
    with django_db_blocker.unblock(), world_settings, transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def module_client() -> Client:
    return Client()


@pytest.fixture(scope="module")
def discovered() -> dict[Operation, list[Form]]:
    return {}


def send(client: Client, method: str, url: str, data: dict[str, Any]) -> int:
    """Sends ``data`` in a savepoint rolled back afterwards, so that each
    example starts from the same world; the status of the answer."""
    with transaction.atomic():
        if method == "GET":
            split = urlsplit(url)
            query = urlencode([*parse_qsl(split.query), *((k, v) for k, vs in data.items() for v in vs)])
            response = client.get(f"{split.path}?{query}")
        else:
            response = client.post(url, data)
        transaction.set_rollback(True)
    return response.status_code


def fill_and_send(
    world: World, client: Client, discovered: dict[Operation, list[Form]], operation: Operation, data: Any
):
    sign_in(client, world, operation.visitor)
    if operation not in discovered:
        discovered[operation] = forms_of(client, world, operation)
    form = data.draw(st.sampled_from(discovered[operation]), label="form")
    values = data.draw(form_data(form), label=f"{form.method} {form.action}")

    status = send(client, operation.method, form.action, values)

    assert status < 500, f"{operation.method} {form.action} answered {status}"


@pytest.mark.django_db
@pytest.mark.parametrize("operation", [op for op in OPERATIONS if op.method == "POST"], ids=lambda op: op.label)
@given(data=st.data())
def test_no_form_answers_5xx(world, module_client, discovered, operation, data):
    fill_and_send(world, module_client, discovered, operation, data)


# A page read with a query string has fewer fields to try than a form, and
# there are more of them: a third of the examples each.
@pytest.mark.django_db
@pytest.mark.parametrize("operation", [op for op in OPERATIONS if op.method == "GET"], ids=lambda op: op.label)
@settings(max_examples=max(1, settings.default.max_examples // 3))
@given(data=st.data())
def test_no_query_answers_5xx(world, module_client, discovered, operation, data):
    fill_and_send(world, module_client, discovered, operation, data)


API_OPERATIONS = api_write_operations()


# The object an operation on one object is sent to, from the world, and who
# may send it: the world's logged contact, corrected by whoever logged it.
API_OBJECTS = {"/api/v1/engagements/{id}/": "visits.engagement_logged"}
API_VISITORS = {"PATCH /api/v1/engagements/{id}/": Role.EXECUTIVE}


def api_path(operation: ApiOperation, world: World) -> str:
    """Where ``operation`` is sent: its path, with the world's object in it."""
    if operation.path in API_OBJECTS:
        return operation.path.replace("{id}", str(world.objects[API_OBJECTS[operation.path]]))
    return operation.path


def api_visitor(operation: ApiOperation) -> Role:
    """Someone allowed to send ``operation``."""
    if operation.label in API_VISITORS:
        return API_VISITORS[operation.label]
    route = next(route for route in ROUTES if route.name and route_name_of(operation.path) == route.name)
    return next(
        role
        for role in VISITOR_ORDER
        if role is not None
        and is_allowed(ACCESS[route.name], role)
        and expected_status(route, role, "POST") not in NOT_TAKEN
    )


@pytest.mark.django_db
@pytest.mark.parametrize("operation", API_OPERATIONS, ids=lambda operation: operation.label)
@given(data=st.data())
def test_no_api_write_answers_5xx(world, module_client, operation, data):
    client = module_client
    sign_in(client, world, api_visitor(operation))
    body = data.draw(api_body(operation), label="body")

    with transaction.atomic():
        response = client.generic(operation.method, api_path(operation, world), json.dumps(body), "application/json")
        transaction.set_rollback(True)

    assert response.status_code < 500, f"{operation.label} answered {response.status_code}: {body!r:.300}"


def test_the_forms_are_found():
    # The walk reaches the forms this test exists for.
    labels = {operation.label for operation in OPERATIONS}

    assert {
        "POST visits:log_contact as executive",
        "POST visits:engagement_request as account-manager",
        "POST visits:engagement_schedule as account-manager",
        "POST feedback:debrief as executive",
        "POST account_login as anonymous",
        "GET visits:my_engagements as executive",
    } <= labels
    assert [operation.label for operation in API_OPERATIONS] == [
        "POST /api/v1/engagements/",
        "PATCH /api/v1/engagements/{id}/",
    ]
