"""Each role's home opens on what needs that person now: on a phone the
cadence status and the first three needs show without scrolling, the most
urgent first, and each need opens the page where the person acts on it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from engagement.accounts.models import Account
from engagement.people.models import Executive
from engagement.tests.factories import PASSWORD
from feedback.tests.factories import ActionItemFactory
from mentoring.tests.factories import PairingFactory
from tests.browser.browsing import Viewport, navigate, open_page, path_of, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People
from visits.models import Engagement
from visits.tests.factories import EngagementFactory

REQUESTS_WAITING = 9


def above_the_fold(page: Page, locator: Locator, viewport: Viewport) -> None:
    """``locator`` shows whole within the first screen, the page not scrolled."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None
    assert page.evaluate("window.scrollY") == 0
    bottom = box["y"] + box["height"]
    assert bottom <= viewport.height, f"{locator} ends {bottom:.0f} px down, below the {viewport.height} px screen"


def needs_of(page: Page) -> Locator:
    return page.get_by_role("region", name="Needs you now").get_by_role("listitem")


def test_an_executive_opens_on_what_waits_for_them_most_urgent_first(
    page: Page, checks: PageChecks, people: People, viewport: Viewport
) -> None:
    jordan = Executive.objects.get(user=people.executive)
    now = timezone.now()
    for days in range(REQUESTS_WAITING):
        EngagementFactory(
            executives=[jordan],
            status=Engagement.Status.REQUESTED,
            starts_at=now + dt.timedelta(days=20),
            status_changed_at=now - dt.timedelta(days=days + 1),
        )
    meeting = EngagementFactory(
        executives=[jordan],
        status=Engagement.Status.SCHEDULED,
        starts_at=now + dt.timedelta(hours=26),
        brief="They will ask about the plant rollout.",
    )
    ActionItemFactory(
        owner=people.executive, title="Send the rollout dates", due_on=timezone.localdate() - dt.timedelta(days=3)
    )
    PairingFactory(executive=jordan)

    open_page(page, "/")
    sign_in(page, email=people.executive.email, password=PASSWORD)
    assert path_of(page) == "/executive/"
    # As it opens any day, without the message that greets a sign-in.
    response = open_page(page, "/executive/")
    checks.page(page, response)
    needs = needs_of(page)
    expect(needs.nth(0)).to_contain_text(f"{REQUESTS_WAITING} requests to answer")
    expect(needs.nth(0)).to_contain_text("oldest 9 days")
    expect(needs.nth(1)).to_contain_text("Action: Send the rollout dates")
    expect(needs.nth(1)).to_contain_text("3 days late")
    expect(needs.nth(2)).to_contain_text(f"Prepare: {meeting.account.name}")
    sponsored = jordan.pairings.get().account
    expect(page.get_by_role("region", name="Needs you now")).to_contain_text(f"Sponsor {sponsored.name}?")
    above_the_fold(page, page.get_by_text("Status", exact=True).locator(".."), viewport)
    for index in range(3):
        above_the_fold(page, needs.nth(index), viewport)

    response = navigate(page, needs.nth(2).get_by_role("link").click)
    assert path_of(page) == f"/engagements/{meeting.pk}/"
    expect(page.get_by_role("heading", name="Preparation brief")).to_be_visible()
    expect(page.get_by_text("They will ask about the plant rollout.")).to_be_visible()

    page.go_back()
    response = navigate(page, needs.nth(0).get_by_role("link").click)
    assert path_of(page) == "/engagements/"
    checks.page(page, response)
    expect(page.get_by_role("link", name="Waiting for me")).to_have_attribute("aria-current", "page")
    expect(page.locator("main")).to_contain_text(f"{REQUESTS_WAITING} engagements.")


def test_an_account_manager_opens_on_what_waits_for_them_before_their_accounts(
    page: Page, checks: PageChecks, people: People, viewport: Viewport
) -> None:
    now = timezone.now()
    northwind = Account.objects.get(name="Northwind Traders")
    approved = EngagementFactory(
        account=northwind,
        status=Engagement.Status.APPROVED,
        starts_at=now + dt.timedelta(days=10),
        status_changed_at=now - dt.timedelta(days=6),
    )
    EngagementFactory(
        account=northwind,
        status=Engagement.Status.QUESTION,
        starts_at=now + dt.timedelta(days=10),
        status_changed_at=now - dt.timedelta(days=1),
    )

    open_page(page, "/")
    sign_in(page, email=people.account_manager.email, password=PASSWORD)
    assert path_of(page) == "/account-manager/"
    response = open_page(page, "/account-manager/")
    checks.page(page, response)
    needs = needs_of(page)
    expect(needs.nth(0)).to_contain_text("Schedule: Northwind Traders")
    expect(needs.nth(0)).to_contain_text("Late")
    for index in range(3):
        above_the_fold(page, needs.nth(index), viewport)
    region = page.get_by_role("region", name="Needs you now")
    expect(region).to_contain_text("Answer question: Northwind Traders")
    expect(region).to_contain_text("Going quiet: Fabrikam")
    # The accounts come after what waits.
    table = page.get_by_role("region", name="My accounts")
    assert table.bounding_box()["y"] > needs.nth(2).bounding_box()["y"]

    response = navigate(page, needs.nth(0).get_by_role("link").click)
    assert path_of(page) == f"/engagements/{approved.pk}/schedule/"
    checks.page(page, response)
