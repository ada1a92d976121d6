"""Customer meetings read from a calendar, made contacts: suggested on the
executive's home, logged in one tap or without asking, dismissed, moved and
cancelled with their event, never twice; and no "window closes soon" for an
executive whose calendar already holds a customer meeting before it does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from unittest import mock

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from zeal import zeal_context, zeal_ignore

from config.celery import app as celery_app
from engagement.accounts.models import AccountDomain
from engagement.dashboards.needs import needs_for
from engagement.notifications.models import Notification
from engagement.people.models import Executive
from engagement.people.roles import Role
from engagement.reminders.contact import COVERED_REASON
from engagement.reminders.models import Reminder
from engagement.reminders.scan import ScanMoment, reminders_due, reminders_record
from engagement.reminders.standing import reminders_withdraw_stale
from engagement.tests.factories import AccountFactory, ContactFactory, ExecutiveFactory, ProgramFactory, contact_record
from visits import tasks
from visits.calendar_reads import calendar_read
from visits.calendar_suggestions import (
    calendar_meeting_confirm,
    calendar_meeting_dismiss,
    calendar_meetings_to_log,
)
from visits.models import CalendarConnection, CalendarMeeting, Engagement, EngagementStatusChange, EngagementType
from visits.tests.test_calendar_sync import Feeds, calendar, feeds  # noqa: F401 - the feeds fixture

pytestmark = pytest.mark.django_db

# Monday 7 December 2026, 12:00 UTC: the meetings below are around it.
NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)


def event(uid: str, start: dt.datetime, minutes: int = 45, *, attendee: str = "jane.doe@acme.com", **extra: str) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261201T000000Z",
        f"DTSTART:{start.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}",
        f"DTEND:{(start + dt.timedelta(minutes=minutes)).astimezone(dt.UTC):%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{extra.pop('summary', 'Quarterly review')}",
        f"LOCATION:{extra.pop('location', 'Acme HQ, Lyon')}",
        "DESCRIPTION:Private notes that are never kept",
        "ORGANIZER:mailto:alice@groundwork.example",
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@groundwork.example",
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{attendee}",
        *(f"{name.upper()}:{value}" for name, value in extra.items()),
        "END:VEVENT",
    ]
    return "\r\n".join(lines)


def feed(*events: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n" + "\r\n".join(events) + "\r\nEND:VCALENDAR\r\n"
    ).encode()


class Calendar:
    """One executive's calendar, served over HTTP, read as the task reads it."""

    def __init__(self, server: Feeds, executive: Executive, path: str = "/alice.ics") -> None:
        self.server, self.path, self.version = server, path, 0
        self.connection = CalendarConnection(owner=executive.user, name="Work", next_read_at=NOW)
        self.connection.url = server.url(path)
        self.connection.save()

    def holds(self, *events: str, now: dt.datetime = NOW) -> None:
        self.version += 1
        self.server.routes[self.path] = calendar(feed(*events), etag=f'"v{self.version}"')
        with zeal_context():  # one read, as one task runs it
            outcome = calendar_read(self.connection.pk, now)
        assert outcome.result == "read", outcome

    def meeting(self, uid: str) -> CalendarMeeting:
        with zeal_ignore():  # the test's own read
            return CalendarMeeting.objects.get(connection=self.connection, uid=uid)


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Queued tasks run at once, where they are queued."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.fixture
def acme() -> int:
    ProgramFactory(company_domains="groundwork.example")
    account = AccountFactory(name="Acme")
    AccountDomain.objects.create(account=account, domain="acme.com")
    ContactFactory(account=account, email="jane.doe@acme.com", name="Jane Doe")
    return account.pk


@pytest.fixture
def alice(acme: int) -> Executive:
    return ExecutiveFactory(
        user__email="alice@groundwork.example", user__full_name="Alice Martin", user__time_zone="Europe/Paris"
    )


@pytest.fixture
def alices(feeds: Feeds, alice: Executive) -> Calendar:  # noqa: F811
    return Calendar(feeds, alice)


def suggestions(executive: Executive) -> list:
    return [
        need for need in needs_for(Role.EXECUTIVE, user=executive.user, now=NOW) if need.kind == "calendar_suggestion"
    ]


YESTERDAY = NOW - dt.timedelta(days=1)
TOMORROW = NOW + dt.timedelta(days=1)


def test_a_past_customer_meeting_is_suggested_and_one_tap_logs_it_once(alices: Calendar, alice: Executive, client):
    alices.holds(event("review-1", YESTERDAY, 50), event("later-1", TOMORROW))
    meeting = alices.meeting("review-1")

    needs = suggestions(alice)
    assert [(need.text, need.action) for need in needs] == [
        (
            "Log: Acme · Quarterly review",
            ("Log it", reverse("visits:calendar_meeting_confirm", kwargs={"pk": meeting.pk})),
        )
    ]

    engagement, made = calendar_meeting_confirm(meeting_pk=meeting.pk, by=alice.user, now=NOW)
    again, made_again = calendar_meeting_confirm(meeting_pk=meeting.pk, by=alice.user, now=NOW)

    assert made and not made_again and again.pk == engagement.pk
    engagement.refresh_from_db()
    assert (engagement.starts_at, engagement.duration_minutes) == (YESTERDAY, 50)
    assert engagement.capture == Engagement.Capture.CONFIRMED
    assert engagement.calendar_key == "review-1#"
    assert engagement.type.slug == "on-site-visit"  # it has a place, and no call in it
    assert list(engagement.contacts.values_list("email", flat=True)) == ["jane.doe@acme.com"]
    alice.refresh_from_db()
    assert alice.last_contact_on == YESTERDAY.date()  # the cadence counts from it
    assert not suggestions(alice)

    # Read again, unchanged or not: still one engagement, still linked.
    alices.holds(event("review-1", YESTERDAY, 50, summary="Quarterly review (notes)"), event("later-1", TOMORROW))
    assert Engagement.objects.count() == 1
    assert alices.meeting("review-1").engagement_id == engagement.pk


def test_a_meeting_still_to_come_is_not_logged_but_shown_on_the_home(alices: Calendar, alice: Executive, client):
    alices.holds(event("later-1", TOMORROW, summary="Renewal talk"))
    meeting = alices.meeting("later-1")

    with pytest.raises(Exception, match="has not ended yet"):
        calendar_meeting_confirm(meeting_pk=meeting.pk, by=alice.user, now=NOW)

    client.force_login(alice.user)
    page = client.get(reverse("engagement:executive_home")).content.decode()
    assert "Customer meetings coming up" in page and "Renewal talk" in page
    assert Engagement.objects.count() == 0


def test_the_home_logs_a_meeting_in_one_tap_with_an_undo(alices: Calendar, alice: Executive, client):
    alices.holds(event("review-1", YESTERDAY, 30, location="Zoom"))
    meeting = alices.meeting("review-1")
    client.force_login(alice.user)
    home = reverse("engagement:executive_home")
    assert reverse("visits:calendar_meeting_confirm", kwargs={"pk": meeting.pk}) in client.get(home).content.decode()

    response = client.post(
        reverse("visits:calendar_meeting_confirm", kwargs={"pk": meeting.pk}), {"next": home}, follow=True
    )

    engagement = Engagement.objects.get()
    assert engagement.type.slug == "virtual-meeting" and engagement.duration_minutes == 30
    assert response.redirect_chain[-1][0] == home
    assert "It counts toward your cadence now" in response.content.decode()

    client.post(reverse("visits:calendar_meeting_unlog", kwargs={"pk": meeting.pk}))
    assert not Engagement.objects.exists()
    assert CalendarMeeting.objects.get().engagement_id is None  # suggested again


def test_kind_and_length_can_be_changed_and_bad_values_log_nothing(alices: Calendar, alice: Executive, client):
    alices.holds(event("review-1", YESTERDAY, 45))
    meeting = alices.meeting("review-1")
    client.force_login(alice.user)
    page = client.get(reverse("visits:calendar_suggestions"))
    assert page.status_code == 200 and "Quarterly review" in page.content.decode()
    ride = EngagementType.objects.get(slug="ride-along")
    url = reverse("visits:calendar_meeting_confirm", kwargs={"pk": meeting.pk})
    prefix = f"m{meeting.pk}"

    refused = client.post(url, {f"{prefix}-type": ride.pk, f"{prefix}-duration_minutes": "9999"}, follow=True)
    assert "Log at most 12 hours" in refused.content.decode()
    assert not Engagement.objects.exists()

    client.post(url, {f"{prefix}-type": ride.pk, f"{prefix}-duration_minutes": "240"})
    engagement = Engagement.objects.get()
    assert (engagement.type_id, engagement.duration_minutes) == (ride.pk, 240)


def test_moving_the_event_moves_the_contact_and_cancelling_it_withdraws_it(alices: Calendar, alice: Executive):
    alices.holds(event("review-1", YESTERDAY, 50))
    engagement, _ = calendar_meeting_confirm(meeting_pk=alices.meeting("review-1").pk, by=alice.user, now=NOW)

    earlier = YESTERDAY - dt.timedelta(days=2, hours=3)
    alices.holds(event("review-1", earlier, 90))
    engagement.refresh_from_db()
    assert (engagement.starts_at, engagement.duration_minutes) == (earlier, 90)
    assert Engagement.objects.count() == 1
    assert EngagementStatusChange.objects.filter(
        engagement=engagement, note__startswith="Moved in the calendar"
    ).exists()
    alice.refresh_from_db()
    assert alice.last_contact_on == earlier.date()

    alices.holds(event("review-1", earlier, 90, status="CANCELLED"))
    assert not Engagement.objects.exists()
    alice.refresh_from_db()
    assert alice.last_contact_on is None
    deleted = LogEntry.objects.get_for_object(engagement).filter(action=LogEntry.Action.DELETE)
    assert deleted.count() == 1
    [told] = Notification.objects.filter(user=alice.user, message__contains="was cancelled in the calendar")
    assert "no longer counts toward your customer contact" in told.message


def test_an_event_still_there_but_no_longer_matched_keeps_its_contact(alices: Calendar, alice: Executive):
    alices.holds(event("review-1", YESTERDAY))
    engagement, _ = calendar_meeting_confirm(meeting_pk=alices.meeting("review-1").pk, by=alice.user, now=NOW)

    AccountDomain.objects.all().delete()
    alices.holds(event("review-1", YESTERDAY, attendee="someone@elsewhere.example"))

    assert not CalendarMeeting.objects.exists()
    assert Engagement.objects.filter(pk=engagement.pk).exists()


def test_the_same_event_in_two_calendars_makes_one_engagement(feeds: Feeds, alice: Executive, alices: Calendar):  # noqa: F811
    bob = ExecutiveFactory(user__email="bob@groundwork.example")
    bobs = Calendar(feeds, bob, "/bob.ics")
    alices.holds(event("review-1", YESTERDAY))
    bobs.holds(event("review-1", YESTERDAY))

    first, made = calendar_meeting_confirm(meeting_pk=alices.meeting("review-1").pk, by=alice.user, now=NOW)
    second, made_again = calendar_meeting_confirm(meeting_pk=bobs.meeting("review-1").pk, by=bob.user, now=NOW)

    assert made and not made_again and first.pk == second.pk
    assert set(first.attendances.values_list("executive_id", flat=True)) == {alice.pk, bob.pk}
    bob.refresh_from_db()
    assert bob.last_contact_on == YESTERDAY.date()


def test_a_dismissed_meeting_is_suggested_no_more_even_when_read_again(alices: Calendar, alice: Executive, client):
    alices.holds(event("review-1", YESTERDAY, summary="Lunch with an old friend"))
    meeting = alices.meeting("review-1")

    calendar_meeting_dismiss(meeting_pk=meeting.pk, by=alice.user, now=NOW)
    alices.holds(event("review-1", YESTERDAY, summary="Lunch with an old friend!"))

    assert not suggestions(alice)
    alice.user.calendar_auto_confirm = True
    alice.user.save()
    assert calendar_meetings_to_log(now=NOW) == []

    client.force_login(alice.user)
    client.post(reverse("visits:calendar_meeting_restore", kwargs={"pk": meeting.pk}))
    assert len(suggestions(alice)) == 1


def test_someone_else_cannot_log_or_dismiss_a_meeting(alices: Calendar, client):
    alices.holds(event("review-1", YESTERDAY))
    meeting = alices.meeting("review-1")
    mallory = ExecutiveFactory()
    client.force_login(mallory.user)

    confirm = client.post(reverse("visits:calendar_meeting_confirm", kwargs={"pk": meeting.pk}))
    dismiss = client.post(reverse("visits:calendar_meeting_dismiss", kwargs={"pk": meeting.pk}))
    page = client.get(reverse("visits:calendar_suggestions")).content.decode()

    assert (confirm.status_code, dismiss.status_code) == (404, 404)
    assert "Quarterly review" not in page
    assert not Engagement.objects.exists()
    assert CalendarMeeting.objects.get().dismissed_at is None


def test_meetings_are_logged_without_asking_once_ended_for_those_who_chose_it(
    alices: Calendar, alice: Executive, eager_tasks: None
):
    alice.user.calendar_auto_confirm = True
    alice.user.save()
    alices.holds(event("review-1", YESTERDAY), event("later-1", TOMORROW))

    with zeal_context():
        assert tasks.log_calendar_meetings() == 1
    with zeal_context():
        assert tasks.log_calendar_meetings() == 0
    engagement = Engagement.objects.get()
    assert engagement.capture == Engagement.Capture.AUTOMATIC and engagement.calendar_key == "review-1#"
    assert tasks.log_calendar_meeting(alices.meeting("review-1").pk) is False  # queued twice: logged once

    # Once the later one has ended, the next run logs it too.
    with mock.patch("django.utils.timezone.now", return_value=TOMORROW + dt.timedelta(hours=2)), zeal_context():
        assert tasks.log_calendar_meetings() == 1
    assert Engagement.objects.count() == 2


def test_no_window_closing_reminder_when_a_customer_meeting_comes_before_it_closes(alices: Calendar, alice: Executive):
    # Last contact 36 days ago: due soon, the window closing in 6 days.
    contact_record(executive=alice, occurred_at=NOW - dt.timedelta(days=36))

    def due_soon(now: dt.datetime = NOW) -> list:
        return [
            due for due in reminders_due(now=now) if due.kind == Reminder.Kind.DUE_SOON and due.executive_id == alice.pk
        ]

    assert len(due_soon()) == 1
    reminders_record(dues=due_soon(), now=NOW)

    # A meeting after the window closes does not stop it; one before it does.
    alices.holds(event("far-1", NOW + dt.timedelta(days=10)))
    assert len(due_soon()) == 1
    alices.holds(event("far-1", NOW + dt.timedelta(days=10)), event("soon-1", NOW + dt.timedelta(days=3)))
    assert due_soon() == []

    # The reminder recorded before the meeting was read is withdrawn, saying why.
    later = NOW + dt.timedelta(minutes=5)
    reminders_withdraw_stale(dues=reminders_due(now=later), moment=ScanMoment(now=later))
    reminder = Reminder.objects.get(kind=Reminder.Kind.DUE_SOON)
    assert (reminder.status, reminder.withdrawn_reason) == (Reminder.Status.WITHDRAWN, COVERED_REASON)


def test_a_withdrawn_contact_tells_the_colleagues_on_it(feeds: Feeds, alice: Executive, alices: Calendar):  # noqa: F811
    bob = ExecutiveFactory(user__email="bob@groundwork.example")
    bobs = Calendar(feeds, bob, "/bob.ics")
    alices.holds(event("review-1", YESTERDAY))
    bobs.holds(event("review-1", YESTERDAY))
    calendar_meeting_confirm(meeting_pk=alices.meeting("review-1").pk, by=alice.user, now=NOW)
    calendar_meeting_confirm(meeting_pk=bobs.meeting("review-1").pk, by=bob.user, now=NOW)

    # Cancelled in Alice's calendar only: Bob's still holds it, so it stays.
    alices.holds()
    assert Engagement.objects.count() == 1
    bobs.holds()
    assert not Engagement.objects.exists()
    assert Notification.objects.filter(user=alice.user, message__contains="was cancelled in the calendar").exists()


@pytest.fixture(autouse=True)
def _quiet_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pages read "now" from the clock: the meetings are around NOW."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    yield
