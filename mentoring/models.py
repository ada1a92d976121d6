"""Executive sponsors and mentors: an executive paired with an account."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from engagement.accounts.models import Account, Contact
from engagement.bounds import LONG_TEXT
from engagement.lifecycle import Lifecycle, Step
from engagement.people.models import Executive

MONTHLY = 30


class Pairing(models.Model):
    """An executive who sponsors an account: proposed by a program admin,
    accepted or declined by the executive, kept alive by sessions (the
    executive's held engagements with the account) at its cadence."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"

    # The statuses in which a pairing holds its executive and its account.
    LIVE = (Status.PROPOSED, Status.ACTIVE, Status.PAUSED)
    # Every change of status there is. A pairing starts proposed.
    STEPS = Lifecycle(
        begins={"propose": Status.PROPOSED},
        accept=Step(sources=(Status.PROPOSED,), target=Status.ACTIVE, doing="accepted"),
        decline=Step(sources=(Status.PROPOSED,), target=Status.ENDED, doing="declined"),
        pause=Step(sources=(Status.ACTIVE,), target=Status.PAUSED, doing="paused"),
        resume=Step(sources=(Status.PAUSED,), target=Status.ACTIVE, doing="resumed"),
        end=Step(sources=LIVE, target=Status.ENDED, doing="ended"),
    )

    executive = models.ForeignKey(Executive, on_delete=models.PROTECT, related_name="pairings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="pairings")
    primary_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="pairings",
        help_text="The person at the account the executive works with most.",
    )  # fmt: skip
    why_matched = models.TextField("why they were matched", blank=True, max_length=2000)
    session_cadence_days = models.PositiveSmallIntegerField(
        "session cadence (days)", default=MONTHLY, validators=[MinValueValidator(7)],
        help_text="The longest gap between sessions before the pairing lapses.",
    )  # fmt: skip
    starts_on = models.DateField(default=timezone.localdate)
    ends_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    status_reason = models.CharField(
        max_length=300, blank=True, help_text="Why it was declined, paused or ended, in the words of who did it."
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="pairings_proposed"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One live pairing of an executive with an account: a second
            # proposal while one is open would split its sessions.
            models.UniqueConstraint(
                fields=["executive", "account"],
                condition=Q(status__in=["proposed", "active", "paused"]),
                name="one_live_pairing_per_executive_and_account",
            )
        ]
        indexes = [models.Index(fields=["status", "executive"]), models.Index(fields=["account", "status"])]

    def __str__(self) -> str:
        return f"{self.executive} sponsors {self.account}"


class PairingGoal(models.Model):
    """What a pairing sets out to do, and how far it has come."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        ACHIEVED = "achieved", "Achieved"
        DROPPED = "dropped", "Dropped"

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="goals")
    text = models.CharField("goal", max_length=300)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    notes = models.TextField(blank=True, max_length=LONG_TEXT)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text
