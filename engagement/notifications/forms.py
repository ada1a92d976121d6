"""How a person gets reminders."""

from __future__ import annotations

from typing import Any

from django import forms

from engagement.people.models import User


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
