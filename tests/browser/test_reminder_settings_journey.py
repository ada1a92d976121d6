"""Someone chooses how reminders and notifications reach them by email (a
weekly digest of reminders instead of single emails; for each kind of
notification at once, in the digest, or not by email), from their
notifications, on a desktop or a phone."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from engagement.tests.factories import PASSWORD
from tests.browser.browsing import Viewport, expect_heading, navigate, open_page, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People


def test_a_person_chooses_a_weekly_digest_and_when_each_kind_of_notification_comes_by_email(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    user = people.executive
    open_page(page, "/auth/login/")
    sign_in(page, email=user.email, password=PASSWORD)
    open_page(page, "/notifications/")

    response = navigate(page, page.get_by_role("link", name="Email settings: reminders, requests and meetings").click)
    expect_heading(page, "Email settings")
    checks.page(page, response)
    cancelled = page.get_by_role("group", name="A meeting called off")
    expect(cancelled.get_by_role("radio", name="By email at once")).to_be_checked()
    # Each choice is a target a thumb can hit: its whole row, label included.
    for choice in cancelled.locator(".form-check").all():
        box = choice.bounding_box()
        assert box is not None and box["height"] >= (44 if viewport.phone else 20), box
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport.width

    page.get_by_role("radio", name="One email a week", exact=False).check()
    page.get_by_role("group", name="A new request for your time").get_by_role(
        "radio", name="In the weekly digest email"
    ).check()
    cancelled.get_by_role("radio", name="In Groundwork only").check()
    response = navigate(page, page.get_by_role("button", name="Save").click)

    expect(page.get_by_role("status")).to_be_visible()
    checks.page(page, response)
    expect(cancelled.get_by_role("radio", name="In Groundwork only")).to_be_checked()
    user.refresh_from_db()
    assert user.reminder_digest is True
    assert user.notification_emails == {"new_request": "digest", "schedule_changed": "at_once", "cancelled": "app_only"}
