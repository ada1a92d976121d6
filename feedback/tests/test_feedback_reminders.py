"""What the reminder engine hears from feedback: a debrief not written two
days after the meeting, and an action past its due date in its owner's own
time zone; each reminded once per episode."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.core import mail
from zeal import zeal_context

from engagement.moments import moments_in_zone
from engagement.notifications.models import Notification
from engagement.people.roles import Role
from engagement.reminders.models import Reminder
from engagement.reminders.scan import reminders_due, reminders_record
from engagement.reminders.sending import reminder_claim, reminder_deliver, reminders_ready
from engagement.tests.factories import AccountFactory, ExecutiveFactory, UserFactory
from feedback.models import ActionItem, Sentiment
from feedback.services import debrief_draft_save, debrief_submit
from feedback.tests.factories import ActionItemFactory, HeldEngagementFactory
from visits.models import Engagement

UTC = dt.UTC
AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
# A Tuesday, noon UTC: working hours in London, so what is found goes out at once.
NOW = dt.datetime(2025, 6, 10, 12, tzinfo=UTC)
DEBRIEF = Reminder.Kind.DEBRIEF_DUE
OVERDUE = Reminder.Kind.ACTION_OVERDUE


def found(kind: str, now: dt.datetime = NOW, as_of: dt.date | None = None) -> list[tuple[int, str]]:
    """(recipient id, episode) of each reminder of ``kind`` a scan at ``now`` finds, in order."""
    return [(due.recipient_id, due.episode) for due in reminders_due(now=now, as_of=as_of) if due.kind == kind]


def scan(kind: str, now: dt.datetime = NOW) -> None:
    """Record what a scan at ``now`` finds of ``kind``, as the periodic task does."""
    reminders_record(dues=[due for due in reminders_due(now=now) if due.kind == kind], now=now)


def held(account: Any, executives: list[Any], ago: dt.timedelta, **kwargs: Any) -> Engagement:
    """An engagement marked held ``ago`` before NOW, after an hour's meeting."""
    return HeldEngagementFactory(
        account=account,
        executives=executives,
        starts_at=NOW - ago - dt.timedelta(hours=1),
        status_changed_at=NOW - ago,
        **kwargs,
    )


def episode(engagement: Engagement) -> str:
    return f"engagement:{engagement.pk}:debrief"


# --- Debriefs not written ------------------------------------------------------------


@pytest.mark.django_db
def test_two_days_after_the_meeting_everyone_who_took_part_is_reminded_of_the_debrief_once(
    account, account_manager, lead, colleague
):
    left = ExecutiveFactory(active=False)
    engagement = held(account, [lead, colleague, left], dt.timedelta(days=2))

    dues = [due for due in reminders_due(now=NOW) if due.kind == DEBRIEF]

    assert sorted(due.recipient_id for due in dues) == sorted([lead.user_id, colleague.user_id, account_manager.pk])
    assert {due.episode for due in dues} == {episode(engagement)}
    assert {due.url for due in dues} == {f"/debriefs/{engagement.pk}/"}
    day = f"{engagement.starts_at:%-d %b %Y}"
    assert moments_in_zone(dues[0].reason, "UTC") == (
        f"The {engagement.type} with Northwind Traders on {day} has no debrief yet: "
        "write down what the customer said while it is fresh."
    )


@pytest.mark.django_db
def test_one_day_after_the_meeting_nobody_is_reminded_yet(account, lead):
    held(account, [lead], dt.timedelta(days=1))
    held(account, [lead], dt.timedelta(days=2) - dt.timedelta(minutes=1))

    assert found(DEBRIEF) == []


@pytest.mark.django_db
def test_once_a_debrief_is_submitted_nobody_is_reminded(account, lead, colleague):
    engagement = held(account, [lead, colleague], dt.timedelta(days=3))
    with zeal_context():
        debrief_submit(
            engagement=engagement,
            author=colleague.user,
            fields={"heard": "“Invoices are late.”", "sentiment": Sentiment.NEGATIVE},
            themes=[],
            now=NOW - dt.timedelta(hours=1),
        )

    assert found(DEBRIEF) == []


@pytest.mark.django_db
def test_a_draft_is_not_a_debrief(account, account_manager, lead):
    engagement = held(account, [lead], dt.timedelta(days=3))
    debrief_draft_save(engagement=engagement, author=lead.user, fields={"heard": "“Invoi"})

    assert sorted(found(DEBRIEF)) == sorted(
        [(lead.user_id, episode(engagement)), (account_manager.pk, episode(engagement))]
    )


@pytest.mark.django_db
def test_thirty_days_after_the_meeting_nobody_is_reminded_any_more(account, account_manager, lead):
    recent = held(account, [lead], dt.timedelta(days=29, hours=23))
    held(account, [lead], dt.timedelta(days=30))

    assert sorted(found(DEBRIEF)) == sorted([(lead.user_id, episode(recent)), (account_manager.pk, episode(recent))])


@pytest.mark.django_db
def test_an_account_manager_who_attended_as_an_executive_is_reminded_once(account, lead):
    manager_executive = ExecutiveFactory(user=UserFactory(roles=[Role.EXECUTIVE, Role.ACCOUNT_MANAGER]))
    account.account_manager = manager_executive.user
    account.save()
    engagement = held(account, [lead, manager_executive], dt.timedelta(days=2))

    assert sorted(found(DEBRIEF)) == sorted(
        [(lead.user_id, episode(engagement)), (manager_executive.user_id, episode(engagement))]
    )


@pytest.mark.django_db
def test_people_whose_login_is_closed_are_not_reminded_of_a_debrief(lead):
    closed_executive = ExecutiveFactory(user=UserFactory(is_active=False, roles=[Role.EXECUTIVE]))
    closed_manager = UserFactory(is_active=False, roles=[Role.ACCOUNT_MANAGER])
    engagement = held(AccountFactory(account_manager=closed_manager), [lead, closed_executive], dt.timedelta(days=2))

    assert found(DEBRIEF) == [(lead.user_id, episode(engagement))]


@pytest.mark.django_db
def test_an_account_without_a_manager_reminds_the_executives_only(lead):
    engagement = held(AccountFactory(account_manager=None), [lead], dt.timedelta(days=2))

    assert found(DEBRIEF) == [(lead.user_id, episode(engagement))]


@pytest.mark.django_db
def test_a_debrief_reminder_is_recorded_once_however_often_the_scan_runs(account, account_manager, lead, colleague):
    held(account, [lead, colleague], dt.timedelta(days=2))

    scan(DEBRIEF)
    scan(DEBRIEF, NOW + dt.timedelta(hours=1))
    scan(DEBRIEF, NOW + dt.timedelta(days=5))

    assert sorted(Reminder.objects.filter(kind=DEBRIEF).values_list("recipient_id", flat=True)) == sorted(
        [lead.user_id, colleague.user_id, account_manager.pk]
    )


@pytest.mark.django_db
def test_the_debrief_reminder_reaches_the_executive_by_email_and_in_the_app(account, lead):
    engagement = held(account, [lead], dt.timedelta(days=2))
    scan(DEBRIEF)

    for reminder_id in reminders_ready(now=NOW):
        with zeal_context():  # each send is a task run of its own
            assert reminder_claim(reminder_id=reminder_id, now=NOW)
            assert reminder_deliver(reminder_id=reminder_id, now=NOW)

    [message] = [message for message in mail.outbox if message.to == [lead.user.email]]
    assert "has no debrief yet" in message.body
    assert f"https://groundwork.example/debriefs/{engagement.pk}/" in message.body
    notification = Notification.objects.get(user=lead.user)
    assert notification.message.startswith("Debrief not written: The ")
    assert notification.url == f"/debriefs/{engagement.pk}/"


# --- Actions past their due date ------------------------------------------------------


def action_due(on: dt.date, time_zone: str = "UTC", **kwargs: Any) -> ActionItem:
    return ActionItemFactory(
        owner=UserFactory(time_zone=time_zone), due_on=on, title="Send the corrected invoices", **kwargs
    )


def action_episode(action: ActionItem) -> str:
    return f"action:{action.pk}:{action.due_on.isoformat()}"


@pytest.mark.django_db
def test_an_action_is_overdue_when_its_owners_own_next_day_begins_in_auckland():
    kiwi = action_due(dt.date(2025, 6, 10), "Pacific/Auckland")
    londoner = action_due(dt.date(2025, 6, 10))
    # 23:00 and 01:00 in Auckland, either side of its midnight; both on 10 June in UTC.
    before_midnight = dt.datetime(2025, 6, 10, 23, tzinfo=AUCKLAND)
    after_midnight = dt.datetime(2025, 6, 11, 1, tzinfo=AUCKLAND)

    assert found(OVERDUE, before_midnight) == []
    assert found(OVERDUE, after_midnight) == [(kiwi.owner_id, action_episode(kiwi))]
    assert found(OVERDUE, dt.datetime(2025, 6, 11, 0, 1, tzinfo=UTC)) == sorted(
        [(kiwi.owner_id, action_episode(kiwi)), (londoner.owner_id, action_episode(londoner))]
    )


@pytest.mark.django_db
def test_an_action_is_overdue_only_when_its_owners_own_next_day_begins_in_los_angeles():
    angeleno = action_due(dt.date(2025, 6, 10), "America/Los_Angeles")
    # 20:00 on 10 June and 01:00 on 11 June in Los Angeles, both on 11 June in UTC.
    evening = dt.datetime(2025, 6, 11, 3, tzinfo=UTC)
    night = dt.datetime(2025, 6, 11, 8, tzinfo=UTC)

    assert found(OVERDUE, evening) == []
    assert found(OVERDUE, night) == [(angeleno.owner_id, action_episode(angeleno))]


@pytest.mark.django_db
def test_the_overdue_reminder_says_how_late_and_leads_to_the_action():
    action = action_due(dt.date(2025, 6, 7))

    [due] = [due for due in reminders_due(now=NOW) if due.kind == OVERDUE]

    assert due.reason == f"“Send the corrected invoices” ({action.engagement.account}) was due 3 days ago, on 7 Jun."
    assert due.url == f"/actions/{action.pk}/"


@pytest.mark.django_db
def test_a_closed_an_unowned_or_a_not_yet_due_action_reminds_nobody():
    yesterday = dt.date(2025, 6, 9)
    action_due(yesterday, status=ActionItem.Status.DONE, status_note="Sent.")
    action_due(yesterday, status=ActionItem.Status.WONT_DO, status_note="Not ours.")
    ActionItemFactory(owner=UserFactory(is_active=False), due_on=yesterday)
    action_due(dt.date(2025, 6, 10))  # due today: not late yet
    working = action_due(yesterday, status=ActionItem.Status.IN_PROGRESS)

    assert found(OVERDUE) == [(working.owner_id, action_episode(working))]


@pytest.mark.django_db
def test_moving_the_due_date_starts_a_new_episode():
    action = action_due(dt.date(2025, 6, 9))
    first = action_episode(action)
    scan(OVERDUE)
    scan(OVERDUE, NOW + dt.timedelta(days=1))

    ActionItem.objects.filter(pk=action.pk).update(due_on=dt.date(2025, 6, 13))
    scan(OVERDUE, NOW + dt.timedelta(days=2))  # 12 June: the new date has not passed
    assert list(Reminder.objects.filter(kind=OVERDUE).values_list("episode", flat=True)) == [first]

    scan(OVERDUE, NOW + dt.timedelta(days=4))  # 14 June
    assert sorted(Reminder.objects.filter(kind=OVERDUE).values_list("episode", flat=True)) == sorted(
        [first, f"action:{action.pk}:2025-06-13"]
    )


@pytest.mark.django_db
def test_a_scan_as_of_a_day_reads_that_day_for_every_owner():
    kiwi = action_due(dt.date(2025, 6, 10), "Pacific/Auckland")
    angeleno = action_due(dt.date(2025, 6, 10), "America/Los_Angeles")

    assert found(OVERDUE, NOW, as_of=dt.date(2025, 6, 10)) == []
    assert found(OVERDUE, NOW, as_of=dt.date(2025, 6, 11)) == sorted(
        [(kiwi.owner_id, action_episode(kiwi)), (angeleno.owner_id, action_episode(angeleno))]
    )
