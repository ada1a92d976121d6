"""The REST API of what was learned: debriefs and action items, to read."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from engagement.api.base import PersonSerializer, ReadOnlyProgramViewSet
from feedback.access import actions_visible_to, debriefs_visible_to
from feedback.filters import ActionFilter, DebriefFilter
from feedback.models import ActionItem, Debrief, Sentiment


class DebriefSerializer(serializers.ModelSerializer):
    author = PersonSerializer()
    quotes = serializers.ListField(
        child=serializers.CharField(), help_text="What the customer said, verbatim: one quote per paragraph of heard."
    )
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, allow_null=True)
    themes = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Debrief
        fields = [
            "id", "engagement", "author", "heard", "quotes", "surprised", "disagreed", "insights", "issues_raised",
            "sentiment", "themes", "follow_up_on", "submitted_at",
        ]  # fmt: skip


class ActionSerializer(serializers.ModelSerializer):
    owner = PersonSerializer()
    created_by = PersonSerializer(allow_null=True)
    function = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True, help_text="The function it was routed to, if any."
    )

    class Meta:
        model = ActionItem
        fields = [
            "id", "engagement", "debrief", "survey", "title", "detail", "owner", "function", "created_by", "due_on",
            "status", "status_note", "created_at", "closed_at",
        ]  # fmt: skip


@extend_schema_view(
    list=extend_schema(summary="List debriefs"),
    retrieve=extend_schema(summary="Get a debrief"),
)
class DebriefViewSet(ReadOnlyProgramViewSet):
    """Submitted debriefs, latest first: those of the engagements you may see
    (program admins: all). A draft stays with its author until submitted."""

    serializer_class = DebriefSerializer
    filterset_class = DebriefFilter
    not_found = "No such debrief among those you may see."

    def get_queryset(self) -> QuerySet[Debrief]:
        return (
            debriefs_visible_to(self.request.user)
            .select_related("author")
            .prefetch_related("themes")
            .order_by("-submitted_at", "-pk")
        )


@extend_schema_view(
    list=extend_schema(summary="List action items"),
    retrieve=extend_schema(summary="Get an action item"),
)
class ActionViewSet(ReadOnlyProgramViewSet):
    """Actions from debriefs and survey answers, soonest due first: those you
    own or created, of the accounts you serve and of the engagements you
    attended (program admins: all)."""

    serializer_class = ActionSerializer
    filterset_class = ActionFilter
    not_found = "No such action among those you may see."

    def get_queryset(self) -> QuerySet[ActionItem]:
        return (
            actions_visible_to(self.request.user)
            .select_related("owner", "created_by", "function")
            .order_by("due_on", "pk")
        )
