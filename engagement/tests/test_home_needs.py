"""Each role's home opens on what needs that person now: every kind the apps
add, the late first, a few one by one and many as one counted line, each a
link to where the person acts, and never someone else's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.dashboards.needs import Urgency, needs_for
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ExecutiveFactory, UserFactory, contact_record
from feedback.tests.factories import ActionItemFactory, HeldEngagementFactory
from mentoring.tests.factories import PairingFactory
from visits.models import Engagement
from visits.tests.factories import EngagementFactory

NOW = timezone.now()


def ago(**delta: float) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


def request_for(executive, *, waited: dt.timedelta, account=None) -> Engagement:
    """A request ``executive`` is asked to lead, waiting ``waited`` for their answer."""
    return EngagementFactory(
        executives=[executive],
        account=account or AccountFactory(),
        status=Engagement.Status.REQUESTED,
        starts_at=NOW + dt.timedelta(days=20),
        status_changed_at=NOW - waited,
    )


def in_status(account, status: str, *, waited: dt.timedelta) -> Engagement:
    return EngagementFactory(
        account=account, status=status, starts_at=NOW + dt.timedelta(days=20), status_changed_at=NOW - waited
    )


def lines(needs) -> list[tuple[str, str, Urgency]]:
    return [(need.kind, need.text, need.urgency) for need in needs]


@pytest.mark.django_db
def test_an_executive_sees_each_kind_of_need_the_late_first_then_the_meetings_then_the_rest():
    executive = ExecutiveFactory()
    user = executive.user
    late_request = request_for(executive, waited=dt.timedelta(days=8), account=AccountFactory(name="Late Request"))
    request_for(executive, waited=dt.timedelta(hours=1), account=AccountFactory(name="New Request"))
    meeting = EngagementFactory(
        executives=[executive],
        account=AccountFactory(name="Tomorrow"),
        status=Engagement.Status.SCHEDULED,
        starts_at=NOW + dt.timedelta(hours=30),
    )
    EngagementFactory(  # beyond 48 hours: not yet
        executives=[executive], status=Engagement.Status.SCHEDULED, starts_at=NOW + dt.timedelta(hours=72)
    )
    held = HeldEngagementFactory(
        executives=[executive],
        account=AccountFactory(name="Held"),
        starts_at=ago(days=6),
        status_changed_at=ago(days=6),
    )
    today = timezone.localdate()
    late_action = ActionItemFactory(owner=user, title="Send the dates", due_on=today - dt.timedelta(days=2))
    ActionItemFactory(owner=user, title="Call the plant", due_on=today + dt.timedelta(days=3))
    ActionItemFactory(owner=user, title="Later", due_on=today + dt.timedelta(days=10))  # not this week
    PairingFactory(executive=executive, account=AccountFactory(name="Sponsored"), status_changed_at=ago(minutes=30))

    needs = needs_for(Role.EXECUTIVE, user=user, now=NOW)

    assert lines(needs) == [
        ("request", "Answer request: Late Request", Urgency.OVERDUE),
        ("debrief", "Debrief: Held", Urgency.OVERDUE),
        ("action", "Action: Send the dates", Urgency.OVERDUE),
        ("meeting", "Prepare: Tomorrow", Urgency.SOON),
        ("request", "Answer request: New Request", Urgency.WAITING),
        ("sponsorship", "Sponsor Sponsored?", Urgency.WAITING),
        ("action", "Action: Call the plant", Urgency.WAITING),
    ]
    urls = [need.url for need in needs]
    assert urls[:4] == [
        f"/engagements/{late_request.pk}/#decide-heading",
        f"/debriefs/{held.pk}/",
        f"/actions/{late_action.pk}/",
        f"/engagements/{meeting.pk}/#brief-heading",
    ]
    assert needs[0].note == "waiting 8 days"
    assert needs[3].when == meeting.starts_at


@pytest.mark.django_db
def test_the_executives_home_lists_them_at_the_top_each_a_link(client):
    executive = ExecutiveFactory()
    request = request_for(executive, waited=dt.timedelta(days=8), account=AccountFactory(name="Northwind"))
    client.force_login(executive.user)

    page = client.get(reverse("engagement:executive_home")).content.decode()

    assert page.index("Needs you now") < page.index("Exposure hours in this window")
    assert f'href="/engagements/{request.pk}/#decide-heading">Answer request: Northwind</a>' in page
    assert '<span class="badge text-bg-danger">Late</span> waiting 8 days' in page


@pytest.mark.django_db
def test_many_of_a_kind_are_one_counted_line_to_the_list_behind_them(client):
    executive = ExecutiveFactory()
    for days in range(5):
        request_for(executive, waited=dt.timedelta(days=days, hours=1))
    client.force_login(executive.user)

    [need] = needs_for(Role.EXECUTIVE, user=executive.user, now=NOW)

    assert (need.text, need.note, need.count, need.urgency) == (
        "5 requests to answer",
        "oldest 4 days",
        5,
        Urgency.OVERDUE,
    )
    listed = client.get(need.url)
    assert listed.status_code == 200
    assert len(listed.context["page"].object_list) == 5


@pytest.mark.django_db
def test_a_person_with_nothing_waiting_reads_so(client):
    executive = ExecutiveFactory()
    client.force_login(executive.user)

    assert "Nothing waits for you." in client.get(reverse("engagement:executive_home")).content.decode()

    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    client.force_login(manager)
    assert "Nothing waits for you." in client.get(reverse("engagement:account_manager_home")).content.decode()


@pytest.mark.django_db
def test_an_executive_sees_only_their_own_needs():
    executive, other = ExecutiveFactory(), ExecutiveFactory()
    request_for(other, waited=dt.timedelta(days=8))
    # Asked along, not to lead: the lead answers.
    EngagementFactory(
        executives=[other, executive],
        status=Engagement.Status.REQUESTED,
        starts_at=NOW + dt.timedelta(days=20),
        status_changed_at=ago(days=8),
    )
    EngagementFactory(executives=[other], status=Engagement.Status.SCHEDULED, starts_at=NOW + dt.timedelta(hours=5))
    HeldEngagementFactory(executives=[other], starts_at=ago(days=6), status_changed_at=ago(days=6))
    ActionItemFactory(owner=other.user, due_on=timezone.localdate() - dt.timedelta(days=2))
    ActionItemFactory(created_by=executive.user, due_on=timezone.localdate() - dt.timedelta(days=2))
    PairingFactory(executive=other)

    assert needs_for(Role.EXECUTIVE, user=executive.user, now=NOW) == []
    assert [need.kind for need in needs_for(Role.EXECUTIVE, user=other.user, now=NOW)] == [
        "request",
        "request",
        "debrief",
        "action",
        "meeting",
        "sponsorship",
    ]


@pytest.mark.django_db
def test_an_account_manager_sees_each_kind_of_need_on_their_own_accounts_only(client):
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    mine = AccountFactory(name="Mine", account_manager=manager)
    contact_record(executive=ExecutiveFactory(), account=mine, occurred_at=ago(days=10))
    on_team = AccountFactory(name="On the team")
    on_team.account_team.add(manager)
    contact_record(executive=ExecutiveFactory(), account=on_team, occurred_at=ago(days=120))
    approved = in_status(mine, Engagement.Status.APPROVED, waited=dt.timedelta(days=7))
    question = in_status(on_team, Engagement.Status.QUESTION, waited=dt.timedelta(hours=3))
    held = HeldEngagementFactory(account=mine, starts_at=ago(days=4), status_changed_at=ago(days=4))
    action = ActionItemFactory(
        engagement=held, title="Send the plan", due_on=timezone.localdate() - dt.timedelta(days=1)
    )
    theirs = AccountFactory(name="Someone else's", account_manager=UserFactory(roles=[Role.ACCOUNT_MANAGER]))
    in_status(theirs, Engagement.Status.APPROVED, waited=dt.timedelta(days=7))
    in_status(theirs, Engagement.Status.QUESTION, waited=dt.timedelta(days=7))
    ActionItemFactory(
        engagement=HeldEngagementFactory(account=theirs), due_on=timezone.localdate() - dt.timedelta(days=1)
    )

    needs = needs_for(Role.ACCOUNT_MANAGER, user=manager, now=NOW)

    assert lines(needs) == [
        ("schedule", "Schedule: Mine", Urgency.OVERDUE),
        ("debrief", "Debrief: Mine", Urgency.OVERDUE),
        ("action", "Action: Send the plan", Urgency.OVERDUE),
        # Past the ideal 90 days, not yet the most 180 days, these 30 days.
        ("quiet", "Going quiet: On the team", Urgency.WAITING),
        ("question", "Answer question: On the team", Urgency.WAITING),
    ]
    assert [need.url for need in needs] == [
        f"/engagements/{approved.pk}/schedule/",
        f"/debriefs/{held.pk}/",
        f"/actions/{action.pk}/",
        f"/accounts/{on_team.pk}/",
        f"/engagements/{question.pk}/#answer-heading",
    ]

    client.force_login(manager)
    page = client.get(reverse("engagement:account_manager_home")).content.decode()
    assert page.index("Needs you now") < page.index("accounts you manage or serve on")
    assert "Someone else" not in page.split("accounts you manage or serve on")[0]
