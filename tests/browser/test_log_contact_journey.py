"""An executive logs a contact they just had, from a phone or a desktop: search
the account as they type, pick it and who was there, save. Every state of the
page on the way passes the same checks as every other page."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from zeal import zeal_ignore

from engagement.cadence.models import ExecutiveContact
from engagement.people.models import User
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


def _shot(page: Page, viewport: Viewport, name: str) -> None:
    """A full-page picture of each state, to look at (SHOTS_DIR, when set)."""
    folder = os.environ.get("SHOTS_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}-{viewport.name}.png"), full_page=True)


def _log(page: Page, checks: PageChecks, account: str, *, length: str = "1 hour") -> Engagement:
    response = navigate(page, page.get_by_role("link", name="Log a contact").click)
    checks.page(page, response)
    page.get_by_role("group", name="Your accounts of the last 90 days").locator("label", has_text=account).click()
    page.get_by_label("How long").select_option(label=length)
    response = navigate(page, page.get_by_role("button", name="Log contact").click)
    checks.page(page, response)
    expect(page.get_by_role("status")).to_contain_text(f"Logged: {length} with {account}")
    with zeal_ignore():  # the test's own reads, one per step
        return Engagement.objects.filter(account__name=account, logged=True).latest("pk")


def _counted(user: User) -> int:
    with zeal_ignore():
        return ExecutiveContact.objects.filter(executive__user=user).count()


def _exists(engagement: Engagement) -> bool:
    with zeal_ignore():
        return Engagement.objects.filter(pk=engagement.pk).exists()


def test_an_executive_undoes_a_contact_then_logs_changes_and_deletes_it(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    user = people.executive
    counted = _counted(user)
    open_page(page, "/auth/login/")
    sign_in(page, email=user.email, password=PASSWORD)

    # Logged on the wrong account: undone from the message at once.
    wrong = _log(page, checks, "Northwind Traders")
    _shot(page, viewport, "1-logged-with-undo")
    response = navigate(page, page.get_by_role("status").get_by_role("button", name="Undo").click)
    checks.page(page, response)
    assert path_of(page) == "/engagements/log/"
    expect(page.get_by_role("status")).to_contain_text("Removed: the")
    _shot(page, viewport, "2-undone")
    assert not _exists(wrong)
    assert _counted(user) == counted

    # Logged again, then corrected from its page: ninety minutes, not an hour.
    logged = _log(page, checks, "Northwind Traders")
    response = open_page(page, f"/engagements/{logged.pk}/")
    checks.page(page, response)
    response = navigate(page, page.get_by_role("link", name="Change", exact=True).click)
    expect_heading(page, "Change a logged contact")
    checks.page(page, response)
    expect(page.get_by_label("I'll add a debrief")).not_to_be_checked()
    page.get_by_label("How long").select_option(label="1½ hours")
    page.get_by_label("I'll add a debrief").check()
    _shot(page, viewport, "3-change")
    response = navigate(page, page.get_by_role("button", name="Save changes").click)
    checks.page(page, response)
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.get_by_text("90 minutes").first).to_be_visible()
    _shot(page, viewport, "4-changed")
    with zeal_ignore():
        logged.refresh_from_db()
    assert (logged.duration_minutes, logged.debrief_wanted) == (90, True)

    # And deleted, after being asked.
    response = navigate(page, page.get_by_role("link", name="Delete", exact=True).click)
    expect_heading(page, re.compile("^Delete the "))
    checks.page(page, response)
    _shot(page, viewport, "5-delete")
    response = navigate(page, page.get_by_role("button", name="Delete the contact").click)
    checks.page(page, response)
    assert path_of(page) == "/engagements/"
    expect(page.get_by_role("status")).to_contain_text("no longer counts for anyone")
    _shot(page, viewport, "6-deleted")
    assert not _exists(logged)
    assert _counted(user) == counted
