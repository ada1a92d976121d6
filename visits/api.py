"""The REST API of engagements: read them, and log a held contact."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from engagement.accounts.models import Account, Contact
from engagement.api.base import (
    Conflict,
    ErrorSerializer,
    JsonId,
    JsonIdentifier,
    JsonLine,
    ProgramViewSet,
)
from engagement.api.policy import NewestFirstCursorPagination
from engagement.dates import local_date
from engagement.errors import ProgramError
from engagement.people.access import get_executive_for_user
from engagement.people.models import Executive
from engagement.people.roles import Role
from visits.access import may_log_contact_for
from visits.filters import EngagementApiFilter
from visits.forms import DURATIONS
from visits.models import Engagement, EngagementExecutive, EngagementType
from visits.selectors import engagement_list
from visits.services import (
    LoggedContact,
    engagement_log_contact,
    engagement_logged_delete,
    engagement_logged_update,
    logged_contact_refusal,
)

# --- Serializers -------------------------------------------------------------------


class EngagementTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = EngagementType
        fields = [
            "id", "name", "slug", "description", "counts_toward_cadence", "directness", "default_duration_minutes",
            "active",
        ]  # fmt: skip


class AttendanceSerializer(serializers.ModelSerializer):
    """An executive taking part, as its lead or an attendee."""

    id = serializers.IntegerField(source="executive_id", help_text="The executive's id.")
    name = serializers.CharField(source="executive.user.full_name")

    class Meta:
        model = EngagementExecutive
        fields = ["id", "name", "role"]


class AccountRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name"]


class EngagementSerializer(serializers.ModelSerializer):
    account = AccountRefSerializer()
    type_name = serializers.CharField(source="type.name")
    executives = AttendanceSerializer(source="attendances", many=True, help_text="The lead first.")
    contacts = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Customer contacts who attended."
    )

    class Meta:
        model = Engagement
        fields = [
            "id", "account", "type", "type_name", "purpose", "status", "starts_at", "ends_at", "duration_minutes",
            "location", "meeting_link", "objective", "notes", "executives", "contacts", "crm_id", "created_at",
            "updated_at",
        ]  # fmt: skip


class JsonWholeNumberChoice(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class HeldContactSerializer(serializers.Serializer):
    """A contact already held, as the quick log takes it."""

    executive = JsonId(
        queryset=Executive.objects.filter(active=True).select_related("user"),
        required=False,
        help_text="Who met the account. An executive logs their own (and may leave it out); "
        "a program admin names the executive.",
    )
    account = JsonId(queryset=Account.objects.all())
    type = JsonId(queryset=EngagementType.objects.filter(active=True), help_text="An active engagement type.")
    on = serializers.DateField(
        input_formats=["iso-8601"],
        help_text="The day it took place, in the executive's time zone: today or up to a year before.",
    )
    duration_minutes = JsonWholeNumberChoice(choices=[minutes for minutes, _ in DURATIONS], help_text="How long.")
    contacts = JsonId(
        queryset=Contact.objects.all(), many=True, required=False, help_text="People of the account who took part."
    )
    colleagues = JsonId(
        queryset=Executive.objects.filter(active=True),
        many=True,
        required=False,
        help_text="Other executives who were there: it counts toward their cadence too.",
    )
    note = JsonLine(max_length=200, required=False, allow_blank=True, default="")
    crm_id = JsonIdentifier(
        max_length=64,
        required=False,
        allow_null=True,
        default=None,
        help_text="The activity's id in the CRM: sent again, it returns the engagement it made.",
    )
    debrief_wanted = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Whether the executive will add a debrief: only then are they reminded to write one.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        account, contacts = attrs["account"], attrs.get("contacts", [])
        if any(contact.account_id != account.pk for contact in contacts):
            raise serializers.ValidationError({"contacts": ["Choose people from the account you met."]})
        return attrs


class LoggedContactChangeSerializer(serializers.Serializer):
    """What may be corrected in a logged contact: any of the quick log's
    fields, each left out kept as it is."""

    account = JsonId(queryset=Account.objects.all(), required=False)
    type = JsonId(queryset=EngagementType.objects.filter(active=True), required=False)
    on = serializers.DateField(
        input_formats=["iso-8601"], required=False, help_text="The day it took place, in the executive's time zone."
    )
    duration_minutes = JsonWholeNumberChoice(choices=[minutes for minutes, _ in DURATIONS], required=False)
    contacts = JsonId(queryset=Contact.objects.all(), many=True, required=False)
    colleagues = JsonId(
        queryset=Executive.objects.filter(active=True),
        many=True,
        required=False,
        help_text="Every other executive who was there: those left out no longer count it.",
    )
    note = JsonLine(max_length=200, required=False, allow_blank=True)
    debrief_wanted = serializers.BooleanField(required=False)


def logged_contact_fix(engagement: Engagement, data: dict[str, Any]) -> LoggedContact:
    """``engagement`` as ``data`` (a LoggedContactChangeSerializer's) corrects it."""
    attendances = list(engagement.attendances.select_related("executive__user"))
    lead = next(a.executive for a in attendances if a.role == EngagementExecutive.Role.LEAD)
    return LoggedContact(
        account=data.get("account", engagement.account),
        engagement_type=data.get("type", engagement.type),
        on=data.get("on", local_date(engagement.starts_at, lead.time_zone)),
        duration_minutes=data.get("duration_minutes", engagement.duration_minutes or engagement.planned_minutes),
        contacts=tuple(data.get("contacts", engagement.contacts.all())),
        colleagues=tuple(
            data.get("colleagues", [a.executive for a in attendances if a.role != EngagementExecutive.Role.LEAD])
        ),
        note=data.get("note", engagement.notes),
        debrief_wanted=data.get("debrief_wanted", engagement.debrief_wanted),
    )


IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    type={"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    required=False,
    description="Any string of your choice (visible ASCII, up to 255 characters), new for each contact. "
    "A request sent again with the same key and the same body, even at the same moment, returns the engagement "
    "the first one made, with 200; the same key with another body is refused with 409.",
)


def submission_key_of(request: Request) -> uuid.UUID | None:
    """The ``Idempotency-Key`` header as the quick log's submission key. Keys
    are the caller's own: the same string from two people is two keys."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not all("!" <= character <= "~" for character in key):
        raise exceptions.ValidationError({"Idempotency-Key": ["Give 1 to 255 visible ASCII characters."]})
    return uuid.uuid5(uuid.NAMESPACE_URL, f"groundwork:api:{request.user.pk}:{key}")


def held_contact_digest(*, executive: Executive, data: dict[str, Any]) -> str:
    """What a held contact's request asks for, as a digest: the same for the
    same contact however its JSON is spaced or ordered, or whether an
    executive names themself, so that a retry is told from another contact
    sent with the same Idempotency-Key."""
    asked = {
        "executive": executive.pk,
        "account": data["account"].pk,
        "type": data["type"].pk,
        "on": data["on"].isoformat(),
        "duration_minutes": data["duration_minutes"],
        "contacts": sorted(contact.pk for contact in data.get("contacts", [])),
        "colleagues": sorted(colleague.pk for colleague in data.get("colleagues", [])),
        "note": data["note"],
        "crm_id": data["crm_id"],
    }
    # Only when asked for: a retry sent before it could be asked for has the same digest.
    if data.get("debrief_wanted"):
        asked["debrief_wanted"] = True
    return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()


def held_contact_example(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """A drf-spectacular postprocessing hook: the documented held contact's
    example is dated yesterday (UTC, so today or earlier in every time zone)
    when the schema is made, so that "Try it out" in the docs, and the
    Schemathesis run, send one the quick log's rules accept."""
    operation = result.get("paths", {}).get("/api/v1/engagements/", {}).get("post")
    if operation is not None:
        yesterday = timezone.now().date() - dt.timedelta(days=1)
        operation["requestBody"]["content"]["application/json"]["example"] = {
            "executive": 1,
            "account": 1,
            "type": 1,
            "on": yesterday.isoformat(),
            "duration_minutes": 60,
            "contacts": [],
            "colleagues": [],
            "note": "They want faster delivery to the north plant",
            "crm_id": None,
        }
    return result


# --- Views ---------------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(summary="List engagement types"))
class EngagementTypeViewSet(mixins.ListModelMixin, ProgramViewSet):
    """The kinds of engagement (the ``type`` of an engagement), each saying
    whether it counts toward the cadence."""

    serializer_class = EngagementTypeSerializer
    queryset = EngagementType.objects.order_by("position", "name", "pk")


@extend_schema_view(
    list=extend_schema(summary="List engagements"),
    retrieve=extend_schema(summary="Get an engagement"),
)
class EngagementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProgramViewSet):
    """Engagements with customers and partners, newest first. Program admins
    see every one; account managers those of the accounts they serve;
    executives those they attend or are asked to."""

    serializer_class = EngagementSerializer
    pagination_class = NewestFirstCursorPagination
    filterset_class = EngagementApiFilter
    roles_by_action = {
        "create": (Role.EXECUTIVE, Role.PROGRAM_ADMIN),
        # Whoever logged a contact corrects it: the executive.
        "partial_update": (Role.EXECUTIVE,),
        "destroy": (Role.EXECUTIVE,),
    }
    not_found = "No such engagement among those you may see."

    def get_queryset(self) -> QuerySet[Engagement]:
        # The list's selector, with each engagement's account, type, executives and contacts.
        engagements = engagement_list(user=self.request.user, when="all")
        return engagements.prefetch_related(Prefetch("contacts", queryset=Contact.objects.only("pk")))

    @extend_schema(
        summary="Log a held contact",
        description="What the quick log does: a held engagement that counts toward the cadence of the executive "
        "(and of each colleague) at once. Executives log their own; program admins log any executive's. "
        "201 with the engagement made; 200 with the one a first request made, when the same Idempotency-Key "
        "with the same body, or the same crm_id, comes again (two such requests at once make one engagement: "
        "one answers 201, the other 200). The same Idempotency-Key with another body is refused with 409 and "
        "makes nothing.",
        request=HeldContactSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: OpenApiResponse(EngagementSerializer, description="The engagement made: it counts at once."),
            200: OpenApiResponse(
                EngagementSerializer,
                description="The engagement a first request with this Idempotency-Key (and this body) or crm_id made.",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="The Idempotency-Key was sent before with another body, or it or the crm_id is that of "
                "an engagement you may not see.",
            ),
            415: OpenApiResponse(ErrorSerializer, description="The body is not JSON (Content-Type: application/json)."),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        submission_key = submission_key_of(request)
        held = HeldContactSerializer(data=request.data)
        held.is_valid(raise_exception=True)
        data = held.validated_data
        executive = data.get("executive") or self._own_executive()
        if not may_log_contact_for(request.user, executive):
            raise exceptions.ValidationError(
                {"executive": ["You log your own contacts only: leave this out, or give your own executive id."]}
            )
        digest = held_contact_digest(executive=executive, data=data)
        try:
            engagement, made = engagement_log_contact(
                executive=executive,
                account=data["account"],
                engagement_type=data["type"],
                on=data["on"],
                duration_minutes=data["duration_minutes"],
                contacts=data.get("contacts", []),
                colleagues=data.get("colleagues", []),
                note=data["note"],
                submission_key=submission_key,
                submission_digest=digest,
                crm_id=data["crm_id"],
                debrief_wanted=data["debrief_wanted"],
                by=request.user,
            )
        except ProgramError as error:
            raise exceptions.ValidationError({"non_field_errors": [str(error)]}) from error
        if not made:
            return self._first_sending(engagement, submission_key=submission_key, digest=digest)
        return Response(self.get_serializer(self.get_queryset().get(pk=engagement.pk)).data, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Correct a logged contact",
        description='What the engagement page\'s "Change" does: the executive who logged a contact corrects it '
        "within 30 days of logging it. Fields left out stay as they are; the cadence of every executive on it "
        "before or after is recounted, and colleagues on it are told. 403 when it was not logged by you, or was "
        "logged more than 30 days ago.",
        request=LoggedContactChangeSerializer,
        responses={
            200: OpenApiResponse(EngagementSerializer, description="The engagement as it is now."),
            403: OpenApiResponse(ErrorSerializer, description="Not yours to change, or no longer."),
            415: OpenApiResponse(ErrorSerializer, description="The body is not JSON (Content-Type: application/json)."),
        },
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        engagement = self._logged_own()
        change = LoggedContactChangeSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        try:
            engagement_logged_update(
                engagement=engagement, by=request.user, fix=logged_contact_fix(engagement, change.validated_data)
            )
        except ProgramError as error:
            raise exceptions.ValidationError({"non_field_errors": [str(error)]}) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=engagement.pk)).data)

    @extend_schema(
        summary="Delete a logged contact",
        description='What the engagement page\'s "Delete" (and "Undo" after logging) does: the executive who '
        "logged a contact deletes it within 30 days of logging it. It stops counting for everyone on it at once, "
        "and colleagues on it are told. 403 when it was not logged by you, or was logged more than 30 days ago.",
        responses={
            204: OpenApiResponse(description="Deleted."),
            403: OpenApiResponse(ErrorSerializer, description="Not yours to delete, or no longer."),
        },
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        engagement = self._logged_own()
        try:
            # None: a request sent at the same moment deleted it; it is gone all the same.
            engagement_logged_delete(engagement_pk=engagement.pk, by=request.user)
        except ProgramError as error:
            raise exceptions.PermissionDenied(str(error)) from error
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _logged_own(self) -> Engagement:
        """The engagement of the URL (404 unless seen), if the caller may correct it now (403 otherwise)."""
        engagement = self.get_object()
        refusal = logged_contact_refusal(engagement=engagement, user=self.request.user)
        if refusal is not None:
            raise exceptions.PermissionDenied(refusal)
        return engagement

    def _own_executive(self) -> Executive:
        try:
            return get_executive_for_user(self.request.user)
        except Http404 as error:
            raise exceptions.ValidationError({"executive": ["Name the executive who met the account."]}) from error

    def _first_sending(self, first: Engagement, *, submission_key: uuid.UUID | None, digest: str) -> Response:
        """The engagement a first request made, to whoever may see it and
        sends the same again. A CRM sending its activity again may have
        changed it: a crm_id returns its engagement whatever the body."""
        engagement = self.get_queryset().filter(pk=first.pk).first()
        if engagement is None:
            raise Conflict("This Idempotency-Key or crm_id belongs to an engagement you may not see: use another.")
        same_key = submission_key is not None and first.submission_key == submission_key
        # Engagements logged before digests were kept have none: taken as the same.
        if same_key and first.submission_digest not in ("", digest):
            raise Conflict(
                "This Idempotency-Key was sent before with another body, and that contact is logged: "
                "send this one with a new key."
            )
        return Response(self.get_serializer(engagement).data, status.HTTP_200_OK)
