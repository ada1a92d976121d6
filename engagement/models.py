"""The program's core: people, accounts, cadence and each executive's contacts."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


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
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
    programs = models.ManyToManyField(Program, blank=True, related_name="executives")
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
    # Kept by engagement.services.executive_contacts_record, from ExecutiveContact.
    last_contact_on = models.DateField(null=True, blank=True, editable=False, db_index=True)
    # The rule this executive is held to (``selectors.executive_cadences``:
    # their override, or their strictest program), copied here by
    # ``services.executive_cadences_refresh`` whenever a program, a membership
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
    needs = models.ManyToManyField(Skill, blank=True, related_name="accounts")
    crm_id = models.CharField("CRM id", max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # Kept by engagement.services.account_last_contact_refresh, from
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


class ExecutiveContact(models.Model):
    """One executive's customer contact: a held engagement of a counting type.

    ``visits`` records these through ``executive_contacts_record`` whenever an
    engagement is held, changed or undone, so that the program can compute
    cadence, exposure and coverage from its own table. ``contact_on`` is the
    date in the executive's own time zone at the time of the contact.
    """

    executive = models.ForeignKey(Executive, on_delete=models.CASCADE, related_name="contacts")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="executive_contacts")
    engagement_id = models.BigIntegerField(help_text="The visits engagement this contact comes from.")
    occurred_at = models.DateTimeField()
    contact_on = models.DateField()
    duration_minutes = models.PositiveIntegerField(default=0)

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


class Notification(models.Model):
    """An in-app message for one user: read it on the notifications page.

    ``message`` may hold moments written with ``engagement.moments.moment_text``;
    they are shown in the reader's time zone when read. A notification sent for
    a reminder keeps it in ``reminder``: when what it says no longer holds (a
    contact was logged since), it is withdrawn, and shown as such.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    message = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True, help_text="Where the message leads, a path in Groundwork.")
    # One thing the reader may do at once, from the notification itself (a POST
    # to ``action_url``), such as "I was not there".
    action_label = models.CharField(max_length=40, blank=True)
    action_url = models.CharField(max_length=300, blank=True)
    reminder = models.ForeignKey(
        "Reminder", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.message

    @property
    def is_unread(self) -> bool:
        """Waiting for its reader: not read, and not withdrawn (which asks nothing of them)."""
        return self.read_at is None and not self.withdrawn_reason


class Reminder(models.Model):
    """One reminder to one person about one thing: the record that makes it go
    out at most once.

    ``episode`` names what it is about and which occurrence: for an
    executive's contact, the day their episode began (their last contact, or
    joining the program) and, for the weekly overdue repeats, which week. The
    unique constraint on (recipient, kind, episode) is the guard against
    sending twice; rows are recorded ``pending`` before anything is sent.
    """

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "Window closes soon"
        OVERDUE = "overdue", "Overdue"
        ESCALATION = "escalation", "Escalation"
        UPCOMING = "upcoming", "Engagement within 24 hours"
        REQUEST_WAITING = "request_waiting", "Request waiting for an answer"
        DEBRIEF_DUE = "debrief_due", "Debrief not written"
        ACTION_OVERDUE = "action_overdue", "Action overdue"
        SESSION_DUE = "session_due", "Mentoring session due"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Delivered"
        FAILED = "failed", "Failed"
        # No longer true when its time came (a contact logged since, a request
        # answered): not sent, and ``withdrawn_reason`` says why.
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email and in the app"
        DIGEST = "digest", "Weekly digest and in the app"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    episode = models.CharField(max_length=100)
    executive = models.ForeignKey(
        "Executive", null=True, blank=True, on_delete=models.CASCADE, related_name="reminders_about",
        help_text="The executive whose contact it is about, if any.",
    )  # fmt: skip
    reason = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True, help_text="Where the reminder leads, a path in Groundwork.")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField(help_text="Not before: the recipient's next working hours.")
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "episode"], name="reminder_once_per_episode")
        ]
        indexes = [models.Index(fields=["status", "due_at"]), models.Index(fields=["kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}"


class ApiToken(models.Model):
    """A key with which another system calls the API as one user, with that
    user's rights. Only a hash of the key is kept: the key itself is shown
    once, when a program admin makes it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the key is for, such as “CRM sync”.")
    prefix = models.CharField(max_length=12, help_text="The key's first characters, to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ImportJob(models.Model):
    """One CSV file uploaded for import: checked, previewed, then imported
    whole or not at all by a background task."""

    class Kind(models.TextChoices):
        EXECUTIVES = "executives", "Executives"
        ACCOUNTS = "accounts", "Accounts"
        CONTACTS = "contacts", "Contacts"
        ENGAGEMENTS = "engagements", "Past engagements"

    class Status(models.TextChoices):
        CHECKING = "checking", "Checking"
        READY = "ready", "Ready to import"
        INVALID = "invalid", "Has errors"
        QUEUED = "queued", "Queued"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    class DateOrder(models.TextChoices):
        # 03/04/2025 is 3 April in most of the world and 4 March in the
        # United States: the file cannot say which, so whoever uploads it does.
        DAY_FIRST = "dmy", "Day first (14/03/2025)"
        MONTH_FIRST = "mdy", "Month first (03/14/2025)"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    date_order = models.CharField(
        max_length=3,
        choices=DateOrder.choices,
        default=DateOrder.DAY_FIRST,
        help_text="How dates written with slashes, dashes or dots are read; ISO dates (2025-03-14) always read alike.",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    filename = models.CharField(max_length=255)
    # The file as uploaded, in the database: the worker that imports it may
    # run on another machine than the web process that received it.
    data = models.BinaryField(editable=False)
    row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first row errors: line, column, message.")
    preview = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the check found: the columns read and left out, the first rows as they will be "
        "imported, and how many rows will be created, updated or left unchanged.",
    )
    summary = models.JSONField(default=dict, blank=True, help_text="Rows created, updated and unchanged.")
    message = models.CharField(max_length=500, blank=True, help_text="Why the whole file was refused or failed.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.filename}"


class Invitation(models.Model):
    """The email that lets an invited person choose a password, and whether it
    reached the mail server. Its link is made when the email is sent, never
    kept here."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        RETRYING = "retrying", "Waiting to be retried"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not sent"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitation")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now, help_text="When it was last asked to go out.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True, help_text="When the next try is planned.")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, help_text="Why the last try failed, in plain words.")

    class Meta:
        ordering = ["-queued_at", "-pk"]

    def __str__(self) -> str:
        return f"Invitation of {self.user}"


class OutgoingEmail(models.Model):
    """An email of the sign-in pages (a password reset link), kept until the
    mail server takes it. Its body is emptied once it is sent or given up, so
    that no working link stays in the database."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        RETRYING = "retrying", "Waiting to be retried"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not sent"

    to = models.JSONField(default=list)
    from_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class UnsentTask(models.Model):
    """A background task the broker could not take when it was queued. The
    periodic ``send_unsent_tasks`` queues it once the broker answers again,
    then deletes it; every task is safe to run twice, should that ever happen."""

    name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True, help_text="Why the broker refused it last.")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
