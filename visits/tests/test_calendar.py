from __future__ import annotations

import datetime as dt
import zoneinfo
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ExecutiveFactory, UserFactory
from visits.models import CalendarFeed, Engagement
from visits.services import calendar_feed_revoke, calendar_feed_token
from visits.tests.factories import EngagementFactory, EngagementTypeFactory

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def in_days(days: int, hour: int = 9) -> dt.datetime:
    """A whole minute in Berlin, ``days`` from today: ics times have no microseconds."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 30), tzinfo=BERLIN)


def invite_of(client, engagement: Engagement) -> Calendar:
    response = client.get(reverse("visits:engagement_invite", kwargs={"pk": engagement.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="engagement-{engagement.pk}.ics"'
    return Calendar.from_ical(response.content)


def feed_of(client, token: str):
    return client.get(reverse("visits:calendar_feed_ics", kwargs={"token": token}))


def emails(event) -> set[str]:
    attendees = event.get("ATTENDEE", [])
    attendees = attendees if isinstance(attendees, list) else [attendees]
    return {str(attendee).removeprefix("mailto:") for attendee in attendees}


@pytest.fixture
def account_manager():
    return UserFactory(roles=[Role.ACCOUNT_MANAGER], full_name="Alex Manager", email="alex@groundwork.example")


@pytest.fixture
def scheduled(account_manager):
    """A scheduled visit to an account of ``account_manager``'s, who asked for it."""
    lead = ExecutiveFactory(user__full_name="Robin Lead", user__email="robin@groundwork.example")
    colleague = ExecutiveFactory(user__full_name="Sam Colleague", user__email="sam@groundwork.example")
    engagement = EngagementFactory(
        account=AccountFactory(name="Acme Industries", account_manager=account_manager),
        type=EngagementTypeFactory(name="On-site visit", slug="on-site-visit"),
        executives=[lead, colleague],
        status=Engagement.Status.SCHEDULED,
        starts_at=in_days(7),
        ends_at=in_days(7, hour=11),
        location="Acme HQ, Lyon",
        brief="They are renewing in March.",
        requested_by=account_manager,
        sequence=0,
    )
    engagement.staff.add(UserFactory(full_name="Kim Rep", email="kim@groundwork.example"))
    return engagement


def test_invite_carries_the_engagements_uid_time_summary_and_people(client, scheduled, account_manager):
    client.force_login(account_manager)

    calendar = invite_of(client, scheduled)

    (event,) = calendar.events
    assert calendar["METHOD"] == "REQUEST"
    assert event["UID"] == f"engagement-{scheduled.pk}@groundwork.example"
    assert event["SEQUENCE"] == 0
    assert event.start == in_days(7)
    assert event["DTSTART"].to_ical().endswith(b"Z")  # in UTC
    assert event.end == in_days(7, hour=11)
    assert event["SUMMARY"] == "On-site visit with Acme Industries"
    assert event["LOCATION"] == "Acme HQ, Lyon"
    assert event["STATUS"] == "CONFIRMED"
    assert "They are renewing in March." in event["DESCRIPTION"]
    detail = "https://groundwork.example" + reverse("visits:engagement_detail", kwargs={"pk": scheduled.pk})
    assert event["URL"] == detail
    assert str(event["ORGANIZER"]) == "mailto:alex@groundwork.example"
    assert event["ORGANIZER"].params["CN"] == "Alex Manager"
    assert emails(event) == {"robin@groundwork.example", "sam@groundwork.example", "kim@groundwork.example"}
    names = {attendee.params["CN"] for attendee in event["ATTENDEE"]}
    assert names == {"Robin Lead", "Sam Colleague", "Kim Rep"}


def test_a_changed_engagement_keeps_its_uid_and_raises_its_sequence(client, scheduled, account_manager):
    client.force_login(account_manager)
    before = invite_of(client, scheduled).events[0]
    # As the lifecycle services record a reschedule.
    Engagement.objects.filter(pk=scheduled.pk).update(starts_at=in_days(8), ends_at=in_days(8, hour=10), sequence=1)

    after = invite_of(client, scheduled).events[0]

    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] == 1
    assert after.start == in_days(8)


def test_a_cancelled_engagement_downloads_as_a_cancellation(client, scheduled, account_manager):
    Engagement.objects.filter(pk=scheduled.pk).update(status=Engagement.Status.CANCELLED, sequence=2)
    client.force_login(account_manager)

    calendar = invite_of(client, scheduled)

    assert calendar["METHOD"] == "CANCEL"
    assert calendar.events[0]["STATUS"] == "CANCELLED"
    assert calendar.events[0]["SEQUENCE"] == 2


def test_an_attending_executive_downloads_the_invite(client, scheduled):
    client.force_login(scheduled.attendances.get(role="attendee").executive.user)

    assert invite_of(client, scheduled).events[0]["UID"] == f"engagement-{scheduled.pk}@groundwork.example"


def test_someone_who_cannot_see_the_engagement_gets_404(client, scheduled):
    client.force_login(ExecutiveFactory().user)

    response = client.get(reverse("visits:engagement_invite", kwargs={"pk": scheduled.pk}))

    assert response.status_code == 404


def test_an_engagement_not_yet_scheduled_has_no_invite(client, scheduled, account_manager):
    Engagement.objects.filter(pk=scheduled.pk).update(status=Engagement.Status.APPROVED)
    client.force_login(account_manager)

    response = client.get(reverse("visits:engagement_invite", kwargs={"pk": scheduled.pk}))

    assert response.status_code == 404


def test_the_feed_opens_without_signing_in_and_holds_only_its_owners_engagements(client, scheduled):
    executive = scheduled.attendances.get(role="lead").executive
    held = EngagementFactory(executives=[executive], starts_at=in_days(-10))
    someone_elses = EngagementFactory(executives=[ExecutiveFactory()], status=Engagement.Status.SCHEDULED)
    token = calendar_feed_token(user=executive.user).token

    response = feed_of(client, token)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    calendar = Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "Groundwork"
    assert calendar["PRODID"] == "-//Groundwork//Engagements//EN"
    uids = [event["UID"] for event in calendar.events]
    assert uids == [f"engagement-{held.pk}@groundwork.example", f"engagement-{scheduled.pk}@groundwork.example"]
    assert f"engagement-{someone_elses.pk}@" not in response.content.decode()


def test_the_feed_says_how_often_to_refresh_as_durations_calendar_applications_read(client, account_manager):
    # Outlook reads X-PUBLISHED-TTL, Apple REFRESH-INTERVAL; both take an
    # RFC 5545 duration, and ignore anything else (such as "1:00:00").
    token = calendar_feed_token(user=account_manager).token

    lines = feed_of(client, token).content.split(b"\r\n")

    assert b"X-PUBLISHED-TTL:PT1H" in lines
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines


def test_the_feed_has_what_a_user_staffs_or_requested_and_leaves_out_the_old_and_the_unplanned(
    client, scheduled, account_manager
):
    staff = scheduled.staff.get()
    EngagementFactory(requested_by=account_manager, starts_at=in_days(-120))  # too long ago
    EngagementFactory(requested_by=account_manager, status=Engagement.Status.REQUESTED)  # not planned yet

    staff_feed = Calendar.from_ical(feed_of(client, calendar_feed_token(user=staff).token).content)
    manager_feed = Calendar.from_ical(feed_of(client, calendar_feed_token(user=account_manager).token).content)

    assert [event["UID"] for event in staff_feed.events] == [f"engagement-{scheduled.pk}@groundwork.example"]
    manager_uids = {event["UID"] for event in manager_feed.events}
    assert manager_uids == {f"engagement-{scheduled.pk}@groundwork.example"}


def test_a_new_address_stops_the_old_one(client, account_manager):
    old = calendar_feed_token(user=account_manager).token

    new = calendar_feed_revoke(user=account_manager).token

    assert new != old
    assert feed_of(client, old).status_code == 404
    assert feed_of(client, new).status_code == 200


def test_an_unknown_address_is_not_found_and_says_nothing_more(client):
    response = feed_of(client, "made-up-token")

    assert response.status_code == 404
    assert response.content == b"Not found.\n"


def test_the_feed_of_someone_no_longer_active_is_not_found(client, account_manager):
    token = calendar_feed_token(user=account_manager).token
    account_manager.is_active = False
    account_manager.save(update_fields=["is_active"])

    assert feed_of(client, token).status_code == 404


def test_making_the_address_again_keeps_the_first(account_manager):
    first = calendar_feed_token(user=account_manager)

    assert calendar_feed_token(user=account_manager).token == first.token
    assert CalendarFeed.objects.count() == 1


def test_two_requests_making_the_address_at_once_make_one(account_manager):
    first = calendar_feed_token(user=account_manager)

    # The second request read before the first one's insert: it finds nothing, and its insert fails.
    with mock.patch("django.db.models.query.QuerySet.first", return_value=None):
        second = calendar_feed_token(user=account_manager)

    assert second.token == first.token
    assert CalendarFeed.objects.count() == 1


def test_the_feed_costs_the_same_queries_with_2_engagements_and_with_20(client):
    executive = ExecutiveFactory()
    token = calendar_feed_token(user=executive.user).token

    def engagements(count: int) -> None:
        for days in range(count):
            engagement = EngagementFactory(
                executives=[executive, ExecutiveFactory()],
                status=Engagement.Status.SCHEDULED,
                starts_at=in_days(days + 1),
                requested_by=UserFactory(),
            )
            engagement.staff.add(UserFactory(), UserFactory())

    engagements(2)
    with CaptureQueriesContext(connection) as with_2:
        assert len(Calendar.from_ical(feed_of(client, token).content).events) == 2
    engagements(18)
    with CaptureQueriesContext(connection) as with_20:
        assert len(Calendar.from_ical(feed_of(client, token).content).events) == 20

    assert len(with_20) == len(with_2)


def test_the_calendar_page_offers_to_make_the_address_and_changes_nothing(client, account_manager):
    client.force_login(account_manager)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("visits:calendar_feed"))

    assert response.status_code == 200
    assert "Create my calendar address" in response.content.decode()
    assert [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")] == []
    assert not CalendarFeed.objects.exists()


def test_the_calendar_page_shows_the_private_address(client, account_manager):
    token = calendar_feed_token(user=account_manager).token
    client.force_login(account_manager)

    page = client.get(reverse("visits:calendar_feed")).content.decode()

    path = reverse("visits:calendar_feed_ics", kwargs={"token": token})
    assert f'value="https://groundwork.example{path}"' in page
    assert f'href="webcal://groundwork.example{path}"' in page
    assert "Anyone with this address can read your engagement times" in page


def test_making_and_renewing_the_address_from_the_page(client, account_manager):
    client.force_login(account_manager)

    made = client.post(reverse("visits:calendar_feed"), {"action": "create"}, follow=True)
    first = CalendarFeed.objects.get(user=account_manager).token
    renewed = client.post(reverse("visits:calendar_feed"), {"action": "renew"}, follow=True)
    second = CalendarFeed.objects.get(user=account_manager).token

    assert "Your calendar address is ready" in made.content.decode()
    assert "The old one no longer works" in renewed.content.decode()
    assert second != first
    assert feed_of(client, first).status_code == 404
    assert feed_of(client, second).status_code == 200
