"""The account manager follows an account's page to its timeline, reads its
story newest first and narrows it to the debriefs; its sponsor reads the same
story; on a desktop and on a phone, each page passing axe-core (WCAG 2.2 A and
AA) and the Nu HTML Checker."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from playwright.sync_api import Page, expect

from engagement.accounts.models import Account
from engagement.tests.factories import PASSWORD, ContactFactory
from feedback.models import ActionItem
from feedback.tests.factories import ActionItemFactory, DebriefFactory, SurveyFactory
from mentoring.models import Pairing, PairingGoal
from mentoring.tests.factories import PairingFactory
from tests.browser.browsing import Viewport, expect_heading, navigate, open_page, sign_in, sign_out
from tests.browser.checks import PageChecks
from tests.browser.program import People
from visits.models import Engagement


def northwind_story(people: People) -> Account:
    """Northwind's held engagement with Jordan Ellis, its debrief, a survey
    answer, a closed action, and Jordan's sponsorship with a goal."""
    now = timezone.now()
    northwind = Account.objects.get(name="Northwind Traders")
    engagement = Engagement.objects.get(account=northwind)
    jordan = people.executive.executive
    DebriefFactory(
        engagement=engagement,
        author=people.executive,
        heard="“Our plants hear about changes last.”",
        submitted_at=now - dt.timedelta(days=11),
    )
    SurveyFactory(
        engagement=engagement,
        contact=ContactFactory(account=northwind, name="Priya Buyer"),
        answered_at=now - dt.timedelta(days=10),
        value=4,
        recommend=8,
        differently="Bring the plant managers.",
    )
    ActionItemFactory(
        engagement=engagement,
        title="Send the plants the release calendar",
        owner=people.account_manager,
        status=ActionItem.Status.DONE,
        status_note="Sent it; Priya shares it with each plant.",
        closed_at=now - dt.timedelta(days=9),
    )
    pairing = PairingFactory(
        executive=jordan, account=northwind, status=Pairing.Status.ACTIVE, created_at=now - dt.timedelta(days=8)
    )
    PairingGoal.objects.create(pairing=pairing, text="Meet the COO")
    return northwind


def test_the_account_team_and_the_sponsor_read_the_accounts_story(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    northwind = northwind_story(people)
    open_page(page, "/auth/login/")
    sign_in(page, email=people.account_manager.email, password=PASSWORD)

    open_page(page, f"/accounts/{northwind.pk}/")
    response = navigate(page, page.get_by_role("link", name="Timeline").click)
    expect_heading(page, "Northwind Traders: timeline")
    story = page.get_by_role("list", name="Timeline, newest first").locator(":scope > li")
    expect(story).to_have_count(5)
    expect(story.first).to_contain_text("Sponsorship proposed, now active")
    expect(story.first).to_contain_text("Goal: Meet the COO (open)")
    expect(story.nth(1)).to_contain_text("The customer was told: Sent it; Priya shares it with each plant.")
    expect(story.nth(2)).to_contain_text("Bring the plant managers.")
    expect(story.last).to_contain_text("Jordan Ellis")
    checks.page(page, response)

    page.get_by_role("checkbox", name="Debriefs").check()
    response = navigate(page, page.get_by_role("button", name="Filter").click)
    expect(story).to_have_count(1)
    expect(story.first).to_contain_text("Our plants hear about changes last.")
    expect(page.get_by_role("checkbox", name="Debriefs")).to_be_checked()
    checks.page(page, response)
    # A kind the page does not know is said, and everything is shown.
    response = open_page(page, f"/accounts/{northwind.pk}/timeline/?kind=gossip")
    expect(page.get_by_role("group", name="Show")).to_contain_text("There is no kind of entry called “gossip”")
    expect(story).to_have_count(5)
    checks.page(page, response)
    sign_out(page, viewport, "Sam Rivera")

    sign_in(page, email=people.executive.email, password=PASSWORD)
    response = open_page(page, f"/accounts/{northwind.pk}/timeline/")
    expect_heading(page, "Northwind Traders: timeline")
    expect(story).to_have_count(5)
    expect(story.nth(3)).to_contain_text("Our plants hear about changes last.")
    checks.page(page, response)
