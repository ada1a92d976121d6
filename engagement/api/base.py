"""The REST API of the program's core, and the pieces every app's API shares.

Another system calls the API with a key a program admin made for one person
(``Authorization: Bearer gw_…``) and gets exactly that person's rights: the
same ``access`` helpers decide what it sees as decide what the pages show.
A signed-in person's session works too, for the browsable API and the docs.
``visits``, ``feedback`` and ``mentoring`` build their endpoints on the base
classes here; ``config.api`` routes them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views import defaults
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object, build_parameter_type
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from engagement.accounts.access import accounts_visible_to, contacts_visible_to
from engagement.accounts.models import Account, Contact
from engagement.api.filters import AccountFilter, ContactFilter, ExecutiveFilter
from engagement.bounds import LONG_TEXT, MAX_ID, check_identifier, check_text, row_id
from engagement.cadence.directness import Directness, executive_directness
from engagement.cadence.rule import ContactState, ContactStatus
from engagement.cadence.selectors import executive_contact_statuses
from engagement.people.access import contact_statuses_visible_to, executives_visible_to
from engagement.people.models import Executive, User
from engagement.people.roles import EVERY_ROLE, Role

# --- Schema ------------------------------------------------------------------------


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """The key in the schema, so that the docs' Authorize button takes it."""

    target_class = "engagement.api.policy.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")


class ProgramFilterScheme(DjangoFilterExtension):
    """A list's query parameters in the schema, from its FilterSet: each
    filter names the serializer field that would read it (``api_field``),
    documented as a body field of that type is, bounds and all."""

    target_class = "engagement.api.base.ProgramFilterBackend"
    priority = 1

    def get_schema_operation_parameters(self, auto_schema: AutoSchema, *args: Any, **kwargs: Any) -> list[dict]:
        filterset_class = getattr(auto_schema.view, "filterset_class", None)
        if filterset_class is None:
            return []
        fields = {
            name: item.api_field(required=False, help_text=item.extra.get("help_text"))
            for name, item in filterset_class.base_filters.items()
        }
        # The names are the parameters', which may be Python keywords ("from").
        serializer = type("Parameters", (serializers.Serializer,), {"get_fields": lambda self: dict(fields)})()
        properties = auto_schema._map_basic_serializer(serializer, "request")["properties"]
        return [
            build_parameter_type(
                name=name,
                schema=schema,
                location=OpenApiParameter.QUERY,
                description=schema.pop("description", None),
                allow_blank=getattr(fields[name], "allow_blank", True),
            )
            for name, schema in properties.items()
        ]


# --- Errors ---------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """Every error answer: what went wrong, and for a 400 what is wrong with
    each field or query parameter."""

    detail = serializers.CharField(help_text="What went wrong, in words.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For a 400: each body field or query parameter that is not valid, with what is wrong with it "
        "(“non_field_errors” for what concerns the whole request).",
    )


def _flat_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation errors as one level: ``{"contacts.0": [...]}``."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_flat_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, Mapping | list) for item in detail):
        flat = {}
        for index, value in enumerate(detail):
            flat.update(_flat_errors(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or api_settings.NON_FIELD_ERRORS_KEY: [str(message) for message in messages]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's answer to an error, in the one shape the schema documents."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": "Some of what was sent is not valid: see each field.",
            "errors": _flat_errors(exc.detail),
        }
    elif isinstance(response.data, Mapping) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    else:
        response.data = {"detail": str(response.data)}
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The site's 404 (``handler404``). An address under /api/ that no route
    takes is answered as the API answers its other errors, for the programs
    that call it and read JSON; every other address gets the HTML page."""
    if request.path_info == "/api" or request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Not found: there is no such address in the API."}, status=404)
    return defaults.page_not_found(request, exception)


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "This conflicts with what is there already."
    default_code = "conflict"


ERROR_DESCRIPTIONS = {
    "400": "Not valid: a query parameter or a body field (each named under “errors”).",
    "401": "No credentials, or a key that does not work (unknown, revoked, or of someone who can no longer sign in).",
    "403": "Your role does not include this.",
    "404": "No such object among those you may see, or no such page.",
    "429": "Too many requests: wait the seconds the Retry-After header gives.",
}


class ProgramAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the error answers every operation may give."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        codes = ["401", "403", "404", "429"]
        if self.method in ("POST", "PUT", "PATCH") or self._is_list_view() or self.get_override_parameters():
            codes.insert(0, "400")
        for code in codes:
            if code not in responses:
                error = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                error["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = error
        return dict(sorted(responses.items()))


# --- Query parameters ---------------------------------------------------------------------


class ProgramFilterBackend(DjangoFilterBackend):
    """A list's query parameters, read by its FilterSet (``filterset_class``,
    in the app's ``filters.py``, the one its page uses where it has one). A
    value that does not fit is a 400 naming each such parameter, as is an
    empty one: "?status=" means nothing, and a program that sends it has
    lost a value on the way."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        errors = {name: list(messages) for name, messages in filterset.errors.items()}
        for name, field in filterset.form.fields.items():
            value = request.query_params.get(name)
            if value is not None and not (value.strip() if getattr(field, "strip", True) else value):
                errors[name] = ["Give a value, or leave the parameter out."]
        if errors:
            raise exceptions.ValidationError(errors)
        return filterset.qs

    def to_html(self, request: Request, queryset: QuerySet, view: Any) -> None:
        # No filter form in the browsable API: it would send every parameter,
        # the empty ones too, which are refused. The docs list the parameters.
        return None


# --- Base views -------------------------------------------------------------------------


class ProgramViewSet(viewsets.GenericViewSet):
    """A collection of the API: role check, query checked before use, and an
    object the caller may not see answered 404 whatever the method."""

    # Who may call it (``roles_by_action`` for an action that differs).
    roles: tuple[Role, ...] = EVERY_ROLE
    roles_by_action: dict[str, tuple[Role, ...]] = {}
    # A list's query parameters: its FilterSet (400 naming each bad one).
    filter_backends = [ProgramFilterBackend]
    # Any value reaches the view, which answers JSON 404 for one that is no id.
    lookup_value_regex = "[^/]+"
    not_found = "Not found among what you may see."

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if self.action is None and self.action_map:
            # A method the URL does not take is judged as a read of it: the
            # wrong role gets 403 and another's object 404, before any 405.
            self.action = self.action_map.get("get") or next(iter(self.action_map.values()))
        super().initial(request, *args, **kwargs)
        # Dates in and out are the caller's own calendar days, as on the pages
        # (the time-zone middleware ran before a key could say who this is).
        timezone.activate(request.user.tzinfo)

    def http_method_not_allowed(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Whose it is first, the method after: someone who may not see the
        # object gets 404 whatever they send, and learns nothing.
        if self.lookup_field in kwargs:
            self.get_object()
        return super().http_method_not_allowed(request, *args, **kwargs)

    def get_object(self) -> Any:
        pk = row_id(self.kwargs.get(self.lookup_field))
        found = self.get_queryset().filter(pk=pk).first() if pk is not None else None
        if found is None:
            raise exceptions.NotFound(self.not_found)
        self.check_object_permissions(self.request, found)
        return found


class ReadOnlyProgramViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProgramViewSet):
    """A collection read a page at a time, and one object by id."""


# --- Body fields ---------------------------------------------------------------------------
# A JSON body says what type each value is: DRF would read "5" as the id 5 and
# 7 as the text "7"; here each field takes only the type the schema gives it,
# within the bounds every form has (``engagement.bounds``).


class JsonLine(serializers.CharField):
    """One line of text: line breaks and tabs become spaces, other control
    characters are refused."""

    multi_line = False

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            text = check_text(data, multi_line=self.multi_line)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None
        return super().to_internal_value(text)


class JsonText(JsonLine):
    """Text of several lines (at most ``LONG_TEXT`` characters unless given)."""

    multi_line = True

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", LONG_TEXT)
        super().__init__(**kwargs)


class JsonIdentifier(serializers.CharField):
    """An identifier (a CRM id): taken as sent, refused with a control character in it."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return super().to_internal_value(check_identifier(data))
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


class JsonIdList(serializers.ManyRelatedField):
    """A list of ids, read in one query whatever its length."""

    def to_internal_value(self, data: Any) -> list[Any]:
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        if not self.allow_empty and not data:
            self.fail("empty")
        child: JsonId = self.child_relation  # type: ignore[assignment]
        ids = [child.checked_id(item) for item in data]
        found = child.get_queryset().in_bulk(set(ids))
        for pk in ids:
            if pk not in found:
                child.fail("does_not_exist", pk_value=pk)
        return [found[pk] for pk in dict.fromkeys(ids)]


class JsonId(serializers.PrimaryKeyRelatedField):
    """A row by its id: a whole number the database can hold, else "does not exist"."""

    def checked_id(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return data

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(self.checked_id(data))

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> JsonIdList:
        # As DRF's own, with the list that takes only a list.
        shared = {key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS}
        return JsonIdList(child_relation=cls(*args, **kwargs), **shared)


# --- Serializers ------------------------------------------------------------------------------


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="full_name")

    class Meta:
        model = User
        fields = ["id", "name", "email"]


class ExecutiveSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.full_name")
    email = serializers.EmailField(source="user.email")
    time_zone = serializers.CharField(source="user.time_zone", help_text="Their dates are counted in this zone.")
    level_name = serializers.CharField(source="get_level_display")
    function = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = Executive
        fields = ["id", "name", "email", "title", "level", "level_name", "function", "manager", "time_zone", "active"]


class ContactStatusSerializer(serializers.Serializer):
    """Where one executive stands against their cadence today, in their own time zone."""

    executive = serializers.IntegerField(help_text="The executive's id.")
    name = serializers.CharField()
    today = serializers.DateField(help_text="Today in the executive's time zone.")
    state = serializers.ChoiceField(
        choices=ContactState.choices,
        help_text="As on every page: counted from the later of the last contact and the day the executive joined.",
    )
    last_contact_on = serializers.DateField(allow_null=True, help_text="Null with no contact yet.")
    days_since = serializers.IntegerField(allow_null=True, help_text="Null with no contact yet.")
    due_on = serializers.DateField(
        help_text="When the window closes: the later of the last contact and joining, plus the cadence."
    )
    days_left = serializers.IntegerField(help_text="Days until the window closes; negative once it has.")
    cadence_days = serializers.IntegerField()
    exposure_hours = serializers.DecimalField(max_digits=7, decimal_places=1, help_text="In the current window.")
    exposure_hours_target = serializers.DecimalField(max_digits=7, decimal_places=1)
    contacts_window_captured = serializers.IntegerField(
        help_text="Customer contacts in the current window captured from a calendar without a tap."
    )
    contacts_window_confirmed = serializers.IntegerField(
        help_text="Customer contacts in the current window confirmed with one tap from a calendar meeting."
    )
    contacts_window_typed = serializers.IntegerField(
        help_text="Customer contacts in the current window typed: logged, requested or imported."
    )
    unfiltered_share_6m = serializers.IntegerField(
        allow_null=True,
        help_text="The share, in percent, of the last six months' exposure hours that was unfiltered. "
        "Null with no hours.",
    )
    unfiltered_share_12m = serializers.IntegerField(
        allow_null=True, help_text="The same over the last twelve months. Null with no hours."
    )
    days_since_unfiltered = serializers.IntegerField(
        allow_null=True, help_text="Days since the last unfiltered contact. Null with none yet."
    )
    only_filtered_lately = serializers.BooleanField(
        help_text="Met customers within the cadence, but had no unfiltered contact in it."
    )


def contact_status_row(executive: Executive, status: ContactStatus, directness: Directness) -> dict[str, Any]:
    return {
        "executive": executive.pk,
        "name": executive.name,
        "today": status.today,
        "state": status.state,
        "last_contact_on": status.last_contact_on,
        "days_since": status.days_since,
        "due_on": status.due_on,
        "days_left": status.days_left,
        "cadence_days": status.cadence.cadence_days,
        "exposure_hours": status.exposure_hours,
        "exposure_hours_target": status.cadence.exposure_hours_target,
        "contacts_window_captured": status.captured,
        "contacts_window_confirmed": status.confirmed,
        "contacts_window_typed": status.typed,
        "unfiltered_share_6m": directness.unfiltered_share_6m,
        "unfiltered_share_12m": directness.unfiltered_share_12m,
        "days_since_unfiltered": directness.days_since_unfiltered,
        "only_filtered_lately": directness.ivory_tower,
    }


class AccountSerializer(serializers.ModelSerializer):
    tier_name = serializers.CharField(source="get_tier_display")
    account_manager = PersonSerializer(allow_null=True)
    last_contact_on = serializers.DateField(allow_null=True, help_text="The last executive contact.")

    class Meta:
        model = Account
        fields = [
            "id", "name", "kind", "tier", "tier_name", "industry", "region", "status", "crm_id", "account_manager",
            "last_contact_on",
        ]  # fmt: skip


class ContactSerializer(serializers.ModelSerializer):
    level_name = serializers.CharField(source="get_level_display")

    class Meta:
        model = Contact
        fields = ["id", "account", "name", "title", "level", "level_name", "email", "crm_id", "active"]


# --- Views --------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List executives"),
    retrieve=extend_schema(summary="Get an executive"),
)
class ExecutiveViewSet(ReadOnlyProgramViewSet):
    """Executives by name. Program admins see every executive; others the
    active ones."""

    serializer_class = ExecutiveSerializer
    filterset_class = ExecutiveFilter
    roles_by_action = {"contact_status": (Role.EXECUTIVE, Role.PROGRAM_ADMIN)}
    not_found = "No such executive among those you may see."

    def get_queryset(self) -> QuerySet[Executive]:
        user = self.request.user
        if self.action == "contact_status":
            return contact_statuses_visible_to(user).select_related("user")
        return executives_visible_to(user).select_related("user", "function").order_by("user__full_name", "pk")

    @extend_schema(
        summary="Get an executive's contact status",
        description="Program admins read anyone's; an executive their own.",
        responses=ContactStatusSerializer,
    )
    @action(detail=True, url_path="contact-status", serializer_class=ContactStatusSerializer)
    def contact_status(self, request: Request, pk: str) -> Response:
        executive = self.get_object()
        status = executive_contact_statuses(executives=[executive])[executive.pk]
        directness = executive_directness(executives=[executive])[executive.pk]
        return Response(ContactStatusSerializer(contact_status_row(executive, status, directness)).data)


@extend_schema_view(list=extend_schema(summary="List contact statuses"))
class ContactStatusViewSet(mixins.ListModelMixin, ProgramViewSet):
    """Each executive's contact status, by name: every executive's for program
    admins, their own for an executive. The same six queries for a page of
    any size."""

    serializer_class = ContactStatusSerializer
    roles = (Role.EXECUTIVE, Role.PROGRAM_ADMIN)

    def get_queryset(self) -> QuerySet[Executive]:
        return contact_statuses_visible_to(self.request.user).select_related("user").order_by("user__full_name", "pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page: Iterable[Executive] = self.paginate_queryset(self.get_queryset()) or []
        statuses = executive_contact_statuses(executives=list(page))
        directness = executive_directness(executives=list(page))
        rows = [contact_status_row(executive, statuses[executive.pk], directness[executive.pk]) for executive in page]
        return self.get_paginated_response(ContactStatusSerializer(rows, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="List accounts"),
    retrieve=extend_schema(summary="Get an account"),
)
class AccountViewSet(ReadOnlyProgramViewSet):
    """Customers and partners, by name. Program admins see every account;
    account managers those they serve; executives every account not churned,
    and those they sponsor or met in the last two years, as on their pages."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    not_found = "No such account among those you may see."

    def get_queryset(self) -> QuerySet[Account]:
        return accounts_visible_to(self.request.user).select_related("account_manager").order_by("name", "pk")


@extend_schema_view(
    list=extend_schema(summary="List customer contacts"),
    retrieve=extend_schema(summary="Get a customer contact"),
)
class ContactViewSet(ReadOnlyProgramViewSet):
    """People at accounts, by name. Program admins see everyone; account
    managers the people of the accounts they serve; executives the active
    people of every account not churned, and of those they sponsor or met in
    the last two years."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    not_found = "No such contact among those you may see."

    def get_queryset(self) -> QuerySet[Contact]:
        return contacts_visible_to(self.request.user).order_by("name", "pk")
