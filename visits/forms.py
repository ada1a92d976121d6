from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone

from engagement.accounts.models import Account, Contact
from engagement.accounts.timeline import timeline_kind_choices
from engagement.bounds import (
    DayField,
    LineField,
    MomentField,
    RowChoiceField,
    RowsChoiceField,
    TextField,
    planning_window,
    text_field,
)
from engagement.forms import read_choices_many, read_choices_once
from engagement.people.models import Executive, User
from visits.models import Engagement, EngagementType
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

    account = RowChoiceField(
        queryset=Account.objects.all(),
        error_messages={"required": "Search for the account and choose it.", "invalid_choice": "Choose an account."},
    )
    type = RowChoiceField(
        queryset=EngagementType.objects.filter(active=True), label="Kind of contact", empty_label=None
    )
    on = DayField(label="Date")
    duration_minutes = forms.TypedChoiceField(choices=DURATIONS, coerce=int, initial=60, label="How long")
    contacts = RowsChoiceField(queryset=Contact.objects.all(), required=False, label="Who took part")
    colleagues = RowsChoiceField(
        queryset=Executive.objects.filter(active=True), required=False, label="Colleagues who were there"
    )
    note = LineField(
        max_length=200,
        required=False,
        label="One-line note",
        widget=forms.TextInput(attrs={"placeholder": "What did you hear?"}),
    )
    debrief_wanted = forms.BooleanField(
        required=False,
        label="I'll add a debrief",
        help_text="You are reminded to write down what the customer said. Leave it unticked and nobody asks for one.",
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


class LoggedContactForm(LogContactForm):
    """A logged contact, corrected by whoever logged it: the log form's
    fields, as it holds them now."""

    submission_key = None  # type: ignore[assignment]

    @staticmethod
    def initial_of(engagement: Engagement, *, on: dt.date) -> dict[str, Any]:
        """The form's values for ``engagement`` as it is, its day ``on``."""
        return {
            "account": engagement.account_id,
            "type": engagement.type_id,
            "on": on,
            "duration_minutes": engagement.duration_minutes,
            "note": engagement.notes,
            "debrief_wanted": engagement.debrief_wanted,
        }


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

    executive = RowChoiceField(
        queryset=Executive.objects.filter(active=True),
        error_messages={"required": "Choose the executive you ask.", "invalid_choice": "Choose an executive."},
    )
    type = RowChoiceField(queryset=EngagementType.objects.filter(active=True), label="Kind of meeting")
    purpose = forms.ChoiceField(
        choices=[("", "Choose the purpose"), *Engagement.Purpose.choices],
        error_messages={"required": "Choose what the meeting is for."},
    )
    objective = LineField(max_length=300, help_text="One sentence: what the meeting should achieve.", label="Objective")
    value_proposition = text_field(
        Engagement,
        "value_proposition",
        required=True,
        widget=forms.Textarea(attrs={"rows": 5}),
        min_length=40,
        label="Value proposition",
        help_text="The executive decides on this: answer the three questions above.",
        error_messages={
            "required": "Write the value proposition: the executive decides on it.",
            "min_length": "Say a little more: why this executive, what the customer gains, what your team does.",
        },
    )
    starts_at = MomentField(label="Proposed date and time", help_text="In your time zone.")
    duration_minutes = forms.TypedChoiceField(choices=DURATIONS, coerce=int, initial=60, label="How long")
    alternative_dates = LineField(
        max_length=200, required=False, label="Other dates that would work", help_text="For example: 3 or 5 March."
    )
    working_contact = RowChoiceField(
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
        self.fields["starts_at"].window = planning_window(timezone.localtime(now).date())

    def clean_starts_at(self) -> dt.datetime:
        starts_at = self.cleaned_data["starts_at"]
        if starts_at <= self.now:
            raise forms.ValidationError("Propose a date in the future.")
        return starts_at


class DecisionForm(forms.Form):
    """The executive's answer to a request."""

    DECISIONS = [("approve", "Approve"), ("decline", "Decline"), ("question", "Ask a question")]

    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.RadioSelect, label="Your decision")
    note = TextField(
        max_length=1000,
        required=False,
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
    answer = TextField(max_length=1000, label="Your answer")


class ReasonForm(forms.Form):
    reason = TextField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason",
        help_text="Everyone attending is told.",
        error_messages={"required": "Say why: everyone attending is told."},
    )


class ScheduleForm(forms.Form):
    """When, where and with whom; a reschedule also says why."""

    starts_at = MomentField(label="Starts", help_text="In your time zone.")
    duration_minutes = forms.TypedChoiceField(choices=DURATIONS, coerce=int, initial=60, label="How long")
    location = LineField(max_length=200, required=False, label="Place")
    meeting_link = forms.URLField(required=False, label="Meeting link", assume_scheme="https")
    colleagues = RowsChoiceField(
        queryset=Executive.objects.filter(active=True), required=False, label="Other executives"
    )
    staff = RowsChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="From the account team",
        help_text="The sales or service rep for a ride-along, and whoever else attends.",
    )
    contacts = RowsChoiceField(
        queryset=Contact.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Customer contacts"
    )
    brief = text_field(
        Engagement,
        "brief",
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Preparation brief",
        help_text="What the executive should know beforehand: background, open issues, what you want from the meeting.",
    )
    reason = LineField(max_length=300, required=False, label="Why it changes", help_text="Everyone attending is told.")

    def __init__(self, *args: Any, engagement: Engagement, rescheduling: bool, now: dt.datetime, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.now = now
        self.rescheduling = rescheduling
        _future_moment(self.fields["starts_at"])
        self.fields["starts_at"].window = planning_window(timezone.localtime(now).date())
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
    note = LineField(max_length=200, required=False, label="What happened (optional)")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("outcome") == "held" and not cleaned.get("duration_minutes"):
            self.add_error("duration_minutes", "Say how long it lasted.")
        if cleaned.get("outcome") == "not_held" and not cleaned.get("reason"):
            self.add_error("reason", "Choose why it did not take place.")
        return cleaned


class TimelineFilterForm(forms.Form):
    """Which kinds of entry an account's timeline shows: every kind when none
    is ticked."""

    kind = forms.MultipleChoiceField(
        label="Show",
        choices=timeline_kind_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "There is no kind of entry called “%(value)s”; every kind is shown."},
    )

    def kinds(self) -> list[str]:
        """The kinds ticked, or none (every kind) when the form is not valid."""
        return self.cleaned_data["kind"] if self.is_valid() else []


class MeetingConfirmForm(forms.Form):
    """A customer meeting read from the calendar, logged as it was: its kind
    and length as the event says, either of which the executive may change."""

    type = RowChoiceField(
        queryset=EngagementType.objects.none(),
        label="Kind",
        error_messages={"invalid_choice": "Choose one of the kinds listed."},
    )
    duration_minutes = forms.IntegerField(
        label="Minutes",
        min_value=5,
        max_value=12 * 60,
        error_messages={
            "min_value": "A meeting lasts at least 5 minutes.",
            "max_value": "Log at most 12 hours (720 minutes) for one meeting.",
            "invalid": "Give the length in whole minutes, such as 45.",
        },
    )

    def __init__(self, *args: Any, types: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = types
