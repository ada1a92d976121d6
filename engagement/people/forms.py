"""The invitation form."""

from __future__ import annotations

from typing import Any

from django import forms

from engagement.bounds import LineField, RowChoiceField
from engagement.people.invitations import login_never_used
from engagement.people.models import EXECUTIVE_LEVELS, Executive, Function, Level, User, time_zone_choices
from engagement.people.roles import Role


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
