"""Writes for engagements."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Iterable, Iterator

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from engagement.models import Account, Contact, Executive, User
from engagement.services import ContactFact, ProgramError, executive_contacts_replace
from visits.models import Engagement, EngagementExecutive, EngagementStatusChange, EngagementType

# How far back a contact may be logged: older ones belong to an import.
LOG_DAYS_BACK = 365


def _contact_facts(engagement_ids: Iterable[int] | QuerySet) -> Iterator[ContactFact]:
    attendances = (
        EngagementExecutive.objects.filter(
            engagement_id__in=engagement_ids,
            engagement__status__in=Engagement.HELD_STATUSES,
            engagement__type__counts_toward_cadence=True,
        )
        .values_list(
            "engagement_id",
            "executive_id",
            "engagement__account_id",
            "engagement__starts_at",
            "engagement__ends_at",
            "engagement__duration_minutes",
            "engagement__type__default_duration_minutes",
        )
        .order_by("engagement_id", "executive_id")
    )
    for engagement_id, executive_id, account_id, starts_at, ends_at, actual, default in attendances.iterator(
        chunk_size=5000
    ):
        if actual is None:
            # Not recorded: take the planned length, else the type's usual one.
            actual = int((ends_at - starts_at).total_seconds() // 60) if ends_at and ends_at > starts_at else default
        yield ContactFact(
            engagement_id=engagement_id,
            executive_id=executive_id,
            account_id=account_id,
            occurred_at=starts_at,
            duration_minutes=actual,
        )


@transaction.atomic
def engagement_contacts_sync(*, engagement_ids: Iterable[int] | QuerySet) -> int:
    """Bring the program's record of customer contact in line with the
    engagements in ``engagement_ids`` (ids, or a ``values("pk")`` queryset):
    each held engagement of a counting type is one contact for every executive
    who attended it; any other engagement, or one deleted, is none. Call it
    after every change to an engagement's status, time, type, account or
    executives. Returns how many contacts the engagements now make."""
    return executive_contacts_replace(engagement_ids=engagement_ids, contacts=_contact_facts(engagement_ids))


@transaction.atomic
def engagement_delete(*, engagement_ids: Iterable[int]) -> None:
    """Delete engagements, and the customer contact they made."""
    engagement_ids = list(engagement_ids)
    Engagement.objects.filter(pk__in=engagement_ids).delete()
    engagement_contacts_sync(engagement_ids=engagement_ids)


@transaction.atomic
def engagement_type_update(*, engagement_type: EngagementType) -> None:
    """Save an engagement type; when whether it counts changed, recount its engagements."""
    counted_before = (
        EngagementType.objects.filter(pk=engagement_type.pk).values_list("counts_toward_cadence", flat=True).first()
    )
    engagement_type.save()
    if counted_before is not None and counted_before != engagement_type.counts_toward_cadence:
        engagement_contacts_sync(engagement_ids=Engagement.objects.filter(type=engagement_type).values("pk"))


def engagement_status_record(
    *, engagement: Engagement, from_status: str, to_status: str, by: User | None, note: str = ""
) -> EngagementStatusChange:
    """Keep who changed an engagement's status, and when."""
    return EngagementStatusChange.objects.create(
        engagement=engagement, from_status=from_status, to_status=to_status, by=by, note=note
    )


def engagement_log_contact(
    *,
    executive: Executive,
    account: Account,
    engagement_type: EngagementType,
    on: dt.date,
    duration_minutes: int,
    contacts: Iterable[Contact] = (),
    colleagues: Iterable[Executive] = (),
    note: str = "",
    submission_key: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> Engagement:
    """Log a customer contact the executive already had: a held engagement
    that counts toward their cadence at once, and toward that of each
    colleague who was there.

    ``on`` is the date in the executive's own time zone. The same
    ``submission_key`` sent twice (a double tap, a retried request) returns the
    engagement the first one made instead of making another.
    """
    if submission_key is not None:
        existing = Engagement.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing
    time_zone = zoneinfo.ZoneInfo(executive.time_zone)
    local_now = (now or timezone.now()).astimezone(time_zone)
    if on > local_now.date():
        raise ProgramError("A contact can only be logged once it has happened: choose today or an earlier date.")
    if on < local_now.date() - dt.timedelta(days=LOG_DAYS_BACK):
        raise ProgramError(f"Contacts older than {LOG_DAYS_BACK} days cannot be logged here.")
    contacts = list(contacts)
    if any(contact.account_id != account.pk for contact in contacts):
        raise ProgramError("Choose people from the account you met.")
    length = dt.timedelta(minutes=duration_minutes)
    if on == local_now.date():
        # Logged straight after the meeting: it ended now, and began today.
        start_of_day = dt.datetime.combine(on, dt.time.min, tzinfo=time_zone)
        starts_at = max(local_now - length, start_of_day)
    else:
        starts_at = dt.datetime.combine(on, dt.time(12), tzinfo=time_zone)
    try:
        with transaction.atomic():
            engagement = Engagement.objects.create(
                account=account,
                type=engagement_type,
                purpose=Engagement.Purpose.RELATIONSHIP,
                status=Engagement.Status.COMPLETED,
                starts_at=starts_at,
                ends_at=starts_at + length,
                duration_minutes=duration_minutes,
                notes=note.strip(),
                requested_by=executive.user,
                submission_key=submission_key,
            )
            EngagementExecutive.objects.bulk_create(
                [EngagementExecutive(engagement=engagement, executive=executive, role=EngagementExecutive.Role.LEAD)]
                + [
                    EngagementExecutive(engagement=engagement, executive=colleague)
                    for colleague in {colleague.pk: colleague for colleague in colleagues}.values()
                    if colleague.pk != executive.pk
                ]
            )
            engagement.contacts.set(contacts)
            engagement_status_record(
                engagement=engagement,
                from_status="",
                to_status=Engagement.Status.COMPLETED,
                by=executive.user,
                note="Logged as held",
            )
            engagement_contacts_sync(engagement_ids=[engagement.pk])
    except IntegrityError:
        # The same form, sent twice at once: the other request made it.
        if submission_key is None:
            raise
        return Engagement.objects.get(submission_key=submission_key)
    return engagement
