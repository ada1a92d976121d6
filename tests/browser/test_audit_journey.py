"""A program admin finds out who changed an account, on a desktop and on a
phone: from the account's page to its history, then the whole trail filtered
by who and by kind, a wrong date named on the page. Each state of the page
passes axe-core and the Nu HTML Checker."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from engagement.accounts.models import Account
from engagement.audit.trail import audit_change
from engagement.tests.factories import PASSWORD
from tests.browser.browsing import Viewport, expect_heading, field, navigate, open_page, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People


def test_a_program_admin_reads_who_changed_an_account(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    northwind = Account.objects.get(name="Northwind Traders")
    audit_change(
        instance=northwind,
        changes={"status": (Account.Status.ACTIVE, Account.Status.AT_RISK), "region": ("EMEA", "Nordics")},
        actor=people.account_manager,
    )
    open_page(page, "/auth/login/")
    sign_in(page, email=people.program_admin.email, password=PASSWORD)
    open_page(page, f"/accounts/{northwind.pk}/")

    response = navigate(page, page.get_by_role("link", name="History", exact=True).click)

    expect_heading(page, "History of account Northwind Traders")
    latest = page.get_by_role("listitem").filter(has_text="Sam Rivera changed account").first
    expect(latest).to_contain_text("Status: Active → At risk")
    expect(latest).to_contain_text("Region: EMEA → Nordics")
    checks.page(page, response)

    response = navigate(page, page.get_by_role("link", name="Show every record").click)
    expect_heading(page, "Audit trail")
    field(page, "Who (name or email)").fill("Sam")
    field(page, "Kind of thing").select_option(label="Accounts and contacts")
    field(page, "From").fill("2026-03-02")
    field(page, "To").fill("2026-03-01")
    response = navigate(page, page.get_by_role("button", name="Filter").click)

    expect(page.get_by_text("The end date is before the start date. This filter was left out.")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Sam Rivera changed account Northwind Traders")).to_have_count(
        1
    )
    checks.page(page, response)
