"""Someone chooses a weekly digest of reminders instead of single emails,
from their notifications, on a desktop or a phone."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from engagement.tests.factories import PASSWORD
from tests.browser.browsing import Viewport, expect_heading, navigate, open_page, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People


def test_a_person_chooses_a_weekly_digest_of_reminders(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    user = people.executive
    open_page(page, "/auth/login/")
    sign_in(page, email=user.email, password=PASSWORD)
    open_page(page, "/notifications/")

    response = navigate(page, page.get_by_role("link", name="Reminder emails: one each or a weekly digest").click)
    expect_heading(page, "Reminder emails")
    checks.page(page, response)
    page.get_by_role("radio", name="One email a week", exact=False).check()
    response = navigate(page, page.get_by_role("button", name="Save").click)

    expect(page.get_by_role("status")).to_be_visible()
    checks.page(page, response)
    user.refresh_from_db()
    assert user.reminder_digest is True
