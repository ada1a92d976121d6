"""The REST API of what was learned: debriefs and action items, and the
figures of the actions routed to another function, to read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from engagement.api.base import PersonSerializer, ProgramViewSet, ReadOnlyProgramViewSet
from engagement.people.models import Function
from engagement.people.roles import Role
from feedback.access import actions_visible_to, debriefs_visible_to
from feedback.filters import ActionFilter, DebriefFilter
from feedback.models import ActionItem, Debrief, Sentiment
from feedback.selectors import LoopRow, loop_figures


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


class ActionLoopSerializer(serializers.Serializer):
    """The actions routed to one function, as the Closing the loop page counts them."""

    function = serializers.IntegerField(help_text="The function's id: ?function= of the list of action items.")
    name = serializers.CharField()
    lead = serializers.CharField(help_text="Who leads the function now; empty when nobody is named.")
    open = serializers.IntegerField(help_text="Open or in progress.")
    overdue = serializers.IntegerField(help_text="Open, due before today in your time zone.")
    closed_12m = serializers.IntegerField(help_text="Closed in the last twelve months.")
    median_days_to_told = serializers.FloatField(
        allow_null=True,
        help_text="Median days from raised to closed with what the customer was told, over those closed in the "
        "last twelve months; null with none.",
    )
    oldest_open = serializers.IntegerField(
        allow_null=True, help_text="The id of the oldest open action; null with none."
    )
    oldest_open_age_days = serializers.IntegerField(allow_null=True, help_text="Its age in days, in your calendar.")


def action_loop_row(row: LoopRow) -> dict[str, Any]:
    return {
        "function": row.function_id,
        "name": row.name,
        "lead": row.lead,
        "open": row.open,
        "overdue": row.overdue,
        "closed_12m": row.closed,
        "median_days_to_told": row.median_days,
        "oldest_open": row.oldest.pk if row.oldest else None,
        "oldest_open_age_days": row.oldest_age_days,
    }


@extend_schema_view(list=extend_schema(summary="List routed actions by function"))
class ActionLoopViewSet(mixins.ListModelMixin, ProgramViewSet):
    """Closing the loop, for program admins: the actions routed to another
    function, by function (those with any open, or closed in the last twelve
    months), by name. The same three queries whatever their number."""

    serializer_class = ActionLoopSerializer
    roles = (Role.PROGRAM_ADMIN,)

    def get_queryset(self) -> QuerySet[Function]:
        # The rows are figures, not rows of a table: ``list`` reads them.
        return Function.objects.none()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = [action_loop_row(row) for row in loop_figures(user=request.user).rows]
        page: Iterable[dict[str, Any]] = self.paginate_queryset(rows) or []
        return self.get_paginated_response(ActionLoopSerializer(page, many=True).data)
