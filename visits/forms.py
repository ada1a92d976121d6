from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from engagement.models import Account, Contact, Executive
from visits.models import Engagement, EngagementType

DURATIONS = [
    (15, "15 minutes"),
    (30, "30 minutes"),
    (45, "45 minutes"),
    (60, "1 hour"),
    (90, "1½ hours"),
    (120, "2 hours"),
    (180, "3 hours"),
    (240, "4 hours"),
    (480, "A full day"),
]


def _read_choices_once(field: forms.ModelChoiceField, *blank: tuple[str, str]) -> None:
    """Fix ``field``'s choices from one query: a rendered form reads them more than once."""
    field.choices = [*blank, *((item.pk, str(item)) for item in field.queryset)]


class LogContactForm(forms.Form):
    """A contact the executive already had. The account and its people are
    chosen from search results the template renders, never from a list of
    every account."""

    account = forms.ModelChoiceField(
        queryset=Account.objects.all(),
        error_messages={"required": "Search for the account and choose it.", "invalid_choice": "Choose an account."},
    )
    type = forms.ModelChoiceField(
        queryset=EngagementType.objects.filter(active=True), label="Kind of contact", empty_label=None
    )
    on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    duration_minutes = forms.TypedChoiceField(choices=DURATIONS, coerce=int, initial=60, label="How long")
    contacts = forms.ModelMultipleChoiceField(queryset=Contact.objects.all(), required=False, label="Who took part")
    colleagues = forms.ModelMultipleChoiceField(
        queryset=Executive.objects.filter(active=True), required=False, label="Colleagues who were there"
    )
    note = forms.CharField(
        max_length=200,
        required=False,
        label="One-line note",
        widget=forms.TextInput(attrs={"placeholder": "What did you hear?"}),
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _read_choices_once(self.fields["type"])
        self.fields["on"].initial = today
        self.fields["on"].widget.attrs["max"] = today.isoformat()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        account, contacts = cleaned.get("account"), cleaned.get("contacts") or []
        if account and any(contact.account_id != account.pk for contact in contacts):
            self.add_error("contacts", "Choose people from the account you met.")
        return cleaned


class EngagementFilterForm(forms.Form):
    """Narrow a list of engagements; every field is optional."""

    type = forms.ModelChoiceField(
        queryset=EngagementType.objects.all(), required=False, empty_label="All types", label="Type"
    )
    status = forms.ChoiceField(choices=[("", "All statuses"), *Engagement.Status.choices], required=False)
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _read_choices_once(self.fields["type"], ("", "All types"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned
