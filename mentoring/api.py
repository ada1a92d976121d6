"""The REST API of pairings, to read."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from engagement.api.base import Filters, IdField, ReadOnlyProgramViewSet
from mentoring.access import pairings_visible_to
from mentoring.models import Pairing, PairingGoal
from mentoring.selectors import PairingHealth, pairing_list


class PairingGoalSerializer(serializers.ModelSerializer):
    class Meta:
        model = PairingGoal
        fields = ["id", "text", "status", "notes"]


class PairingSerializer(serializers.ModelSerializer):
    executive_name = serializers.CharField(source="executive.user.full_name")
    account_name = serializers.CharField(source="account.name")
    health = serializers.ChoiceField(
        choices=PairingHealth.choices, allow_null=True, help_text="Of an active pairing, today; null otherwise."
    )
    last_session_on = serializers.DateField(
        allow_null=True, help_text="The executive's latest held engagement with the account since the start."
    )
    goals = PairingGoalSerializer(many=True)

    class Meta:
        model = Pairing
        fields = [
            "id", "executive", "executive_name", "account", "account_name", "primary_contact", "why_matched",
            "session_cadence_days", "starts_on", "ends_on", "status", "status_reason", "health", "last_session_on",
            "goals",
        ]  # fmt: skip


class PairingQuery(Filters):
    @classmethod
    def parameters(cls) -> dict[str, serializers.Field]:
        return {
            "executive": IdField(help_text="Only this executive's pairings."),
            "account": IdField(help_text="Only the pairings of this account."),
            "status": serializers.ChoiceField(required=False, choices=Pairing.Status.choices),
            "health": serializers.ChoiceField(required=False, choices=PairingHealth.choices),
        }


@extend_schema_view(
    list=extend_schema(summary="List pairings", parameters=[PairingQuery]),
    retrieve=extend_schema(summary="Get a pairing"),
)
class PairingViewSet(ReadOnlyProgramViewSet):
    """Executives who sponsor an account, with their health and goals; those
    needing attention first. Program admins see every pairing; executives
    their own; account managers those of the accounts they serve."""

    serializer_class = PairingSerializer
    filters_class = PairingQuery
    not_found = "No such pairing among those you may see."

    def _pairings(self, pairings: QuerySet[Pairing], **filters: Any) -> QuerySet[Pairing]:
        listed = pairing_list(pairings=pairings, today=timezone.localdate(), **filters)
        return listed.prefetch_related(Prefetch("goals", queryset=PairingGoal.objects.order_by("position", "pk")))

    def get_queryset(self) -> QuerySet[Pairing]:
        return self._pairings(pairings_visible_to(self.request.user))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = self.query()
        pairings = pairings_visible_to(request.user)
        if query.get("executive"):
            pairings = pairings.filter(executive_id=query["executive"])
        if query.get("account"):
            pairings = pairings.filter(account_id=query["account"])
        page = self.paginate_queryset(self._pairings(pairings, status=query.get("status"), health=query.get("health")))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
