"""An executive logs a contact with no signal: the log form keeps it on the
phone, says so, and sends it once the phone is online again; however often it
is sent, it is one engagement. Groundwork installs as an app for this: a web
manifest and a service worker of its own, under the same
Content-Security-Policy as every page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext, Page, Route, expect

from engagement.tests.factories import PASSWORD
from tests.browser.browsing import Viewport, expect_heading, open_page, path_of, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People
from visits.models import Engagement

NOTE = "Heard about the plant move, on the train with no signal"


def logged(note: str = NOTE) -> int:
    return Engagement.objects.filter(notes=note).count()


def worker_ready(page: Page) -> None:
    """Wait until the service worker controls the page, as on a second visit."""
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    if page.evaluate("navigator.serviceWorker.controller === null"):
        page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def fill_contact(page: Page, note: str = NOTE) -> None:
    recent = page.get_by_role("group", name="Your accounts of the last 90 days")
    recent.locator("label", has_text="Northwind Traders").click()
    page.get_by_label("One-line note").fill(note)


def queued(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("GroundworkQueue.all()")


def test_a_contact_logged_offline_is_sent_once_when_the_phone_is_back_online(
    page: Page, context: BrowserContext, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    open_page(page, "/auth/login/")
    sign_in(page, email=people.executive.email, password=PASSWORD)
    response = open_page(page, "/engagements/log/")
    worker_ready(page)
    checks.page(page, response)

    context.set_offline(True)
    fill_contact(page)
    expect(page.get_by_text("The account's people can be listed once you are back online")).to_be_visible()
    page.get_by_role("button", name="Log contact").click()

    notice = page.locator("#phone-notices")
    expect(notice).to_contain_text("Saved on this phone: your contact of")
    expect(notice).to_contain_text("with Northwind Traders will be sent when you are back online")
    # Ready for the next contact, which gets a key of its own.
    expect(page.get_by_label("One-line note")).to_have_value("")
    assert [item["state"] for item in queued(page)] == ["queued"]
    assert queued(page)[0]["key"] != page.locator("[name=submission_key]").input_value()
    checks.accessible(page, "the log form with a contact saved on the phone")
    assert logged() == 0

    # Still offline, the next page comes from the service worker: the contact still waits.
    response = open_page(page, "/executive/")
    expect_heading(page, "You are offline")
    expect(page.locator("#phone-notices")).to_contain_text("Saved on this phone")
    checks.page(page, response)
    page.goto("/engagements/log/")
    expect_heading(page, "Log a contact")
    assert logged() == 0

    context.set_offline(False)

    expect(page.locator("#phone-notices")).to_contain_text("was sent: it counts toward your cadence now")
    assert logged() == 1
    engagement = Engagement.objects.get(notes=NOTE)
    assert engagement.account.name == "Northwind Traders"
    assert engagement.executives.get().user == people.executive
    page.reload()
    expect(page.locator("#phone-notices")).to_be_empty()
    assert queued(page) == []
    assert logged() == 1


def test_a_contact_sent_twice_is_one_engagement(
    page: Page, context: BrowserContext, viewport: Viewport, people: People
) -> None:
    open_page(page, "/auth/login/")
    sign_in(page, email=people.executive.email, password=PASSWORD)
    open_page(page, "/engagements/log/")
    worker_ready(page)
    context.set_offline(True)
    fill_contact(page)
    page.get_by_role("button", name="Log contact").click()
    expect(page.locator("#phone-notices")).to_contain_text("Saved on this phone")
    kept = queued(page)[0]

    # Back online, the server makes the engagement but its answer is lost on
    # the way: the phone cannot know, so the contact stays to be sent again.
    def lose_the_answer(route: Route) -> None:
        if route.request.method == "POST":
            route.fetch()
            route.abort()
        else:
            route.continue_()

    context.route("**/engagements/log/", lose_the_answer)
    context.set_offline(False)
    page.wait_for_function("navigator.onLine")
    page.wait_for_function("GroundworkQueue.all().then(items => items.length === 1)")
    page.evaluate("GroundworkQueue.send(document.body.dataset.logPage).catch(() => null)")
    assert logged() == 1
    assert [item["state"] for item in queued(page)] == ["queued"]

    context.unroute("**/engagements/log/")
    page.reload()
    expect(page.locator("#phone-notices")).to_contain_text("was sent")
    assert logged() == 1

    # The same contact kept twice (two tabs, a restored backup) and sent again: still one.
    page.evaluate("item => GroundworkQueue.put(item)", kept)
    page.evaluate("GroundworkQueue.send(document.body.dataset.logPage)")
    assert logged() == 1


def test_a_contact_saved_before_the_session_ended_waits_for_sign_in(
    page: Page, context: BrowserContext, viewport: Viewport, people: People
) -> None:
    open_page(page, "/auth/login/")
    sign_in(page, email=people.executive.email, password=PASSWORD)
    open_page(page, "/engagements/log/")
    worker_ready(page)
    context.set_offline(True)
    fill_contact(page)
    page.get_by_role("button", name="Log contact").click()
    expect(page.locator("#phone-notices")).to_contain_text("Saved on this phone")

    context.clear_cookies()  # the session ended while the phone was offline
    context.set_offline(False)
    page.goto("/auth/login/")

    expect(page.locator("#phone-notices")).to_contain_text("sign in to send it")
    assert logged() == 0
    sign_in(page, email=people.executive.email, password=PASSWORD)
    assert path_of(page) == "/executive/"
    expect(page.locator("#phone-notices")).to_contain_text("was sent")
    assert logged() == 1


def test_a_contact_the_form_refuses_later_stays_on_the_phone_to_open_again(
    page: Page, context: BrowserContext, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    open_page(page, "/auth/login/")
    sign_in(page, email=people.executive.email, password=PASSWORD)
    open_page(page, "/engagements/log/")
    worker_ready(page)
    context.set_offline(True)
    fill_contact(page)
    page.get_by_label("Date").fill("2020-03-02")  # too long ago: the server says so once it is sent
    page.get_by_role("button", name="Log contact").click()
    expect(page.locator("#phone-notices")).to_contain_text("Saved on this phone: your contact of 2 Mar 2020")

    context.set_offline(False)

    notice = page.locator("#phone-notices")
    expect(notice).to_contain_text("Your contact of 2 Mar 2020 with Northwind Traders was not logged: Contacts older")
    assert logged() == 0
    checks.accessible(page, "the log form with a refused contact from the phone")
    with page.expect_navigation():
        notice.get_by_role("link", name="Open it in the form").click()
    expect(page.get_by_label("One-line note")).to_have_value(NOTE)
    expect(page.get_by_label("Date")).to_have_value("2020-03-02")
    northwind = people.executive.executive.engagements.filter(account__name="Northwind Traders").first()
    assert northwind is not None
    expect(page.locator("input[name=account]:checked")).to_have_value(str(northwind.account_id))

    page.get_by_label("Date").fill(page.get_by_label("Date").get_attribute("max") or "")
    with page.expect_navigation():
        page.get_by_role("button", name="Log contact").click()
    assert path_of(page) == "/executive/"
    expect(page.locator("#phone-notices")).to_be_empty()
    assert logged() == 1
    assert queued(page) == []
