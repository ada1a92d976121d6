"""An account manager asks an executive for their time and the engagement goes
from request to a held meeting; the executive challenges a request with a
question; a request sent half-filled keeps what was typed; a decision on a
request someone else already decided is refused and says so. Every state of
the pages on the way passes the same checks as every other page."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from engagement.accounts.models import Account, Contact
from engagement.cadence.models import ExecutiveContact
from engagement.people.models import Level, User
from engagement.tests.factories import PASSWORD, ContactFactory
from tests.browser.browsing import (
    NavLink,
    Viewport,
    expect_heading,
    field,
    follow_nav_link,
    main_nav,
    navigate,
    open_page,
    path_of,
    reveal_main_nav,
    sign_in,
    sign_out,
)
from tests.browser.checks import PageChecks
from tests.browser.program import People
from visits.models import Engagement, EngagementType
from visits.services import engagement_decline, engagement_request
from visits.tests.factories import EngagementTypeFactory

MY_ENGAGEMENTS = NavLink(name="My engagements", href="/engagements/", in_user_menu=False)
VALUE_PROPOSITION = (
    "Jordan ran the rollout that Northwind now plans; they gain a peer who has done it, "
    "and we follow up with a pilot plan the week after."
)


def on_site_visit() -> EngagementType:
    """Made if missing: a live-server test empties the tables after it, the
    engagement types a migration made included."""
    return EngagementTypeFactory(slug="on-site-visit", name="On-site visit", default_duration_minutes=120)


def northwind() -> Account:
    return Account.objects.get(name="Northwind Traders")


def working_contact(account: Account) -> Contact:
    """Two levels below Jordan, an executive at the default level (VP)."""
    return ContactFactory(account=account, name="Pat Planner", title="Operations Manager", level=Level.MANAGER)


def requested(people: People) -> Engagement:
    """A request Sam sent to Jordan, made as the request form makes it."""
    return engagement_request(
        account=northwind(),
        executive=people.executive.executive,
        requested_by=people.account_manager,
        engagement_type=on_site_visit(),
        purpose=Engagement.Purpose.RELATIONSHIP,
        objective="Agree on the rollout plan for the north plant",
        value_proposition=VALUE_PROPOSITION,
        starts_at=timezone.now() + dt.timedelta(days=10),
        duration_minutes=60,
    )


def sign_in_as(page: Page, user: User) -> None:
    open_page(page, "/auth/login/")
    sign_in(page, email=user.email, password=PASSWORD)


def switch_to(page: Page, viewport: Viewport, *, leaving: User, arriving: User) -> None:
    sign_out(page, viewport, leaving.get_full_name())
    sign_in_as(page, arriving)


def status_of(page: Page) -> Locator:
    """The status badge under the engagement's title."""
    return page.locator("h1 + p .status")


def history(page: Page) -> Locator:
    return page.get_by_role("region", name="History").get_by_role("listitem")


def test_an_account_manager_takes_a_request_to_a_held_engagement(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    sam, jordan = people.account_manager, people.executive
    account = northwind()
    working_contact(account)
    on_site_visit()
    sign_in_as(page, sam)
    assert path_of(page) == "/account-manager/"

    # The request, from the account's row on the home page.
    response = navigate(page, page.get_by_role("link", name="Request an executive for Northwind Traders").click)
    expect_heading(page, "Request an executive for Northwind Traders")
    checks.page(page, response)
    field(page, "The customer's working-level contact").select_option(label="Pat Planner, Manager (Operations Manager)")
    # The suggestions come again for the contact chosen, each with its reasons.
    suggestion = page.locator("#executive-choices label", has_text="Jordan Ellis")
    expect(suggestion).to_contain_text("Two levels above the working contact")
    suggestion.get_by_role("radio").check()
    checks.accessible(page, f"the request form with suggestions for Pat Planner ({viewport.name})")
    field(page, "Kind of meeting").select_option(label="On-site visit")
    field(page, "Purpose").select_option(label="Negotiation")
    field(page, "Objective").fill("Agree on the rollout plan for the north plant")
    field(page, "Value proposition").fill(VALUE_PROPOSITION)
    # The form reads the time in the account manager's own time zone.
    proposed = (timezone.now() + dt.timedelta(days=14)).astimezone(sam.tzinfo).replace(hour=10, minute=0)
    field(page, "Proposed date and time").fill(f"{proposed:%Y-%m-%dT%H:%M}")
    field(page, "How long").select_option(label="1½ hours")
    field(page, "Other dates that would work").fill("The Thursday or Friday after")

    response = navigate(page, page.get_by_role("button", name="Send the request").click)

    engagement = Engagement.objects.get(account=account, status=Engagement.Status.REQUESTED)
    assert path_of(page) == f"/engagements/{engagement.pk}/"
    expect_heading(page, "On-site visit with Northwind Traders")
    expect(page.get_by_role("status")).to_contain_text("Request sent to Jordan Ellis")
    expect(status_of(page)).to_have_text("Requested")
    checks.page(page, response)

    # Jordan finds it waiting for them, and agrees.
    switch_to(page, viewport, leaving=sam, arriving=jordan)
    follow_nav_link(page, viewport, jordan.get_full_name(), MY_ENGAGEMENTS)
    response = navigate(page, page.get_by_role("link", name="Waiting for me").click)
    checks.page(page, response)
    # A table row on a desktop, a list item on a phone.
    row = page.get_by_role("row").or_(page.get_by_role("listitem")).filter(has_text="Northwind Traders")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Requested")
    response = navigate(page, row.get_by_role("link").click)
    assert path_of(page) == f"/engagements/{engagement.pk}/"
    checks.page(page, response)
    decision = page.get_by_role("region", name="Your decision")
    # What was asked and why comes first: the executive reads it, then decides.
    request = page.get_by_role("region", name="The request")
    objective = request.get_by_text("Agree on the rollout plan for the north plant")
    assert objective.bounding_box()["y"] < decision.bounding_box()["y"]
    decision.get_by_role("radio", name="Approve").check()
    field(page, "Note, reason or question").fill("Happy to: send me their org chart beforehand.")
    response = navigate(page, decision.get_by_role("button", name="Send", exact=True).click)
    expect(page.get_by_role("status")).to_contain_text("Approved.")
    expect(status_of(page)).to_have_text("Approved")
    expect(page.get_by_role("region", name="Your decision")).to_have_count(0)
    checks.page(page, response)

    # Sam schedules it: a place, the customer's contact and a brief.
    switch_to(page, viewport, leaving=jordan, arriving=sam)
    open_page(page, f"/engagements/{engagement.pk}/")
    response = navigate(page, page.get_by_role("link", name="Schedule", exact=True).click)
    expect_heading(page, "Schedule: On-site visit with Northwind Traders")
    checks.page(page, response)
    field(page, "Place").fill("Northwind HQ, Seattle")
    page.get_by_role("checkbox", name="Pat Planner, Operations Manager").check()
    field(page, "Preparation brief").fill("They doubt the rollout fits their shifts; Pat has the numbers.")
    response = navigate(page, page.get_by_role("button", name="Schedule", exact=True).click)
    assert path_of(page) == f"/engagements/{engagement.pk}/"
    expect(status_of(page)).to_have_text("Scheduled")
    invite_link = page.get_by_role("link", name="Add to my calendar (.ics)")
    expect(invite_link).to_be_visible()
    invite = page.request.get(invite_link.get_attribute("href") or "")
    assert invite.ok and "BEGIN:VEVENT" in invite.text()
    expect(page.get_by_role("region", name="Who and where")).to_contain_text("Pat Planner (Operations Manager)")
    expect(page.get_by_role("region", name="Preparation brief")).to_contain_text("Pat has the numbers")
    checks.page(page, response)

    # A real meeting cannot be waited for: move it to have ended an hour ago,
    # as the clock would once it took place.
    ended = timezone.now() - dt.timedelta(hours=1)
    Engagement.objects.filter(pk=engagement.pk).update(starts_at=ended - dt.timedelta(minutes=90), ends_at=ended)
    response = open_page(page, f"/engagements/{engagement.pk}/")
    outcome = page.get_by_role("region", name="Did it take place?")
    checks.page(page, response)
    outcome.get_by_role("radio", name="It took place").check()
    field(page, "How long it lasted").select_option(label="2 hours")
    response = navigate(page, outcome.get_by_role("button", name="Save", exact=True).click)

    expect(page.get_by_role("status")).to_contain_text("Marked held.")
    expect(status_of(page)).to_have_text("Held")
    expect(page.get_by_role("region", name="Did it take place?")).to_have_count(0)
    changes = history(page)
    expect(changes).to_have_count(4)
    who_did_what = [("Requested", sam), ("Approved", jordan), ("Scheduled", sam), ("Held", sam)]
    for change, (status, by) in zip(changes.all(), who_did_what, strict=True):
        expect(change).to_contain_text(re.compile(rf"^\s*{status}\s*· {by.get_full_name()} ·"))
    checks.page(page, response)
    contact = ExecutiveContact.objects.get(engagement_id=engagement.pk)
    assert contact.executive == jordan.executive
    assert contact.duration_minutes == 120

    # Jordan was told when it was scheduled: unread under the bell.
    switch_to(page, viewport, leaving=sam, arriving=jordan)
    reveal_main_nav(page, viewport)
    bell = main_nav(page).get_by_role("link", name=re.compile(r"^Notifications \d+ unread$"))
    response = navigate(page, bell.click)
    expect_heading(page, "Notifications")
    scheduled = page.get_by_role("listitem").filter(has_text="Scheduled: On-site visit with Northwind Traders")
    expect(scheduled).to_have_count(1)
    expect(scheduled).to_contain_text("Unread")
    expect(scheduled.get_by_role("link")).to_have_attribute("href", f"/engagements/{engagement.pk}/")
    checks.page(page, response)


def test_an_executive_sends_a_question_back_and_the_account_manager_answers(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    sam, jordan = people.account_manager, people.executive
    engagement = requested(people)
    sign_in_as(page, jordan)
    open_page(page, f"/engagements/{engagement.pk}/")
    decision = page.get_by_role("region", name="Your decision")
    decision.get_by_role("radio", name="Ask a question").check()
    field(page, "Note, reason or question").fill("Why me rather than their regional VP?")
    response = navigate(page, decision.get_by_role("button", name="Send", exact=True).click)
    expect(page.get_by_role("status")).to_contain_text("Your question went to the account team.")
    expect(status_of(page)).to_have_text("Question asked")
    checks.page(page, response)

    switch_to(page, viewport, leaving=jordan, arriving=sam)
    response = open_page(page, f"/engagements/{engagement.pk}/")
    answer = page.get_by_role("region", name="The executive asks a question")
    checks.page(page, response)
    field(page, "Your answer").fill("Their COO asked for someone who ran a rollout like theirs.")
    response = navigate(page, answer.get_by_role("button", name="Answer and send back").click)

    expect(page.get_by_role("status")).to_contain_text("Answered. The request is back with the executive.")
    expect(status_of(page)).to_have_text("Requested")
    expect(page.get_by_role("region", name="The executive asks a question")).to_have_count(0)
    changes = history(page)
    expect(changes).to_have_count(3)
    expect(changes.nth(1)).to_contain_text("Question asked · Jordan Ellis")
    expect(changes.nth(1)).to_contain_text("Why me rather than their regional VP?")
    expect(changes.nth(2)).to_contain_text("Requested · Sam Rivera")
    expect(changes.nth(2)).to_contain_text("Their COO asked for someone who ran a rollout like theirs.")
    checks.page(page, response)


def test_a_request_sent_without_a_value_proposition_keeps_what_was_typed(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    account = northwind()
    on_site_visit()
    sign_in_as(page, people.account_manager)
    open_page(page, f"/engagements/request/?account={account.pk}")
    page.get_by_role("radio", name=re.compile("^Jordan Ellis")).check()
    field(page, "Kind of meeting").select_option(label="On-site visit")
    field(page, "Objective").fill("Hear what held their renewal back")
    proposed = (
        (timezone.now() + dt.timedelta(days=7)).astimezone(people.account_manager.tzinfo).replace(hour=15, minute=30)
    )
    field(page, "Proposed date and time").fill(f"{proposed:%Y-%m-%dT%H:%M}")

    response = navigate(page, page.get_by_role("button", name="Send the request").click)

    expect_heading(page, "Request an executive for Northwind Traders")
    value_proposition = field(page, "Value proposition")
    expect(value_proposition).to_have_accessible_description(
        re.compile("Write the value proposition: the executive decides on it.")
    )
    expect(field(page, "Objective")).to_have_value("Hear what held their renewal back")
    expect(field(page, "Proposed date and time")).to_have_value(f"{proposed:%Y-%m-%dT%H:%M}")
    expect(page.get_by_role("radio", name=re.compile("^Jordan Ellis"))).to_be_checked()
    checks.page(page, response)
    assert not Engagement.objects.filter(account=account, status=Engagement.Status.REQUESTED).exists()


def test_a_decision_on_a_request_already_decided_is_refused_clearly(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    engagement = requested(people)
    sign_in_as(page, people.executive)
    open_page(page, f"/engagements/{engagement.pk}/")
    decision = page.get_by_role("region", name="Your decision")
    decision.get_by_role("radio", name="Approve").check()
    # Meanwhile a program admin decides it for Jordan.
    engagement_decline(
        engagement=engagement,
        by=people.program_admin,
        reason="Jordan is on leave that week; Dana covers.",
    )

    response = navigate(page, decision.get_by_role("button", name="Send", exact=True).click)

    assert path_of(page) == f"/engagements/{engagement.pk}/"
    expect(page.get_by_role("alert")).to_have_text(
        "This request was already decided: declined by Morgan Admin. Nothing was changed."
    )
    expect(status_of(page)).to_have_text("Declined")
    expect(page.get_by_role("region", name="Your decision")).to_have_count(0)
    checks.page(page, response)
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.DECLINED
