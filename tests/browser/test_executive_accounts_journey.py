"""An executive sees which of their accounts are going quiet, the most
overdue first, yellow past the ideal days between their contacts and red past
the most; and an account manager asking for an executive for a C-suite contact
is offered the executives at the top of the company, or told that none is."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from playwright.sync_api import Page, expect

from engagement.accounts.models import Account
from engagement.people.models import Executive, Level
from engagement.tests.factories import PASSWORD, AccountFactory, ContactFactory, contact_record
from mentoring.tests.factories import PairingFactory
from tests.browser.browsing import Viewport, expect_heading, field, navigate, open_page, path_of, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People


def test_an_executive_sees_the_accounts_going_quiet_most_overdue_first(
    page: Page, checks: PageChecks, people: People, viewport: Viewport
) -> None:
    jordan = Executive.objects.get(user=people.executive)
    now = timezone.now()
    for name, days in [("Quiet Corp", 100), ("Silent Ltd", 200), ("Lively Inc", 10)]:
        contact_record(executive=jordan, account=AccountFactory(name=name), occurred_at=now - dt.timedelta(days=days))
    PairingFactory(executive=jordan, account=AccountFactory(name="Sponsored Never Met"))

    open_page(page, "/auth/login/")
    sign_in(page, email=people.executive.email, password=PASSWORD)
    response = open_page(page, "/executive/")
    checks.page(page, response)

    quiet = page.get_by_role("region", name="Accounts going quiet")
    rows = quiet.get_by_role("row")
    # Never met, then the furthest past the most days, then past the ideal.
    expect(rows.nth(1)).to_contain_text("Sponsored Never Met")
    expect(rows.nth(1).locator(".badge.text-bg-danger")).to_have_text("never met")
    expect(rows.nth(2)).to_contain_text("Silent Ltd")
    expect(rows.nth(2).locator(".badge.text-bg-danger")).to_have_text("200, past the most")
    expect(rows.nth(3)).to_contain_text("Quiet Corp")
    expect(rows.nth(3).locator(".badge.text-bg-warning")).to_have_text("100, past the ideal")
    expect(quiet.get_by_role("row", name="Lively Inc")).not_to_contain_text("past")

    # Each opens the account's page, which the executive may read.
    response = navigate(page, quiet.get_by_role("link", name="Silent Ltd").click)
    assert path_of(page) == f"/accounts/{Account.objects.get(name='Silent Ltd').pk}/"
    checks.page(page, response)


CASEY = "Casey Chief, C-suite (Chief Operating Officer)"


def test_a_c_suite_contact_is_offered_the_top_executives_or_told_none_is(
    page: Page, checks: PageChecks, people: People, viewport: Viewport
) -> None:
    northwind = Account.objects.get(name="Northwind Traders")
    ContactFactory(account=northwind, name="Casey Chief", title="Chief Operating Officer", level=Level.C_SUITE)
    open_page(page, "/auth/login/")
    sign_in(page, email=people.account_manager.email, password=PASSWORD)
    link = page.get_by_role("link", name="Request an executive for Northwind Traders")

    # Alex, the Chief Customer Officer, is the one executive at the top.
    Executive.objects.filter(user=people.every_role).update(level=Level.C_SUITE)
    response = navigate(page, link.click)
    expect_heading(page, "Request an executive for Northwind Traders")
    field(page, "The customer's working-level contact").select_option(
        label="Casey Chief, C-suite (Chief Operating Officer)"
    )
    choices = page.locator("#executive-choices")
    expect(choices).to_contain_text("executives at the top of the company, as Casey Chief is C-suite")
    expect(choices.locator("label").first).to_contain_text("Alex Allroles")
    expect(choices).not_to_contain_text("No active executive is at that level")
    checks.page(page, response)
    checks.accessible(page, f"the suggestions for a C-suite contact ({viewport.name})")

    # Nobody at the top any more: the page says so and ranks by talents.
    Executive.objects.filter(level=Level.C_SUITE).update(level=Level.SVP)
    page.reload()
    field(page, "The customer's working-level contact").select_option(
        label="Casey Chief, C-suite (Chief Operating Officer)"
    )
    expect(page.locator("#executive-choices")).to_contain_text(
        "No active executive is at that level: these are ranked by talents, then by who is least busy."
    )
    checks.accessible(page, f"the suggestions when no executive is at the top ({viewport.name})")
