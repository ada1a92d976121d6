"""The REST API of pairings, to read."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from engagement.api.base import ReadOnlyProgramViewSet
from mentoring.access import pairings_visible_to
from mentoring.filters import PairingApiFilter
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


@extend_schema_view(
    list=extend_schema(summary="List pairings"),
    retrieve=extend_schema(summary="Get a pairing"),
)
class PairingViewSet(ReadOnlyProgramViewSet):
    """Executives who sponsor an account, with their health and goals; those
    needing attention first. Program admins see every pairing; executives
    their own; account managers those of the accounts they serve."""

    serializer_class = PairingSerializer
    filterset_class = PairingApiFilter
    not_found = "No such pairing among those you may see."

    def get_queryset(self) -> QuerySet[Pairing]:
        listed = pairing_list(pairings=pairings_visible_to(self.request.user), today=timezone.localdate())
        return listed.prefetch_related(Prefetch("goals", queryset=PairingGoal.objects.order_by("position", "pk")))
