"""The REST API of pairings, and of what sponsorship changes, to read."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from engagement.accounts.measures import MEAN, RATE
from engagement.accounts.models import Account
from engagement.api.base import ProgramViewSet, ReadOnlyProgramViewSet
from engagement.people.roles import Role
from mentoring.access import pairings_visible_to
from mentoring.filters import PairingApiFilter
from mentoring.impact import MIN_GROUP, Comparison, impact_span, sponsorship_impact
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


class ImpactGroupSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="What the measure counts in the group: accounts, surveys or actions.")
    accounts = serializers.IntegerField(help_text="The accounts those rows are about.")
    mean = serializers.FloatField(
        allow_null=True, help_text="The average (for a rate, the share of yes, 0 to 1); null without enough data."
    )


class ImpactSerializer(serializers.Serializer):
    measure = serializers.CharField(source="measure.slug")
    label = serializers.CharField(source="measure.label")
    kind = serializers.ChoiceField(choices=[MEAN, RATE], source="measure.kind", help_text="An average, or a rate.")
    counts = serializers.CharField(source="measure.per_plural", help_text="What ``n`` counts.")
    tier = serializers.ChoiceField(choices=Account.Tier.choices)
    tier_label = serializers.CharField()
    sponsored = ImpactGroupSerializer(help_text="Accounts with an active pairing that began 90 days ago or more.")
    not_sponsored = ImpactGroupSerializer(
        source="comparison", help_text="Accounts of the tier with no pairing during the twelve months."
    )
    enough_data = serializers.BooleanField(
        source="enough", help_text=f"Whether both groups have {MIN_GROUP} rows or more; else no figure is given."
    )
    difference = serializers.FloatField(allow_null=True, help_text="Sponsored less not sponsored.")
    low = serializers.FloatField(allow_null=True, help_text="The difference's 95% confidence interval, low end.")
    high = serializers.FloatField(allow_null=True, help_text="The difference's 95% confidence interval, high end.")

    def to_representation(self, instance: Comparison) -> Any:
        data = super().to_representation(instance)
        if not instance.enough:
            # Not enough data: the counts, never a figure.
            data["sponsored"]["mean"] = data["not_sponsored"]["mean"] = None
        return data


@extend_schema_view(list=extend_schema(summary="Compare sponsored accounts with others"))
class SponsorshipImpactViewSet(mixins.ListModelMixin, ProgramViewSet):
    """What sponsorship changes, as the Sponsorship impact page shows it: for
    each tier and measure over the twelve months to today, sponsored accounts
    against the tier's accounts with no pairing, each group's count and
    average, and the difference with its 95% confidence interval. Program
    admins only; one query per measure."""

    serializer_class = ImpactSerializer
    roles = (Role.PROGRAM_ADMIN,)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        span = impact_span(today=timezone.localdate(), now=timezone.now())
        page = self.paginate_queryset(sponsorship_impact(span=span)) or []
        return self.get_paginated_response(ImpactSerializer(page, many=True).data)
