"""Importing past engagements from CRM exports, and exporting them in the
same columns."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.accounts.models import Account
from engagement.cadence.models import ExecutiveContact, Program
from engagement.cadence.rule import ContactState
from engagement.cadence.selectors import executive_contact_status
from engagement.imports.models import ImportJob
from engagement.people.roles import Role
from engagement.reminders.scan import reminders_due
from engagement.tests.factories import (
    AccountFactory,
    ContactFactory,
    ExecutiveFactory,
    UserFactory,
    contact_record,
    overdue_reminder_sent,
)
from engagement.tests.import_helpers import csv_bytes, import_file, last_job, upload
from feedback.models import Survey
from visits.models import Engagement, EngagementExecutive
from visits.tests.factories import EngagementFactory, EngagementTypeFactory

pytestmark = pytest.mark.django_db

ENGAGEMENTS = "engagements"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(full_name="Alex Morgan", roles=[Role.PROGRAM_ADMIN]))
    return client


@pytest.fixture
def people():
    """Two executives, in New York and in London, an account with a contact, and a type."""
    return {
        "jordan": ExecutiveFactory(user__email="jordan@groundwork.example", user__time_zone="America/New_York"),
        "kim": ExecutiveFactory(user__email="kim@groundwork.example", user__time_zone="Europe/London"),
        "account": AccountFactory(name="Acme Corp", crm_id="001A"),
        "contact": ContactFactory(account=Account.objects.get(crm_id="001A"), email="lee@acme.example"),
        "type": EngagementTypeFactory(name="On-site visit", slug="on-site-visit", default_duration_minutes=90),
    }


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def activities(people: dict, *, first_date: str | None = None) -> bytes:
    """Two held visits as Salesforce exports activities."""
    first = first_date or days_ago(10).strftime("%d/%m/%Y")
    return csv_bytes(
        [
            ["Activity ID", "Account ID", "Account Name", "Activity Type", "Date", "Start Time", "Duration",
             "Assigned To Email", "Contacts", "Subject", "Description", "Internal field"],
            ["00T1", "001A", "Acme Corp", "On-site visit", first, "10:00", "90",
             "jordan@groundwork.example; kim@groundwork.example", "LEE@acme.example", "Plant tour",
             "They want faster deliveries", "x"],
            ["00T2", "", "Acme Corp", "on site visit", days_ago(30).isoformat(), "", "1:15",
             "kim@groundwork.example", "", "", "", "y"],
        ]
    )  # fmt: skip


def test_past_engagements_from_a_crm_count_toward_each_executives_cadence(
    admin_client, django_capture_on_commit_callbacks, people
):
    job = import_file(admin_client, django_capture_on_commit_callbacks, ENGAGEMENTS, activities(people))

    assert job.summary == {"created": 2, "updated": 0, "unchanged": 0}
    tour = Engagement.objects.get(crm_id="00T1")
    # 10:00 where the site is: a CRM exports in its user's time zone, which the file does not say.
    site = timezone.get_default_timezone()
    assert tour.starts_at == dt.datetime.combine(days_ago(10), dt.time(10), tzinfo=site)
    assert (tour.status, tour.duration_minutes, tour.type, tour.account) == (
        Engagement.Status.COMPLETED, 90, people["type"], people["account"]
    )  # fmt: skip
    assert (tour.objective, tour.notes) == ("Plant tour", "They want faster deliveries")
    assert list(tour.contacts.all()) == [people["contact"]]
    assert tour.ends_at - tour.starts_at == dt.timedelta(minutes=90)
    assert tour.import_job == job
    lead = EngagementExecutive.objects.get(engagement=tour, role=EngagementExecutive.Role.LEAD)
    assert lead.executive == people["jordan"]
    second = Engagement.objects.get(crm_id="00T2")
    assert second.duration_minutes == 75
    assert second.starts_at.astimezone(site).time() == dt.time(12)  # a date alone: noon
    # Contact facts and last contact dates, as if each had been logged.
    assert ExecutiveContact.objects.filter(executive=people["kim"]).count() == 2
    people["jordan"].refresh_from_db()
    people["kim"].refresh_from_db()
    assert people["jordan"].last_contact_on == days_ago(10)
    assert people["kim"].last_contact_on == days_ago(10)
    account = Account.objects.get(pk=people["account"].pk)
    assert (account.last_contact_on, account.contacts_12m) == (days_ago(10), 3)


def test_the_preview_reads_the_file_again_in_another_time_zone_or_date_order(
    admin_client, django_capture_on_commit_callbacks, people
):
    upload(admin_client, ENGAGEMENTS, activities(people, first_date="03/04/2025"))
    job = last_job()
    assert job.time_zone == timezone.get_default_timezone_name()
    page = admin_client.get(reverse("engagement:import_detail", kwargs={"pk": job.pk})).content.decode()
    assert "Times without an offset are read in " + job.time_zone in page

    response = admin_client.post(
        reverse("engagement:import_recheck", kwargs={"pk": job.pk}), {"date_order": "mdy", "time_zone": ""}, follow=True
    )

    job.refresh_from_db()
    assert (job.status, job.date_order, job.time_zone) == (ImportJob.Status.READY, "mdy", "")
    assert "The file was checked again, read as you chose." in response.content.decode()
    # 10:00 in New York, the lead executive's own time zone, on 4 March.
    assert job.preview["rows"][0][6] == "4 Mar 2025 10:00 (America/New_York)"
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("engagement:import_start", kwargs={"pk": job.pk}))
    tour = Engagement.objects.get(crm_id="00T1")
    assert tour.starts_at == dt.datetime(2025, 3, 4, 10, tzinfo=people["jordan"].user.tzinfo)

    again = admin_client.post(
        reverse("engagement:import_recheck", kwargs={"pk": job.pk}), {"date_order": "dmy", "time_zone": "Mars/Base"}
    )
    job.refresh_from_db()
    assert again.status_code == 302 and job.date_order == "mdy"  # a zone not in the list changes nothing


def test_importing_the_same_activities_twice_creates_nothing(admin_client, django_capture_on_commit_callbacks, people):
    data = activities(people)
    import_file(admin_client, django_capture_on_commit_callbacks, ENGAGEMENTS, data)

    second = import_file(admin_client, django_capture_on_commit_callbacks, ENGAGEMENTS, data)

    assert second.summary == {"created": 0, "updated": 0, "unchanged": 2}
    assert Engagement.objects.count() == 2
    assert ExecutiveContact.objects.count() == 3


def test_a_changed_activity_updates_its_engagement_and_recounts_its_contacts(
    admin_client, django_capture_on_commit_callbacks, people
):
    import_file(admin_client, django_capture_on_commit_callbacks, ENGAGEMENTS, activities(people))
    changed = csv_bytes(
        [
            ["Activity ID", "Account ID", "Type", "Date", "Executives", "Status"],
            ["00T1", "001A", "On-site visit", days_ago(10).isoformat(), "kim@groundwork.example", "Cancelled"],
        ]
    )

    job = import_file(admin_client, django_capture_on_commit_callbacks, ENGAGEMENTS, changed)

    tour = Engagement.objects.get(crm_id="00T1")
    assert job.summary == {"created": 0, "updated": 1, "unchanged": 0}
    assert tour.status == Engagement.Status.CANCELLED
    assert list(tour.executives.all()) == [people["kim"]]
    assert not ExecutiveContact.objects.filter(engagement_id=tour.pk).exists()
    people["jordan"].refresh_from_db()
    assert people["jordan"].last_contact_on is None


@pytest.mark.parametrize(
    ("date_order", "written", "read"),
    [("dmy", "03/04/2025", dt.date(2025, 4, 3)), ("mdy", "03/04/2025", dt.date(2025, 3, 4)),
     ("dmy", "4 March 2025", dt.date(2025, 3, 4)), ("mdy", "2025-03-04", dt.date(2025, 3, 4))],
)  # fmt: skip
def test_dates_are_read_in_the_order_chosen_on_upload(admin_client, people, date_order, written, read):
    upload(admin_client, ENGAGEMENTS, activities(people, first_date=written), date_order=date_order)

    job = last_job()
    assert job.status == ImportJob.Status.READY, job.errors
    assert job.preview["rows"][0][6].startswith(f"{read:%-d %b %Y} 10:00")


def test_bad_dates_unknown_people_and_types_are_row_errors_and_nothing_is_imported(admin_client, people):
    data = csv_bytes(
        [
            ["Activity ID", "Company", "Type", "Date", "Attendees"],
            ["00T1", "Acme Corp", "On-site visit", "03/14/2025", "jordan@groundwork.example"],
            ["00T2", "Acme Corp", "Golf", "2025-02-30", "someone@groundwork.example"],
            ["", "Nowhere Ltd", "On-site visit", days_ago(400).isoformat(), "jordan@groundwork.example"],
            ["00T4", "Acme Corp", "On-site visit", (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
             "jordan@groundwork.example"],
        ]
    )  # fmt: skip

    response = upload(admin_client, ENGAGEMENTS, data, date_order="dmy")

    job = last_job()
    assert job.status == ImportJob.Status.INVALID
    assert [(error["line"], error["column"]) for error in job.errors] == [
        (2, "Date"),
        (3, "Date"),
        (3, "Type"),
        (4, "Activity ID"),
        (4, "Company"),
        (5, "Date"),
    ]
    assert job.errors[0]["message"] == (
        "“03/14/2025” is not a day/month/year date (there is no month 14). If the file writes the month first, "
        "upload it again choosing “Month first”."
    )
    assert job.errors[1]["message"] == "“2025-02-30” is not a date in the calendar."
    assert job.errors[5]["message"] == "A held engagement cannot be in the future: Groundwork imports past ones."
    assert "Golf" in job.errors[2]["message"] and "On-site visit" in job.errors[2]["message"]
    assert "Fix the file and" in response.content.decode()
    assert Engagement.objects.count() == 0


def test_an_executive_who_is_not_in_groundwork_is_named(admin_client, people):
    data = csv_bytes(
        [["Activity ID", "Account ID", "Type", "Date", "Executives"],
         ["00T1", "001A", "On-site visit", "2025-01-10", "jordan@groundwork.example; nobody@groundwork.example"]]
    )  # fmt: skip

    upload(admin_client, ENGAGEMENTS, data)

    assert last_job().errors == [
        {"line": 2, "column": "Executives", "message": "nobody@groundwork.example is not an executive in Groundwork."}
    ]


def test_two_lines_for_one_activity_are_an_error_on_the_second(admin_client, people):
    existing = EngagementFactory(account=people["account"], crm_id="00T9", status=Engagement.Status.COMPLETED)
    data = csv_bytes(
        [["Activity ID", "Groundwork id", "Account ID", "Type", "Date", "Executives"],
         ["00T1", "", "001A", "On-site visit", "2025-01-10", "jordan@groundwork.example"],
         ["00T1", "", "001A", "On-site visit", "2025-01-11", "jordan@groundwork.example"],
         ["00T9", "", "001A", "On-site visit", "2025-01-12", "jordan@groundwork.example"],
         ["", str(existing.pk), "001A", "On-site visit", "2025-01-12", "jordan@groundwork.example"]]
    )  # fmt: skip

    upload(admin_client, ENGAGEMENTS, data)

    assert last_job().errors == [
        {"line": 3, "column": "Activity ID", "message": "Line 2 has the same CRM id."},
        {"line": 5, "column": "", "message": "Line 4 updates the same engagement."},
    ]
    assert not Engagement.objects.filter(crm_id="00T1").exists()


def test_activities_need_an_id_that_finds_them_again(admin_client, people):
    data = csv_bytes([["Account ID", "Type", "Date", "Executives"], ["001A", "On-site visit", "2025-01-10", "x@y.z"]])

    response = upload(admin_client, ENGAGEMENTS, data)

    assert "The file has no column for Groundwork id or CRM id" in response.context["form"].errors["file"][0]
    assert ImportJob.objects.count() == 0


def test_an_error_discovered_while_writing_leaves_nothing_imported(
    admin_client, django_capture_on_commit_callbacks, people, monkeypatch
):
    upload(admin_client, ENGAGEMENTS, activities(people))
    job = last_job()

    def broken(**kwargs):
        raise RuntimeError("lost the connection")

    # The last step: every engagement and attendance is written by then.
    monkeypatch.setattr("visits.imports.engagement_contacts_sync", broken)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("engagement:import_start", kwargs={"pk": job.pk}))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert Engagement.objects.count() == 0
    assert EngagementExecutive.objects.count() == 0
    assert Engagement.contacts.through.objects.count() == 0


def test_imported_engagements_send_no_customer_surveys(admin_client, django_capture_on_commit_callbacks, people):
    Program.objects.update(surveys_after_held=True)

    import_file(admin_client, django_capture_on_commit_callbacks, ENGAGEMENTS, activities(people))

    assert Survey.objects.count() == 0


def test_an_open_engagement_is_changed_in_groundwork_not_by_a_file(admin_client, people):
    EngagementFactory(
        crm_id="00T9", account=people["account"], type=people["type"], status=Engagement.Status.SCHEDULED,
        executives=[people["jordan"]],
    )  # fmt: skip
    data = csv_bytes(
        [["Activity ID", "Account ID", "Type", "Date", "Executives", "Status"],
         ["00T9", "001A", "On-site visit", days_ago(3).isoformat(), "jordan@groundwork.example", "Held"]]
    )  # fmt: skip

    upload(admin_client, ENGAGEMENTS, data)

    assert last_job().errors[0]["message"].startswith("This engagement is scheduled in Groundwork: change it there")


# --- Exports ----------------------------------------------------------------------------------


def export(client, **query) -> bytes:
    return b"".join(client.get(reverse("visits:export_engagements"), query).streaming_content)


def test_exported_engagements_import_again_unchanged(admin_client, django_capture_on_commit_callbacks, people):
    import_file(admin_client, django_capture_on_commit_callbacks, ENGAGEMENTS, activities(people))
    # Made in Groundwork, without a CRM id: logged, debriefed, and one still to come.
    logged = EngagementFactory(account=people["account"], type=people["type"], executives=[people["kim"]])
    logged.contacts.add(people["contact"], ContactFactory(account=people["account"], email=""))
    EngagementFactory(
        account=people["account"],
        executives=[people["jordan"]],
        status=Engagement.Status.DEBRIEFED,
        duration_minutes=None,
    )
    EngagementFactory(
        account=people["account"], executives=[people["jordan"], people["kim"]], status=Engagement.Status.SCHEDULED,
        starts_at=timezone.now() + dt.timedelta(days=5),
    )  # fmt: skip
    exported = export(admin_client, since=days_ago(60).isoformat(), until=(days_ago(-10)).isoformat())

    job = import_file(admin_client, django_capture_on_commit_callbacks, ENGAGEMENTS, exported)

    assert job.summary == {"created": 0, "updated": 0, "unchanged": 5}, job.preview["rows"]


def test_the_engagements_export_has_the_headings_its_import_reads_and_its_dates_only(admin_client, people):
    EngagementFactory(crm_id="old", account=people["account"], starts_at=timezone.now() - dt.timedelta(days=400))
    EngagementFactory(crm_id="new", account=people["account"], executives=[people["kim"], people["jordan"]])

    rows = list(csv.DictReader(io.StringIO(export(admin_client).decode())))

    assert [row["crm_id"] for row in rows] == ["new"]  # the last twelve months unless asked
    assert list(rows[0])[:6] == [
        "groundwork_id",
        "crm_id",
        "account_groundwork_id",
        "account_crm_id",
        "account_name",
        "type",
    ]
    assert rows[0]["executive_emails"] == "kim@groundwork.example; jordan@groundwork.example"  # the lead first


def test_the_engagements_export_streams_in_the_same_queries_however_many_rows(admin_client, people):
    def more(count: int) -> None:
        for _ in range(count):
            engagement = EngagementFactory(account=people["account"], executives=[people["kim"], people["jordan"]])
            engagement.contacts.add(people["contact"])

    more(2)
    export(admin_client)
    with CaptureQueriesContext(connection) as few:
        export(admin_client)
    more(25)
    with CaptureQueriesContext(connection) as many:
        rows = export(admin_client).decode().splitlines()

    assert len(rows) == 28
    assert len(many) == len(few)


def test_dates_an_export_cannot_read_are_refused(admin_client):
    response = admin_client.get(reverse("visits:export_engagements"), {"since": "2025-05-01", "until": "2025-04-01"})

    assert response.status_code == 400
    assert "No file was made" in response.content.decode()
    assert "The end comes before the start." in response.content.decode()


# --- Where executives stand afterwards ---------------------------------------------


def visit_on(day: dt.date, email: str, crm_id: str) -> list[str]:
    return [crm_id, "001A", "Acme Corp", "On-site visit", day.isoformat(), "10:00", "60", email, "", "", "", ""]


HEADINGS = ["Activity ID", "Account ID", "Account Name", "Activity Type", "Date", "Start Time", "Duration",
            "Assigned To Email", "Contacts", "Subject", "Description", "Internal field"]  # fmt: skip


def test_a_contact_from_before_an_executive_joined_does_not_make_them_overdue(
    admin_client, django_capture_on_commit_callbacks, people
):
    newcomer = ExecutiveFactory(
        user__email="new@groundwork.example", user__full_name="Nia Newcomer", joined_on=days_ago(30)
    )
    manager = ExecutiveFactory(user__email="boss@groundwork.example")
    newcomer.manager = manager
    newcomer.save()
    UserFactory(roles=[Role.PROGRAM_ADMIN])

    job = import_file(
        admin_client,
        django_capture_on_commit_callbacks,
        ENGAGEMENTS,
        csv_bytes([HEADINGS, visit_on(days_ago(170), "new@groundwork.example", "00T9")]),
    )

    assert job.summary["created"] == 1
    status = executive_contact_status(executive=newcomer)
    assert status.last_contact_on == days_ago(170)
    assert status.days_since == 170
    assert (status.state, status.episode_start, status.counts_from_joining) == (
        ContactState.ON_TRACK, days_ago(30), True
    )  # fmt: skip
    assert [due for due in reminders_due() if due.executive_id == newcomer.pk] == []
    executives_page = admin_client.get(reverse("engagement:executives"), {"state": "on_track"}).content.decode()
    assert "Nia Newcomer" in executives_page


def test_the_preview_says_who_changes_state_and_the_reminders_and_escalations_that_would_follow(admin_client, people):
    # Overdue since a contact 50 days ago: a contact 3 days ago puts them on track.
    drifting = ExecutiveFactory(user__email="drift@groundwork.example")
    contact_record(executive=drifting, occurred_at=timezone.now() - dt.timedelta(days=50))
    # Warned three weeks ago, then on track thanks to a visit ten days ago
    # that, says the CRM, did not take place: escalated again.
    slipping = ExecutiveFactory(user__email="slip@groundwork.example")
    contact_record(executive=slipping, occurred_at=timezone.now() - dt.timedelta(days=60))
    overdue_reminder_sent(executive=slipping, at=timezone.now() - dt.timedelta(days=20))
    held = EngagementFactory(
        account=people["account"], type=people["type"], crm_id="00T5", executives=[slipping],
        starts_at=timezone.now() - dt.timedelta(days=10),
    )  # fmt: skip
    # Joined a month ago: a contact from last year changes nothing.
    ExecutiveFactory(user__email="new@groundwork.example", joined_on=days_ago(30))
    data = csv_bytes(
        [
            ["Activity ID", "Account ID", "Activity Type", "Date", "Status", "Assigned To Email"],
            ["00T6", "001A", "On-site visit", days_ago(3).isoformat(), "", "drift@groundwork.example"],
            ["00T5", "001A", "On-site visit", held.starts_at.date().isoformat(), "Not held", "slip@groundwork.example"],
            ["00T7", "001A", "On-site visit", days_ago(300).isoformat(), "", "new@groundwork.example"],
        ]
    )

    upload(admin_client, ENGAGEMENTS, data)

    job = last_job()
    assert job.status == ImportJob.Status.READY, job.errors
    assert job.preview["impact"] == {
        "executives": 2,
        "into": [["on track", 1], ["escalated", 1]],
        "reminders": 1,
        "escalations": 1,
    }
    page = admin_client.get(reverse("engagement:import_detail", kwargs={"pk": job.pk})).content.decode()
    impact = " ".join(page.split('id="import-impact">', 1)[1].split("</p>", 1)[0].split())
    assert impact.startswith("It moves 2 executives to another state: 1 on track, 1 escalated.")
    assert "The next reminder scan would then send 1 contact reminder and 1 escalation." in impact


def crm_people() -> dict:
    """Jordan leads in New York; a second Jordan makes that first name alone ambiguous."""
    people = {
        "jordan": ExecutiveFactory(user__email="jordan@groundwork.example", user__full_name="Jordan Ellis",
                                   user__time_zone="America/New_York"),
        "kim": ExecutiveFactory(user__email="kim@groundwork.example", user__full_name="Kim Park"),
        "am": UserFactory(email="sam@groundwork.example", full_name="Sam Rivera", roles=[Role.ACCOUNT_MANAGER]),
        "account": AccountFactory(name="Acme Corp", crm_id="0015g00000AcmeAAA"),
        "other": AccountFactory(name="Globex", crm_id="9001"),
        "type": EngagementTypeFactory(name="Customer visit", slug="customer-visit", default_duration_minutes=60),
    }  # fmt: skip
    people["lee"] = ContactFactory(account=people["account"], email="lee@acme.example")
    ExecutiveFactory(user__email="jordan.b@groundwork.example", user__full_name="Jordan Brooks")
    return people


def test_a_salesforce_data_loader_event_export_imports_as_written(admin_client, django_capture_on_commit_callbacks):
    people = crm_people()
    start = (timezone.now() - dt.timedelta(days=8)).replace(hour=15, minute=0, second=0, microsecond=0)
    data = csv_bytes(
        [
            ["ID", "ACCOUNTID", "WHOID", "SUBJECT", "LOCATION", "ISALLDAYEVENT", "ACTIVITYDATETIME", "ACTIVITYDATE",
             "DURATIONINMINUTES", "STARTDATETIME", "ENDDATETIME", "DESCRIPTION", "OWNERID", "OWNER.EMAIL", "WHO.EMAIL",
             "TYPE"],
            ["00U5g00000Ev1AAA", "0015g00000AcmeAAA", "0035g00000LeeAAA", "Quarterly review", "Acme HQ", "false",
             f"{start:%Y-%m-%dT%H:%M:%S}.000Z", f"{start:%Y-%m-%d}", "45", f"{start:%Y-%m-%dT%H:%M:%S}.000Z",
             f"{start + dt.timedelta(minutes=45):%Y-%m-%dT%H:%M:%S}.000Z", "Renewal risk\nin two lines",
             "0055g00000OwnAAA", "Jordan@Groundwork.example", "lee@acme.example", "Customer visit"],
        ]
    )  # fmt: skip

    job = import_file(admin_client, django_capture_on_commit_callbacks, ENGAGEMENTS, data)

    assert job.summary == {"created": 1, "updated": 0, "unchanged": 0}
    visit = Engagement.objects.get(crm_id="00U5g00000Ev1AAA")
    assert (visit.account, visit.type, visit.status) == (people["account"], people["type"], Engagement.Status.COMPLETED)
    assert (visit.starts_at, visit.duration_minutes) == (start, 45)
    assert (visit.objective, visit.location, visit.notes) == (
        "Quarterly review",
        "Acme HQ",
        "Renewal risk\nin two lines",
    )
    assert list(visit.executives.all()) == [people["jordan"]]
    assert list(visit.contacts.all()) == [people["lee"]]


def test_a_salesforce_activities_report_names_its_owner_and_keeps_its_full_comments(
    admin_client, django_capture_on_commit_callbacks
):
    people = crm_people()
    data = csv_bytes(
        [
            ["Activity ID", "Assigned", "Subject", "Date", "Company / Account", "Activity Type", "Full Comments"],
            ["00T1", "Jordan Ellis", "Site visit", days_ago(5).strftime("%d/%m/%Y"), "Acme Corp", "Customer visit",
             "Asked for a roadmap session"],
            ["00T2", "kim park", "Follow-up", days_ago(4).strftime("%d/%m/%Y"), "Acme Corp", "Customer visit", ""],
        ]
    )  # fmt: skip

    job = import_file(admin_client, django_capture_on_commit_callbacks, ENGAGEMENTS, data)

    assert job.summary["created"] == 2
    first = Engagement.objects.get(crm_id="00T1")
    assert first.notes == "Asked for a roadmap session"
    assert list(first.executives.all()) == [people["jordan"]]
    assert list(Engagement.objects.get(crm_id="00T2").executives.all()) == [people["kim"]]


def test_an_owner_named_ambiguously_or_unknown_or_not_an_executive_is_a_row_error(admin_client):
    crm_people()
    data = csv_bytes(
        [
            ["Activity ID", "Assigned", "Date", "Account Name", "Activity Type"],
            ["00T1", "Jordan", "2025-01-10", "Acme Corp", "Customer visit"],
            ["00T2", "Robin Nobody", "2025-01-10", "Acme Corp", "Customer visit"],
            ["00T3", "Sam Rivera", "2025-01-10", "Acme Corp", "Customer visit"],
        ]
    )
    ExecutiveFactory(user__email="jordan.c@groundwork.example", user__full_name="Jordan")
    ExecutiveFactory(user__email="jordan.d@groundwork.example", user__full_name="jordan")

    upload(admin_client, ENGAGEMENTS, data)

    assert last_job().errors == [
        {"line": 2, "column": "Assigned", "message": "2 people in Groundwork are called “Jordan”: give their email."},
        {
            "line": 3,
            "column": "Assigned",
            "message": "No one in Groundwork is called “Robin Nobody”: give their email.",
        },
        {"line": 4, "column": "Assigned", "message": "Sam Rivera is not an executive in Groundwork."},
    ]
    assert Engagement.objects.count() == 0


def test_a_hubspot_meetings_export_imports_under_its_labels(admin_client, django_capture_on_commit_callbacks):
    people = crm_people()
    start = (timezone.now() - dt.timedelta(days=3)).astimezone(timezone.get_default_timezone())
    start = start.replace(second=0, microsecond=0)
    data = csv_bytes(
        [
            ["Record ID", "Activity date", "Meeting name", "Meeting description", "Meeting outcome",
             "Call and meeting type", "Activity assigned to", "Meeting start time", "Meeting end time",
             "Associated Company IDs", "Associated Companies", "Associated Contacts"],
            ["81234567", f"{start:%Y-%m-%d %H:%M}", "Kick-off", "Agreed next steps", "Scheduled",
             "customer visit", "Jordan Ellis", f"{start:%Y-%m-%d %H:%M}",
             f"{start + dt.timedelta(minutes=50):%Y-%m-%d %H:%M}", "77777;0015g00000AcmeAAA", "Acme Corp",
             "Lee Chan (lee@acme.example)"],
        ]
    )  # fmt: skip

    upload(admin_client, ENGAGEMENTS, data)
    preview = last_job().preview
    job = import_file(admin_client, django_capture_on_commit_callbacks, ENGAGEMENTS, data)

    assert "1 meeting the file still calls Scheduled took place before today: read as held." in preview["notes"]
    assert job.summary["created"] == 1
    kick_off = Engagement.objects.get(crm_id="81234567")
    assert (kick_off.account, kick_off.status) == (people["account"], Engagement.Status.COMPLETED)
    # Its length from its end.
    assert (kick_off.starts_at, kick_off.duration_minutes) == (start, 50)
    assert (kick_off.objective, kick_off.notes) == ("Kick-off", "Agreed next steps")
    assert list(kick_off.executives.all()) == [people["jordan"]]
    assert list(kick_off.contacts.all()) == [people["lee"]]


def test_a_hubspot_export_under_internal_names_imports_and_two_known_companies_are_an_error(admin_client):
    crm_people()
    data = csv_bytes(
        [
            ["hs_object_id", "hs_timestamp", "hs_meeting_title", "hs_meeting_body", "hs_meeting_outcome",
             "hs_activity_type", "hubspot_owner_id", "hs_meeting_end_time", "Associated Company IDs"],
            ["1", "2025-01-10 09:00", "Review", "", "Completed", "Customer visit", "Kim Park", "2025-01-10 10:30",
             "0015g00000AcmeAAA"],
            ["2", "2025-01-11 09:00", "Review", "", "Completed", "Customer visit", "Kim Park", "2025-01-11 08:00",
             "0015g00000AcmeAAA"],
            ["3", "2025-01-12 09:00", "Review", "", "Completed", "Customer visit", "Kim Park", "",
             "9001;0015g00000AcmeAAA"],
        ]
    )  # fmt: skip

    upload(admin_client, ENGAGEMENTS, data)

    job = last_job()
    assert job.errors == [
        {"line": 3, "column": "hs_meeting_end_time",
         "message": "It ends before it starts, or more than a day later: check both."},
        {"line": 4, "column": "Associated Company IDs",
         "message": "This row names 2 accounts (Globex, Acme Corp): keep one."},
    ]  # fmt: skip


def test_a_gainsight_timeline_export_imports_as_written(admin_client, django_capture_on_commit_callbacks):
    people = crm_people()
    data = csv_bytes(
        [
            ["Gsid", "Company Id", "Company Name", "Activity Date", "Activity Type", "Subject", "Notes",
             "Duration (in Mins)", "User Email", "External Attendees", "Created Date"],
            ["1I00ABC", "1P02XYZ", "Acme Corp", days_ago(6).strftime("%m/%d/%Y"), "Customer visit", "Health check",
             "They are expanding", "30", "kim@groundwork.example", "Lee Chan <lee@acme.example>",
             days_ago(6).isoformat()],
        ]
    )  # fmt: skip

    job = import_file(admin_client, django_capture_on_commit_callbacks, ENGAGEMENTS, data, date_order="mdy")

    assert job.summary["created"] == 1
    check = Engagement.objects.get(crm_id="1I00ABC")
    assert (check.account, check.duration_minutes, check.notes) == (people["account"], 30, "They are expanding")
    assert check.starts_at.astimezone(people["kim"].user.tzinfo).date() == days_ago(6)
    assert list(check.contacts.all()) == [people["lee"]]
