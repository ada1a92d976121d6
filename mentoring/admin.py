from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from engagement.accounts.models import Contact
from engagement.admin import status_shown
from engagement.people.models import Executive
from mentoring.models import Pairing, PairingGoal
from mentoring.services import pairing_goal_create, pairing_goal_update


class PairingGoalInline(admin.TabularInline):
    model = PairingGoal
    extra = 0
    fields = ["position", "text", "status", "notes"]


@admin.register(Pairing)
class PairingAdmin(admin.ModelAdmin):
    """Pairings are proposed, answered, paused and ended in Groundwork itself,
    on their page (``Pairing.STEPS``), which tells whoever is concerned; here
    a program admin corrects one (its contact, cadence, dates or goals)."""

    list_display = ["executive", "account", "status", "starts_on", "session_cadence_days"]
    list_filter = ["status"]
    list_select_related = ["executive__user", "account"]
    search_fields = ["executive__user__full_name", "executive__user__email", "account__name"]
    # Autocompletes, not drop-downs: a drop-down lists 30,000 accounts and
    # their contacts on every change page (at --scale 100).
    autocomplete_fields = ["executive", "account", "primary_contact", "proposed_by"]
    exclude = ["status"]
    readonly_fields = ["status_and_steps", "status_reason", "status_changed_at", "created_at"]
    inlines = [PairingGoalInline]
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="status")
    def status_and_steps(self, pairing: Pairing) -> str:
        return status_shown(
            label=pairing.get_status_display(),
            steps=Pairing.STEPS.steps_from(pairing.status),
            page=reverse("mentoring:pairing_detail", kwargs={"pk": pairing.pk}),
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # The chosen executive and contact are shown by name, the contact with their account.
        if db_field.name == "executive":
            kwargs["queryset"] = Executive.objects.select_related("user")
        elif db_field.name == "primary_contact":
            kwargs["queryset"] = Contact.objects.select_related("account")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # The goals, written by the services as on the pairing's page.
        formset.save(commit=False)
        for goal in formset.deleted_objects:
            goal.delete()
        for goal, _changed in formset.changed_objects:
            pairing_goal_update(
                goal=goal, by=request.user, text=goal.text, status=goal.status, notes=goal.notes, position=goal.position
            )
        for goal in formset.new_objects:
            pairing_goal_create(
                pairing=form.instance, text=goal.text, status=goal.status, notes=goal.notes, position=goal.position
            )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pairing]:
        # The change page's title names the executive and the account.
        return super().get_queryset(request).select_related("executive__user", "account")
