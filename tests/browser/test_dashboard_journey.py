"""A program admin reads the dashboard, follows a figure to the executives
behind it, narrows and sorts the table, and downloads it, on a desktop and on
a phone; each page passes axe-core and the Nu HTML Checker."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import Page, expect

from engagement.tests.factories import PASSWORD
from tests.browser.browsing import expect_heading, field, navigate, open_page, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People


def test_a_program_admin_finds_who_is_drifting_and_exports_them(page: Page, checks: PageChecks, people: People) -> None:
    open_page(page, "/")
    response = sign_in(page, email=people.program_admin.email, password=PASSWORD)
    expect_heading(page, "Program dashboard")
    checks.page(page, response)

    overdue = page.get_by_role("link").filter(has_text="Overdue")
    expect(overdue).to_contain_text("1")
    response = navigate(page, overdue.click)
    expect_heading(page, "Executives' customer contact")
    checks.page(page, response)
    table = page.get_by_role("table")
    expect(table.locator("tbody").get_by_role("row")).to_have_count(1)  # Owen
    expect(table).to_contain_text("Owen Overdue")
    expect(field(page, "State")).to_have_value("overdue")

    # Every state again, sorted by days since the last contact, most first.
    field(page, "State").select_option("")
    navigate(page, page.get_by_role("button", name="Filter").click)
    navigate(page, page.get_by_role("link", name="Days since contact").click)
    expect(page.get_by_role("columnheader", name="Days since contact")).to_have_attribute("aria-sort", "ascending")
    response = navigate(page, page.get_by_role("link", name="Days since contact").click)  # again: the other way
    checks.page(page, response)
    first = table.locator("tbody").get_by_role("row").first
    expect(first).to_contain_text("No contact yet")  # no contact sorts as the longest since
    expect(page.get_by_role("columnheader", name="Days since contact")).to_have_attribute("aria-sort", "descending")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    days = [row["days_since_contact"] for row in rows]
    never = days.count("")
    assert never and days[:never] == [""] * never  # the order of the table
    assert [int(d) for d in days[never:]] == sorted((int(d) for d in days[never:]), reverse=True)
    assert "Nia Never" in [row["name"] for row in rows[:never]]
    assert {row["state"] for row in rows} >= {"overdue", "escalated", "due_soon", "on_track"}
