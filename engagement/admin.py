from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auditlog.admin import LogEntryAdmin as AuditlogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from engagement.accounts.models import Account, AccountDomain, Contact
from engagement.api.models import ApiToken
from engagement.cadence.models import ExecutiveContact, Program
from engagement.delivery.models import OutgoingEmail, UnsentTask
from engagement.imports.models import ImportJob
from engagement.moments import moments_in_zone
from engagement.notifications.models import DigestItem, Notification
from engagement.people.models import Executive, Function, Invitation, Skill, User
from engagement.people.roles import Role
from engagement.people.services import executive_time_zone_change, user_email_address_sync, user_set_roles
from engagement.reminders.models import Reminder
from engagement.reminders.sending import reminders_resend


class GroundworkUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "full_name")


class GroundworkUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = GroundworkUserChangeForm
    add_form = GroundworkUserCreationForm
    ordering = ["full_name", "email"]
    list_display = ["email", "full_name", "time_zone", "is_active", "is_staff", "last_login"]
    list_filter = ["groups", "is_active", "is_staff", "time_zone"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "time_zone")}),
        ("Roles and access", {"fields": ("is_active", "groups", "is_staff", "is_superuser", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    filter_horizontal = ("groups", "user_permissions")
    readonly_fields = ["is_staff", "last_login", "date_joined"]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        time_zone_changed = change and "time_zone" in getattr(form, "changed_data", [])
        super().save_model(request, obj, form, change)
        user_email_address_sync(user=obj)
        if time_zone_changed:
            # Contact dates are counted in the executive's own time zone.
            executive_time_zone_change(user=obj, time_zone=obj.time_zone)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Roles are groups; access to this admin follows the program admin role.
        user = form.instance
        names = user.groups.values_list("name", flat=True)
        user_set_roles(user=user, roles=[Role(name) for name in names if name in Role.values])


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    # With a link to the program's changes in the audit trail.
    change_form_template = "engagement/audit/admin_change_form.html"
    list_display = [
        "name",
        "cadence_days",
        "exposure_hours_target",
        "warning_days",
        "escalation_days",
        "pairing_limit",
        "surveys_after_held",
        "active",
    ]
    list_filter = ["active"]
    search_fields = ["name"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Function)
class FunctionAdmin(admin.ModelAdmin):
    list_display = ["name", "lead"]
    list_select_related = ["lead__user"]
    search_fields = ["name"]
    autocomplete_fields = ["lead"]


@admin.register(Executive)
class ExecutiveAdmin(admin.ModelAdmin):
    # The executive's page: with a link to their changes in the audit trail.
    change_form_template = "engagement/audit/admin_change_form.html"
    list_display = ["__str__", "title", "level", "function", "manager", "last_contact_on", "active"]
    list_filter = ["active", "level", "function", "programs"]
    list_select_related = ["user", "function", "manager__user"]
    search_fields = ["user__full_name", "user__email", "title"]
    autocomplete_fields = ["user", "manager", "function"]
    filter_horizontal = ["talents", "programs"]
    readonly_fields = ["last_contact_on"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Executive]:
        # An executive is shown by their user's name: in the list, the page
        # title and the autocomplete results other pages ask for. (With a
        # select_related here the list no longer applies list_select_related.)
        return super().get_queryset(request).select_related(*self.list_select_related)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "manager":
            kwargs["queryset"] = Executive.objects.select_related("user")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "level", "email", "active"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contact]:
        # Each row is labelled "name (account)".
        return super().get_queryset(request).select_related("account")


class AccountDomainInline(admin.TabularInline):
    model = AccountDomain
    extra = 1
    verbose_name = "domain"
    verbose_name_plural = "Domains (a calendar's attendee at one of these is the account's)"


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "tier", "industry", "region", "account_manager", "status"]
    list_filter = ["kind", "tier", "status", "region", "industry"]
    list_select_related = ["account_manager"]
    search_fields = ["name", "crm_id"]
    autocomplete_fields = ["account_manager", "account_team"]
    filter_horizontal = ["needs"]
    inlines = [AccountDomainInline, ContactInline]
    list_per_page = 50


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "level", "account", "email", "active"]
    list_filter = ["level", "active", "account__kind"]
    list_select_related = ["account"]
    search_fields = ["name", "email", "account__name"]
    autocomplete_fields = ["account"]


def status_shown(*, label: str, steps: Iterable[str], page: str) -> str:
    """A status as the admin shows it, never to change there: its steps are
    taken on the object's own page, which tells whoever is concerned and
    keeps its history."""
    if not steps:
        return label
    return format_html('{} — <a href="{}">its next steps are on its page</a>', label, page)


class RecordAdmin(admin.ModelAdmin):
    """A record the program writes itself: program admins read it, nobody edits it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# django-auditlog's own list of the audit trail, for superusers (program admins
# read it on its own page, engagement.audit.views), searched by the names
# Groundwork's users have: its default searches first and last names, and fails.
admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class LogEntryAdmin(AuditlogEntryAdmin):
    search_fields = ["object_repr", "actor__full_name", "actor__email", "actor_email"]


@admin.register(ExecutiveContact)
class ExecutiveContactAdmin(RecordAdmin):
    """Read-only: contacts follow from held engagements."""

    list_display = ["executive", "account", "contact_on", "duration_minutes"]
    # A date filter, not a hierarchy: see visits.admin.EngagementAdmin.
    list_filter = ["contact_on"]
    list_select_related = ["executive__user", "account"]
    search_fields = ["executive__user__full_name", "account__name"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExecutiveContact]:
        return super().get_queryset(request).select_related("executive__user", "account")


def _says(text: str) -> str:
    """A kept text with its moments in the reader's (the admin's) time zone."""
    return moments_in_zone(text)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["says", "user", "created_at", "read_at", "withdrawn_at"]
    list_filter = ["created_at", "read_at"]
    list_select_related = ["user"]
    search_fields = ["message", "user__email", "user__full_name"]
    autocomplete_fields = ["user"]
    date_hierarchy = "created_at"
    # Read and withdrawn are their reader's and the reminder engine's to say.
    readonly_fields = ["says", "reminder", "read_at", "withdrawn_at", "withdrawn_reason"]

    @admin.display(description="what it says")
    def says(self, notification: Notification) -> str:
        return _says(notification.message)


@admin.register(Reminder)
class ReminderAdmin(RecordAdmin):
    """The reminder log: who was reminded of what, when, how, and whether it
    was delivered. Rows are written by the reminder engine only; a failed one
    can be sent again."""

    list_display = ["created_at", "kind", "recipient", "executive", "channel", "status", "sent_at", "says"]
    list_filter = ["status", "kind", "channel", "created_at"]
    list_select_related = ["recipient", "executive__user"]
    search_fields = ["recipient__email", "recipient__full_name", "executive__user__full_name", "reason"]
    date_hierarchy = "created_at"
    readonly_fields = ["says", *(field.name for field in Reminder._meta.fields)]

    @admin.display(description="what it says")
    def says(self, reminder: Reminder) -> str:
        """The reason, or for a withdrawn reminder why it was withdrawn."""
        if reminder.status == Reminder.Status.WITHDRAWN:
            return f"Withdrawn: {_says(reminder.withdrawn_reason)}"
        return _says(reminder.reason)

    actions = ["send_again"]

    @admin.action(description="Send the selected failed reminders again")
    def send_again(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        chosen = list(queryset.values_list("pk", flat=True))
        again = reminders_resend(reminder_ids=chosen)
        skipped = len(chosen) - again
        self.message_user(
            request,
            f"{again} reminder{'s' if again != 1 else ''} will go out at the next run."
            + (f" {skipped} had not failed and {'was' if skipped == 1 else 'were'} left alone." if skipped else ""),
        )


@admin.register(ApiToken)
class ApiTokenAdmin(RecordAdmin):
    """Read-only: keys are made and revoked under Program → API tokens, where
    the key is shown once; here only its first characters and its hash."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["created_at", "revoked_at"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__email", "user__full_name"]
    readonly_fields = [field.name for field in ApiToken._meta.fields]


@admin.register(ImportJob)
class ImportJobAdmin(RecordAdmin):
    """Read-only: files are uploaded, checked and imported under Program →
    Import, where each job's preview and row errors are shown."""

    list_display = ["created_at", "kind", "filename", "uploaded_by", "status", "row_count", "error_count"]
    list_filter = ["status", "kind", "created_at"]
    list_select_related = ["uploaded_by"]
    search_fields = ["filename", "uploaded_by__email", "uploaded_by__full_name"]
    # The file itself stays out of the page: it may be twenty megabytes.
    exclude = ["data"]
    readonly_fields = [field.name for field in ImportJob._meta.fields if field.name != "data"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportJob]:
        return super().get_queryset(request).defer("data")


@admin.register(Invitation)
class InvitationAdmin(RecordAdmin):
    """Read-only: people are invited, and invitations sent again, under
    Invite, which shows where each one stands. No link is kept here."""

    list_display = ["user", "invited_by", "status", "queued_at", "sent_at", "attempts", "last_error"]
    list_filter = ["status", "queued_at"]
    list_select_related = ["user", "invited_by"]
    search_fields = ["user__email", "user__full_name", "last_error"]
    readonly_fields = [field.name for field in Invitation._meta.fields]


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(RecordAdmin):
    """Read-only: the emails of the sign-in pages and the notifications sent
    at once, and whether the mail server took them. Their bodies stay out of the page: until it is sent, one may
    hold someone's password reset link."""

    list_display = ["created_at", "subject", "to", "status", "sent_at", "attempts", "last_error"]
    list_filter = ["status", "created_at"]
    search_fields = ["subject", "last_error"]
    exclude = ["body", "html"]
    readonly_fields = [field.name for field in OutgoingEmail._meta.fields if field.name not in {"body", "html"}]


@admin.register(DigestItem)
class DigestItemAdmin(RecordAdmin):
    """Read-only: notifications kept for their readers' weekly digest, and
    whether it went."""

    list_display = ["created_at", "kind", "recipient", "due_at", "status", "sent_at", "attempts", "last_error"]
    list_filter = ["status", "kind", "due_at"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__email", "recipient__full_name", "last_error"]
    readonly_fields = [field.name for field in DigestItem._meta.fields]


@admin.register(UnsentTask)
class UnsentTaskAdmin(RecordAdmin):
    """Read-only: background tasks the broker could not take, which a
    periodic job queues once it answers. An empty list is the usual state."""

    list_display = ["created_at", "name", "args", "attempts", "error"]
    search_fields = ["name", "error"]
    readonly_fields = [field.name for field in UnsentTask._meta.fields]
