"""Importing executives, accounts and contacts from CRM exports, and
exporting them in the same columns."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.accounts.models import Account, AccountDomain, Contact
from engagement.imports.framework import IMPORT_KINDS, Progress
from engagement.imports.models import ImportJob
from engagement.imports.services import CHECK_IN_REQUEST_BYTES, import_job_run, import_job_start
from engagement.imports.values import normalized
from engagement.people.models import Executive, Function, Level, Skill, User
from engagement.people.roles import Role, user_roles
from engagement.tests.factories import (
    AccountFactory,
    ContactFactory,
    ExecutiveFactory,
    FunctionFactory,
    ProgramFactory,
    SkillFactory,
    UserFactory,
    contact_record,
)
from engagement.tests.import_helpers import csv_bytes, import_file, last_job, upload

pytestmark = pytest.mark.django_db

EXECUTIVES = "executives"
ACCOUNTS = "accounts"
CONTACTS = "contacts"


@pytest.fixture
def admin_user():
    return UserFactory(full_name="Alex Morgan", roles=[Role.PROGRAM_ADMIN])


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


# As HubSpot exports users: the manager comes after the people who report to them.
HUBSPOT_EXECUTIVES = [
    ["E-mail", "First Name", "Last Name", "Job Title", "Seniority", "Department", "Reports To", "Skills", "Time Zone"],
    ["dana.lee@groundwork.example", "Dana", "Lee", "VP Service", "Vice President", "Service",
     "ceo@groundwork.example", "Logistics; Pricing", "Europe/London"],
    ["ceo@groundwork.example", "Robin", "Hart", "Chief Executive", "C-suite", "Leadership", "", "Strategy",
     "America/New_York"],
]  # fmt: skip


def test_a_crm_export_of_executives_imports_them_with_their_managers_and_talents(
    admin_client, django_capture_on_commit_callbacks, mailoutbox
):
    program = ProgramFactory(cadence_days=28)
    SkillFactory(name="Pricing")

    job = import_file(admin_client, django_capture_on_commit_callbacks, EXECUTIVES, csv_bytes(HUBSPOT_EXECUTIVES))

    assert job.status == ImportJob.Status.DONE
    assert job.summary == {"created": 2, "updated": 0, "unchanged": 0}
    dana = Executive.objects.select_related("user", "function", "manager__user").get(
        user__email="dana.lee@groundwork.example"
    )
    assert (dana.user.full_name, dana.title, dana.level, dana.function.name) == (
        "Dana Lee",
        "VP Service",
        Level.VP,
        "Service",
    )
    assert dana.manager.user.email == "ceo@groundwork.example"
    assert dana.user.time_zone == "Europe/London"
    assert sorted(dana.talents.values_list("name", flat=True)) == ["Logistics", "Pricing"]
    assert Skill.objects.filter(name__iexact="pricing").count() == 1
    assert program in dana.programs.all()  # every active program
    assert dana.cadence_days == 28  # its cadence, the strictest, copied though bulk inserts send no signal
    assert user_roles(dana.user) == {Role.EXECUTIVE}
    assert not dana.user.has_usable_password()
    assert mailoutbox == []  # nobody is invited by an import


def test_the_preview_says_what_importing_will_do_before_anything_changes(admin_client):
    SkillFactory(name="Pricing")

    response = upload(admin_client, EXECUTIVES, csv_bytes(HUBSPOT_EXECUTIVES))

    job = last_job()
    page = response.content.decode()
    assert job.status == ImportJob.Status.READY
    assert job.preview["counts"] == {"create": 2, "update": 0, "unchanged": 0}
    assert "New skills to be created: Logistics, Strategy." in job.preview["notes"]
    assert "Import 2 rows" in page
    assert "Seniority (as level)" in page
    assert "dana.lee@groundwork.example" in page
    assert not User.objects.filter(email="dana.lee@groundwork.example").exists()


def test_importing_the_same_executives_file_twice_creates_nothing(admin_client, django_capture_on_commit_callbacks):
    data = csv_bytes(HUBSPOT_EXECUTIVES)
    import_file(admin_client, django_capture_on_commit_callbacks, EXECUTIVES, data)

    second = import_file(admin_client, django_capture_on_commit_callbacks, EXECUTIVES, data)

    assert second.preview["counts"] == {"create": 0, "update": 0, "unchanged": 2}
    assert second.summary == {"created": 0, "updated": 0, "unchanged": 2}
    assert Executive.objects.count() == 2
    assert Skill.objects.count() == 3


def test_an_executive_whose_file_row_changed_is_updated_and_the_rest_left_alone(
    admin_client, django_capture_on_commit_callbacks
):
    executive = ExecutiveFactory(user__email="Pat.Kim@groundwork.example", user__full_name="Pat Kim", title="VP Sales")
    executive.talents.add(SkillFactory(name="Negotiation"))
    data = csv_bytes([["Email", "Title"], ["pat.kim@groundwork.example", "SVP Sales"]])

    job = import_file(admin_client, django_capture_on_commit_callbacks, EXECUTIVES, data)

    executive.refresh_from_db()
    assert job.summary == {"created": 0, "updated": 1, "unchanged": 0}
    assert executive.title == "SVP Sales"
    assert executive.user.full_name == "Pat Kim"
    assert list(executive.talents.values_list("name", flat=True)) == ["Negotiation"]


def test_someone_with_a_login_becomes_an_executive(admin_client, django_capture_on_commit_callbacks):
    manager = UserFactory(email="sam@groundwork.example", full_name="Sam Rivera", roles=[Role.ACCOUNT_MANAGER])
    data = csv_bytes(
        [["Email", "Name", "Title", "Level"], ["sam@groundwork.example", "", "Director Sales", "Director"]]
    )

    job = import_file(admin_client, django_capture_on_commit_callbacks, EXECUTIVES, data)

    executive = Executive.objects.get(user=manager)
    assert job.summary["created"] == 1
    assert (executive.title, executive.level) == ("Director Sales", Level.DIRECTOR)
    manager.refresh_from_db()
    assert manager.full_name == "Sam Rivera"
    assert user_roles(User.objects.get(pk=manager.pk)) == {Role.ACCOUNT_MANAGER, Role.EXECUTIVE}


def test_an_imported_executive_chooses_a_password_from_forgot_your_password(
    admin_client, client, django_capture_on_commit_callbacks, mailoutbox
):
    import_file(admin_client, django_capture_on_commit_callbacks, EXECUTIVES, csv_bytes(HUBSPOT_EXECUTIVES))
    client.logout()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "dana.lee@groundwork.example"})

    assert [message.to for message in mailoutbox] == [["dana.lee@groundwork.example"]]
    assert "/password/reset/key/" in mailoutbox[0].body


def test_a_new_time_zone_redates_the_executives_contacts(admin_client, django_capture_on_commit_callbacks):
    executive = ExecutiveFactory(user__email="ola@groundwork.example")
    # 03:00 UTC on 2 May is the evening of 1 May in Los Angeles.
    contact_record(executive=executive, occurred_at=dt.datetime(2025, 5, 2, 3, 0, tzinfo=dt.UTC))
    data = csv_bytes([["Email", "Time zone"], ["ola@groundwork.example", "america/los_angeles"]])

    import_file(admin_client, django_capture_on_commit_callbacks, EXECUTIVES, data)

    executive.refresh_from_db()
    assert executive.last_contact_on == dt.date(2025, 5, 1)
    assert executive.contacts.get().contact_on == dt.date(2025, 5, 1)


def test_row_errors_give_the_file_line_the_files_heading_and_what_is_wrong(admin_client):
    data = csv_bytes(
        [
            ["Work Email", "Full Name", "Seniority", "Reports To", "Notes"],
            ["ok@groundwork.example", "Ok Person", "VP", "", "A note\nover two lines"],
            ["not an email", "Bad Email", "VP", "", ""],
            ["kim@groundwork.example", "Kim", "Manager", "nobody@groundwork.example", ""],
            ["new@groundwork.example", "", "VP", "", ""],
            ["ok@groundwork.example", "Twice", "VP", "", ""],
        ]
    )

    response = upload(admin_client, EXECUTIVES, data)

    job = last_job()
    page = response.content.decode()
    assert job.status == ImportJob.Status.INVALID
    assert job.errors == [
        {"line": 4, "column": "Work Email", "message": "“not an email” is not an email address."},
        {
            "line": 5,
            "column": "Seniority",
            "message": "“Manager” is not an executive's level: write Director, VP, SVP or C-suite.",
        },
        {
            "line": 5,
            "column": "Reports To",
            "message": "No executive has the email nobody@groundwork.example, in Groundwork or in this file.",
        },
        {"line": 6, "column": "Full Name", "message": "Give the name of this new executive."},
        {"line": 7, "column": "Work Email", "message": "ok@groundwork.example is on line 2 already."},
    ]
    assert job.error_count == 5
    assert reverse("engagement:import_start", kwargs={"pk": job.pk}) not in page
    assert "Fix the file and" in page
    assert "Notes" in job.preview["ignored"]
    assert not User.objects.filter(email="ok@groundwork.example").exists()


def test_row_errors_are_listed_fifty_a_page(admin_client):
    data = csv_bytes([["Email", "Name"], *[[f"bad{n}", "Someone"] for n in range(60)]])
    upload(admin_client, EXECUTIVES, data)
    job = last_job()

    second_page = admin_client.get(reverse("engagement:import_detail", kwargs={"pk": job.pk}), {"page": 2})

    content = second_page.content.decode()
    assert job.error_count == 60
    assert "“bad50” is not an email address." in content
    assert "“bad49” is not an email address." not in content
    assert "Page 2 of 2" in content


# --- Files refused as a whole -------------------------------------------------------------------

GOOD = "Email,Name\r\nana@groundwork.example,Ana Diaz\r\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            GOOD.replace("Diaz", "Díaz").encode("cp1252"), "Line 2 holds characters that are not UTF-8", id="cp1252"
        ),
        pytest.param(GOOD.encode("utf-16"), "This file is saved as UTF-16", id="utf-16"),
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "This is a spreadsheet workbook", id="xlsx"),
        pytest.param(b"", "The file is empty.", id="empty"),
        pytest.param(b"\r\n \r\n", "The file is empty.", id="blank lines"),
        pytest.param(b"Email,Name\r\n", "The file has its headings but no rows under them.", id="headings only"),
        pytest.param(
            b"Mail,Full Name\r\nana@groundwork.example,Ana\r\n",
            "The file has no column for Email, which executives need. Headings Groundwork reads for it: "
            "Email: email, Email Address, Work Email",
            id="missing column",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_clear_message_and_nothing_changes(admin_client, data, message):
    users = User.objects.count()

    response = upload(admin_client, EXECUTIVES, data)

    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any(message in error for error in errors), errors
    assert ImportJob.objects.count() == 0
    assert User.objects.count() == users


def test_a_file_not_in_utf8_says_how_to_save_it(admin_client):
    response = upload(admin_client, EXECUTIVES, GOOD.replace("Diaz", "Díaz").encode("cp1252"))

    assert "“CSV UTF-8 (Comma delimited)”" in response.context["form"].errors["file"][0]


def test_a_file_over_the_size_limit_is_refused(admin_client, settings):
    settings.IMPORT_MAX_BYTES = 1_000_000

    response = upload(admin_client, EXECUTIVES, GOOD.encode() + b"x" * 1_200_000)

    assert response.context["form"].errors["file"] == [
        "This file is 1.2 MB; files of up to 1.0 MB can be imported. Split it into smaller files and import each."
    ]
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize(
    ("delimiter", "bom"), [(",", True), (";", False), ("\t", False)], ids=["bom", "semicolons", "tabs"]
)
def test_utf8_with_a_byte_order_mark_and_semicolons_or_tabs_are_read(admin_client, delimiter, bom):
    data = csv_bytes(
        [["Email", "Name", "Title"], ["ana@groundwork.example", "Ana Díaz", "VP, Operations"]],
        delimiter=delimiter,
        bom=bom,
    )

    upload(admin_client, EXECUTIVES, data)

    job = last_job()
    assert job.status == ImportJob.Status.READY, job.errors
    assert job.preview["rows"][0][2:5] == ["ana@groundwork.example", "Ana Díaz", "VP, Operations"]


def test_the_lines_salesforce_writes_under_a_report_are_not_rows(admin_client):
    data = csv_bytes(HUBSPOT_EXECUTIVES) + (
        b'\r\n"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."\r\n'
        b'"Confidential Information - Do Not Distribute"\r\n"Generated By:  Alex Morgan  14/03/2025 10:00"\r\n'
    )

    upload(admin_client, EXECUTIVES, data)

    job = last_job()
    assert (job.status, job.row_count) == (ImportJob.Status.READY, 2)


# --- Accounts --------------------------------------------------------------------------------

SALESFORCE_ACCOUNTS = [
    ["Account ID", "Account Name", "Type", "Account Tier", "Industry", "Territory", "Account Owner", "Needs", "ARR",
     "Renewal Date", "Renewed"],
    ["001A", "Acme Corp", "Customer - Direct", "Strategic", "Manufacturing", "EMEA", "sam@groundwork.example",
     "Pricing", "$1,250,000.50", "31/03/2026", "yes"],
    ["001B", "Globex", "Channel Partner / Reseller", "2", "Retail", "APAC", "Sam Rivera", "", "80000 EUR",
     "2026-09-01", ""],
    ["001C", "Initech", "Prospect", "Tier 3", "", "", "", "", "", "", ""],
]  # fmt: skip


def test_a_crm_export_of_accounts_imports_and_matches_by_crm_id_then_by_name(
    admin_client, django_capture_on_commit_callbacks
):
    manager = UserFactory(email="sam@groundwork.example", full_name="Sam Rivera", roles=[Role.ACCOUNT_MANAGER])
    acme = AccountFactory(name="ACME Corp", crm_id=None, tier=Account.Tier.STANDARD)  # made by hand before the CRM
    globex = AccountFactory(name="Globex (old name)", crm_id="001B")

    job = import_file(admin_client, django_capture_on_commit_callbacks, ACCOUNTS, csv_bytes(SALESFORCE_ACCOUNTS))

    assert job.summary == {"created": 1, "updated": 2, "unchanged": 0}
    acme.refresh_from_db()
    globex.refresh_from_db()
    initech = Account.objects.get(crm_id="001C")
    assert (acme.crm_id, acme.name, acme.tier, acme.account_manager) == (
        "001A",
        "Acme Corp",
        Account.Tier.STRATEGIC,
        manager,
    )
    assert list(acme.needs.values_list("name", flat=True)) == ["Pricing"]
    assert (globex.name, globex.kind, globex.tier, globex.account_manager) == (
        "Globex", Account.Kind.PARTNER, Account.Tier.KEY, manager
    )  # fmt: skip
    assert (initech.kind, initech.tier, initech.status) == (Account.Kind.CUSTOMER, Account.Tier.GROWTH, "active")
    # A currency sign and thousands separators are left out; an empty "Renewed" is not known yet.
    assert (acme.annual_value, acme.renewal_on, acme.renewed) == (Decimal("1250000.50"), dt.date(2026, 3, 31), True)
    assert (globex.annual_value, globex.renewal_on, globex.renewed) == (Decimal("80000"), dt.date(2026, 9, 1), None)
    assert (initech.annual_value, initech.renewal_on, initech.renewed) == (None, None, None)


def test_a_wrong_annual_value_renewal_date_or_renewed_is_a_row_error(admin_client):
    data = csv_bytes(
        [
            ["Account Name", "Annual contract value", "Renewal date", "Renewed"],
            ["Acme", "-5000", "", ""],
            ["Globex", "lots", "", ""],
            ["Initech", "", "31/02/2026", ""],
            ["Hooli", "", "", "maybe"],
        ]
    )

    upload(admin_client, ACCOUNTS, data)

    assert [(error["line"], error["column"], error["message"]) for error in last_job().errors] == [
        (2, "Annual contract value", "“-5000” is below zero: an annual value is zero or more."),
        (3, "Annual contract value", "“lots” is not an amount: write the number alone, such as 125000 or 125,000.50."),
        (4, "Renewal date", "“31/02/2026” is not a date in the calendar."),
        (5, "Renewed", "“maybe” is neither yes nor no: write yes or no."),
    ]


def test_importing_the_same_accounts_file_twice_creates_nothing(admin_client, django_capture_on_commit_callbacks):
    UserFactory(email="sam@groundwork.example", full_name="Sam Rivera")
    data = csv_bytes(SALESFORCE_ACCOUNTS)
    import_file(admin_client, django_capture_on_commit_callbacks, ACCOUNTS, data)

    second = import_file(admin_client, django_capture_on_commit_callbacks, ACCOUNTS, data)

    assert second.summary == {"created": 0, "updated": 0, "unchanged": 3}
    assert Account.objects.count() == 3


def test_an_account_name_shared_by_several_accounts_needs_an_id(admin_client):
    AccountFactory(name="Northwind", crm_id=None)
    AccountFactory(name="Northwind", crm_id=None)

    upload(admin_client, ACCOUNTS, csv_bytes([["Account Name", "Tier"], ["northwind", "Key"]]))

    assert last_job().errors == [
        {
            "line": 2,
            "column": "Account Name",
            "message": "2 accounts are called “northwind”: add their CRM ids to tell them apart.",
        }
    ]


def test_an_account_manager_nobody_is_called_is_a_row_error(admin_client):
    upload(admin_client, ACCOUNTS, csv_bytes([["Account Name", "Account Owner"], ["Acme", "Nobody Known"]]))

    assert last_job().errors[0]["message"] == "No one in Groundwork is called “Nobody Known”: give their email."


def test_account_domains_import_from_a_website_or_a_list_and_one_domain_is_one_accounts(
    admin_client, django_capture_on_commit_callbacks
):
    globex = AccountFactory(name="Globex", crm_id="001B", tier=Account.Tier.STANDARD)
    AccountDomain.objects.create(account=globex, domain="globex.com")
    data = csv_bytes(
        [
            ["Account ID", "Account Name", "Website", "Tier"],
            ["001A", "Acme Corp", "https://www.Acme.com/about; acme.co.uk", "Key"],
            ["001B", "Globex", "globex.com", "Key"],
        ]
    )

    job = import_file(admin_client, django_capture_on_commit_callbacks, ACCOUNTS, data)

    acme = Account.objects.get(crm_id="001A")
    assert sorted(acme.domains.values_list("domain", flat=True)) == ["acme.co.uk", "acme.com"]
    assert job.summary == {"created": 1, "updated": 1, "unchanged": 0}  # Globex: its tier only
    assert list(globex.domains.values_list("domain", flat=True)) == ["globex.com"]

    taken = csv_bytes(
        [
            ["Account ID", "Account Name", "Domains"],
            ["001C", "Initech", "acme.com"],
            ["001D", "Umbrella", "umbrella.example; UMBRELLA.example"],
            ["001E", "Umbrella EU", "umbrella.example"],
            ["001F", "Hooli", "gmail.com"],
            ["001G", "Vandelay", "not a domain"],
        ]
    )
    upload(admin_client, ACCOUNTS, taken)

    assert [(error["line"], error["message"]) for error in last_job().errors] == [
        (2, "acme.com is a domain of Acme Corp already."),
        (4, "Line 3 gives umbrella.example to another account."),
        (5, "gmail.com is where anyone has an address, not one company's domain."),
        (6, "“not” is not an internet domain: write it as acme.com."),
    ]


# --- Contacts --------------------------------------------------------------------------------


def test_contacts_match_by_crm_id_else_by_email_within_their_account(admin_client, django_capture_on_commit_callbacks):
    acme = AccountFactory(name="Acme Corp", crm_id="001A")
    by_email = ContactFactory(account=acme, name="Lee Chan", email="LEE@acme.example", title="Buyer", crm_id=None)
    elsewhere = ContactFactory(account=AccountFactory(), email="lee@acme.example")
    data = csv_bytes(
        [
            ["Contact ID", "Account ID", "Account Name", "First Name", "Last Name", "Title", "Email"],
            ["003A", "001A", "Acme Corp", "Lee", "Chan", "Head of Purchasing", "lee@acme.example"],
            ["003B", "", "Acme Corp", "Kai", "Ono", "Chief Operating Officer", "kai@acme.example"],
        ]
    )

    job = import_file(admin_client, django_capture_on_commit_callbacks, CONTACTS, data)

    by_email.refresh_from_db()
    kai = Contact.objects.get(crm_id="003B")
    assert job.summary == {"created": 1, "updated": 1, "unchanged": 0}
    assert (by_email.crm_id, by_email.title, by_email.level) == ("003A", "Head of Purchasing", Level.MANAGER)
    assert (kai.account, kai.name, kai.level) == (acme, "Kai Ono", Level.C_SUITE)  # guessed from the title
    assert Contact.objects.get(pk=elsewhere.pk).crm_id is None


def test_a_contact_of_an_account_groundwork_does_not_know_is_a_row_error(admin_client):
    data = csv_bytes([["Account ID", "Account Name", "Name"], ["001Z", "Unknown Inc", "Kai Ono"]])

    upload(admin_client, CONTACTS, data)

    assert last_job().errors == [
        {
            "line": 2,
            "column": "Account ID",
            "message": "Groundwork has no account with the CRM id 001Z or called “Unknown Inc”: "
            "import the accounts first.",
        }
    ]


def test_a_contact_never_moves_to_another_account(admin_client):
    ContactFactory(account=AccountFactory(name="Acme"), crm_id="003A")
    AccountFactory(name="Globex")

    upload(admin_client, CONTACTS, csv_bytes([["Contact ID", "Company", "Name"], ["003A", "Globex", "Lee"]]))

    assert "belongs to another account in Groundwork" in last_job().errors[0]["message"]


# --- From upload to done ---------------------------------------------------------------------


def test_a_second_click_on_import_changes_nothing(admin_client, django_capture_on_commit_callbacks):
    upload(admin_client, EXECUTIVES, csv_bytes(HUBSPOT_EXECUTIVES))
    job = last_job()
    url = reverse("engagement:import_start", kwargs={"pk": job.pk})

    with django_capture_on_commit_callbacks(execute=True) as queued:
        admin_client.post(url)
        second = admin_client.post(url, follow=True)

    assert len(queued) == 1
    assert "This file is being imported already." in second.content.decode()
    assert Executive.objects.count() == 2
    assert LogEntry.objects.get_for_object(job).count() == 1


def test_a_task_run_twice_imports_the_file_once(admin_client, admin_user):
    upload(admin_client, EXECUTIVES, csv_bytes(HUBSPOT_EXECUTIVES))
    job = last_job()
    assert import_job_start(job=job)

    first, second = import_job_run(job_id=job.pk), import_job_run(job_id=job.pk)

    assert (first, second) == (ImportJob.Status.DONE, None)
    assert Executive.objects.count() == 2
    entry = LogEntry.objects.get_for_object(job).get()
    assert entry.actor == admin_user
    assert entry.changes_dict == {"status": ["importing", "done"], "created": ["0", "2"]}


def test_an_import_whose_worker_was_lost_is_taken_up_again_and_only_then(admin_client):
    upload(admin_client, EXECUTIVES, csv_bytes(HUBSPOT_EXECUTIVES))
    job = last_job()
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.IMPORTING, started_at=now - dt.timedelta(minutes=5)
    )

    under_way = import_job_run(job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(started_at=now - dt.timedelta(minutes=31))
    lost = import_job_run(job_id=job.pk)

    assert under_way is None
    assert lost == ImportJob.Status.DONE
    assert Executive.objects.count() == 2


def test_a_job_that_is_not_queued_is_not_imported(admin_client):
    upload(admin_client, EXECUTIVES, csv_bytes(HUBSPOT_EXECUTIVES))

    assert import_job_run(job_id=last_job().pk) is None
    assert last_job().status == ImportJob.Status.READY
    assert Executive.objects.count() == 0


def test_an_error_while_writing_rolls_back_every_row(admin_client, django_capture_on_commit_callbacks, monkeypatch):
    upload(admin_client, EXECUTIVES, csv_bytes(HUBSPOT_EXECUTIVES))
    job = last_job()

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    # Late in the writing: the users and executives are in by then.
    monkeypatch.setattr("engagement.imports.framework.executive_cadences_refresh", broken)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("engagement:import_start", kwargs={"pk": job.pk}))

    job.refresh_from_db()
    page = admin_client.get(reverse("engagement:import_detail", kwargs={"pk": job.pk})).content.decode()
    assert job.status == ImportJob.Status.FAILED
    assert "nothing was imported" in job.message
    assert "nothing was imported" in page
    assert not User.objects.filter(email__endswith="@groundwork.example").exclude(pk=job.uploaded_by_id).exists()
    assert Skill.objects.count() == 0
    assert Function.objects.count() == 0
    entry = LogEntry.objects.get_for_object(job).get()
    assert entry.changes_dict["status"] == ["importing", "failed"]


def test_rows_that_no_longer_import_fail_the_whole_import(admin_client, django_capture_on_commit_callbacks):
    ExecutiveFactory(user__email="boss@groundwork.example")
    data = csv_bytes(
        [["Email", "Name", "Manager Email"], ["new@groundwork.example", "New Person", "boss@groundwork.example"]]
    )
    upload(admin_client, EXECUTIVES, data)
    job = last_job()
    Executive.objects.filter(user__email="boss@groundwork.example").delete()  # gone since the preview

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("engagement:import_start", kwargs={"pk": job.pk}))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.message.startswith("1 row no longer imports as the preview showed")
    assert job.errors[0]["line"] == 2
    assert not User.objects.filter(email="new@groundwork.example").exists()


def test_a_large_file_is_checked_by_a_task_after_the_upload(admin_client, django_capture_on_commit_callbacks):
    rows = [["Email", "Name", "Title"]] + [
        [f"person{n}@groundwork.example", f"Person {n}", "VP " + "x" * 40] for n in range(5000)
    ]
    data = csv_bytes(rows)
    assert len(data) > CHECK_IN_REQUEST_BYTES

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = upload(admin_client, EXECUTIVES, data)
    waiting = last_job()
    for callback in queued:
        callback()

    assert waiting.status == ImportJob.Status.CHECKING
    assert "Checking the rows" in response.content.decode()
    assert 'data-hx-trigger="every 2s"' in response.content.decode()
    assert last_job().status == ImportJob.Status.READY
    assert last_job().preview["counts"]["create"] == 5000


def test_the_progress_bar_shows_rows_written_and_the_page_reloads_when_done(admin_client):
    job = ImportJob.objects.create(
        kind=EXECUTIVES, filename="big.csv", data=b"", status=ImportJob.Status.IMPORTING, row_count=50_000
    )
    progress = Progress(job_id=job.pk, total=50_000)
    progress.start("importing")
    progress.advance(20_000)
    progress.save()
    url = reverse("engagement:import_progress", kwargs={"pk": job.pk})

    under_way = admin_client.get(url, headers={"HX-Request": "true"})
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE)
    done = admin_client.get(url, headers={"HX-Request": "true"})

    content = under_way.content.decode()
    assert "Importing: 20,000 of 50,000 rows written" in content
    assert (
        '<progress class="import-progress" aria-labelledby="import-progress-label" max="50000" value="20000">'
        in content
    )
    assert done.headers["HX-Refresh"] == "true"


def test_the_list_of_imports_says_who_imported_what_and_how_it_went(admin_client, django_capture_on_commit_callbacks):
    import_file(
        admin_client,
        django_capture_on_commit_callbacks,
        EXECUTIVES,
        csv_bytes(HUBSPOT_EXECUTIVES),
        filename="hubspot-users.csv",
    )
    upload(admin_client, ACCOUNTS, csv_bytes([["Account Name", "Tier"], ["Acme", "Gold"]]), filename="accounts.csv")

    page = admin_client.get(reverse("engagement:imports")).content.decode()

    assert "hubspot-users.csv" in page and "accounts.csv" in page
    assert "2 created, 0 updated, 0 unchanged" in page
    assert "1 error" in page
    assert "Alex Morgan" in page


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ACCOUNT_MANAGER])
def test_only_program_admins_import_and_export(client, role):
    client.force_login(UserFactory(roles=[role]))

    uploaded = upload(client, EXECUTIVES, csv_bytes(HUBSPOT_EXECUTIVES))
    exported = client.get(reverse("engagement:export_executives"))

    assert uploaded.status_code == 403
    assert exported.status_code == 403
    assert ImportJob.objects.count() == 0


# --- Exports ----------------------------------------------------------------------------------


def rows_of(response) -> list[dict[str, str]]:
    content = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(content)))


def headings_of(response) -> list[str]:
    return next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("kind", [EXECUTIVES, ACCOUNTS, CONTACTS])
def test_each_export_has_the_headings_its_import_reads_first(admin_client, kind):
    response = admin_client.get(reverse(f"engagement:export_{kind}"))

    columns = [column.key for column in IMPORT_KINDS[kind].columns]
    headings = headings_of(response)
    assert response.streaming
    assert all(heading in columns for heading in headings)
    assert [key for key in columns if key in headings] == headings


def some_program_data(count: int) -> None:
    function = FunctionFactory()
    skills = [SkillFactory(), SkillFactory()]
    boss = ExecutiveFactory(function=function)
    for n in range(count):
        executive = ExecutiveFactory(manager=boss, function=function)
        executive.talents.add(*skills)
        account = AccountFactory(account_manager=UserFactory())
        account.needs.add(*skills)
        AccountDomain.objects.create(account=account, domain=f"account-{account.pk}.example")
        AccountDomain.objects.create(account=account, domain=f"eu.account-{account.pk}.example")
        ContactFactory(account=account)
        ContactFactory(account=account, name=f'=HYPERLINK("x") {n}')


@pytest.mark.parametrize("kind", [EXECUTIVES, ACCOUNTS, CONTACTS])
def test_exports_stream_in_the_same_queries_however_many_rows(admin_client, kind):
    url = reverse(f"engagement:export_{kind}")
    some_program_data(2)
    admin_client.get(url)  # the session and roles, read once

    with CaptureQueriesContext(connection) as few:
        small = rows_of(admin_client.get(url))
    some_program_data(30)
    with CaptureQueriesContext(connection) as many:
        large = rows_of(admin_client.get(url))

    assert len(large) > len(small)
    assert len(many) == len(few)


def test_exported_executives_accounts_and_contacts_import_again_unchanged(
    admin_client, django_capture_on_commit_callbacks
):
    some_program_data(3)
    AccountFactory(name="No CRM id", crm_id=None)
    AccountFactory(annual_value=Decimal("99000.50"), renewal_on=dt.date(2026, 3, 31), renewed=False)
    ExecutiveFactory(active=False, user__time_zone="Asia/Tokyo", level=Level.C_SUITE)

    for kind in (EXECUTIVES, ACCOUNTS, CONTACTS):
        exported = b"".join(admin_client.get(reverse(f"engagement:export_{kind}")).streaming_content)
        job = import_file(admin_client, django_capture_on_commit_callbacks, kind, exported)

        assert job.summary["created"] == 0, kind
        assert job.summary["updated"] == 0, (kind, job.preview["rows"])
        assert job.summary["unchanged"] == job.row_count > 0


def test_an_exported_cell_a_spreadsheet_would_run_is_written_as_text(admin_client):
    ContactFactory(name="=1+1")

    rows = rows_of(admin_client.get(reverse("engagement:export_contacts")))

    assert rows[0]["name"] == "'=1+1"


def test_the_export_page_offers_every_download(admin_client):
    page = admin_client.get(reverse("engagement:exports")).content.decode()

    for name in ("engagement:export_executives", "engagement:export_accounts", "engagement:export_contacts"):
        assert reverse(name) in page
    assert reverse("visits:export_engagements") in page
    assert f'value="{(timezone.localdate() - dt.timedelta(days=365)).isoformat()}"' in page


@pytest.mark.parametrize("kind", list(IMPORT_KINDS))
def test_no_heading_is_read_as_two_columns_of_one_kind(kind):
    seen: dict[str, str] = {}
    for column in IMPORT_KINDS[kind].columns:
        for heading in {normalized(heading) for heading in column.headings}:
            assert seen.setdefault(heading, column.key) == column.key, (heading, column.key, seen[heading])


@pytest.mark.parametrize("kind", list(IMPORT_KINDS))
def test_the_importing_docs_document_each_column_of_each_kind(kind):
    section = (settings.BASE_DIR / "docs" / "importing.md").read_text()

    missing = [column.key for column in IMPORT_KINDS[kind].columns if f"`{column.key}`" not in section]

    assert missing == []
