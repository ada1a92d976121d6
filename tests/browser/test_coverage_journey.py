"""A program admin looks at account coverage, follows a count to the accounts
behind it, and opens key-person risk, on a desktop and on a phone; each page
passes axe-core (WCAG 2.2 A and AA) and the Nu HTML Checker."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from engagement.tests.factories import PASSWORD
from tests.browser.browsing import Viewport, expect_heading, navigate, open_page, path_of, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People


def test_program_admin_follows_a_coverage_count_to_its_accounts_and_opens_key_person_risk(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    open_page(page, "/auth/login/")
    sign_in(page, email=people.program_admin.email, password=PASSWORD)

    response = open_page(page, "/program/coverage/")
    expect_heading(page, "Account coverage")
    customers = page.get_by_role("region", name="Customers")
    expect(customers.get_by_role("columnheader", name="Never met")).to_be_visible()
    checks.page(page, response)

    # Fabrikam, a Growth customer, has never been met by an executive.
    count = customers.get_by_role("link", name=re.compile(r"Growth customers never met by an executive$"))
    response = navigate(page, count.click)
    assert path_of(page) == "/program/coverage/accounts/"
    expect_heading(page, "Growth customers never met by an executive")
    accounts = page.get_by_role("region", name="Growth customers never met by an executive")
    expect(accounts.get_by_role("link", name="Fabrikam")).to_be_visible()
    expect(accounts.get_by_role("cell", name="Sam Rivera")).to_be_visible()
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", "/program/coverage/accounts.csv?kind=customer&tier=3&no_contact=never"
    )
    checks.page(page, response)

    response = navigate(page, page.get_by_role("link", name="Account coverage").click)
    expect_heading(page, "Account coverage")
    response = navigate(page, page.get_by_role("link", name="Key-person risk").click)
    assert path_of(page) == "/pairings/key-person-risk/"
    expect_heading(page, "Key-person risk")
    # Northwind Traders has been met by Jordan Ellis alone.
    row = page.get_by_role("row", name=re.compile("Northwind Traders"))
    expect(row.get_by_role("cell", name=re.compile("Jordan Ellis"))).to_be_visible()
    checks.page(page, response)
