"""An executive connects a calendar by its secret address and another on a
CalDAV server (a real Radicale), sees the customer meetings in them
suggested on their home, logs one with one tap (their cadence counts from it)
and another after changing its length; reading the calendars again, moving
the event and cancelling the other never makes a second contact, and each
change follows its event."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from playwright.sync_api import Page, expect

from engagement.accounts.models import AccountDomain
from engagement.dates import local_date
from engagement.people.models import Executive
from engagement.tests.factories import PASSWORD, AccountFactory, ContactFactory
from tests.browser.browsing import Viewport, expect_heading, field, navigate, open_page, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People
from visits.calendar_reads import calendar_read
from visits.models import CalendarConnection, Engagement
from visits.tests.test_caldav import PASSWORD as CALDAV_PASSWORD
from visits.tests.test_caldav import USER as CALDAV_USER
from visits.tests.test_caldav import _make_calendar, radicale  # noqa: F401 - the Radicale fixture
from visits.tests.test_calendar_sync import Feeds, feeds  # noqa: F401 - the feeds fixture
from visits.tests.test_calendar_sync import calendar as served


def event(uid: str, title: str, start: dt.datetime, minutes: int, customer: str, owner: str) -> str:
    """One event as a calendar application writes it, with a private description."""
    end = start + dt.timedelta(minutes=minutes)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Journey//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261201T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{end:%Y%m%dT%H%M%SZ}\r\n"
        f"SUMMARY:{title}\r\nLOCATION:Their office\r\nDESCRIPTION:Door code 4411\r\n"
        f"ORGANIZER:mailto:{owner}\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{owner}\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{customer}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def read_all(owner_email: str) -> None:
    """Every calendar of the person read again, as the periodic task reads them."""
    now = timezone.now()
    for connection in CalendarConnection.objects.filter(owner__email=owner_email):
        assert calendar_read(connection.pk, now).result in ("read", "unchanged")


def test_meetings_in_a_connected_calendar_are_logged_in_one_tap_and_never_twice(
    page: Page,
    checks: PageChecks,
    people: People,
    viewport: Viewport,
    feeds: Feeds,  # noqa: F811 - the fixture imported above
    radicale: str,  # noqa: F811 - the fixture imported above
) -> None:
    jordan = Executive.objects.get(user=people.executive)
    owner = people.executive.email
    for name, domain in (("Acme Robotics", "acme.example"), ("Globex", "globex.example")):
        account = AccountFactory(name=name)
        AccountDomain.objects.create(account=account, domain=domain)
    ContactFactory(account=AccountDomain.objects.get(domain="acme.example").account, email="dana@acme.example")
    hour = timezone.now().astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    yesterday, three_days_ago = hour - dt.timedelta(days=1), hour - dt.timedelta(days=3)
    feeds.routes["/jordan.ics"] = served(
        event("qbr-1", "Quarterly review", yesterday, 60, "dana@acme.example", owner).encode(), etag='"v1"'
    )
    # The server lives as long as the module: each run has a calendar of its own.
    caldav = _make_calendar(radicale, f"Work on the {viewport.name}")
    caldav.put("renewal", event("renewal-1", "Renewal call", three_days_ago, 60, "lee@globex.example", owner))
    caldav.put("tour", event("tour-1", "Plant tour", hour + dt.timedelta(days=2), 90, "dana@acme.example", owner))

    open_page(page, "/auth/login/")
    sign_in(page, email=owner, password=PASSWORD)
    response = open_page(page, "/calendar/connected/")
    expect_heading(page, "Connected calendars")
    checks.page(page, response)

    # By its secret address: read once before it is kept.
    response = navigate(page, page.get_by_role("link", name="Connect by secret address").click)
    field(page, "Name").fill("Work (Google)")
    field(page, "Secret address").fill(feeds.url("/jordan.ics"))
    response = navigate(page, page.get_by_role("button", name="Read and connect").click)
    expect(page.get_by_text("Connected “Work (Google)”: 1 event seen, 1 customer meeting found.")).to_be_visible()
    checks.page(page, response)

    # By CalDAV, with the person's calendars found for them.
    navigate(page, page.get_by_role("link", name="Connect Apple iCloud or CalDAV").click)
    field(page, "Server address").fill(radicale)
    field(page, "User name").fill(CALDAV_USER)
    field(page, "App password").fill(CALDAV_PASSWORD)
    response = navigate(page, page.get_by_role("button", name="Find my calendars").click)
    expect_heading(page, "Choose the calendars to connect")
    checks.page(page, response)
    page.get_by_label(f"Work on the {viewport.name}", exact=True).check()
    response = navigate(page, page.get_by_role("button", name="Connect the chosen calendars").click)
    expect(page.get_by_text("2 customer meetings found")).to_be_visible()
    checks.page(page, response)
    assert CalendarConnection.objects.filter(owner=people.executive).count() == 2

    # The home suggests the past meetings and shows the one to come.
    response = open_page(page, "/executive/")
    needs = page.get_by_role("region", name="Needs you now")
    acme = needs.get_by_role("listitem").filter(has_text="Log: Acme Robotics · Quarterly review")
    expect(acme).to_be_visible()
    expect(needs.get_by_role("listitem").filter(has_text="Log: Globex · Renewal call")).to_be_visible()
    expect(page.get_by_role("region", name="Customer meetings coming up")).to_contain_text("Plant tour")
    checks.page(page, response)

    # One tap logs it, and the cadence counts from it.
    response = navigate(page, acme.get_by_role("button", name="Log it").click)
    expect(page.get_by_text("It counts toward your cadence now.")).to_be_visible()
    expect(needs.get_by_role("listitem").filter(has_text="Quarterly review")).to_have_count(0)
    checks.page(page, response)
    jordan.refresh_from_db()
    assert jordan.last_contact_on == local_date(yesterday, people.executive.time_zone)

    # The other, from the page of meetings, after changing its length.
    response = open_page(page, "/calendar/suggestions/")
    expect_heading(page, "Meetings from your calendar")
    checks.page(page, response)
    card = page.get_by_role("listitem").filter(has_text="Renewal call")
    card.get_by_label("Minutes").fill("45")
    response = navigate(page, card.get_by_role("button", name="Log it").click)
    expect(page.get_by_text("Logged: 45 minutes with Globex")).to_be_visible()
    checks.page(page, response)
    assert Engagement.objects.filter(calendar_key__isnull=False).count() == 2

    # Read again: nothing new. The review moved to an hour earlier: the
    # contact moves with it. The renewal call cancelled: its contact goes.
    read_all(owner)
    assert Engagement.objects.filter(calendar_key__isnull=False).count() == 2
    earlier = yesterday - dt.timedelta(hours=1)
    feeds.routes["/jordan.ics"] = served(
        event("qbr-1", "Quarterly review", earlier, 60, "dana@acme.example", owner).encode(), etag='"v2"'
    )
    caldav.delete("renewal")
    read_all(owner)
    [review] = Engagement.objects.filter(calendar_key__isnull=False)
    assert (review.calendar_key, review.starts_at) == ("qbr-1#", earlier)
    read_all(owner)
    assert Engagement.objects.filter(calendar_key__isnull=False).count() == 1

    response = open_page(page, "/calendar/suggestions/")
    expect(page.get_by_text("Nothing to log")).to_be_visible()
    checks.page(page, response)
