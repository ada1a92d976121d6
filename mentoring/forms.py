"""Forms for pairings: the list's filters, proposing one, answering and
changing it, and its goals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from engagement.accounts.models import Account, Contact
from engagement.bounds import BoundedModelForm, DayField, RowChoiceField, TextField, text_field, years_after
from engagement.people.models import Executive
from mentoring.models import MONTHLY, Pairing, PairingGoal

MAX_GOALS = 10
GOAL_LENGTH = PairingGoal._meta.get_field("text").max_length


class ProposeForm(forms.Form):
    """A pairing a program admin proposes to an executive, from a suggestion
    or a search. The goals are one per line."""

    executive = RowChoiceField(
        queryset=Executive.objects.filter(active=True, user__is_active=True),
        widget=forms.HiddenInput,
        error_messages={
            "required": "Choose an executive from the suggestions.",
            "invalid_choice": "That executive is no longer in the program: choose another.",
        },
    )
    primary_contact = RowChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label="Primary contact",
        empty_label="Nobody in particular",
        help_text="The person at the account the executive works with most.",
    )
    why_matched = text_field(
        Pairing,
        "why_matched",
        required=True,
        label="Why they are matched",
        help_text="The executive reads this first: what they bring that the account needs.",
    )
    goals = TextField(
        label="Goals",
        max_length=MAX_GOALS * (GOAL_LENGTH + 1),
        required=False,
        help_text=f"One per line, up to {MAX_GOALS}. They can be changed later.",
    )
    session_cadence_days = forms.TypedChoiceField(
        label="Sessions",
        choices=[(14, "Every two weeks"), (MONTHLY, "Monthly"), (60, "Every two months"), (90, "Quarterly")],
        coerce=int,
        initial=MONTHLY,
    )
    starts_on = DayField(label="Starts on")

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        contacts = self.fields["primary_contact"]
        contacts.queryset = Contact.objects.filter(account=account, active=True).order_by("level", "name")
        # The account is this one: name each contact by their level instead.
        contacts.label_from_instance = lambda contact: f"{contact.name} ({contact.get_level_display()})"
        today = timezone.localdate()
        self.fields["starts_on"].initial = today
        # Within the last year (a pairing agreed before it is written down) or the next.
        self.fields["starts_on"].window = (today - dt.timedelta(days=365), years_after(today, 1))

    def clean_goals(self) -> list[str]:
        goals = [line.strip() for line in self.cleaned_data["goals"].splitlines() if line.strip()]
        if len(goals) > MAX_GOALS:
            raise forms.ValidationError(f"Give up to {MAX_GOALS} goals; more can be added on the pairing's page.")
        too_long = [goal for goal in goals if len(goal) > GOAL_LENGTH]
        if too_long:
            raise forms.ValidationError(f"Keep each goal to one line of {GOAL_LENGTH} characters at most.")
        return goals


class ReasonForm(forms.Form):
    """Why a pairing is declined, paused or ended."""

    reason = TextField(
        max_length=280,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The program admins and the account team read it.",
    )


class GoalForm(BoundedModelForm):
    class Meta(BoundedModelForm.Meta):
        model = PairingGoal
        fields = ["text", "status", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}
