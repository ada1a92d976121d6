from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from engagement.admin import RecordAdmin
from feedback.models import ActionItem, Debrief, Survey, Theme


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    """The themes debriefs are tagged with: program admins curate them."""

    list_display = ["name", "description", "active"]
    list_filter = ["active"]
    search_fields = ["name"]


@admin.register(Debrief)
class DebriefAdmin(RecordAdmin):
    """Read-only: a debrief is its author's own words."""

    list_display = ["engagement", "author", "status", "sentiment", "submitted_at"]
    # A date filter, not a hierarchy: see visits.admin.EngagementAdmin.
    list_filter = ["status", "submitted_at", "sentiment", "themes"]
    list_select_related = ["engagement__account", "engagement__type", "author"]
    search_fields = ["author__full_name", "engagement__account__name", "heard"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Debrief]:
        return super().get_queryset(request).select_related("engagement__account", "engagement__type", "author")


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    """Actions are worked in Groundwork itself; here a program admin may hand
    one to someone else or move its due date (when its owner leaves, say)."""

    list_display = ["title", "owner", "function", "status", "due_on", "closed_at"]
    list_filter = ["status", "function", "due_on"]
    list_select_related = ["owner", "function"]
    search_fields = ["title", "owner__full_name", "owner__email", "engagement__account__name"]
    autocomplete_fields = ["owner"]
    fields = ["title", "detail", "engagement", "debrief", "survey", "owner", "function", "created_by", "due_on",
              "status", "status_note", "created_at", "closed_at"]  # fmt: skip
    readonly_fields = [name for name in fields if name not in {"owner", "due_on"}]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ActionItem]:
        return (
            super()
            .get_queryset(request)
            .select_related(
                "engagement__account", "engagement__type", "debrief", "survey__contact", "owner", "function",
                "created_by",
            )
        )  # fmt: skip


@admin.register(Survey)
class SurveyAdmin(RecordAdmin):
    """Read-only: who was asked, when, and what they answered."""

    list_display = ["contact", "engagement", "sent_at", "answered_at", "value", "recommend"]
    list_filter = ["sent_at", "answered_at", "value"]
    list_select_related = ["contact__account", "engagement__account", "engagement__type"]
    search_fields = ["contact__name", "contact__email", "engagement__account__name"]
    exclude = ["claimed_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Survey]:
        return super().get_queryset(request).select_related("contact__account", "engagement__type", "sent_by")
