"""How a person gets reminders and notifications by email."""

from __future__ import annotations

from typing import Any

from django import forms

from engagement.notifications.models import EmailWhen, NotificationKind
from engagement.notifications.services import notification_email_choices
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


class NotificationEmailsForm(forms.Form):
    """When each kind of notification also comes by email: at once, in the
    weekly digest, or not at all. A field per kind of ``NotificationKind``,
    named as the kind, so that a new kind shows here without editing it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.ChoiceField(label=label, choices=EmailWhen.choices, widget=forms.RadioSelect)

    @classmethod
    def for_user(cls, user: User, data: Any = None) -> NotificationEmailsForm:
        return cls(data, initial=notification_email_choices(user=user))

    def kinds(self) -> list[forms.BoundField]:
        """The field of each kind, in the order of ``NotificationKind``."""
        return [self[kind] for kind in NotificationKind.values]
