"""A program admin makes an API key for the CRM sync, copies it from the one
page that shows it, sees it in the list, and revokes it; then reads the API's
docs. On a desktop and on a phone."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from rest_framework.test import APIClient

from engagement.api.models import ApiToken
from engagement.tests.factories import PASSWORD
from tests.browser.browsing import Viewport, expect_heading, field, navigate, open_menu, open_page, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People


def api_answer(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client.get("/api/v1/engagements/").status_code


def test_a_program_admin_makes_a_key_copies_it_once_and_revokes_it(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    admin = people.program_admin
    open_page(page, "/auth/login/")
    sign_in(page, email=admin.email, password=PASSWORD)

    menu = open_menu(page, viewport, "Program")
    response = navigate(page, menu.get_by_role("link", name="API tokens", exact=True).click)
    expect_heading(page, "API tokens")
    expect(page.get_by_text("No key has been made yet.")).to_be_visible()
    checks.page(page, response)

    response = navigate(page, page.get_by_role("link", name="Make a key", exact=True).click)
    checks.page(page, response)
    response = navigate(page, page.get_by_role("button", name="Make the key").click)
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    checks.page(page, response)
    field(page, "Whose key (their email address)").fill(people.account_manager.email)
    field(page, "What it is for").fill("CRM sync")
    response = navigate(page, page.get_by_role("button", name="Make the key").click)

    key = page.get_by_label("The key").input_value()
    expect(page.get_by_text("Copy it now: it will not be shown again.")).to_be_visible()
    checks.page(page, response)
    assert api_answer(key) == 200

    response = navigate(page, page.get_by_role("link", name="Back to API tokens").click)
    expect(page.get_by_role("cell", name="CRM sync")).to_be_visible()
    assert key not in page.content()
    checks.page(page, response)
    response = navigate(page, page.get_by_role("link", name="Revoke").click)
    expect_heading(page, "Revoke the key “CRM sync”")
    checks.page(page, response)
    response = navigate(page, page.get_by_role("button", name="Revoke the key").click)

    expect(page.get_by_text("is revoked: it no longer works")).to_be_visible()
    checks.page(page, response)
    assert ApiToken.objects.get().revoked_by == admin
    assert api_answer(key) == 401

    response = navigate(page, page.get_by_role("link", name="Groundwork API").click)
    expect(page.get_by_role("heading", name="Groundwork API")).to_be_visible()
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
