from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from engagement.accounts.models import Contact
from engagement.people.models import Executive
from mentoring.models import Pairing, PairingGoal


class PairingGoalInline(admin.TabularInline):
    model = PairingGoal
    extra = 0
    fields = ["position", "text", "status", "notes"]


@admin.register(Pairing)
class PairingAdmin(admin.ModelAdmin):
    """Pairings are proposed and answered in Groundwork itself; here a program
    admin corrects one (its contact, cadence, dates or goals) or ends it by hand."""

    list_display = ["executive", "account", "status", "starts_on", "session_cadence_days"]
    list_filter = ["status"]
    list_select_related = ["executive__user", "account"]
    search_fields = ["executive__user__full_name", "executive__user__email", "account__name"]
    # Autocompletes, not drop-downs: a drop-down lists 30,000 accounts and
    # their contacts on every change page (at --scale 100).
    autocomplete_fields = ["executive", "account", "primary_contact", "proposed_by"]
    readonly_fields = ["status_changed_at", "created_at"]
    inlines = [PairingGoalInline]
    list_per_page = 50

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # The chosen executive and contact are shown by name, the contact with their account.
        if db_field.name == "executive":
            kwargs["queryset"] = Executive.objects.select_related("user")
        elif db_field.name == "primary_contact":
            kwargs["queryset"] = Contact.objects.select_related("account")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Pairing, form: Any, change: bool) -> None:
        if "status" in form.changed_data:
            # Changed by hand: the pairing still says since when it is in its status.
            obj.status_changed_at = timezone.now()
        super().save_model(request, obj, form, change)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pairing]:
        # The change page's title names the executive and the account.
        return super().get_queryset(request).select_related("executive__user", "account")
