from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet

from engagement.bounds import LineField, RowChoiceField
from engagement.coverage import CoverageFilters, NoContact
from engagement.models import EXECUTIVE_LEVELS, Account, Executive, Function, Level, User, time_zone_choices
from engagement.roles import Role
from engagement.selectors import login_never_used


def read_choices_once(field: forms.ModelChoiceField, *blank: tuple[str, str]) -> None:
    """Fix ``field``'s choices from one query: a rendered form reads them more than once."""
    field.choices = [*blank, *((item.pk, str(item)) for item in field.queryset)]


def read_choices_many(
    field: forms.ModelMultipleChoiceField, queryset: QuerySet, label: Callable[[Any], str] = str
) -> None:
    """As ``read_choices_once``, with each choice labelled by ``label``."""
    field.queryset = queryset
    field.choices = [(item.pk, label(item)) for item in queryset]


class InviteForm(forms.Form):
    """What a program admin fills in to invite someone."""

    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    full_name = LineField(max_length=150, label="Full name")
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, help_text="One person may hold several roles."
    )
    time_zone = forms.ChoiceField(choices=time_zone_choices, initial="UTC", label="Time zone")
    title = LineField(max_length=150, required=False, help_text="For executives, e.g. 'VP Customer Service'.")
    level = forms.TypedChoiceField(choices=EXECUTIVE_LEVELS, coerce=int, initial=Level.VP, required=False)
    function = RowChoiceField(queryset=Function.objects.all(), required=False)
    manager = RowChoiceField(
        queryset=Executive.objects.filter(active=True).select_related("user"),
        required=False,
        help_text="Hears about it when this executive's contact is escalated.",
    )

    # The login of the address typed, when it exists and was never used: the
    # page offers to send its invitation again.
    unused_login: User | None = None

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None and login_never_used(user=existing):
            self.unused_login = existing
            raise forms.ValidationError(
                "This email address was invited already and has never signed in: "
                "the invitation may not have arrived. Send it again instead (below)."
            )
        if existing is not None:
            raise forms.ValidationError("This email address already has a Groundwork login.")
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if Role.EXECUTIVE.value in cleaned.get("roles", []) and not cleaned.get("title"):
            self.add_error("title", "Give the executive's title.")
        return cleaned


class ReminderDeliveryForm(forms.Form):
    """How a person gets reminders by email: one each, or a weekly digest."""

    SINGLE = "single"
    WEEKLY = "weekly"

    delivery = forms.ChoiceField(
        label="How should reminders reach you by email?",
        choices=[
            (SINGLE, "An email for each reminder"),
            (WEEKLY, "One email a week (Monday morning); escalations still come at once"),
        ],
        widget=forms.RadioSelect,
        help_text="Reminders of a meeting within 24 hours always come at once. "
        "Every reminder also shows on your notifications page.",
    )

    @classmethod
    def for_user(cls, user: User, data: Any = None) -> ReminderDeliveryForm:
        return cls(data, initial={"delivery": cls.WEEKLY if user.reminder_digest else cls.SINGLE})

    @property
    def digest(self) -> bool:
        return self.cleaned_data["delivery"] == self.WEEKLY


class FilterForm(forms.Form):
    """A list's filters from the query string: a value that does not fit is
    reported on the page and left out, never a 500."""

    def value(self, name: str) -> Any:
        """The cleaned value of ``name``, or None when it was left out or wrong."""
        if name in self.errors:
            return None
        return getattr(self, "cleaned_data", {}).get(name)


class ExecutiveFilterForm(FilterForm):
    """The filters and sort of the program's executives table, from the query
    string. A value that does not fit is reported and left out, never a 500.

    The choices are (id, name) pairs read once, with their values as text:
    a company has a thousand and more managers, and a model instance or a
    localised number per option costs more than the rest of the page."""

    q = LineField(label="Name or email", required=False, max_length=100)
    function = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    level = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    manager = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    state = forms.ChoiceField(required=False)
    sort = LineField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        functions: Iterable[tuple[int, str]],
        managers: Iterable[tuple[int, str]],
        states: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["function"].choices = [("", "Any function"), *((str(pk), name) for pk, name in functions)]
        self.fields["level"].choices = [("", "Any level"), *((str(level), label) for level, label in EXECUTIVE_LEVELS)]
        self.fields["manager"].choices = [("", "Any manager"), *((str(pk), name) for pk, name in managers)]
        self.fields["state"].choices = [("", "Any state"), *states]


class KeyPersonRiskFilterForm(FilterForm):
    """Which accounts a coverage list shows, from the query string: customers
    or partners (customers when not given), and one tier or all. A value that
    does not fit is reported and left out, never a 500."""

    kind = forms.ChoiceField(
        label="Accounts",
        choices=[(Account.Kind.CUSTOMER, "Customers"), (Account.Kind.PARTNER, "Partners")],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is neither customers nor partners, so customers are shown."},
    )
    tier = forms.TypedChoiceField(
        label="Tier",
        choices=[("", "All tiers"), *Account.Tier.choices],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a tier, so every tier is shown."},
    )

    def filters(self) -> CoverageFilters:
        self.is_valid()
        return CoverageFilters(kind=self.value("kind") or Account.Kind.CUSTOMER, tier=self.value("tier"))


class CoverageFilterForm(KeyPersonRiskFilterForm):
    """As ``KeyPersonRiskFilterForm``, and how long without executive contact."""

    no_contact = forms.ChoiceField(
        label="Executive contact",
        choices=[("", "Any"), *NoContact.choices],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a length of time listed, so every account is shown."},
    )

    def filters(self) -> CoverageFilters:
        filters = super().filters()
        return CoverageFilters(kind=filters.kind, tier=filters.tier, no_contact=self.value("no_contact") or None)


class ApiTokenForm(forms.Form):
    """A program admin makes an API key for someone."""

    email = forms.EmailField(
        label="Whose key (their email address)",
        help_text="The person the key acts as: another system calling with it has their rights, no more.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    name = LineField(max_length=100, label="What it is for", help_text="Such as “CRM sync”.")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        self.user = User.objects.filter(email__iexact=email, is_active=True).first()
        if self.user is None:
            raise forms.ValidationError("Nobody active in Groundwork has this email address.")
        return email
