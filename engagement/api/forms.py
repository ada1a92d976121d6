"""The form that makes an API key."""

from __future__ import annotations

from django import forms

from engagement.bounds import LineField
from engagement.people.models import User


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
