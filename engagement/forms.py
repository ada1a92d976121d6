from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import QuerySet

from engagement.models import EXECUTIVE_LEVELS, Executive, Function, Level, User, time_zone_choices
from engagement.roles import Role


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
    full_name = forms.CharField(max_length=150, label="Full name")
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, help_text="One person may hold several roles."
    )
    time_zone = forms.ChoiceField(choices=time_zone_choices, initial="UTC", label="Time zone")
    title = forms.CharField(max_length=150, required=False, help_text="For executives, e.g. 'VP Customer Service'.")
    level = forms.TypedChoiceField(choices=EXECUTIVE_LEVELS, coerce=int, initial=Level.VP, required=False)
    function = forms.ModelChoiceField(queryset=Function.objects.all(), required=False)
    manager = forms.ModelChoiceField(
        queryset=Executive.objects.filter(active=True).select_related("user"),
        required=False,
        help_text="Hears about it when this executive's contact is escalated.",
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
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
