"""The contact ledger: each executive's customer contacts, and the
last-contact dates and cadence copies kept from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from engagement.accounts.models import Account
from engagement.cadence.models import ExecutiveContact
from engagement.cadence.selectors import executive_cadences
from engagement.dates import local_date, twelve_months_before
from engagement.people.models import Executive


@dataclass(frozen=True)
class ContactFact:
    """One executive at one held engagement of a type that counts."""

    engagement_id: int
    executive_id: int
    account_id: int
    occurred_at: dt.datetime
    duration_minutes: int
    # Whether the engagement's type meets customers unfiltered (its directness).
    unfiltered: bool = True


# Past this many executives one UPDATE of them all is cheaper than a long IN list.
_REFRESH_ALL_ABOVE = 500


@transaction.atomic
def executive_contacts_replace(
    *, engagement_ids: Iterable[int] | QuerySet, contacts: Iterable[ContactFact], batch_size: int = 5000
) -> int:
    """Make the program's contacts from the engagements in ``engagement_ids``
    exactly ``contacts``, and keep the last contact dates of every affected
    executive and account right. ``visits`` calls this whenever engagements are held, changed or
    undone; ``contacts`` may be a generator of millions. Returns how many
    contacts were written."""
    stale = ExecutiveContact.objects.filter(engagement_id__in=engagement_ids)
    affected = set(stale.values_list("executive_id", flat=True).distinct())
    # Apart, not as pairs: replacing every engagement would bring back a
    # million pairs where there are thousands of executives and accounts.
    accounts = set(stale.values_list("account_id", flat=True).distinct())
    stale.delete()
    time_zones: dict[int, str] = {}
    written = 0

    def write(batch: list[ContactFact]) -> int:
        unknown = {fact.executive_id for fact in batch} - time_zones.keys()
        time_zones.update(Executive.objects.filter(pk__in=unknown).values_list("pk", "user__time_zone"))
        rows = [
            ExecutiveContact(
                engagement_id=fact.engagement_id,
                executive_id=fact.executive_id,
                account_id=fact.account_id,
                occurred_at=fact.occurred_at,
                contact_on=local_date(fact.occurred_at, time_zones[fact.executive_id]),
                duration_minutes=fact.duration_minutes,
                unfiltered=fact.unfiltered,
            )
            for fact in batch
        ]
        return len(ExecutiveContact.objects.bulk_create(rows))

    batch: list[ContactFact] = []
    for fact in contacts:
        affected.add(fact.executive_id)
        accounts.add(fact.account_id)
        batch.append(fact)
        if len(batch) >= batch_size:
            written += write(batch)
            batch = []
    if batch:
        written += write(batch)
    if affected:
        # The accounts of the contacts removed are refreshed too: an account
        # whose executive met it no more would not be found from the executives.
        everything = len(affected) > _REFRESH_ALL_ABOVE or len(accounts) > _REFRESH_ALL_ABOVE
        executive_last_contact_refresh(
            executive_ids=None if everything else affected, account_ids=None if everything else accounts
        )
    return written


def executive_last_contact_refresh(
    *, executive_ids: Iterable[int] | None = None, account_ids: Iterable[int] | QuerySet | None = None
) -> int:
    """Recompute ``Executive.last_contact_on`` from the contacts in one UPDATE
    (for every executive when ``executive_ids`` is None), then the accounts'
    (``account_last_contact_refresh``): those of ``account_ids``, or when it
    is None every account the executives met (every account when both are
    None). Returns how many executives were updated."""
    # Newest first with LIMIT 1 walks the (executive, contact_on) index
    # backwards: one index probe per executive, however long their history.
    latest = ExecutiveContact.objects.filter(executive=OuterRef("pk")).order_by("-contact_on").values("contact_on")[:1]
    executives = Executive.objects.all()
    if executive_ids is not None:
        executive_ids = list(executive_ids)
        executives = executives.filter(pk__in=executive_ids)
        if account_ids is None:
            # Their contacts may have been redated (a new time zone), which
            # moves the accounts' dates with them.
            account_ids = ExecutiveContact.objects.filter(executive_id__in=executive_ids).values("account_id")
    updated = executives.update(last_contact_on=Subquery(latest))
    account_last_contact_refresh(account_ids=account_ids)
    return updated


def account_last_contact_refresh(
    *, account_ids: Iterable[int] | QuerySet | None = None, today: dt.date | None = None
) -> int:
    """Recompute ``Account.last_contact_on`` and the twelve months' counts up
    to ``today`` (``contacts_12m``, ``key_executive`` and its
    ``key_executive_contacts_12m``) from the contacts in one UPDATE, for
    every account when ``account_ids`` is None (each night: the twelve
    months move on even when nothing is recorded)."""
    since = twelve_months_before(today or timezone.localdate())
    contacts = ExecutiveContact.objects.filter(account=OuterRef("pk")).order_by()
    recent = contacts.filter(contact_on__gte=since)
    # The executive with most contacts (the earliest id of equals).
    leading = recent.values("executive_id").annotate(n=Count("pk")).order_by("-n", "executive_id")
    accounts = Account.objects.all()
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids if isinstance(account_ids, QuerySet) else list(account_ids))
    return accounts.update(
        last_contact_on=Subquery(contacts.order_by("-contact_on").values("contact_on")[:1]),
        contacts_12m=Coalesce(Subquery(recent.values("account").annotate(n=Count("pk")).values("n")), 0),
        key_executive_id=Subquery(leading.values("executive_id")[:1]),
        key_executive_contacts_12m=Coalesce(Subquery(leading.values("n")[:1]), 0),
    )


CADENCE_FIELDS = ("cadence_days", "warning_days", "escalation_days", "exposure_target_minutes")


def executive_cadences_refresh(*, executive_ids: Iterable[int] | None = None) -> int:
    """Copy onto each executive (every one when ``executive_ids`` is None) the
    cadence ``executive_cadences`` gives them, and return how many changed.

    The receivers in ``engagement.cadence.receivers`` call this whenever a program, a
    program membership or a cadence override changes; the seed calls it after
    creating executives in bulk. Four queries and one UPDATE per changed batch.
    """
    executives = Executive.objects.all()
    if executive_ids is not None:
        executives = executives.filter(pk__in=list(executive_ids))
    rows = list(executives.values_list("pk", "cadence_override_days", *CADENCE_FIELDS))
    cadences = executive_cadences(overrides={pk: override for pk, override, *_ in rows})
    changed = []
    for pk, _override, *stored in rows:
        cadence = cadences[pk]
        wanted = (
            cadence.cadence_days,
            cadence.warning_days,
            cadence.escalation_days,
            int(cadence.exposure_hours_target * 60),
        )
        if tuple(stored) != wanted:
            changed.append(Executive(pk=pk, **dict(zip(CADENCE_FIELDS, wanted, strict=True))))
    Executive.objects.bulk_update(changed, CADENCE_FIELDS, batch_size=500)
    return len(changed)


def executive_contacts_redate(*, executive_ids: list[int]) -> None:
    """Date again, each in its executive's current time zone, the contacts of
    ``executive_ids`` (after their zone changed), and refresh their last contact."""
    zones = dict(Executive.objects.filter(pk__in=executive_ids).values_list("pk", "user__time_zone"))
    contacts = ExecutiveContact.objects.filter(executive_id__in=executive_ids).only(
        "pk", "executive_id", "occurred_at", "contact_on"
    )
    changed = []
    for contact in contacts.iterator(chunk_size=1000):
        day = local_date(contact.occurred_at, zones[contact.executive_id])
        if day != contact.contact_on:
            contact.contact_on = day
            changed.append(contact)
    ExecutiveContact.objects.bulk_update(changed, ["contact_on"], batch_size=1000)
    executive_last_contact_refresh(executive_ids=executive_ids)
