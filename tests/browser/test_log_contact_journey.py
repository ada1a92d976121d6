"""An executive logs a contact they just had, from a phone or a desktop: search
the account as they type, pick it and who was there, save. Every state of the
page on the way passes the same checks as every other page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from engagement.cadence.models import ExecutiveContact
from engagement.tests.factories import PASSWORD, ContactFactory
from tests.browser.browsing import Viewport, expect_heading, navigate, open_page, path_of, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People
from visits.models import Engagement


def test_an_executive_logs_a_contact_in_a_few_taps(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    user = people.executive
    northwind = user.executive.engagements.get(account__name="Northwind Traders").account
    ContactFactory(account=northwind, name="Ana Buyer", title="Head of Operations")
    contacts_before = ExecutiveContact.objects.filter(executive__user=user).count()
    open_page(page, "/auth/login/")
    sign_in(page, email=user.email, password=PASSWORD)

    # One tap from the home page, without opening the phone's menu.
    response = navigate(page, page.get_by_role("link", name="Log a contact").click)
    expect_heading(page, "Log a contact")
    checks.page(page, response)

    # Northwind, met twelve days ago, is one tap away above the search.
    recent = page.get_by_role("group", name="Your accounts of the last 90 days")
    recent.locator("label", has_text="Northwind Traders").click()
    expect(recent.get_by_role("radio", name="Northwind Traders")).to_be_checked()
    buyer = page.get_by_role("checkbox", name=re.compile("Ana Buyer"))
    expect(buyer).to_be_visible()
    buyer.check()
    page.get_by_label("Search colleagues").fill("owen")
    colleague = page.get_by_role("checkbox", name=re.compile("Owen Overdue"))
    expect(colleague).to_be_visible()
    colleague.check()
    checks.accessible(page, "the contact form with an account, a contact and a colleague chosen")
    page.get_by_label("One-line note").fill("Heard about delivery delays at the north plant")

    response = navigate(page, page.get_by_role("button", name="Log contact").click)

    assert path_of(page) == "/executive/"
    expect(page.get_by_role("status")).to_contain_text("Logged: 1 hour with Northwind Traders")
    checks.page(page, response)
    logged = Engagement.objects.filter(account=northwind, notes__startswith="Heard about delivery").get()
    assert [contact.name for contact in logged.contacts.all()] == ["Ana Buyer"]
    assert set(logged.executives.values_list("user__full_name", flat=True)) == {user.full_name, "Owen Overdue"}
    assert ExecutiveContact.objects.filter(executive__user=user).count() == contacts_before + 1


def test_a_contact_sent_without_an_account_keeps_what_was_typed(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    open_page(page, "/auth/login/")
    sign_in(page, email=people.executive.email, password=PASSWORD)
    open_page(page, "/engagements/log/")
    page.get_by_label("One-line note").fill("Lunch with their COO")

    response = navigate(page, page.get_by_role("button", name="Log contact").click)

    expect(page.get_by_text("Search for the account and choose it.")).to_be_visible()
    expect(page.get_by_label("One-line note")).to_have_value("Lunch with their COO")
    checks.page(page, response)
