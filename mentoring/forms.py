"""Forms for pairings: the list's filters, proposing one, answering and
changing it, and its goals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.http import urlencode

from engagement.accounts.models import Account, Contact
from engagement.bounds import BoundedModelForm, DayField, LineField, RowChoiceField, TextField, text_field, years_after
from engagement.forms import FilterForm
from engagement.people.models import Executive
from mentoring.models import MONTHLY, Pairing, PairingGoal
from mentoring.selectors import PairingHealth

MAX_GOALS = 10
GOAL_LENGTH = PairingGoal._meta.get_field("text").max_length


@dataclass(frozen=True)
class PairingFilters:
    status: str | None = None
    health: str | None = None
    q: str = ""

    @property
    def query(self) -> str:
        """The filters as a query string, for the CSV link and the pages."""
        return urlencode({name: value for name, value in vars(self).items() if value})


class PairingFilterForm(FilterForm):
    """Which pairings the program's list shows. A value that does not fit is
    reported and left out, never a 500."""

    status = forms.ChoiceField(
        choices=[("", "Any status"), *Pairing.Status.choices],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a status, so every status is shown."},
    )
    health = forms.ChoiceField(
        label="Health",
        choices=[("", "Any health"), *PairingHealth.choices],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a health, so every pairing is shown."},
    )
    q = LineField(label="Executive or account", required=False, max_length=100)

    def filters(self) -> PairingFilters:
        self.is_valid()
        return PairingFilters(
            status=self.value("status") or None, health=self.value("health") or None, q=self.value("q") or ""
        )


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
