from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone

from engagement.bounds import (
    BoundedModelForm,
    DayField,
    LineField,
    RowChoiceField,
    TextField,
    planning_window,
    text_field,
    years_after,
)
from engagement.forms import read_choices_many
from engagement.people.models import Function, User
from feedback.models import ActionItem, Debrief, Sentiment, Survey, Theme
from feedback.services import CLOSING_NOTES

TEXTAREA = {"rows": 3}


class DebriefForm(BoundedModelForm):
    """One author's debrief. The prompts keep a listener's stance: what was
    heard comes first, in the customer's words, and disagreement is noted,
    not argued. ``draft=True`` requires nothing, for saving as one types."""

    class Meta(BoundedModelForm.Meta):
        model = Debrief
        fields = ["heard", "surprised", "disagreed", "insights", "issues_raised", "sentiment", "themes", "follow_up_on"]
        labels = {
            "heard": "What did the customer say?",
            "surprised": "What surprised you?",
            "disagreed": "What did the customer say that you disagreed with, but did not argue?",
            "insights": "What do you take from it?",
            "issues_raised": "Issues they raised",
            "sentiment": "How did the customer feel?",
            "themes": "Themes",
            "follow_up_on": "Follow up on",
        }
        help_texts = {
            "heard": "Their own words, verbatim: one quote per paragraph (leave a blank line between quotes). "
            "They are shown as quotes, exactly as typed.",
            "issues_raised": "Add an action below for each one that needs doing, and route those that belong "
            "to another function.",
            "follow_up_on": "When to come back to this customer.",
        }
        widgets = {
            "heard": forms.Textarea(attrs={"rows": 6}),
            "surprised": forms.Textarea(attrs=TEXTAREA),
            "disagreed": forms.Textarea(attrs=TEXTAREA),
            "insights": forms.Textarea(attrs=TEXTAREA),
            "issues_raised": forms.Textarea(attrs=TEXTAREA),
            "sentiment": forms.RadioSelect,
            "themes": forms.CheckboxSelectMultiple,
            "follow_up_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, draft: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sentiment = self.fields["sentiment"]
        sentiment.choices = list(Sentiment.choices)
        # When to come back: soon, or a while on; a date a year past is a typing mistake.
        today = timezone.localdate()
        self.fields["follow_up_on"].window = (years_after(today, -1), years_after(today, 3))
        # The themes offered, and any inactive one the debrief already has.
        kept = self.instance.themes.all() if self.instance.pk else Theme.objects.none()
        read_choices_many(self.fields["themes"], Theme.objects.filter(Q(active=True) | Q(pk__in=kept)))
        if draft:
            for field in self.fields.values():
                field.required = False
        else:
            self.fields["heard"].required = True
            self.fields["heard"].error_messages["required"] = "Write down what the customer said, in their own words."
            sentiment.required = True
            sentiment.error_messages["required"] = "Choose how the customer felt."

    def draft_fields(self) -> tuple[dict[str, Any], list[Theme] | None]:
        """What a draft keeps from what was posted: every field that is valid,
        and, for one that is not, what the debrief had (a half-typed date
        must not cost the quotes typed beside it)."""
        self.is_valid()
        fields = {name: value for name, value in self.cleaned_data.items() if name != "themes"}
        themes = self.cleaned_data.get("themes")
        return fields, list(themes) if themes is not None else None


class ActionForm(forms.Form):
    """An action from a debrief: for a person, or routed to the function
    that owns the issue (to the executive who leads it)."""

    OWNER_CHOICES = [
        ("me", "Me"),
        ("account_manager", "The account manager"),
        ("function", "Route it to the function that owns it"),
        ("person", "Someone else"),
    ]

    title = LineField(max_length=200, label="What is to be done")
    detail = text_field(ActionItem, "detail", widget=forms.Textarea(attrs={"rows": 2}), label="Detail (optional)")
    owner_choice = forms.ChoiceField(choices=OWNER_CHOICES, widget=forms.RadioSelect, initial="me", label="Who owns it")
    function = RowChoiceField(
        queryset=Function.objects.select_related("lead__user"),
        required=False,
        label="Function, to route it",
        help_text="The action goes to the executive who leads it.",
    )
    owner_email = forms.EmailField(required=False, label="Someone else: their email address")
    due_on = DayField(label="Due")
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, today: dt.date, account_manager: User | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["submission_key"].initial = uuid.uuid4()
        self.account_manager = account_manager
        self.fields["due_on"].initial = today + dt.timedelta(days=14)
        self.fields["due_on"].widget.attrs["min"] = today.isoformat()
        self.fields["due_on"].window = planning_window(today)
        function = self.fields["function"]
        function.choices = [("", "Choose a function")] + [
            (item.pk, f"{item.name} — {item.lead.user.get_full_name()}" if item.lead else f"{item.name} (no lead)")
            for item in function.queryset
        ]
        if account_manager is None:
            self.fields["owner_choice"].choices = [c for c in self.OWNER_CHOICES if c[0] != "account_manager"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        choice = cleaned.get("owner_choice")
        if choice == "function" and not cleaned.get("function"):
            self.add_error("function", "Choose the function that owns the issue.")
        if choice == "person":
            email = cleaned.get("owner_email")
            if not email:
                self.add_error("owner_email", "Give the email address of the person who owns it.")
            else:
                person = User.objects.filter(email__iexact=email, is_active=True).first()
                if person is None:
                    self.add_error("owner_email", f"Nobody with an active login has the address {email}.")
                cleaned["person"] = person
        return cleaned

    def owner(self, me: User) -> User | None:
        """The owner chosen, when it is a person (routing is the service's)."""
        choice = self.cleaned_data["owner_choice"]
        if choice == "me":
            return me
        if choice == "account_manager":
            return self.account_manager
        return self.cleaned_data.get("person")

    def routed_to(self) -> Function | None:
        return self.cleaned_data["function"] if self.cleaned_data["owner_choice"] == "function" else None


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices, label="Status")
    note = TextField(
        max_length=1000,
        required=False,
        label="Note",
        help_text="For done: what was done and what the customer was told. For won't do: why.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        status = cleaned.get("status")
        if status in CLOSING_NOTES and not cleaned.get("note", "").strip():
            self.add_error("note", CLOSING_NOTES[status])
        return cleaned


class SurveyForm(forms.Form):
    """The customer's three questions: plain, one screen, no login."""

    value = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        label="How valuable was the meeting to you?",
        help_text="1 is not at all, 5 is very valuable.",
        error_messages={"required": "Choose from 1 to 5."},
    )
    recommend = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect,
        label="How likely are you to recommend us to a colleague?",
        help_text="0 is not at all likely, 10 is extremely likely.",
        error_messages={"required": "Choose from 0 to 10."},
    )
    differently = text_field(
        Survey,
        "differently",
        widget=forms.Textarea(attrs={"rows": 5}),
        label="What should we do differently? (optional)",
        help_text="Your words go to the executives you met as you write them.",
    )
