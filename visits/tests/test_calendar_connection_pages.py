"""The pages where a person connects, watches and disconnects their own
calendars: real feeds from a local HTTP server, a real CalDAV server
(Radicale), and what each page says and keeps."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.accounts.models import AccountDomain
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ContactFactory, ExecutiveFactory, ProgramFactory, UserFactory
from visits.calendar_forms import PICK_TOKEN_SECONDS
from visits.calendars.reading import HTML_MESSAGE
from visits.models import CalendarConnection, CalendarMeeting
from visits.tests.test_caldav import PASSWORD, USER, radicale  # noqa: F401 - the Radicale fixture
from visits.tests.test_caldav import Calendar as DavCalendar
from visits.tests.test_caldav import _make_calendar as make_dav_calendar
from visits.tests.test_calendar_sync import calendar, feeds  # noqa: F401 - the feed server fixture

pytestmark = pytest.mark.django_db

LIST = reverse("visits:calendar_connections")
ADD = reverse("visits:calendar_connection_add_address")
CALDAV = reverse("visits:calendar_connection_add_caldav")


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def events_of(owner_email: str, *, days_from_now: tuple[int, ...] = (2, -3)) -> list[str]:
    """Meetings around today: per day given, one with a customer (with a
    description, which is never kept) and one with colleagues only."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    events = []
    for number, days in enumerate(days_from_now):
        start = now + dt.timedelta(days=days)
        for kind, attendee in (("customer", "jane.doe@acme.com"), ("internal", "sam@groundwork.example")):
            events.append(
                "BEGIN:VEVENT\r\n"
                f"UID:{kind}-{number}@tests\r\n"
                f"DTSTAMP:{_stamp(now)}\r\n"
                f"DTSTART:{_stamp(start)}\r\n"
                f"DTEND:{_stamp(start + dt.timedelta(hours=1))}\r\n"
                f"SUMMARY:{kind.title()} meeting {number}\r\n"
                "DESCRIPTION:Dial-in code 1234\r\n"
                f"ORGANIZER:mailto:{owner_email}\r\n"
                f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{attendee}\r\n"
                "END:VEVENT\r\n"
            )
    return events


def calendar_text(*events: str) -> str:
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Tests//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"


def feed_of(owner_email: str) -> bytes:
    return calendar_text(*events_of(owner_email)).encode()


@pytest.fixture
def acme():
    ProgramFactory(company_domains="groundwork.example")
    account = AccountFactory(name="Acme")
    AccountDomain.objects.create(account=account, domain="acme.com")
    ContactFactory(account=account, email="jane.doe@acme.com")
    return account


@pytest.fixture
def executive_user():
    return ExecutiveFactory(user=UserFactory(email="alice@groundwork.example", roles=[Role.EXECUTIVE])).user


@pytest.fixture
def signed_in(client, executive_user):
    client.force_login(executive_user)
    return client


def connect(owner, name="Work", url="https://calendar.example/secret/basic.ics", **fields) -> CalendarConnection:
    connection = CalendarConnection(owner=owner, name=name, **fields)
    connection.url = url
    connection.save()
    return connection


def text_of(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def test_the_empty_list_says_what_connecting_does_and_keeps(signed_in):
    response = signed_in.get(LIST)

    page = text_of(response)
    assert response.status_code == 200
    assert "No calendar connected yet" in page
    assert "Never its description or notes" in page
    assert "Secret address in iCal format" in page and "app-specific password" in page
    assert ADD in page and CALDAV in page


def test_someone_without_an_executive_profile_is_told_and_offered_no_form(client):
    client.force_login(UserFactory(roles=[Role.ACCOUNT_MANAGER]))

    page = text_of(client.get(LIST))

    assert "Groundwork reads calendars only for executives" in page
    assert ADD not in page and 'name="calendar_auto_confirm"' not in page
    assert client.get(ADD).status_code == 403


def test_each_connection_is_shown_in_plain_words(signed_in, executive_user):
    now = timezone.now()
    connect(
        executive_user, "Work", last_read_at=now, events_seen=42, matched=3, next_read_at=now + dt.timedelta(hours=1)
    )
    connect(
        executive_user,
        "Old",
        failures=5,
        broken_at=now,
        error="This address was not found (404): the calendar may have been deleted or its address reset.",
    )

    page = text_of(signed_in.get(LIST))

    assert "42 in the last 30 and next 60 days" in page
    assert "Broken, no longer read" in page
    assert "It could not be read 5 times in a row" in page and "(404)" in page
    assert page.count("Read again now") == 1
    assert "secret/basic.ics" not in page


def test_the_list_costs_the_same_queries_however_many_calendars(signed_in, executive_user):
    connect(executive_user, "Calendar 0", failures=1, error="The server failed.")
    signed_in.get(LIST)
    with CaptureQueriesContext(db) as one:
        signed_in.get(LIST)
    for number in range(1, 6):
        connect(executive_user, f"Calendar {number}", url=f"https://calendar.example/{number}.ics")
    with CaptureQueriesContext(db) as six:
        response = signed_in.get(LIST)

    assert text_of(response).count("Disconnect") == 6
    assert len(six) == len(one)


def test_an_address_is_read_then_connected_and_its_meetings_kept(signed_in, executive_user, feeds, acme):  # noqa: F811
    feeds.routes["/work.ics"] = calendar(feed_of(executive_user.email))

    response = signed_in.post(ADD, {"name": "Work", "address": feeds.url("/work.ics")}, follow=True)

    connection = CalendarConnection.objects.get(owner=executive_user)
    assert connection.url == feeds.url("/work.ics") and connection.kind == "ics"
    assert feeds.url("/work.ics") not in connection.url_encrypted
    assert "Connected “Work”: 4 events seen, 2 customer meetings found." in text_of(response)
    meetings = CalendarMeeting.objects.filter(connection=connection)
    assert sorted(meetings.values_list("title", flat=True)) == ["Customer meeting 0", "Customer meeting 1"]
    assert {meeting.account_id for meeting in meetings} == {acme.pk}
    assert connection.last_read_at is not None and connection.failures == 0


def test_a_webcal_address_is_read_over_https(signed_in, executive_user, monkeypatch):
    tried = []
    monkeypatch.setattr(
        "visits.calendar_connections.ics_fetch", lambda request, timeout: tried.append(request.url) or 1 / 0
    )

    with pytest.raises(ZeroDivisionError):
        signed_in.post(ADD, {"name": "Work", "address": "webcal://calendar.example/secret.ics"})

    assert tried == ["https://calendar.example/secret.ics"]


def test_a_web_page_is_refused_with_its_reason_and_what_was_typed_kept(signed_in, feeds):  # noqa: F811
    def sign_in_page(handler):
        body = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>"
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    feeds.routes["/share"] = sign_in_page
    address = feeds.url("/share")

    response = signed_in.post(ADD, {"name": "Team calendar", "address": address})

    page = response.content.decode()
    assert response.status_code == 200
    assert HTML_MESSAGE in text_of(response)
    assert 'value="Team calendar"' in page and f'value="{address}"' in page
    assert not CalendarConnection.objects.exists()


def test_an_address_not_found_is_refused_in_plain_words(signed_in, feeds):  # noqa: F811
    response = signed_in.post(ADD, {"name": "Work", "address": feeds.url("/gone.ics")})

    assert "This address was not found (404)" in text_of(response)
    assert not CalendarConnection.objects.exists()


@pytest.mark.parametrize(
    ("name", "address", "message"),
    [
        ("Work", "ftp://calendar.example/a.ics", "begins with https:// or webcal://"),
        ("Work", "calendar.example/a.ics", "begins with https:// or webcal://"),
        ("Work", "https://", "begins with https:// or webcal://"),
        ("Work", "https://calendar.example/" + "a" * 2000, "longer than any calendar address"),
        ("W" * 101, "https://calendar.example/a.ics", "Keep the name under 100 characters"),
        ("", "https://calendar.example/a.ics", "Give the calendar a name"),
        ("Work", "https://calendar.example/\x00", "null character"),
    ],
)
def test_bad_input_is_told_never_a_crash(signed_in, name, address, message):
    response = signed_in.post(ADD, {"name": name, "address": address})

    assert response.status_code == 200
    assert message in text_of(response)
    assert not CalendarConnection.objects.exists()


def test_the_same_address_twice_is_refused(signed_in, executive_user):
    connect(executive_user, "Work", url="https://calendar.example/secret/basic.ics")

    response = signed_in.post(ADD, {"name": "Again", "address": "webcal://calendar.example/secret/basic.ics"})

    assert "You have connected this calendar already, as “Work”." in text_of(response)
    assert CalendarConnection.objects.count() == 1


def _found_calendars(page: str) -> dict[str, str]:
    """The pick step's checkboxes: label to value."""
    return {
        label.strip(): value
        for value, label in re.findall(r'value="(\d+)"[^>]*>\s*<label[^>]*>\s*([^<]+?)\s*</label>', page)
    }


def test_caldav_calendars_are_found_then_the_chosen_one_connected(signed_in, executive_user, radicale, acme):  # noqa: F811
    work: DavCalendar = make_dav_calendar(radicale, "Work")
    make_dav_calendar(radicale, "Holidays")
    for number, event in enumerate(events_of(executive_user.email, days_from_now=(1,))):
        work.put(f"event-{number}", calendar_text(event))

    found = signed_in.post(CALDAV, {"step": "find", "server": radicale, "username": USER, "password": PASSWORD})

    page = found.content.decode()
    assert found.status_code == 200 and "Choose the calendars to connect" in page
    assert PASSWORD not in page  # only encrypted, inside the signed token
    choices = _found_calendars(page)
    assert {"Work", "Holidays"} <= choices.keys()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)

    response = signed_in.post(CALDAV, {"step": "connect", "token": token, "calendars": [choices["Work"]]}, follow=True)

    connection = CalendarConnection.objects.get(owner=executive_user)
    assert (connection.kind, connection.name, connection.url) == ("caldav", "Work", work.url)
    assert (connection.username, connection.password) == (USER, PASSWORD)
    assert "Connected “Work”: 2 events seen, 1 customer meeting found." in text_of(response)
    assert list(connection.meetings.values_list("title", flat=True)) == ["Customer meeting 0"]


def test_a_wrong_caldav_password_is_told_and_nothing_connected(signed_in, radicale):  # noqa: F811
    response = signed_in.post(CALDAV, {"step": "find", "server": radicale, "username": USER, "password": "wrong"})

    page = text_of(response)
    assert "The server refused this user name and app password" in page
    assert f'value="{USER}"' in page and 'value="wrong"' not in page
    assert not CalendarConnection.objects.exists()


def test_a_pick_token_forged_expired_or_of_someone_else_connects_nothing(signed_in, executive_user, monkeypatch):
    from visits.calendar_forms import caldav_pick_token
    from visits.calendars.caldav import FoundCalendar

    others = caldav_pick_token(
        user_id=executive_user.pk + 1,
        server="https://caldav.example/",
        username="u",
        password="p",
        found=[FoundCalendar(url="https://caldav.example/u/work/", name="Work")],
    )
    for token in (others, "forged", "x" * 30000):
        response = signed_in.post(CALDAV, {"step": "connect", "token": token, "calendars": ["0"]}, follow=True)
        assert "more than 15 minutes old" in text_of(response)

    own = caldav_pick_token(
        user_id=executive_user.pk,
        server="https://caldav.example/",
        username="u",
        password="p",
        found=[FoundCalendar(url="https://caldav.example/u/work/", name="Work")],
    )
    later = dt.datetime.now().timestamp() + PICK_TOKEN_SECONDS + 1
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    response = signed_in.post(CALDAV, {"step": "connect", "token": own, "calendars": ["0"]}, follow=True)
    assert "more than 15 minutes old" in text_of(response)
    assert not CalendarConnection.objects.exists()


def test_disconnecting_asks_then_deletes_the_meetings_and_keeps_logged_contacts(signed_in, executive_user, acme):
    connection = connect(executive_user, "Work", matched=1)
    now = timezone.now()
    CalendarMeeting.objects.create(
        connection=connection, uid=str(uuid.uuid4()), starts_at=now, ends_at=now, account=acme, title="Acme"
    )
    url = reverse("visits:calendar_connection_disconnect", kwargs={"pk": connection.pk})

    asked = signed_in.get(url)
    assert "Disconnect “Work”?" in text_of(asked)
    assert CalendarConnection.objects.exists()

    response = signed_in.post(url, follow=True)

    assert not CalendarConnection.objects.exists()
    assert not CalendarMeeting.objects.exists()
    assert "Contacts already logged from it stay logged." in text_of(response)


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.PROGRAM_ADMIN])
def test_another_persons_calendar_is_not_found(client, executive_user, role):
    connection = connect(executive_user, "Work", failures=5, broken_at=timezone.now())
    other = ExecutiveFactory().user if role == Role.EXECUTIVE else UserFactory(roles=[role])
    client.force_login(other)

    for name in ("visits:calendar_connection_disconnect", "visits:calendar_connection_read_again"):
        url = reverse(name, kwargs={"pk": connection.pk})
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert "Work" not in text_of(client.get(LIST))
    connection.refresh_from_db()
    assert connection.broken_at is not None


def test_the_auto_confirm_choice_is_saved(signed_in, executive_user):
    response = signed_in.post(LIST, {"calendar_auto_confirm": "on"}, follow=True)

    executive_user.refresh_from_db()
    assert executive_user.calendar_auto_confirm is True
    assert "without asking you" in text_of(response)
    assert re.search(r'name="calendar_auto_confirm"[^>]* checked', response.content.decode())

    signed_in.post(LIST, {})
    executive_user.refresh_from_db()
    assert executive_user.calendar_auto_confirm is False


def test_reading_again_forgets_the_failures_and_queues_a_read(
    signed_in, executive_user, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("visits.tasks.read_calendar.apply_async", lambda args, kwargs: queued.append(args))
    connection = connect(
        executive_user,
        "Work",
        failures=5,
        broken_at=timezone.now(),
        owner_told_broken_at=timezone.now(),
        error="The server failed.",
        next_read_at=timezone.now() + dt.timedelta(days=1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            reverse("visits:calendar_connection_read_again", kwargs={"pk": connection.pk}), follow=True
        )

    connection.refresh_from_db()
    assert (connection.failures, connection.broken_at, connection.owner_told_broken_at, connection.error) == (
        0,
        None,
        None,
        "",
    )
    assert connection.next_read_at <= timezone.now()
    assert queued == [[connection.pk]]
    assert "is being read again now" in text_of(response)
    assert "Broken, no longer read" not in text_of(response)
