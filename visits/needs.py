"""What engagements ask of a person now, on their home's list of needs
(``engagement.dashboards.needs``): an executive's requests to answer and
meetings to prepare; an account manager's approved requests to schedule and
questions to answer. One query each, however many there are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from engagement.dashboards.needs import (
    Need,
    Urgency,
    ago_text,
    days_text,
    need_source,
    needs_of,
    plural,
    with_total,
)
from engagement.people.models import User
from engagement.people.roles import Role
from visits.access import accounts_served_by
from visits.models import Engagement, EngagementExecutive
from visits.selectors import request_waiting_cutoff

# Meetings this close are listed with their preparation brief.
MEETINGS_WITHIN = dt.timedelta(hours=48)


def _detail(engagement: Engagement, anchor: str = "") -> str:
    url = reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})
    return f"{url}#{anchor}" if anchor else url


def _waiting_list(status: str) -> str:
    """The person's list of engagements waiting for them, narrowed to ``status``."""
    return f"{reverse('visits:my_engagements')}?{urlencode({'when': 'waiting', 'status': status})}"


def _waited(engagement: Engagement, now: dt.datetime) -> int:
    return (now - engagement.status_changed_at).days


def _waiting_urgency(engagement: Engagement, cutoff: dt.datetime) -> Urgency:
    """Overdue once it has waited more than two working days, as the reminder says."""
    return Urgency.OVERDUE if engagement.status_changed_at < cutoff else Urgency.WAITING


def _oldest_first(engagements: QuerySet[Engagement]) -> QuerySet[Engagement]:
    return engagements.select_related("account", "type").order_by("status_changed_at", "pk")


def _waiting(
    rows: QuerySet[Engagement],
    *,
    now: dt.datetime,
    kind: str,
    action: str,
    url: Callable[[Engagement], str],
    note: Callable[[int], str],
    many: tuple[str, str, str],
) -> list[Need]:
    """Engagements waiting for the person, oldest first: each as "``action``: account", or, when there are many, one
    line counting them (``many``: the thing, its plural and what to do) that opens their list."""
    cutoff = request_waiting_cutoff(now=now)

    def each(engagement: Engagement) -> Need:
        return Need(
            kind=kind,
            text=f"{action}: {engagement.account.name}",
            url=url(engagement),
            urgency=_waiting_urgency(engagement, cutoff),
            at=engagement.status_changed_at,
            note=note(_waited(engagement, now)),
        )

    def group(oldest: Engagement, total: int) -> Need:
        return Need(
            kind=kind,
            text=f"{plural(total, many[0], many[1])} to {many[2]}",
            url=_waiting_list(oldest.status),
            urgency=_waiting_urgency(oldest, cutoff),
            at=oldest.status_changed_at,
            note=f"oldest {days_text(_waited(oldest, now))}",
            count=total,
        )

    return needs_of(with_total(rows), each=each, group=group)


@need_source(Role.EXECUTIVE)
def requests_to_answer(*, user: User, now: dt.datetime) -> list[Need]:
    """Requests for the executive's time that wait for their answer, with how long."""
    asked = EngagementExecutive.objects.filter(
        executive__user=user, executive__active=True, role=EngagementExecutive.Role.LEAD
    ).values("engagement_id")
    return _waiting(
        _oldest_first(Engagement.objects.filter(pk__in=asked, status=Engagement.Status.REQUESTED)),
        now=now,
        kind="request",
        action="Answer request",
        url=lambda engagement: _detail(engagement, "decide-heading"),
        note=lambda days: f"waiting {days_text(days)}",
        many=("request", "requests", "answer"),
    )


@need_source(Role.EXECUTIVE)
def meetings_to_prepare(*, user: User, now: dt.datetime) -> list[Need]:
    """The executive's meetings in the next 48 hours, each opening on its brief."""
    attending = EngagementExecutive.objects.filter(executive__user=user, executive__active=True).values("engagement_id")
    rows = with_total(
        Engagement.objects.filter(
            pk__in=attending,
            status=Engagement.Status.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + MEETINGS_WITHIN,
        )
        .select_related("account", "type")
        .order_by("starts_at", "pk")
    )

    def each(engagement: Engagement) -> Need:
        return Need(
            kind="meeting",
            text=f"Prepare: {engagement.account.name}",
            url=_detail(engagement, "brief-heading"),
            urgency=Urgency.SOON,
            at=engagement.starts_at,
            when=engagement.starts_at,
        )

    def group(first: Engagement, total: int) -> Need:
        return Need(
            kind="meeting",
            text=f"{plural(total, 'meeting', 'meetings')} in 48 hours",
            url=f"{reverse('visits:my_engagements')}?when=upcoming",
            urgency=Urgency.SOON,
            at=first.starts_at,
            note="first",
            when=first.starts_at,
            count=total,
        )

    return needs_of(rows, each=each, group=group)


def _served(user: User, status: str) -> QuerySet[Engagement]:
    return _oldest_first(Engagement.objects.filter(account__in=accounts_served_by(user).values("pk"), status=status))


@need_source(Role.ACCOUNT_MANAGER)
def requests_to_schedule(*, user: User, now: dt.datetime) -> list[Need]:
    """Approved requests of the accounts the account manager serves, to schedule."""
    return _waiting(
        _served(user, Engagement.Status.APPROVED),
        now=now,
        kind="schedule",
        action="Schedule",
        url=lambda engagement: reverse("visits:engagement_schedule", kwargs={"pk": engagement.pk}),
        note=lambda days: f"approved {ago_text(days)}",
        many=("request", "requests", "schedule"),
    )


@need_source(Role.ACCOUNT_MANAGER)
def questions_to_answer(*, user: User, now: dt.datetime) -> list[Need]:
    """Executives' questions about requests of the account manager's accounts."""
    return _waiting(
        _served(user, Engagement.Status.QUESTION),
        now=now,
        kind="question",
        action="Answer question",
        url=lambda engagement: _detail(engagement, "answer-heading"),
        note=lambda days: f"asked {ago_text(days)}",
        many=("question", "questions", "answer"),
    )
