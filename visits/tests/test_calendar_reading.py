"""Reading executives' calendars as Google, Outlook and Apple write them, and
finding the customer meetings in them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tracemalloc
from pathlib import Path

import pytest
import recurring_ical_events
from icalendar import Calendar

from visits.calendars.lines import Attendee
from visits.calendars.matching import MatchedEvent, Matcher, match_events
from visits.calendars.reading import (
    EMPTY_MESSAGE,
    HTML_MESSAGE,
    MAX_FEED_BYTES,
    TOO_LARGE_MESSAGE,
    CalendarRead,
    CalendarUnreadable,
    Occurrence,
    check_feed_size,
    read_calendar,
    reading_window,
)
from visits.tests.calendar_feeds import COMPANY, OWNER, generated_feed

FEEDS = Path(__file__).parent / "calendars"
NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
WINDOW_START, WINDOW_END = reading_window(NOW)
OWNERS = {"alice@groundwork.example", OWNER}
ACME, GLOBEX, INITECH, CONTOSO, FABRIKAM = 1, 2, 3, 4, 5


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


def read(name: str, *, zone: str = "Europe/Paris", start=WINDOW_START, end=WINDOW_END) -> CalendarRead:
    return read_calendar(
        (FEEDS / name).read_bytes(), owner_emails=OWNERS, window_start=start, window_end=end, default_zone=zone
    )


def titled(calendar: CalendarRead, title: str) -> list[Occurrence]:
    return [occurrence for occurrence in calendar.occurrences if occurrence.title == title]


def only(calendar: CalendarRead, title: str) -> Occurrence:
    (occurrence,) = titled(calendar, title)
    return occurrence


def unreadable(data: bytes) -> str:
    with pytest.raises(CalendarUnreadable) as raised:
        read_calendar(data, owner_emails=OWNERS, window_start=WINDOW_START, window_end=WINDOW_END)
    return raised.value.message


# Google Calendar


def test_a_google_series_is_expanded_with_its_removed_and_moved_instances():
    google = read("google.ics")

    weekly = [o for o in google.occurrences if o.uid == "7kq2n1v0acme0weekly@google.com"]
    assert [o.start for o in weekly] == [
        utc(2026, 11, 9, 15),
        utc(2026, 11, 16, 15),
        utc(2026, 11, 23, 15),
        utc(2026, 11, 30, 15),
        utc(2026, 12, 7, 15),
        utc(2026, 12, 15, 19),  # moved from Monday 10:00 to Tuesday 14:00 New York time
        utc(2026, 12, 21, 15),
        # 28 December is removed by EXDATE
        utc(2027, 1, 4, 15),
        utc(2027, 1, 11, 15),
        utc(2027, 1, 18, 15),
        utc(2027, 1, 25, 15),
        utc(2027, 2, 1, 15),
        # 8 and 15 February are past the window's 60 days
    ]
    moved = weekly[5]
    assert moved.recurrence_key == "2026-12-14T15:00:00+00:00"
    assert (moved.title, moved.location) == ("Acme weekly sync (moved)", "Acme HQ, 1 Main Street, Boston")
    assert moved.attendee_emails == ("alice@groundwork.example", "jane.doe@acme.com")
    assert weekly[0].recurrence_key == "2026-11-09T15:00:00+00:00"
    assert weekly[0].length == dt.timedelta(minutes=30)
    assert weekly[0].attendee_emails == ("alice@groundwork.example", "jane.doe@acme.com", "bob@eu.acme.com")


def test_a_series_keeps_its_wall_clock_time_across_the_change_from_summer_time():
    google = read("google.ics", start=utc(2026, 10, 15), end=utc(2026, 11, 15))

    assert [o.start for o in titled(google, "Acme weekly sync")] == [
        utc(2026, 10, 19, 14),
        utc(2026, 10, 26, 14),
        utc(2026, 11, 2, 15),
        utc(2026, 11, 9, 15),
    ]


def test_a_floating_time_in_a_google_feed_is_read_in_the_calendars_own_zone():
    lunch = only(read("google.ics", zone="Europe/Paris"), "Lunch with Initech")

    assert (lunch.start, lunch.end) == (utc(2026, 12, 9, 17), utc(2026, 12, 9, 18))
    assert lunch.recurrence_key == ""


def test_a_floating_series_in_a_google_feed_repeats_in_the_calendars_own_zone():
    data = (
        b"BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:America/New_York\r\nBEGIN:VEVENT\r\nUID:standup\r\n"
        b"DTSTART:20261207T090000\r\nDTEND:20261207T091500\r\nRRULE:FREQ=DAILY;COUNT=2\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    read = read_calendar(
        data, owner_emails=(), window_start=WINDOW_START, window_end=WINDOW_END, default_zone="Europe/Paris"
    )

    assert [(o.start, o.recurrence_key) for o in read.occurrences] == [
        (utc(2026, 12, 7, 14), "2026-12-07T14:00:00+00:00"),
        (utc(2026, 12, 8, 14), "2026-12-08T14:00:00+00:00"),
    ]


def test_the_owners_decline_is_marked_and_a_declined_guest_is_known():
    google = read("google.ics")

    assert only(google, "Globex pitch").owner_declined
    lunch = only(google, "Lunch with Initech")
    assert not lunch.owner_declined
    assert [(a.email, a.declined) for a in lunch.attendees if "initech" in a.email] == [
        ("sam.lee@initech.com", False),
        ("tom@initech.com", True),
    ]


def test_an_all_day_event_starts_at_midnight_in_the_owners_zone():
    offsite = only(read("google.ics", zone="Europe/Paris"), "Acme offsite")

    assert offsite.all_day
    assert (offsite.start, offsite.end) == (utc(2026, 12, 17, 23), utc(2026, 12, 18, 23))


def test_only_the_window_is_read_and_each_feeds_events_are_counted():
    google = read("google.ics")

    assert google.events_seen == 7
    assert titled(google, "Acme kickoff") == []  # 1 September, past the 30 days back
    assert all(o.end >= WINDOW_START and o.start < WINDOW_END for o in google.occurrences)
    assert [o.start for o in google.occurrences] == sorted(o.start for o in google.occurrences)


def test_descriptions_are_never_kept():
    fields = {field.name for field in dataclasses.fields(Occurrence)}
    assert not {"description", "comment", "body"} & fields
    for name in ("google.ics", "outlook.ics", "apple.ics"):
        assert "confidential" not in repr(read(name)).lower()


# Outlook and Exchange


def test_outlook_windows_zone_names_are_read_with_or_without_their_vtimezone():
    outlook = read("outlook.ics")

    steering = titled(outlook, "Contoso steering committee")
    # 09:00 in Berlin, an hour ahead of UTC in winter.
    assert [o.start for o in steering][:2] == [utc(2026, 11, 12, 8), utc(2026, 11, 19, 8)]
    # "GMT Standard Time" and "Pacific Standard Time" come without a VTIMEZONE.
    assert only(outlook, "Fabrikam in London").start == utc(2026, 12, 9, 14)
    assert only(outlook, "Fabrikam in London").length == dt.timedelta(minutes=90)
    assert only(outlook, "Wingtip Seattle call").start == utc(2026, 12, 11, 17)
    # A zone of its own, defined by its VTIMEZONE block alone (UTC+05:30).
    assert only(outlook, "Wingtip Pune review").start == utc(2026, 12, 10, 4, 30)


def test_outlook_cancellations_are_marked_on_the_instance_and_the_single_event():
    outlook = read("outlook.ics")

    (cancelled,) = [o for o in outlook.occurrences if o.recurrence_key == "2026-12-24T08:00:00+00:00"]
    assert cancelled.cancelled
    assert cancelled.title == "Canceled: Contoso steering committee"
    assert not any(o.cancelled for o in titled(outlook, "Contoso steering committee"))
    assert only(outlook, "Canceled: Fabrikam demo").cancelled
    # Outlook's MAILTO: in capitals, and mixed-case addresses, come out lowercased.
    assert "hans.meier@contoso.de" in titled(outlook, "Contoso steering committee")[0].attendee_emails


def test_two_feeds_may_mean_different_zones_by_the_same_custom_name():
    def feed(offset: str) -> bytes:
        return (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\n"
            f"BEGIN:STANDARD\r\nDTSTART:16010101T000000\r\nTZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\n"
            "END:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:one\r\n"
            "DTSTART;TZID=Customized Time Zone:20261210T100000\r\n"
            'DTEND;TZID="Customized Time Zone":20261210T110000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'
        ).encode()

    for offset, expected in (("+0530", utc(2026, 12, 10, 4, 30)), ("-0300", utc(2026, 12, 10, 13))):
        (event,) = read_calendar(
            feed(offset), owner_emails=OWNERS, window_start=WINDOW_START, window_end=WINDOW_END
        ).occurrences
        assert (event.start, event.length) == (expected, dt.timedelta(hours=1))


# Apple iCloud


def test_an_apple_floating_time_is_read_in_the_owners_zone():
    assert only(read("apple.ics", zone="Europe/Paris"), "Coffee with Sam (Initech)").start == utc(2026, 12, 11, 8, 30)
    assert only(read("apple.ics", zone="America/Los_Angeles"), "Coffee with Sam (Initech)").start == utc(
        2026, 12, 11, 17, 30
    )


def test_apple_attendees_written_as_uuids_are_read_from_their_email_parameter():
    coffee = only(read("apple.ics"), "Coffee with Sam (Initech)")

    assert coffee.attendee_emails == ("owner@groundwork.example", "sam.lee@initech.com")
    assert coffee.attendees[1].name == "Sam Lee"
    assert coffee.location == "Café de Flore"


def test_apple_all_day_multi_day_and_declined_events():
    apple = read("apple.ics", zone="Europe/Paris")

    day = only(apple, "Initech site visit day")
    assert day.all_day and (day.start, day.end) == (utc(2026, 12, 14, 23), utc(2026, 12, 15, 23))
    summit = only(apple, "Initech partner summit")
    assert not summit.all_day and summit.length == dt.timedelta(days=2, hours=8)
    assert only(apple, "Initech contract call").owner_declined  # "Owner@Groundwork.example" declined


# Bad input


def test_a_web_page_is_refused_in_plain_words():
    assert unreadable((FEEDS / "not_a_calendar.html").read_bytes()) == HTML_MESSAGE
    assert HTML_MESSAGE.startswith("This address answered a web page (HTML), not a calendar")


def test_malformed_cut_off_empty_and_foreign_data_are_refused_in_plain_words():
    malformed = unreadable((FEEDS / "malformed.ics").read_bytes())
    assert malformed.startswith("The calendar could not be read: ") and "DTSTART" in malformed
    assert "cut off" in unreadable((FEEDS / "truncated.ics").read_bytes())
    assert unreadable(b"") == EMPTY_MESSAGE
    assert unreadable(b" \r\n ") == EMPTY_MESSAGE
    assert "BEGIN:VCALENDAR" in unreadable(b'{"error": "not found"}')
    no_start = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    assert unreadable(no_start) == "The calendar could not be read: an event has no DTSTART."


def test_a_part_that_never_ends_is_refused_not_half_read():
    unclosed = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261208T100000Z\r\nEND:VCALENDAR\r\n"

    assert unreadable(unclosed) == "The calendar could not be read: a part of it begins (BEGIN) and never ends (END)."
    nested = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nBEGIN:VEVENT\r\nUID:b\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    assert unreadable(nested) == (
        "The calendar could not be read: an event begins inside another one (BEGIN:VEVENT twice)."
    )


def test_calendars_put_end_to_end_as_a_caldav_query_answers_them_read_as_one():
    def one(uid: str, start: str) -> bytes:
        return (
            f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{start}\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n"
        ).encode()

    both = one("a", "20261208T100000Z") + one("b", "20261209T100000Z")

    read = read_calendar(both, owner_emails=(), window_start=WINDOW_START, window_end=WINDOW_END)
    assert [(o.uid, o.start) for o in read.occurrences] == [("a", utc(2026, 12, 8, 10)), ("b", utc(2026, 12, 9, 10))]


def test_a_cancelling_calendar_cancels_every_event_in_it():
    data = (
        b"BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261208T100000Z\r\n"
        b"DTEND:20261208T110000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    (event,) = read_calendar(data, owner_emails=(), window_start=WINDOW_START, window_end=WINDOW_END).occurrences
    assert event.cancelled


def test_a_feed_over_the_cap_is_refused_before_it_is_read():
    check_feed_size(MAX_FEED_BYTES)
    check_feed_size(None)
    with pytest.raises(CalendarUnreadable, match="larger than 10 MB"):
        check_feed_size(MAX_FEED_BYTES + 1)
    assert unreadable(b"BEGIN:VCALENDAR\r\n" + b"X" * MAX_FEED_BYTES) == TOO_LARGE_MESSAGE


def test_a_character_split_by_a_fold_is_whole_again():
    cafe = "Café".encode()
    data = (
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:fold\r\nDTSTART:20261208T100000Z\r\n"
        b"LOCATION:" + cafe[:4] + b"\r\n " + cafe[4:] + b" du Port\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (event,) = read_calendar(data, owner_emails=(), window_start=WINDOW_START, window_end=WINDOW_END).occurrences
    assert event.location == "Café du Port"
    assert event.end == event.start  # no end and no length: an instant


# One-offs read without the parser read as the parser reads them

TRICKY_ONE_OFFS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
BEGIN:VEVENT\r
UID:escaped\r
SUMMARY;LANGUAGE=en-US:Pricing\\; terms\\, and more\\nsecond line \\\\ done\r
LOCATION:Room 1\\, Floor 2\r
DTSTART;VALUE=DATE-TIME:20261208T100000Z\r
DTEND:20261208T113000Z\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:quoted-windows-zone\r
DTSTART;TZID="Tokyo Standard Time":20261209T090000\r
DTEND;TZID="Tokyo Standard Time":20261209T100000\r
STATUS:CANCELLED\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:unknown-zone\r
DTSTART;TZID=Somewhere Else:20261210T090000\r
DTEND;TZID=Somewhere Else:20261210T100000\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:all-day-no-end\r
DTSTART;VALUE=DATE:20261211\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:with-a-duration\r
DTSTART:20261212T090000\r
DURATION:PT45M\r
END:VEVENT\r
BEGIN:VEVENT\r
SUMMARY:No UID\r
DTSTART:20261213T090000Z\r
END:VEVENT\r
END:VCALENDAR\r
"""


@pytest.mark.parametrize("name", ["google.ics", "outlook.ics", "apple.ics", "tricky", "generated"])
def test_one_offs_read_without_the_parser_read_as_the_parser_reads_them(name, monkeypatch):
    data = {"tricky": TRICKY_ONE_OFFS.encode(), "generated": generated_feed(300, around=NOW)}.get(name)
    data = data or (FEEDS / name).read_bytes()

    def read_it():
        return read_calendar(
            data, owner_emails=OWNERS, window_start=WINDOW_START, window_end=WINDOW_END, default_zone="Asia/Kolkata"
        )

    quick = read_it()
    monkeypatch.setattr("visits.calendars.lines.plain_one_off", lambda event, attendees: None)
    assert read_it() == quick
    if name == "tricky":
        escaped = next(o for o in quick.occurrences if o.uid == "escaped")
        assert escaped.title == "Pricing; terms, and more second line \\ done"
        assert escaped.location == "Room 1, Floor 2"
        assert next(o for o in quick.occurrences if o.uid == "quoted-windows-zone").start == utc(2026, 12, 9, 0)
        assert next(o for o in quick.occurrences if o.uid == "unknown-zone").start == utc(2026, 12, 10, 3, 30)
        assert next(o for o in quick.occurrences if o.uid == "with-a-duration").length == dt.timedelta(minutes=45)
        assert next(o for o in quick.occurrences if o.title == "No UID").uid.startswith("no-uid-")


# Large feeds


def reference_instances(data: bytes) -> set[tuple[str, dt.datetime]]:
    """What plain icalendar and recurring-ical-events read from the whole
    feed, with nothing set aside first."""
    found = recurring_ical_events.of(Calendar.from_ical(data)).between(WINDOW_START, WINDOW_END)
    return {(str(event["UID"]), event.decoded("DTSTART").astimezone(dt.UTC)) for event in found}


def test_a_300_event_feed_reads_the_same_instances_as_the_libraries_alone():
    data = generated_feed(300, around=NOW)

    calendar = read_calendar(data, owner_emails={OWNER}, window_start=WINDOW_START, window_end=WINDOW_END)

    assert calendar.events_seen == 300
    assert {(o.uid, o.start) for o in calendar.occurrences} == reference_instances(data)
    assert len(calendar.occurrences) > 300  # the series add their instances


def test_a_5_mb_feed_is_read_within_bounded_memory():
    data = generated_feed(1700, around=NOW, spread_days=540, description_bytes=2800)
    assert len(data) > 5_000_000

    tracemalloc.start()
    try:
        calendar = read_calendar(data, owner_emails={OWNER}, window_start=WINDOW_START, window_end=WINDOW_END)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert calendar.events_seen == 1700
    assert calendar.occurrences
    # The feed's text, unfolded, is the bulk: the parsed part is the window's.
    assert peak < 8 * len(data)


# Matching


def matcher(**changes) -> Matcher:
    settings = {
        "contact_emails": {"jane.doe@acme.com": (101, ACME), "sam.lee@initech.com": (301, INITECH)},
        "account_domains": {"acme.com": ACME, "globex.com": GLOBEX, "Initech.com": INITECH, "contoso.de": CONTOSO},
        "company_domains": {COMPANY},
        **changes,
    }
    return Matcher(**settings)


def meeting(*emails: str, declined: tuple[str, ...] = (), **changes) -> Occurrence:
    fields = {
        "uid": "m1",
        "recurrence_key": "",
        "title": "Meeting",
        "start": utc(2026, 12, 8, 10),
        "end": utc(2026, 12, 8, 11),
        "all_day": False,
        "location": "",
        "attendees": tuple(Attendee(email=e, name="", declined=e in declined) for e in emails),
        "cancelled": False,
        "owner_declined": False,
        **changes,
    }
    return Occurrence(**fields)


def test_a_contact_an_account_domain_and_its_subdomains_match():
    (event,) = matcher().match([meeting(OWNER, "jane.doe@acme.com", "bob@eu.acme.com", "max@sales.eu.acme.com")])

    assert [(p.email, p.account_id, p.contact_id) for p in event.people] == [
        ("jane.doe@acme.com", ACME, 101),
        ("bob@eu.acme.com", ACME, None),
        ("max@sales.eu.acme.com", ACME, None),
    ]
    assert event.contact_ids == (101,)
    assert event.account_ids == (ACME,)


def test_lookalike_domains_and_unknown_people_do_not_match():
    assert matcher().match([meeting(OWNER, "eve@notacme.com", "x@acme.com.evil.io", "pat@gmail.com")]) == []


def test_the_companys_own_domains_never_match():
    company_listed = matcher(
        account_domains={"acme.com": ACME, COMPANY: GLOBEX},
        contact_emails={f"chris@{COMPANY}": (900, GLOBEX)},
    )

    assert company_listed.match([meeting(OWNER, f"chris@{COMPANY}", f"dana@eu.{COMPANY}")]) == []
    (event,) = company_listed.match([meeting(OWNER, f"chris@{COMPANY}", "jane@acme.com")])
    assert [p.email for p in event.people] == ["jane@acme.com"]


def test_cancelled_declined_all_day_long_and_internal_events_are_dropped():
    customer = ("jane.doe@acme.com",)
    dropped = [
        meeting(*customer, cancelled=True),
        meeting(*customer, owner_declined=True),
        meeting(*customer, all_day=True, end=utc(2026, 12, 9, 10)),
        meeting(*customer, end=utc(2026, 12, 9, 10, 1)),
        meeting(OWNER, f"chris@{COMPANY}"),
        meeting(OWNER, "jane.doe@acme.com", declined=("jane.doe@acme.com",)),
    ]
    kept = meeting(*customer, uid="kept", end=utc(2026, 12, 9, 10))  # a day exactly

    assert [event.uid for event in matcher().match([*dropped, kept])] == ["kept"]


def test_a_meeting_with_several_accounts_keeps_them_all_the_most_present_first():
    (event,) = matcher().match(
        [meeting(OWNER, "pat@globex.com", "jane.doe@acme.com", "bob@acme.com", "hans@contoso.de")]
    )

    assert event.account_ids == (ACME, GLOBEX, CONTOSO)
    assert event.primary_account_id == ACME
    (tie,) = matcher().match([meeting("hans@contoso.de", "pat@globex.com")])
    assert tie.primary_account_id == CONTOSO  # the first listed


def test_the_customer_meetings_of_real_feeds():
    settings = {
        "contact_emails": {"jane.doe@acme.com": (101, ACME), "sam.lee@initech.com": (301, INITECH)},
        "account_domains": {
            "acme.com": ACME,
            "globex.com": GLOBEX,
            "initech.com": INITECH,
            "contoso.de": CONTOSO,
            "fabrikam.co.uk": FABRIKAM,
        },
        "company_domains": {"groundwork.example"},
    }
    found: list[MatchedEvent] = []
    for name in ("google.ics", "outlook.ics", "apple.ics"):
        found += match_events(read(name).occurrences, **settings)

    titles = {event.title for event in found}
    assert titles == {
        "Acme weekly sync",
        "Acme weekly sync (moved)",
        "Lunch with Initech",
        "Contoso steering committee",
        "Fabrikam in London",
        "Coffee with Sam (Initech)",
    }
    lunch = next(event for event in found if event.title == "Lunch with Initech")
    assert [(p.email, p.contact_id) for p in lunch.people] == [("sam.lee@initech.com", 301)]  # Tom declined
    steering = next(event for event in found if event.title == "Contoso steering committee")
    assert steering.account_ids == (CONTOSO, FABRIKAM)
    assert (
        len([event for event in found if event.title == "Contoso steering committee"]) == 6
    )  # not 24 December, cancelled
