"""Engagements with customers and partners, from request to completion."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from engagement.accounts.models import Account, Contact
from engagement.bounds import LONG_TEXT
from engagement.imports.models import ImportJob
from engagement.lifecycle import Lifecycle, Step
from engagement.people.models import Executive

# A few paragraphs answer the three questions; a page would not be read.
VALUE_PROPOSITION_LENGTH = 5000


class EngagementType(models.Model):
    """A kind of engagement (on-site visit, ride-along, ...), edited by program admins."""

    class Directness(models.TextChoices):
        """How directly the executive meets the customer at an engagement of
        this type: in their own work, unfiltered, or through a prepared
        occasion, filtered (the ivory-tower index counts the hours of each)."""

        UNFILTERED = "unfiltered", "Unfiltered"
        FILTERED = "filtered", "Filtered"

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=250, blank=True)
    counts_toward_cadence = models.BooleanField(
        default=True, help_text="Held engagements of this type count as customer contact."
    )
    default_duration_minutes = models.PositiveIntegerField(default=60)
    directness = models.CharField(
        max_length=20,
        choices=Directness.choices,
        default=Directness.UNFILTERED,
        help_text=(
            "Unfiltered: the executive meets customers in their own work, as it happens (a one-to-one visit, "
            "a ride-along with a sales or service rep, listening in on service calls, walking the customer's "
            "own process). Filtered: a prepared occasion (an executive briefing, a presentation, an event). "
            "The program shows each executive's share of unfiltered hours."
        ),
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Engagement(models.Model):
    """One engagement of executives with an account."""

    class Purpose(models.TextChoices):
        NEGOTIATION = "negotiation", "Negotiation"
        PRODUCT_EVENT = "product_event", "Product event"
        ESCALATION = "escalation", "Escalation of last resort"
        CONNECTING = "connecting", "Connecting"
        RELATIONSHIP = "relationship", "Relationship"
        LISTENING = "listening", "Listening"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        QUESTION = "question", "Question asked"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Held"
        DEBRIEFED = "debriefed", "Debriefed"
        NOT_HELD = "not_held", "Not held"
        CANCELLED = "cancelled", "Cancelled"

    HELD_STATUSES = (Status.COMPLETED, Status.DEBRIEFED)
    OPEN_STATUSES = (Status.REQUESTED, Status.QUESTION, Status.APPROVED, Status.SCHEDULED)
    # Statuses a calendar shows: planned, held, or called off after it was planned.
    CALENDAR_STATUSES = (Status.SCHEDULED, Status.COMPLETED, Status.DEBRIEFED, Status.NOT_HELD, Status.CANCELLED)
    # From request to a held engagement: every change of status there is.
    # An engagement starts requested (asked for) or held (logged as held).
    STEPS = Lifecycle(
        begins={"request": Status.REQUESTED, "log": Status.COMPLETED},
        approve=Step(sources=(Status.REQUESTED,), target=Status.APPROVED, doing="approved"),
        decline=Step(sources=(Status.REQUESTED,), target=Status.DECLINED, doing="declined"),
        ask=Step(sources=(Status.REQUESTED,), target=Status.QUESTION, doing="sent back with a question"),
        answer=Step(sources=(Status.QUESTION,), target=Status.REQUESTED, doing="answered"),
        schedule=Step(sources=(Status.APPROVED,), target=Status.SCHEDULED, doing="scheduled"),
        reschedule=Step(sources=(Status.SCHEDULED,), target=Status.SCHEDULED, doing="rescheduled"),
        cancel=Step(sources=OPEN_STATUSES, target=Status.CANCELLED, doing="cancelled"),
        complete=Step(sources=(Status.SCHEDULED,), target=Status.COMPLETED, doing="marked held"),
        not_held=Step(sources=(Status.SCHEDULED,), target=Status.NOT_HELD, doing="marked not held"),
        debriefed=Step(sources=(Status.COMPLETED,), target=Status.DEBRIEFED, doing="marked debriefed"),
    )

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="engagements")
    type = models.ForeignKey(EngagementType, on_delete=models.PROTECT, related_name="engagements")
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.RELATIONSHIP)
    objective = models.CharField(max_length=300, blank=True)
    value_proposition = models.TextField(blank=True, max_length=VALUE_PROPOSITION_LENGTH)
    working_contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The customer's working-level contact, whom the executive should be one or two levels above.",
    )
    alternative_dates = models.CharField(
        max_length=200, blank=True, help_text="Other dates the account manager proposed."
    )
    brief = models.TextField(
        blank=True,
        max_length=LONG_TEXT,
        help_text="Preparation brief: what the account team wants the executive to know beforehand.",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="engagements_requested"
    )
    executives = models.ManyToManyField(Executive, through="EngagementExecutive", related_name="engagements")
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="engagements_staffed",
        help_text="Sales or service reps and other colleagues who attend.",
    )
    contacts = models.ManyToManyField(Contact, blank=True, related_name="engagements")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    starts_at = models.DateTimeField(help_text="Planned start; for a held engagement, when it took place.")
    ends_at = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=200, blank=True)
    meeting_link = models.URLField(blank=True)
    duration_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(24 * 60)], help_text="How long it actually lasted."
    )
    notes = models.TextField(blank=True, max_length=LONG_TEXT)
    status_changed_at = models.DateTimeField(
        default=timezone.now, help_text="Since when the engagement has been in its current status."
    )
    sequence = models.PositiveIntegerField(
        default=0, editable=False, help_text="Raised each time a scheduled engagement changes, for calendar invites."
    )
    submission_key = models.UUIDField(
        null=True, blank=True, unique=True, editable=False, help_text="Makes a form sent twice create one engagement."
    )
    submission_digest = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="A digest of the API request that made it: its Idempotency-Key sent again with another body is "
        "refused.",
    )
    crm_id = models.CharField(
        "CRM id",
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        help_text="The activity's id in the CRM it came from.",
    )
    logged = models.BooleanField(
        default=False,
        editable=False,
        help_text="Logged after it happened (Log a contact, or the API), not requested: it has no request, "
        "and only its day is known.",
    )

    class Capture(models.TextChoices):
        TYPED = "typed", "Typed"
        CONFIRMED = "confirmed", "Confirmed from a calendar"
        AUTOMATIC = "automatic", "Captured from a calendar"

    capture = models.CharField(
        max_length=10,
        choices=Capture.choices,
        default=Capture.TYPED,
        editable=False,
        help_text="How it came in: typed (or requested, or imported), confirmed with one tap from a meeting read from "
        "a calendar, or captured from a calendar without a tap (the executive chose to confirm automatically).",
    )
    calendar_key = models.CharField(
        max_length=350,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="The calendar event (its UID and occurrence) it was logged from: reading, editing or moving the "
        "event again never makes a second engagement.",
    )
    debrief_wanted = models.BooleanField(
        default=True,
        help_text="Whether a debrief is owed once it is held: a requested meeting always asks for one, a logged "
        "contact only when whoever logged it said they would add one.",
    )
    # The import that made it or last changed it: the engagements whose
    # contacts that import must recount, however many (no list of ids).
    import_job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "status_changed_at"]),
            models.Index(fields=["account", "starts_at"]),
            models.Index(fields=["starts_at"]),
            # Held engagements by type and month (the Trends page) from the
            # index alone; its first two columns serve "status in a period".
            models.Index(fields=["status", "starts_at", "type"]),
        ]

    def __str__(self) -> str:
        return f"{self.type} with {self.account} on {self.starts_at:%Y-%m-%d}"

    @property
    def is_held(self) -> bool:
        return self.status in self.HELD_STATUSES

    @property
    def planned_minutes(self) -> int:
        """How long it was planned to last: the planned end, else the type's usual length."""
        if self.ends_at and self.ends_at > self.starts_at:
            return int((self.ends_at - self.starts_at).total_seconds() // 60)
        return self.type.default_duration_minutes

    @property
    def counts_toward_cadence(self) -> bool:
        return self.is_held and self.type.counts_toward_cadence


class EngagementExecutive(models.Model):
    """An executive taking part in an engagement, as its lead or an attendee."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead"
        ATTENDEE = "attendee", "Attendee"

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="attendances")
    executive = models.ForeignKey(Executive, on_delete=models.CASCADE, related_name="attendances")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.ATTENDEE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engagement", "executive"], name="executive_attends_engagement_once")
        ]

    def __str__(self) -> str:
        return f"{self.executive} ({self.get_role_display()})"


class EngagementStatusChange(models.Model):
    """Who moved an engagement from one status to another, when, and why."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=Engagement.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Engagement.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status}"


class CalendarFeed(models.Model):
    """A user's private calendar address: whoever holds the token reads their
    engagements, so it is long, random, and replaced when revoked."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


class CalendarConnection(models.Model):
    """One of a person's own calendars, read for customer meetings
    (``visits.calendar_reads``). The address (and a CalDAV password) is a
    secret: only its encryption is stored (``visits.calendars.secrets``).
    Deleting the connection deletes every meeting read from it."""

    class Kind(models.TextChoices):
        ICS = "ics", "Private iCal address"
        CALDAV = "caldav", "CalDAV account"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_connections")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ICS)
    name = models.CharField(max_length=100)
    url_encrypted = models.TextField(editable=False)
    username = models.CharField(max_length=200, blank=True)
    password_encrypted = models.TextField(blank=True, editable=False)
    # The last read, and what the server said of the calendar then.
    last_read_at = models.DateTimeField(null=True, blank=True)
    last_changed_at = models.DateTimeField(null=True, blank=True)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    events_seen = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    # Consecutive failed reads; the next read waits longer after each.
    failures = models.PositiveSmallIntegerField(default=0)
    next_read_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A worker reading it now (so that no second one does).
    claimed_at = models.DateTimeField(null=True, blank=True)
    broken_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    owner_told_broken_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["owner", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.owner})"

    @property
    def url(self) -> str:
        from visits.calendars.secrets import secret_decrypt

        return secret_decrypt(self.url_encrypted)

    @url.setter
    def url(self, value: str) -> None:
        from visits.calendars.secrets import secret_encrypt

        self.url_encrypted = secret_encrypt(value)

    @property
    def password(self) -> str:
        from visits.calendars.secrets import secret_decrypt

        return secret_decrypt(self.password_encrypted)

    @password.setter
    def password(self, value: str) -> None:
        from visits.calendars.secrets import secret_encrypt

        self.password_encrypted = secret_encrypt(value)


class CalendarMeeting(models.Model):
    """A customer meeting read from a calendar: when, where, with which
    accounts and people. Never its description: the reading core does not
    even parse it."""

    connection = models.ForeignKey(CalendarConnection, on_delete=models.CASCADE, related_name="meetings")
    uid = models.CharField(max_length=300)
    # The instance's original start within a series; empty for a single event.
    recurrence_key = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=300, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=300, blank=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="calendar_meetings")
    accounts = models.ManyToManyField(Account, related_name="calendar_meetings_touched")
    contacts = models.ManyToManyField(Contact, related_name="calendar_meetings", blank=True)
    # Attendees at an account's domain who are no contact yet.
    unknown_emails = models.JSONField(default=list, blank=True)
    # What its owner made of it: the contact it was logged as (kept when the
    # meeting is gone, so that a cancelled meeting withdraws it), or that it
    # was no customer meeting.
    engagement = models.ForeignKey(
        Engagement, null=True, blank=True, on_delete=models.SET_NULL, related_name="calendar_meetings"
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "uid", "recurrence_key"], name="calendar_meeting_once_per_occurrence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title or 'Meeting'} at {self.starts_at:%Y-%m-%d %H:%M}"
