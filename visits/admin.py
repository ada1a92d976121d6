from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import pluralize
from django.urls import reverse

from engagement.accounts.models import Contact
from engagement.admin import RecordAdmin, status_shown
from engagement.errors import ProgramError
from engagement.people.models import Executive
from visits.models import (
    CalendarConnection,
    CalendarFeed,
    CalendarMeeting,
    Engagement,
    EngagementExecutive,
    EngagementStatusChange,
    EngagementType,
)
from visits.services import engagement_complete, engagement_contacts_sync, engagement_delete, engagement_type_update


@admin.register(EngagementType)
class EngagementTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "counts_toward_cadence", "directness", "default_duration_minutes", "active", "position"]
    list_filter = ["counts_toward_cadence", "directness", "active"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request: HttpRequest, obj: EngagementType, form: Any, change: bool) -> None:
        engagement_type_update(engagement_type=obj)


class EngagementExecutiveInline(admin.TabularInline):
    model = EngagementExecutive
    extra = 1
    autocomplete_fields = ["executive"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[EngagementExecutive]:
        # Each row is labelled with its executive's name.
        return super().get_queryset(request).select_related("executive__user")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "executive":
            # Each row's choice shows its executive by name.
            kwargs["queryset"] = Executive.objects.select_related("user")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class EngagementStatusChangeInline(admin.TabularInline):
    """The engagement's history: kept by the services, never edited by hand."""

    model = EngagementStatusChange
    extra = 0
    fields = ["at", "from_status", "to_status", "by", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[EngagementStatusChange]:
        return super().get_queryset(request).select_related("by")


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    """Engagements are requested, logged and imported in Groundwork itself;
    here a program admin corrects one (its time, type, account or who
    attended). Its status changes only through its steps (``Engagement.STEPS``),
    taken on its page or with the actions here, which tell whoever is
    concerned and keep its history."""

    list_display = ["__str__", "status", "purpose", "starts_at", "duration_minutes"]
    # A filter by date rather than a date hierarchy: the hierarchy lists the
    # years of every engagement on each visit (0.6 s over 1.5 million), and
    # the count of every engagement beside the filtered one is not shown.
    list_filter = ["status", ("starts_at", admin.DateFieldListFilter), "type", "purpose", "account__kind"]
    list_select_related = ["type", "account"]
    search_fields = ["account__name", "objective", "notes"]
    autocomplete_fields = ["account", "requested_by", "staff", "contacts", "working_contact"]
    exclude = ["status"]
    readonly_fields = ["status_and_steps", "status_changed_at", "sequence"]
    show_full_result_count = False
    inlines = [EngagementExecutiveInline, EngagementStatusChangeInline]
    list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["mark_held"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="status")
    def status_and_steps(self, engagement: Engagement) -> str:
        return status_shown(
            label=engagement.get_status_display(),
            steps=Engagement.STEPS.steps_from(engagement.status),
            page=reverse("visits:engagement_detail", kwargs={"pk": engagement.pk}),
        )

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "contacts":
            # Each chosen contact is shown with their account.
            kwargs["queryset"] = Contact.objects.select_related("account")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The executives are saved only now; count the contact after them.
        engagement_contacts_sync(engagement_ids=[form.instance.pk])

    def delete_model(self, request: HttpRequest, obj: Engagement) -> None:
        engagement_delete(engagement_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Engagement]) -> None:
        engagement_delete(engagement_ids=queryset.values_list("pk", flat=True))

    @admin.action(description="Mark the selected engagements held, for as long as planned")
    def mark_held(self, request: HttpRequest, queryset: QuerySet[Engagement]) -> None:
        held, refused = 0, []
        for engagement in queryset.select_related("type", "account"):
            try:
                engagement_complete(engagement=engagement, by=request.user, duration_minutes=engagement.planned_minutes)
            except ProgramError as error:
                refused.append(f"{engagement}: {error}")
            else:
                held += 1
        if held:
            self.message_user(request, f"{held} engagement{pluralize(held)} marked held.", messages.SUCCESS)
        for refusal in refused:
            self.message_user(request, refusal, messages.WARNING)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Who has a private calendar address; deleting one stops it working.
    The secret itself stays with its owner."""

    list_display = ["user", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__full_name"]
    fields = ["user", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarConnection)
class CalendarConnectionAdmin(RecordAdmin):
    """Read-only: how each calendar is being read. Never its address or
    password, which grant access to the calendar."""

    list_display = ["name", "owner", "kind", "last_read_at", "matched", "failures", "broken_at"]
    list_filter = ["kind"]
    list_select_related = ["owner"]
    search_fields = ["name", "owner__email", "owner__full_name"]
    fields = [
        "owner",
        "kind",
        "name",
        "username",
        "last_read_at",
        "last_changed_at",
        "events_seen",
        "matched",
        "failures",
        "next_read_at",
        "broken_at",
        "error",
        "owner_told_broken_at",
        "created_at",
    ]


@admin.register(CalendarMeeting)
class CalendarMeetingAdmin(RecordAdmin):
    """Read-only: customer meetings read from calendars."""

    list_display = ["title", "starts_at", "account", "connection"]
    list_select_related = ["account", "connection__owner"]
    search_fields = ["title", "account__name"]
    fields = [
        "connection",
        "uid",
        "recurrence_key",
        "title",
        "starts_at",
        "ends_at",
        "location",
        "account",
        "accounts",
        "contacts",
        "unknown_emails",
    ]
