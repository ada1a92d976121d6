from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q

from engagement.forms import read_choices_many, read_choices_once
from engagement.models import Account, Contact, Executive, User
from visits.models import Engagement, EngagementType
from visits.selectors import HELD
from visits.services import NOT_HELD_REASONS

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
        read_choices_once(self.fields["type"])
        self.fields["on"].initial = today
        self.fields["on"].widget.attrs["max"] = today.isoformat()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        account, contacts = cleaned.get("account"), cleaned.get("contacts") or []
        if account and any(contact.account_id != account.pk for contact in contacts):
            self.add_error("contacts", "Choose people from the account you met.")
        return cleaned


# The dates a list can be narrowed to: far enough apart for any real
# engagement, near enough that a day's first moment is a datetime anywhere.
FILTER_DATES = (dt.date(1900, 1, 1), dt.date(2999, 12, 31))


class EngagementFilterForm(forms.Form):
    """Narrow a list of engagements; every field is optional."""

    type = forms.ModelChoiceField(
        queryset=EngagementType.objects.all(), required=False, empty_label="All types", label="Type"
    )
    status = forms.ChoiceField(
        choices=[("", "All statuses"), (HELD, "Held, debriefed or not"), *Engagement.Status.choices], required=False
    )
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    account = forms.CharField(required=False, max_length=100, label="Account", help_text="Part of its name.")
    executive = forms.CharField(required=False, max_length=100, label="Executive", help_text="Part of their name.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        read_choices_once(self.fields["type"], ("", "All types"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in ("date_from", "date_to"):
            day = cleaned.get(name)
            if day and not FILTER_DATES[0] <= day <= FILTER_DATES[1]:
                self.add_error(name, f"Choose a date between {FILTER_DATES[0].year} and {FILTER_DATES[1].year}.")
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


def _future_moment(field: forms.DateTimeField) -> None:
    field.widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


VALUE_PROPOSITION_PROMPTS = [
    "Why this executive, and not someone else?",
    "What does the customer gain from the meeting?",
    "What does the account team do before it, and after?",
]


class EngagementRequestForm(forms.Form):
    """An account manager asks an executive for their time with an account."""

    executive = forms.ModelChoiceField(
        queryset=Executive.objects.filter(active=True),
        error_messages={"required": "Choose the executive you ask.", "invalid_choice": "Choose an executive."},
    )
    type = forms.ModelChoiceField(queryset=EngagementType.objects.filter(active=True), label="Kind of meeting")
    purpose = forms.ChoiceField(
        choices=[("", "Choose the purpose"), *Engagement.Purpose.choices],
        error_messages={"required": "Choose what the meeting is for."},
    )
    objective = forms.CharField(
        max_length=300, help_text="One sentence: what the meeting should achieve.", label="Objective"
    )
    value_proposition = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        min_length=40,
        label="Value proposition",
        help_text="The executive decides on this: answer the three questions above.",
        error_messages={
            "required": "Write the value proposition: the executive decides on it.",
            "min_length": "Say a little more: why this executive, what the customer gains, what your team does.",
        },
    )
    starts_at = forms.DateTimeField(label="Proposed date and time", help_text="In your time zone.")
    duration_minutes = forms.TypedChoiceField(choices=DURATIONS, coerce=int, initial=60, label="How long")
    alternative_dates = forms.CharField(
        max_length=200, required=False, label="Other dates that would work", help_text="For example: 3 or 5 March."
    )
    working_contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label="The customer's working-level contact",
        help_text="The suggestions look for executives one or two levels above them.",
        empty_label="Not decided yet",
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, account: Account, now: dt.datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now
        read_choices_once(self.fields["type"])
        contacts = self.fields["working_contact"]
        contacts.queryset = Contact.objects.filter(account=account, active=True).order_by("name", "pk")
        contacts.choices = [
            ("", "Not decided yet"),
            *(
                (c.pk, f"{c.name}, {c.get_level_display()}{f' ({c.title})' if c.title else ''}")
                for c in contacts.queryset
            ),
        ]
        _future_moment(self.fields["starts_at"])

    def clean_starts_at(self) -> dt.datetime:
        starts_at = self.cleaned_data["starts_at"]
        if starts_at <= self.now:
            raise forms.ValidationError("Propose a date in the future.")
        return starts_at


class DecisionForm(forms.Form):
    """The executive's answer to a request."""

    DECISIONS = [("approve", "Approve"), ("decline", "Decline"), ("question", "Ask a question")]

    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.RadioSelect, label="Your decision")
    note = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Note, reason or question",
        help_text="Required to decline (say why) or to ask a question.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("decision") == "decline" and not cleaned.get("note", "").strip():
            self.add_error("note", "Say why you decline, so the account team can find another way.")
        if cleaned.get("decision") == "question" and not cleaned.get("note", "").strip():
            self.add_error("note", "Write the question for the account manager.")
        return cleaned


class AnswerForm(forms.Form):
    answer = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), label="Your answer")


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason",
        help_text="Everyone attending is told.",
        error_messages={"required": "Say why: everyone attending is told."},
    )


class ScheduleForm(forms.Form):
    """When, where and with whom; a reschedule also says why."""

    starts_at = forms.DateTimeField(label="Starts", help_text="In your time zone.")
    duration_minutes = forms.TypedChoiceField(choices=DURATIONS, coerce=int, initial=60, label="How long")
    location = forms.CharField(max_length=200, required=False, label="Place")
    meeting_link = forms.URLField(required=False, label="Meeting link", assume_scheme="https")
    colleagues = forms.ModelMultipleChoiceField(
        queryset=Executive.objects.filter(active=True), required=False, label="Other executives"
    )
    staff = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="From the account team",
        help_text="The sales or service rep for a ride-along, and whoever else attends.",
    )
    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Customer contacts"
    )
    brief = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Preparation brief",
        help_text="What the executive should know beforehand: background, open issues, what you want from the meeting.",
    )
    reason = forms.CharField(
        max_length=300, required=False, label="Why it changes", help_text="Everyone attending is told."
    )

    def __init__(self, *args: Any, engagement: Engagement, rescheduling: bool, now: dt.datetime, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.now = now
        self.rescheduling = rescheduling
        _future_moment(self.fields["starts_at"])
        account = engagement.account
        team = User.objects.filter(
            Q(pk=account.account_manager_id) | Q(account_teams=account) | Q(engagements_staffed=engagement),
            is_active=True,
        ).distinct()
        read_choices_many(self.fields["staff"], team.order_by("full_name", "pk"), User.get_full_name)
        contacts = Contact.objects.filter(account=account, active=True).order_by("name", "pk")
        read_choices_many(
            self.fields["contacts"],
            contacts,
            lambda contact: f"{contact.name}{f', {contact.title}' if contact.title else ''}",
        )
        if not rescheduling:
            del self.fields["reason"]

    def clean_starts_at(self) -> dt.datetime:
        starts_at = self.cleaned_data["starts_at"]
        if starts_at <= self.now:
            raise forms.ValidationError("Choose a start in the future.")
        return starts_at

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        nowhere = not (cleaned.get("location", "").strip() or cleaned.get("meeting_link", "").strip())
        if nowhere and "location" not in self.errors and "meeting_link" not in self.errors:
            self.add_error("location", "Say where it takes place: a place, a meeting link, or both.")
        if self.rescheduling and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Say why it changes: the attendees are told.")
        return cleaned


class OutcomeForm(forms.Form):
    """Whether a scheduled engagement took place."""

    OUTCOMES = [("held", "It took place"), ("not_held", "It did not take place")]

    outcome = forms.ChoiceField(choices=OUTCOMES, widget=forms.RadioSelect, label="What happened")
    duration_minutes = forms.TypedChoiceField(
        choices=DURATIONS, coerce=int, required=False, empty_value=None, label="How long it lasted"
    )
    reason = forms.ChoiceField(
        choices=[("", "Choose a reason"), *NOT_HELD_REASONS], required=False, label="Why it did not take place"
    )
    note = forms.CharField(max_length=200, required=False, label="What happened (optional)")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("outcome") == "held" and not cleaned.get("duration_minutes"):
            self.add_error("duration_minutes", "Say how long it lasted.")
        if cleaned.get("outcome") == "not_held" and not cleaned.get("reason"):
            self.add_error("reason", "Choose why it did not take place.")
        return cleaned
