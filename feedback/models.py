"""What was learned from an engagement, and what happens next: debriefs, the
actions they route, and the customer's own answers to a short survey."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from engagement.accounts.models import Contact
from engagement.bounds import LONG_TEXT
from engagement.lifecycle import Lifecycle, Step
from engagement.people.models import Function
from visits.models import Engagement


class Theme(models.Model):
    """A tag for what a debrief was about (pricing, onboarding, ...), curated
    by program admins so that debriefs can be found and counted by theme."""

    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=250, blank=True)
    active = models.BooleanField(default=True, help_text="Inactive themes stay on old debriefs but are not offered.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Sentiment(models.IntegerChoices):
    VERY_NEGATIVE = -2, "Very negative"
    NEGATIVE = -1, "Negative"
    MIXED = 0, "Mixed or neutral"
    POSITIVE = 1, "Positive"
    VERY_POSITIVE = 2, "Very positive"


def quotes_of(text: str) -> list[str]:
    """The customer's words in ``text``, one quote per paragraph, as typed."""
    return [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()]


class Debrief(models.Model):
    """One author's debrief of a held engagement.

    Each executive who attended and each member of the account team writes
    their own: two people who heard the same meeting rarely heard the same
    thing, and a draft saved as someone types must never overwrite another
    author's words. The engagement page shows them side by side.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    # A debrief starts a draft, saved as its author types, until submitted.
    STEPS = Lifecycle(
        begins={"draft": Status.DRAFT},
        submit=Step(sources=(Status.DRAFT,), target=Status.SUBMITTED, doing="submitted"),
    )

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="debriefs")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="debriefs")
    heard = models.TextField(
        "what we heard",
        blank=True,
        max_length=LONG_TEXT,
        help_text="The customer's own words, verbatim: one quote per paragraph.",
    )
    surprised = models.TextField("what surprised you", blank=True, max_length=LONG_TEXT)
    disagreed = models.TextField("what you disagreed with but did not argue", blank=True, max_length=LONG_TEXT)
    insights = models.TextField(blank=True, max_length=LONG_TEXT)
    issues_raised = models.TextField(blank=True, max_length=LONG_TEXT)
    sentiment = models.SmallIntegerField(choices=Sentiment.choices, null=True, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="debriefs")
    follow_up_on = models.DateField("follow-up date", null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["engagement", "author"], name="one_debrief_per_author")]
        indexes = [models.Index(fields=["status", "-submitted_at"]), models.Index(fields=["author", "status"])]

    def __str__(self) -> str:
        return f"Debrief of {self.engagement} by {self.author}"

    @property
    def quotes(self) -> list[str]:
        return quotes_of(self.heard)

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class Survey(models.Model):
    """One customer contact's invitation to say how a held engagement went,
    and their answer. The link is signed and expires; answering uses it up."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="surveys")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="surveys")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Empty when the program sent it on its own.",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    # A sender claims the survey before emailing it; a claim older than a few
    # minutes belongs to a sender that died, and is taken back.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    value = models.PositiveSmallIntegerField(
        "how valuable the meeting was", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    recommend = models.PositiveSmallIntegerField(
        "how likely to recommend us", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    differently = models.TextField("what we should do differently", blank=True, max_length=5000)

    class Meta:
        ordering = ["-answered_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["engagement", "contact"], name="one_survey_per_contact")]
        indexes = [models.Index(fields=["engagement", "answered_at"]), models.Index(fields=["-answered_at"])]

    def __str__(self) -> str:
        return f"Survey of {self.contact.name} about {self.engagement}"

    @property
    def differently_quotes(self) -> list[str]:
        return quotes_of(self.differently)

    @property
    def is_low(self) -> bool:
        """A low answer needs the account manager to follow up."""
        return (self.value is not None and self.value <= 2) or (self.recommend is not None and self.recommend <= 6)


class ActionItem(models.Model):
    """Something to do because of what a customer said: from a debrief, or
    from a low survey answer. An issue that belongs to another part of the
    company is routed to the executive who leads that function; its author
    and the account manager follow it until the answer reaches the customer."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        WONT_DO = "wont_do", "Won't do"

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)
    CLOSED_STATUSES = (Status.DONE, Status.WONT_DO)
    # Each step is named for the status it sets, from any other; a closed
    # action may be closed again, to change what its note says. An action
    # starts open.
    STEPS = Lifecycle(
        begins={"create": Status.OPEN},
        open=Step(sources=(Status.IN_PROGRESS, *CLOSED_STATUSES), target=Status.OPEN, doing="reopened"),
        in_progress=Step(sources=(Status.OPEN, *CLOSED_STATUSES), target=Status.IN_PROGRESS, doing="started"),
        done=Step(sources=(*OPEN_STATUSES, *CLOSED_STATUSES), target=Status.DONE, doing="marked done"),
        wont_do=Step(sources=(*OPEN_STATUSES, *CLOSED_STATUSES), target=Status.WONT_DO, doing="marked won't do"),
    )

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="action_items")
    debrief = models.ForeignKey(Debrief, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items")
    survey = models.ForeignKey(
        Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items",
        help_text="The customer's answer this action follows up, if any.",
    )  # fmt: skip
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True, max_length=LONG_TEXT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items_owned")
    function = models.ForeignKey(
        Function, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items",
        help_text="The function it was routed to, when it is outside its author's own.",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items_created"
    )
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    status_note = models.CharField(
        max_length=1000, blank=True, help_text="What was done and what the customer was told, or why it won't be done."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    submission_key = models.UUIDField(
        null=True, blank=True, unique=True, editable=False, help_text="Makes a form sent twice create one action."
    )

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"]),
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["created_by", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_routed(self) -> bool:
        return self.function_id is not None

    @property
    def detail_quotes(self) -> list[str]:
        """The detail as quotes: for an action from a survey, the customer's words."""
        return quotes_of(self.detail)
