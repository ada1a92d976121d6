"""After a held engagement: the executive debriefs it in the customer's own
words, the draft saving as they type, and routes an issue to the peer whose
function owns it; the peer closes it with what the customer was told; the
account manager sends the survey; the customer answers it from a phone,
without signing in; the executive reads the customer's words on their home
page, and the account manager finds the follow-up their low answer made. A
debrief sent without the customer's words keeps the rest of what was typed.
Every state of the pages on the way passes the same checks as every other page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from django.core.mail import EmailMessage
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, Response, expect

from engagement.accounts.models import Account, Contact
from engagement.people.models import Function, User
from engagement.tests.factories import PASSWORD, ContactFactory
from feedback.models import ActionItem, Debrief, Survey, Theme
from tests.browser.browsing import (
    PHONE,
    NavLink,
    Viewport,
    expect_heading,
    field,
    follow_nav_link,
    navigate,
    open_page,
    path_of,
    sign_in,
    sign_out,
)
from tests.browser.checks import PageChecks
from tests.browser.program import People, executive
from visits.models import Engagement
from visits.tests.factories import EngagementFactory, EngagementTypeFactory

# What Ana Buyer said at the visit, one quote per paragraph, as Jordan types it.
HEARD = (
    "Your rollout plan ignores our night shift.\n\nWe found out about the price change from our invoice, not from you."
)
ROUTED = "Give Northwind a night-shift rollout plan"
TOLD = "Plan sent on Monday; Ana has the dates for each shift."
ANSWER = "Ask our shift leads before you plan the next rollout."
ACTIONS = NavLink(name="Actions", href="/actions/", in_user_menu=False)


def held_visit() -> Engagement:
    """Yesterday's on-site visit to Northwind Traders: Jordan went, and Ana
    Buyer was there for the customer."""
    northwind = Account.objects.get(name="Northwind Traders")
    engagement = EngagementFactory(
        account=northwind,
        # Made here: a live-server test empties the tables after it, the
        # engagement types a migration made included.
        type=EngagementTypeFactory(slug="on-site-visit", name="On-site visit", default_duration_minutes=120),
        executives=[User.objects.get(full_name="Jordan Ellis").executive],
        status=Engagement.Status.COMPLETED,
        starts_at=timezone.now() - dt.timedelta(days=1),
    )
    engagement.contacts.add(
        ContactFactory(account=northwind, name="Ana Buyer", title="Head of Operations", email="ana@northwind.example")
    )
    Theme.objects.create(name="Pricing")
    Theme.objects.create(name="Rollout")
    return engagement


def supply_chain_lead() -> User:
    """Priya Shah, an executive who leads the Supply chain function."""
    priya = executive("Priya Shah", title="SVP Supply Chain")
    Function.objects.create(name="Supply chain", lead=priya)
    return priya.user


def sign_in_as(page: Page, user: User) -> Response:
    open_page(page, "/auth/login/")
    return sign_in(page, email=user.email, password=PASSWORD)


def switch_to(page: Page, viewport: Viewport, *, leaving: User, arriving: User) -> Response:
    sign_out(page, viewport, leaving.get_full_name())
    return sign_in_as(page, arriving)


def notice(page: Page, text: str) -> Locator:
    """The message the page shows after a change (the draft's own status line aside)."""
    return page.locator(".messages").get_by_role("status").filter(has_text=text)


def survey_path(mailoutbox: list[EmailMessage], contact: Contact) -> str:
    """The path of the survey link emailed to ``contact``."""
    [message] = [message for message in mailoutbox if message.to == [contact.email]]
    [link] = re.findall(r"https?://\S+/survey/\S+/", str(message.body))
    return urlsplit(link).path


def test_a_debrief_routes_an_issue_and_the_customers_own_words_reach_the_executive(
    page: Page,
    checks: PageChecks,
    viewport: Viewport,
    people: People,
    browser: Browser,
    browser_context_args: dict[str, Any],
    mailoutbox: list[EmailMessage],
) -> None:
    jordan, sam = people.executive, people.account_manager
    priya = supply_chain_lead()
    engagement = held_visit()
    debrief_path = f"/debriefs/{engagement.pk}/"

    # Jordan finds the debrief to write on their home page.
    response = sign_in_as(page, jordan)
    assert path_of(page) == "/executive/"
    checks.page(page, response)
    response = navigate(
        page, page.get_by_role("link", name="Write the debrief of the On-site visit with Northwind Traders").click
    )
    assert path_of(page) == debrief_path
    expect_heading(page, "Debrief")
    checks.page(page, response)

    # The customer's words first; the draft saves itself as Jordan types.
    field(page, "What did the customer say?").fill(HEARD)
    draft_status = page.locator("#draft-status")
    expect(draft_status).to_contain_text("Draft saved")
    checks.accessible(page, f"the debrief with its draft saved ({viewport.name})")
    response = page.reload()
    assert response is not None
    expect(field(page, "What did the customer say?")).to_have_value(HEARD)
    expect(draft_status).to_contain_text("Draft last saved")
    checks.page(page, response)

    page.get_by_role("radio", name="Negative", exact=True).check()
    page.get_by_role("checkbox", name="Rollout").check()
    response = navigate(page, page.get_by_role("button", name="Submit debrief").click)

    assert path_of(page) == debrief_path
    expect(notice(page, "Debrief submitted.")).to_be_visible()
    expect(page.get_by_role("button", name="Save changes")).to_be_visible()
    checks.page(page, response)
    debrief = Debrief.objects.get(engagement=engagement, author=jordan)
    assert debrief.status == Debrief.Status.SUBMITTED
    assert debrief.quotes == [
        "Your rollout plan ignores our night shift.",
        "We found out about the price change from our invoice, not from you.",
    ]

    # The night shift belongs to Supply chain: routed to the executive who leads it.
    field(page, "What is to be done").fill(ROUTED)
    page.get_by_role("radio", name="Route it to the function that owns it").check()
    field(page, "Function, to route it").select_option(label="Supply chain — Priya Shah")
    response = navigate(page, page.get_by_role("button", name="Add the action").click)

    expect(notice(page, "Action added and sent to Priya Shah.")).to_be_visible()
    routed = page.get_by_role("region", name="Actions").get_by_role("listitem").filter(has_text=ROUTED)
    expect(routed).to_contain_text("Routed to Supply chain")
    expect(routed).to_contain_text("owner Priya Shah")
    checks.page(page, response)

    # Priya, who leads Supply chain, finds it among the complaints routed to
    # her (listed there, not again among the actions she owes), and closes it.
    response = switch_to(page, viewport, leaving=jordan, arriving=priya)
    owed = page.get_by_role("region", name="Complaints routed to you")
    expect(owed.get_by_role("listitem")).to_have_count(1)
    checks.page(page, response)
    response = navigate(page, owed.get_by_role("link", name=ROUTED).click)
    expect_heading(page, ROUTED)
    checks.page(page, response)
    field(page, "Status").select_option(label="Done")
    field(page, "Note").fill(TOLD)
    response = navigate(page, page.get_by_role("button", name="Save", exact=True).click)

    expect(notice(page, "Saved: done.")).to_be_visible()
    expect(page.locator("h1 + p .action-status")).to_have_text("Done")
    expect(page.get_by_role("heading", name="What was done, and what the customer was told")).to_be_visible()
    expect(page.get_by_text(TOLD)).to_be_visible()
    checks.page(page, response)
    action = ActionItem.objects.get(title=ROUTED)
    assert (action.owner, action.status, action.status_note) == (priya, ActionItem.Status.DONE, TOLD)

    # Sam sends the customer survey from the engagement's page.
    switch_to(page, viewport, leaving=priya, arriving=sam)
    response = open_page(page, f"/engagements/{engagement.pk}/")
    feedback = page.get_by_role("region", name="Debriefs and customer feedback")
    expect(feedback).to_contain_text("1 debrief submitted")
    checks.page(page, response)
    response = navigate(
        page, feedback.get_by_role("button", name="Send the survey to the customer contacts who attended").click
    )
    expect(notice(page, "The survey is on its way to 1 contact.")).to_be_visible()
    expect(page.get_by_role("region", name="Debriefs and customer feedback")).to_contain_text("Ana Buyer: asked")
    checks.page(page, response)

    # Ana answers on her phone, from the emailed link, without signing in.
    ana = Contact.objects.get(name="Ana Buyer")
    customer = browser.new_context(
        **{
            **browser_context_args,
            "viewport": {"width": PHONE.width, "height": PHONE.height},
            "is_mobile": True,
            "has_touch": True,
        }
    )
    try:
        phone = customer.new_page()
        checks.watch(phone)
        path = survey_path(mailoutbox, ana)
        response = open_page(phone, path)
        assert path_of(phone) == path, "the customer was sent to sign in"
        expect_heading(phone, "How did our meeting go?")
        checks.page(phone, response)
        # The company's page, not Groundwork's; 0 to 10 on one line, each box 44 px tall.
        expect(phone.locator("header")).not_to_contain_text("Groundwork")
        scale = phone.get_by_role("group", name=re.compile("How likely are you to recommend us")).locator(".form-check")
        boxes = [box for box in (check.bounding_box() for check in scale.all()) if box is not None]
        assert len(boxes) == 11
        assert len({round(box["y"]) for box in boxes}) == 1, "the scale wraps onto a second line"
        assert min(box["height"] for box in boxes) >= 44
        assert max(box["x"] + box["width"] for box in boxes) <= PHONE.width
        phone.get_by_role("group", name=re.compile("How valuable was the meeting")).get_by_role(
            "radio", name="2", exact=True
        ).check()
        phone.get_by_role("group", name=re.compile("How likely are you to recommend us")).get_by_role(
            "radio", name="3", exact=True
        ).check()
        field(phone, "What should we do differently? (optional)").fill(ANSWER)
        response = navigate(phone, phone.get_by_role("button", name="Send my answers").click)
        expect_heading(phone, "Thank you")
        checks.page(phone, response)
    finally:
        customer.close()
    survey = Survey.objects.get(contact=ana)
    assert (survey.value, survey.recommend, survey.differently) == (2, 3, ANSWER)

    # Jordan reads Ana's words on their home page, as she wrote them.
    response = switch_to(page, viewport, leaving=sam, arriving=jordan)
    said = page.get_by_role("region", name="What customers said")
    expect(said.get_by_role("figure", name="Ana Buyer")).to_have_text(
        re.compile(rf"^\s*{re.escape(ANSWER)}\s*Ana Buyer\s*$")
    )
    expect(said).to_contain_text("Value of the meeting 2/5")
    checks.page(page, response)

    # Sam has the follow-up the low answer made.
    response = switch_to(page, viewport, leaving=jordan, arriving=sam)
    follow_up = (
        page.get_by_role("region", name="Open actions of your accounts")
        .get_by_role("listitem")
        .filter(has_text="Follow up with Ana Buyer")
    )
    expect(follow_up).to_contain_text("owner Sam Rivera")
    expect(follow_up).to_contain_text("from a customer's survey answer")
    checks.page(page, response)
    response = follow_nav_link(page, viewport, sam.get_full_name(), ACTIONS)
    expect(page.get_by_role("link", name="Mine to do")).to_have_attribute("aria-current", "page")
    mine = page.get_by_role("listitem").filter(has_text="Follow up with Ana Buyer")
    expect(mine).to_contain_text("owner Sam Rivera")
    checks.page(page, response)
    response = navigate(page, mine.get_by_role("link").click)
    expect_heading(page, "Follow up with Ana Buyer: the survey scored 2/5 and 3/10")
    expect(page.get_by_role("figure", name="Ana Buyer")).to_contain_text(ANSWER)
    checks.page(page, response)


def test_a_debrief_sent_without_the_customers_words_keeps_the_rest_and_says_what_is_missing(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    engagement = held_visit()
    sign_in_as(page, people.executive)
    open_page(page, f"/debriefs/{engagement.pk}/")
    field(page, "What surprised you?").fill("They had already run a competitor's pilot.")
    page.get_by_role("radio", name="Mixed or neutral").check()
    page.get_by_role("checkbox", name="Pricing").check()

    response = navigate(page, page.get_by_role("button", name="Submit debrief").click)

    expect_heading(page, "Debrief")
    expect(field(page, "What did the customer say?")).to_have_accessible_description(
        re.compile("Write down what the customer said, in their own words.")
    )
    expect(field(page, "What surprised you?")).to_have_value("They had already run a competitor's pilot.")
    expect(page.get_by_role("radio", name="Mixed or neutral")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Pricing")).to_be_checked()
    checks.page(page, response)
    debrief = Debrief.objects.get(engagement=engagement)
    assert debrief.status == Debrief.Status.DRAFT
    assert debrief.surprised == "They had already run a competitor's pilot."
