"""The sponsorships, their goals and their sessions on each account's
timeline (``engagement.accounts.timeline``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.text import Truncator

from engagement.accounts.models import Account
from engagement.accounts.timeline import TimelineEntry, TimelineKind, timeline_kind
from engagement.cadence.models import ExecutiveContact
from engagement.people.models import User
from mentoring.access import pairings_visible_to
from mentoring.models import Pairing

# The longest one-line summary, in characters, before it is cut with an ellipsis.
SUMMARY_LENGTH = 160


def _pairings_open_to(reader: User, ids: set[int]) -> set[int]:
    """Which of the pairings ``ids`` ``reader`` may open. One query."""
    return set(pairings_visible_to(reader).filter(pk__in=ids).values_list("pk", flat=True))


def account_pairing_rows(account: Account) -> QuerySet[Pairing]:
    """Every pairing of an executive with ``account``, proposed, live or ended."""
    return Pairing.objects.filter(account=account)


def pairing_entries(reader: User, ids: Sequence[int]) -> dict[int, TimelineEntry]:
    """The pairings ``ids``, each with its goals, linked where ``reader`` may
    open them. Three queries."""
    pairings = list(Pairing.objects.filter(pk__in=ids).select_related("executive__user").prefetch_related("goals"))
    opens = _pairings_open_to(reader, set(ids))
    entries = {}
    for pairing in pairings:
        summary = f"Sponsorship proposed, now {pairing.get_status_display().lower()}"
        if pairing.status_reason:
            summary += f": {pairing.status_reason}"
        entries[pairing.pk] = TimelineEntry(
            kind="pairings",
            at=pairing.created_at,
            who=pairing.executive.user.full_name,
            summary=Truncator(summary).chars(SUMMARY_LENGTH),
            url=reverse("mentoring:pairing_detail", args=[pairing.pk]) if pairing.pk in opens else "",
            details=tuple(f"Goal: {goal.text} ({goal.get_status_display().lower()})" for goal in pairing.goals.all()),
        )
    return entries


def _pairings_of_contact() -> QuerySet[Pairing]:
    """The accepted pairings a contact (the outer row) was a session of: the
    same executive and account, on a day from its start to its end."""
    return Pairing.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=OuterRef("contact_on")),
        executive=OuterRef("executive"),
        account=OuterRef("account"),
        starts_on__lte=OuterRef("contact_on"),
    ).exclude(status=Pairing.Status.PROPOSED)


def account_session_rows(account: Account) -> QuerySet[ExecutiveContact]:
    """The sessions of the account's pairings: a sponsor's contacts with it
    while they sponsored it."""
    return ExecutiveContact.objects.filter(Exists(_pairings_of_contact()), account=account)


def session_entries(reader: User, ids: Sequence[int]) -> dict[int, TimelineEntry]:
    """The sessions ``ids``, linked to their pairing where ``reader`` may open
    it. Two queries."""
    sessions = list(
        ExecutiveContact.objects.filter(pk__in=ids)
        .select_related("executive__user")
        .annotate(pairing_id=Subquery(_pairings_of_contact().order_by("-starts_on", "-pk").values("pk")[:1]))
    )
    opens = _pairings_open_to(reader, {session.pairing_id for session in sessions})
    entries = {}
    for session in sessions:
        pairing_id = session.pairing_id
        entries[session.pk] = TimelineEntry(
            kind="sessions",
            at=session.occurred_at,
            who=session.executive.user.full_name,
            summary=f"Sponsorship session, {session.duration_minutes} minutes"
            if session.duration_minutes
            else "Sponsorship session",
            url=reverse("mentoring:pairing_detail", args=[pairing_id]) if pairing_id in opens else "",
        )
    return entries


timeline_kind(
    TimelineKind(
        slug="pairings",
        label="Sponsorships and goals",
        rows=account_pairing_rows,
        at="created_at",
        entries=pairing_entries,
        position=50,
    )
)
timeline_kind(
    TimelineKind(
        slug="sessions",
        label="Sponsorship sessions",
        rows=account_session_rows,
        at="occurred_at",
        entries=session_entries,
        position=60,
    )
)
