"""A program admin imports executives from a CRM export, on a desktop and on
a phone: a broken file is refused with its row errors, the corrected one is
previewed, imported and summed up, and the export has the new people. Each
page passes axe-core and the Nu HTML Checker."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import Page, expect

from engagement.people.models import Executive
from engagement.tests.factories import PASSWORD
from engagement.tests.import_helpers import csv_bytes
from tests.browser.browsing import Viewport, expect_heading, field, navigate, open_page, path_of, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People

HEADINGS = ["E-mail", "First Name", "Last Name", "Job Title", "Seniority", "Reports To", "Skills", "Owner ID"]


def upload(page: Page, data: bytes) -> object:
    page.get_by_label("What the file holds").select_option(label="Executives")
    field(page, "CSV file").set_input_files({"name": "hubspot-users.csv", "mimeType": "text/csv", "buffer": data})
    page.get_by_label("Day first (14/03/2025)").check()
    return navigate(page, page.get_by_role("button", name="Upload and check").click)


def test_a_program_admin_imports_executives_from_a_crm_export(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    open_page(page, "/auth/login/")
    sign_in(page, email=people.program_admin.email, password=PASSWORD)
    response = open_page(page, "/program/imports/")
    expect_heading(page, "Import from a CSV file")
    checks.page(page, response)

    broken = csv_bytes(
        [HEADINGS,
         ["dana.lee@groundwork.example", "Dana", "Lee", "VP Service", "VP", "robin@groundwork.example", "Logistics",
          "1"],
         ["robin@groundwork", "Robin", "Hart", "Chief Executive", "C-suite", "", "Strategy", "2"]]
    )  # fmt: skip
    response = upload(page, broken)
    expect_heading(page, "Executives from hubspot-users.csv")
    errors = page.get_by_role("region", name="2 errors to fix in the file")
    expect(errors.get_by_role("row").nth(1)).to_contain_text("Reports To")
    expect(errors.get_by_role("row").nth(2).get_by_role("cell")).to_have_text(
        ["3", "E-mail", "“robin@groundwork” is not an email address."]
    )
    expect(page.get_by_role("button", name="Import 2 rows")).to_have_count(0)
    expect(page.get_by_text("Owner ID", exact=False).first).to_be_visible()  # listed as not imported
    checks.page(page, response)

    response = navigate(page, page.get_by_role("link", name="Upload the corrected file").click)
    fixed = broken.replace(b"robin@groundwork,", b"robin@groundwork.example,")
    response = upload(page, fixed)
    expect(page.locator("#import-counts")).to_contain_text("To create")
    rows = page.get_by_role("region", name="The first rows, as they will be imported")
    expect(rows.get_by_role("cell", name="dana.lee@groundwork.example")).to_be_visible()
    expect(page.get_by_text("New skills to be created: Logistics, Strategy.")).to_be_visible()
    checks.page(page, response)

    response = navigate(page, page.get_by_role("button", name="Import 2 rows").click)
    expect(page.get_by_role("status").filter(has_text="2 created, 0 updated and 0 unchanged")).to_be_visible()
    checks.page(page, response)
    dana = Executive.objects.select_related("manager__user").get(user__email="dana.lee@groundwork.example")
    assert dana.manager.user.email == "robin@groundwork.example"

    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    response = navigate(page, breadcrumb.get_by_role("link", name="Import", exact=True).click)
    assert path_of(page) == "/program/imports/"
    expect(page.get_by_role("region", name="Imports so far").get_by_role("row")).to_have_count(3)
    response = open_page(page, "/program/exports/")
    expect_heading(page, "Export to CSV files")
    checks.page(page, response)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download executives").click()
    exported = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert {"dana.lee@groundwork.example", "robin@groundwork.example"} <= {row["email"] for row in exported}
