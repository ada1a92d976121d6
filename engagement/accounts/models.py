"""Customers and partners, and the people at them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from engagement.accounts.domains import domain_read
from engagement.people.models import Level


class Account(models.Model):
    """A customer or a partner."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        PARTNER = "partner", "Partner"

    class Tier(models.IntegerChoices):
        STRATEGIC = 1, "Strategic"
        KEY = 2, "Key"
        GROWTH = 3, "Growth"
        STANDARD = 4, "Standard"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PROSPECT = "prospect", "Prospect"
        AT_RISK = "at_risk", "At risk"
        CHURNED = "churned", "Churned"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CUSTOMER)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.STANDARD)
    industry = models.CharField(max_length=80, blank=True)
    region = models.CharField(max_length=80, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_accounts",
    )
    account_team = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="account_teams")
    needs = models.ManyToManyField("Skill", blank=True, related_name="accounts")
    crm_id = models.CharField("CRM id", max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    ideal_contact_days = models.PositiveSmallIntegerField(
        "ideal days between an executive's contacts",
        null=True,
        blank=True,
        validators=[MinValueValidator(7)],
        help_text="Blank: the program's.",
    )
    max_contact_days = models.PositiveSmallIntegerField(
        "most days between an executive's contacts",
        null=True,
        blank=True,
        validators=[MinValueValidator(7)],
        help_text="Blank: the program's.",
    )
    # What the account is worth and when it renews, from the CRM: optional,
    # in whatever currency the program keeps its figures (no currency is
    # named, so none is converted). Sponsorship impact reads them.
    annual_value = models.DecimalField(
        "annual value",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="What the account brings in a year, in the program's currency.",
    )
    renewal_on = models.DateField("renewal date", null=True, blank=True)
    renewed = models.BooleanField("renewed", null=True, blank=True, help_text="Empty: not known yet.")
    # Kept by engagement.cadence.ledger.account_last_contact_refresh, from
    # ExecutiveContact, so that coverage and key-person risk read the
    # accounts alone: worked out from two million contacts they took over a
    # second. The last three count the twelve months up to the refresh (each
    # night, and whenever the account's contacts change): all its executive
    # contacts, and those of the executive with most of them.
    last_contact_on = models.DateField("last executive contact", null=True, blank=True, editable=False)
    contacts_12m = models.PositiveIntegerField(default=0, editable=False)
    key_executive = models.ForeignKey(
        "Executive", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    key_executive_contacts_12m = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "tier"]), models.Index(Lower("name"), name="account_name_lower")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.ideal_contact_days and self.max_contact_days and self.max_contact_days < self.ideal_contact_days:
            raise ValidationError({"max_contact_days": "The most days cannot be fewer than the ideal days."})


class AccountDomain(models.Model):
    """An internet domain whose addresses are the account's people: a calendar's attendee there is the account's."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(
        max_length=253, unique=True, help_text="Such as acme.com; a website's address will do (www. is left out)."
    )

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

    def clean(self) -> None:
        try:
            self.domain = domain_read(self.domain)
        except ValidationError as error:
            raise ValidationError({"domain": error.messages}) from None


class Contact(models.Model):
    """A person at an account whom executives meet."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150)
    title = models.CharField(max_length=150, blank=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MANAGER)
    email = models.EmailField(blank=True)
    crm_id = models.CharField("CRM id", max_length=64, null=True, blank=True, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.account})"

    @property
    def at_the_top(self) -> bool:
        """C-suite: no executive level is above theirs."""
        return self.level == Level.C_SUITE
