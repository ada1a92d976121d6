"""A program admin looks at account coverage, follows a count to the accounts
behind it, follows a cell of the heatmap of months since the last executive
contact to its accounts, and opens key-person risk, on a desktop and on a
phone; each page passes axe-core (WCAG 2.2 A and AA) and the Nu HTML Checker."""

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
    customers = page.get_by_role("region", name="Customers", exact=True)
    expect(customers.get_by_role("columnheader", name="Never met")).to_be_visible()
    # Under the table, the same customers by months since their last executive contact.
    heatmap = page.get_by_role("region", name="Customers by tier and months since their last executive contact")
    expect(heatmap.get_by_role("table")).to_be_visible()
    expect(heatmap.get_by_role("columnheader", name="6\u201311 months")).to_be_visible()
    expect(heatmap.get_by_role("rowheader", name="Strategic")).to_be_visible()
    checks.page(page, response)

    # Jordan Ellis met Northwind Traders, a Strategic customer, twelve days ago.
    cell = heatmap.get_by_role("link", name="1 strategic customer last met less than a month ago", exact=True)
    response = navigate(page, cell.click)
    assert path_of(page) == "/program/coverage/accounts/"
    expect_heading(page, "Strategic customers last met less than a month ago")
    accounts = page.get_by_role("region", name="Strategic customers last met less than a month ago")
    expect(accounts.get_by_role("link", name="Northwind Traders")).to_be_visible()
    expect(accounts.get_by_role("row")).to_have_count(2)
    expect(page.get_by_label("Months since executive contact")).to_have_value("0")
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", "/program/coverage/accounts.csv?kind=customer&tier=1&months=0"
    )
    checks.page(page, response)
    response = navigate(page, page.get_by_role("link", name="Account coverage").click)

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
