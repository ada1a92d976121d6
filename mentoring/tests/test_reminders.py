"""What the reminder engine hears from mentoring: the executive of an active
pairing whose session is due, or lapsed, on their own calendar day; once per
gap between sessions."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagement.notifications.models import Notification
from engagement.reminders.models import Reminder
from engagement.reminders.scan import ScanMoment, reminders_due, reminders_record
from engagement.reminders.sending import reminder_claim, reminder_deliver, reminders_ready
from engagement.tests.factories import ExecutiveFactory, UserFactory, contact_record
from mentoring.models import Pairing
from mentoring.reminders import session_due_reminders
from mentoring.tests.factories import PairingFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")
# A Tuesday, noon UTC: working hours for the UTC executives here, so what is
# found goes out at once.
NOW = dt.datetime(2025, 6, 10, 12, tzinfo=UTC)
TODAY = NOW.date()
SESSION_DUE = Reminder.Kind.SESSION_DUE
SITE = "https://groundwork.example"


def pairing_met(days_ago: int | None, *, status: str = Pairing.Status.ACTIVE, **kwargs: object) -> Pairing:
    """A monthly pairing, started long ago, whose last session was ``days_ago``
    days before NOW (None: no session since it started)."""
    kwargs.setdefault("starts_on", TODAY - dt.timedelta(days=200))
    pairing = PairingFactory(status=status, account__name="Acme", **kwargs)
    if days_ago is not None:
        met(pairing, NOW - dt.timedelta(days=days_ago))
    return pairing


def met(pairing: Pairing, when: dt.datetime) -> None:
    """The pairing's executive met its account at ``when``: a session."""
    contact_record(executive=pairing.executive, account=pairing.account, occurred_at=when)


def found(now: dt.datetime = NOW) -> list[tuple[int, str]]:
    """(recipient id, episode) of each session-due reminder a scan at ``now`` finds."""
    return [(due.recipient_id, due.episode) for due in reminders_due(now=now) if due.kind == SESSION_DUE]


def scan(now: dt.datetime = NOW) -> None:
    """Record what a scan at ``now`` finds, as the periodic task does."""
    reminders_record(dues=[due for due in reminders_due(now=now) if due.kind == SESSION_DUE], now=now)


def episode(pairing: Pairing, since: dt.date) -> str:
    return f"pairing:{pairing.pk}:{since.isoformat()}"


def test_a_pairing_with_a_recent_session_reminds_nobody():
    pairing_met(23)  # the last healthy day of a monthly cadence

    assert found() == []


def test_in_the_last_week_of_the_cadence_the_executive_is_reminded_to_meet_the_account():
    pairing = pairing_met(24)
    last_session = TODAY - dt.timedelta(days=24)

    [due] = [due for due in reminders_due(now=NOW) if due.kind == SESSION_DUE]

    assert (due.recipient_id, due.executive_id) == (pairing.executive.user_id, pairing.executive_id)
    assert due.episode == episode(pairing, last_session)
    assert due.reason == (
        "Your last session with Acme was on 17 May; a session is due every 30 days: meet them by 16 Jun."
    )
    assert due.url == reverse("mentoring:pairing_detail", kwargs={"pk": pairing.pk})


def test_a_lapsed_pairing_reminds_the_executive_that_the_session_is_overdue():
    pairing = pairing_met(45, session_cadence_days=14)

    [due] = [due for due in reminders_due(now=NOW) if due.kind == SESSION_DUE]

    assert due.episode == episode(pairing, TODAY - dt.timedelta(days=45))
    assert due.reason == (
        "Your last session with Acme was on 26 Apr; a session is due every 14 days: "
        "one was due by 10 May, so the pairing has lapsed: meet them as soon as you can."
    )


def test_before_the_first_session_the_cadence_runs_from_the_pairings_start():
    starts_on = TODAY - dt.timedelta(days=25)
    pairing = pairing_met(None, starts_on=starts_on)
    # Met before the pairing started: not a session of it.
    met(pairing, NOW - dt.timedelta(days=26))

    [due] = [due for due in reminders_due(now=NOW) if due.kind == SESSION_DUE]

    assert due.episode == episode(pairing, starts_on)
    assert due.reason == (
        "You have had no session with Acme since your pairing started on 16 May; "
        "a session is due every 30 days: meet them by 15 Jun."
    )


@pytest.mark.parametrize("status", [Pairing.Status.PROPOSED, Pairing.Status.PAUSED, Pairing.Status.ENDED])
def test_only_an_active_pairing_is_reminded(status):
    pairing_met(45, status=status)

    assert found() == []


def test_an_executive_who_left_the_program_or_whose_login_is_closed_is_not_reminded():
    pairing_met(45, executive=ExecutiveFactory(active=False))
    pairing_met(45, executive=ExecutiveFactory(user=UserFactory(is_active=False)))

    assert found() == []


def test_the_reminder_is_recorded_once_however_often_the_scan_runs():
    pairing = pairing_met(24)

    for day in range(10):  # due, then lapsed, with no session in between
        scan(NOW + dt.timedelta(days=day))

    reminders = Reminder.objects.filter(kind=SESSION_DUE)
    assert list(reminders.values_list("recipient_id", "episode")) == [
        (pairing.executive.user_id, episode(pairing, TODAY - dt.timedelta(days=24)))
    ]


def test_a_new_session_ends_the_gap_and_the_next_gap_is_reminded_once_more():
    pairing = pairing_met(24)
    scan(NOW)
    met(pairing, NOW + dt.timedelta(hours=1))

    for day in range(1, 24):
        assert found(NOW + dt.timedelta(days=day)) == [], day
    scan(NOW + dt.timedelta(days=24))

    assert sorted(Reminder.objects.filter(kind=SESSION_DUE).values_list("episode", flat=True)) == sorted(
        [episode(pairing, TODAY - dt.timedelta(days=24)), episode(pairing, TODAY)]
    )


def test_a_session_is_due_on_the_executives_own_calendar_day():
    kiwi = ExecutiveFactory(user=UserFactory(time_zone="Pacific/Auckland"))
    pairing = pairing_met(None, executive=kiwi)
    # 18 May in Auckland: 24 days before 11 June there, 23 before 10 June in UTC.
    met(pairing, dt.datetime(2025, 5, 18, 12, tzinfo=AUCKLAND))
    late_on_10_june = dt.datetime(2025, 6, 10, 23, 59, tzinfo=AUCKLAND)
    first_thing_on_11_june = dt.datetime(2025, 6, 11, 0, 0, tzinfo=AUCKLAND)

    assert found(late_on_10_june) == []
    assert found(first_thing_on_11_june) == [(kiwi.user_id, episode(pairing, dt.date(2025, 5, 18)))]


def test_a_scan_as_of_a_day_counts_from_that_day():
    pairing = pairing_met(10)

    dues = list(session_due_reminders(ScanMoment(now=NOW, as_of=TODAY + dt.timedelta(days=14))))

    assert [due.episode for due in dues] == [episode(pairing, TODAY - dt.timedelta(days=10))]


def test_the_scan_takes_one_query_however_many_pairings():
    pairing_met(24)
    with CaptureQueriesContext(connection) as one:
        assert len(list(session_due_reminders(ScanMoment(now=NOW)))) == 1
    for days_ago in range(9):
        pairing_met(20 + days_ago * 5)
    with CaptureQueriesContext(connection) as ten:
        assert len(list(session_due_reminders(ScanMoment(now=NOW)))) == 9

    assert len(one) == len(ten) == 1


def test_the_reminder_email_says_when_to_meet_the_account_and_opens_the_pairing():
    pairing = pairing_met(24, executive=ExecutiveFactory(user=UserFactory(full_name="Dana Whitfield")))
    scan(NOW)
    [reminder_id] = reminders_ready(now=NOW)

    assert reminder_claim(reminder_id=reminder_id, now=NOW)
    assert reminder_deliver(reminder_id=reminder_id, now=NOW)

    [message] = mail.outbox
    [(html, _)] = message.alternatives
    pairing_url = f"{SITE}{reverse('mentoring:pairing_detail', kwargs={'pk': pairing.pk})}"
    reason = "Your last session with Acme was on 17 May; a session is due every 30 days: meet them by 16 Jun."
    assert message.to == [pairing.executive.user.email]
    assert message.subject == "[Groundwork] Mentoring session due"
    assert message.body.startswith(f"Hello Dana,\n\n{reason}\n")
    assert f"Open the pairing, and ask the account manager for a meeting if none is planned: {pairing_url}" in (
        message.body
    )
    assert "Open the engagement" not in message.body
    assert "<h1>A session with the account you sponsor is due</h1>" in html
    assert f'<a href="{pairing_url}">Open the pairing</a>' in html
    assert Notification.objects.get(user=pairing.executive.user).message == f"Mentoring session due: {reason}"
