"""A program admin proposes a sponsor for an account from the ranked
suggestions; the executive accepts it from their sponsorships and adds a
goal; on a desktop and on a phone, each page passing axe-core (WCAG 2.2 A
and AA) and the Nu HTML Checker."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from engagement.accounts.models import Account
from engagement.people.models import User
from engagement.tests.factories import PASSWORD
from tests.browser.browsing import Viewport, expect_heading, field, navigate, open_page, path_of, sign_in, sign_out
from tests.browser.checks import PageChecks
from tests.browser.program import People


def test_program_admin_proposes_a_sponsor_and_the_executive_accepts_it(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    northwind = Account.objects.get(name="Northwind Traders")
    open_page(page, "/auth/login/")
    sign_in(page, email=people.program_admin.email, password=PASSWORD)

    response = open_page(page, f"/accounts/{northwind.pk}/")
    sponsors = page.get_by_role("region", name="Sponsors")
    expect(sponsors).to_contain_text("No executive sponsors this account.")
    checks.page(page, response)

    response = navigate(page, sponsors.get_by_role("link", name="Propose a sponsor").click)
    expect_heading(page, "Propose a sponsor for Northwind Traders")
    suggestions = page.get_by_role("region", name="Suggested executives").get_by_role("listitem")
    # Jordan Ellis carries all of Northwind's executive contact: the others come first.
    expect(suggestions.first).to_contain_text("Would spread the account's relationship to one more executive")
    expect(suggestions.filter(has_text="Jordan Ellis")).to_have_count(0)
    checks.page(page, response)

    first = suggestions.first.get_by_role("heading").inner_text()
    name = re.sub(r"^\d+\.\s*", "", first)
    response = navigate(page, suggestions.first.get_by_role("link", name=f"Propose {name}").click)
    expect(page.get_by_role("region", name="The proposal")).to_contain_text(f"Proposing to {name}")
    field(page, "Goals").fill("Meet their COO\nOpen a quarterly roadmap review")
    checks.page(page, response)
    response = navigate(page, page.get_by_role("button", name="Propose the pairing").click)
    expect_heading(page, f"{name} sponsors Northwind Traders")
    expect(page.get_by_role("status")).to_contain_text(f"Proposed to {name}")
    checks.page(page, response)
    sign_out(page, viewport, "Morgan Admin")

    sponsor = User.objects.get(full_name=name)
    sign_in(page, email=sponsor.email, password=PASSWORD)
    response = open_page(page, "/sponsorships/")
    expect_heading(page, "My sponsorships")
    proposal = page.get_by_role("article", name="Northwind Traders")
    expect(proposal).to_contain_text("Meet their COO")
    checks.page(page, response)
    response = navigate(page, proposal.get_by_role("button", name="Accept").click)
    assert path_of(page) == "/sponsorships/"
    expect(page.get_by_role("region", name="Under way")).to_contain_text("Northwind Traders")
    checks.page(page, response)

    response = navigate(
        page, page.get_by_role("region", name="Under way").get_by_role("link", name="Northwind Traders").click
    )
    expect_heading(page, f"{name} sponsors Northwind Traders")
    expect(page.get_by_text("Healthy", exact=True)).to_be_visible()
    page.get_by_text("Add a goal").click()
    page.get_by_role("region", name="Goals").get_by_role("textbox", name=re.compile(r"^Goal")).last.fill(
        "Renew the service contract"
    )
    response = navigate(page, page.get_by_role("button", name="Add the goal").click)
    expect(page.get_by_role("article", name="Renew the service contract")).to_be_visible()
    checks.page(page, response)
