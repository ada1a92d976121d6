"""People: who signs in, the executives in the program, and invitations."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from engagement.delivery.models import MailDelivery


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones()) if "/" in name] + [
        ("UTC", "UTC")
    ]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


# Titles written before a name, with or without their dot, in any case.
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame"})


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: executives, account managers, program admins.

    People sign in with their email address; there are no usernames.
    """

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150)
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        choices=time_zone_choices,
        help_text="Dates such as 'days since last contact' are counted in this time zone.",
    )
    is_staff = models.BooleanField(
        "staff status", default=False, help_text="Can open the Django admin (program admins)."
    )
    is_active = models.BooleanField(default=True)
    reminder_digest = models.BooleanField(
        "weekly digest",
        default=False,
        help_text="Gather reminders into one email a week (escalations still come at once).",
    )
    notification_emails = models.JSONField(
        default=dict,
        blank=True,
        help_text="When each kind of notification also comes by email, by kind "
        "(engagement.notifications.models.NotificationKind); a kind not chosen takes its default.",
    )
    calendar_auto_confirm = models.BooleanField(
        "log calendar meetings without asking",
        default=False,
        help_text="A customer meeting read from your calendar is logged as a contact once it has ended, without "
        "waiting for your tap; you can still change or delete it for 30 days.",
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        """What a greeting calls them: their first name, past any honorific
        ("Ms. Ana Ruiz" is Ana). After an honorific a lone word is the
        surname, and nothing at all is no name: both are greeted by the full
        name ("Dr. Okafor") rather than "Hello Okafor," or "Hello Dr.,"."""
        words = (self.full_name or self.email).split()
        names = list(itertools.dropwhile(lambda word: word.rstrip(".").lower() in HONORIFICS, words))
        if len(names) == len(words) or len(names) >= 2:
            return names[0]
        return " ".join(words)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Level(models.IntegerChoices):
    """Seniority, shared by executives and customer contacts so they compare."""

    STAFF = 1, "Staff"
    MANAGER = 2, "Manager"
    DIRECTOR = 3, "Director"
    VP = 4, "VP"
    SVP = 5, "SVP"
    C_SUITE = 6, "C-suite"


EXECUTIVE_LEVELS = [(level.value, level.label) for level in Level if level >= Level.DIRECTOR]


class Skill(models.Model):
    """A talent of an executive and a need of an account: one shared vocabulary."""

    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Function(models.Model):
    """A part of the company (Sales, Service, Product, ...) led by one executive."""

    name = models.CharField(max_length=80, unique=True)
    lead = models.ForeignKey(
        "Executive", null=True, blank=True, on_delete=models.SET_NULL, related_name="functions_led"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Executive(models.Model):
    """An executive in the program, one-to-one with the user who signs in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="executive")
    title = models.CharField(max_length=150)
    level = models.PositiveSmallIntegerField(choices=EXECUTIVE_LEVELS, default=Level.VP)
    function = models.ForeignKey(Function, null=True, blank=True, on_delete=models.SET_NULL, related_name="executives")
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        help_text="Who hears about it when this executive's contact is escalated.",
    )
    talents = models.ManyToManyField(Skill, blank=True, related_name="executives")
    programs = models.ManyToManyField("Program", blank=True, related_name="executives")
    cadence_override_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(7)],
        help_text="Leave empty to use the program's cadence.",
    )
    joined_on = models.DateField(
        default=timezone.localdate,
        help_text="When the executive joined the program; with no contact yet, lateness counts from here.",
    )
    active = models.BooleanField(default=True)
    # Kept by engagement.cadence.ledger.executive_last_contact_refresh, from ExecutiveContact.
    last_contact_on = models.DateField(null=True, blank=True, editable=False, db_index=True)
    # The rule this executive is held to (``cadence.selectors.executive_cadences``:
    # their override, or their strictest program), copied here by
    # ``cadence.ledger.executive_cadences_refresh`` whenever a program, a membership
    # or an override changes, so that the dashboards can tell every
    # executive's state in the database rather than one by one in Python.
    cadence_days = models.PositiveSmallIntegerField(default=42, editable=False)
    warning_days = models.PositiveSmallIntegerField(default=7, editable=False)
    escalation_days = models.PositiveSmallIntegerField(default=14, editable=False)
    exposure_target_minutes = models.PositiveIntegerField(default=120, editable=False)

    class Meta:
        ordering = ["user__full_name"]
        indexes = [models.Index(fields=["active", "last_contact_on"])]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def name(self) -> str:
        return self.user.get_full_name()

    @property
    def time_zone(self) -> str:
        return self.user.time_zone

    @property
    def window_closes_on(self) -> dt.date:
        """When the six-week window closes: the later of the last contact and
        joining the program, plus the cadence."""
        start = max(self.last_contact_on, self.joined_on) if self.last_contact_on else self.joined_on
        return start + dt.timedelta(days=self.cadence_days)


class Invitation(MailDelivery):
    """The email that lets an invited person choose a password, and whether it
    reached the mail server. Its link is made when the email is sent, never
    kept here."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitation")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queued_at = models.DateTimeField(default=timezone.now, help_text="When it was last asked to go out.")
    retry_at = models.DateTimeField(null=True, blank=True, help_text="When the next try is planned.")

    class Meta:
        ordering = ["-queued_at", "-pk"]

    def __str__(self) -> str:
        return f"Invitation of {self.user}"
