"""The cadence an executive is held to (a program) and the contacts it is counted from."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from engagement.accounts.domains import company_domains_valid


class Program(models.Model):
    """An engagement program: the cadence and targets its executives are held to."""

    name = models.CharField(max_length=120, unique=True)
    cadence_days = models.PositiveSmallIntegerField(
        default=42, validators=[MinValueValidator(7)], help_text="Longest gap allowed between customer contacts."
    )
    exposure_hours_target = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        default=Decimal("2.0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Hours of direct customer exposure expected in each cadence window.",
    )
    warning_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days before the window closes when an executive is 'due soon'."
    )
    escalation_days = models.PositiveSmallIntegerField(
        default=14, help_text="Days past due before the executive's manager is told."
    )
    overdue_repeat_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1)],
        help_text="While an executive stays overdue, remind them again every this many days.",
    )
    pairing_limit = models.PositiveSmallIntegerField(
        "active pairings per executive",
        default=3,
        validators=[MinValueValidator(1)],
        help_text="How many accounts one executive may sponsor at once.",
    )
    surveys_after_held = models.BooleanField(
        "send surveys automatically",
        default=False,
        help_text="Once an engagement is held, email each customer contact who attended the feedback survey, "
        "without waiting for the account manager.",
    )
    account_ideal_days = models.PositiveSmallIntegerField(
        "ideal days between an executive's contacts with an account",
        default=90,
        validators=[MinValueValidator(7)],
        help_text="An account an executive sponsors or has met shows yellow on their home past this; "
        "an account may set its own.",
    )
    account_max_days = models.PositiveSmallIntegerField(
        "most days between an executive's contacts with an account",
        default=180,
        validators=[MinValueValidator(7)],
        help_text="Past this it shows red; an account may set its own.",
    )
    company_name = models.CharField(
        max_length=120,
        blank=True,
        help_text="Your company as its customers know it: the survey and its email carry this name, "
        "not Groundwork's. Blank: the program's name.",
    )
    survey_from_email = models.EmailField(
        "survey sender address",
        blank=True,
        help_text="The address the customer survey comes from, under the company's name. "
        "Blank: the site's own sender address.",
    )
    company_domains = models.TextField(
        "the company's own domains",
        blank=True,
        validators=[company_domains_valid],
        help_text="Your company's internet domains, separated by commas (such as example.com, example.co.uk): "
        "a meeting with only these addresses is not a customer meeting, whatever an account lists.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.account_max_days < self.account_ideal_days:
            raise ValidationError({"account_max_days": "The most days cannot be fewer than the ideal days."})


class ExecutiveContact(models.Model):
    """One executive's customer contact: a held engagement of a counting type.

    ``visits`` records these through ``executive_contacts_record`` whenever an
    engagement is held, changed or undone, so that the program can compute
    cadence, exposure and coverage from its own table. ``contact_on`` is the
    date in the executive's own time zone at the time of the contact.
    """

    executive = models.ForeignKey("Executive", on_delete=models.CASCADE, related_name="contacts")
    account = models.ForeignKey("Account", on_delete=models.CASCADE, related_name="executive_contacts")
    engagement_id = models.BigIntegerField(help_text="The visits engagement this contact comes from.")
    occurred_at = models.DateTimeField()
    contact_on = models.DateField()
    duration_minutes = models.PositiveIntegerField(default=0)
    unfiltered = models.BooleanField(
        default=True,
        help_text="Whether the engagement's type meets customers unfiltered: its directness, copied when recorded.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engagement_id", "executive"], name="executive_contact_once_per_engagement")
        ]
        indexes = [
            # With the minutes, an executive's contacts over a window are
            # summed from the index alone (the dashboards do it for each one).
            models.Index(
                fields=["executive", "contact_on"], include=["duration_minutes"], name="contact_executive_day"
            ),
            models.Index(fields=["account", "contact_on"]),
            # An executive's latest contact with one account: a pairing's last
            # session (every pairing on the dashboard and its list).
            models.Index(fields=["executive", "account", "contact_on"], name="contact_executive_account_day"),
            models.Index(fields=["contact_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.executive} at {self.account} on {self.contact_on}"

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.duration_minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
