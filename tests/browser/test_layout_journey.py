"""The page's frame works for every role on every screen: the bar fits from
992 px up, the header reads in the order it shows, a thumb's targets are
44 px tall on a phone, the unread count shows without opening the menu, the
two-factor pages look like the rest, and headings never skip a level."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import Page, expect

from engagement.notifications.services import notification_send
from engagement.tests.factories import PASSWORD
from feedback.tests.factories import DebriefFactory
from tests.browser.browsing import Viewport, main_nav, navigate, open_menu, open_page, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People

# Widths where the bar used to run off the screen: below 1200 px it folds
# behind its button, from 1200 px it shows on one line.
BAR_WIDTHS = [992, 1024, 1200, 1280, 1365]
HEADING_LEVELS = """() => [...document.querySelectorAll("main h1, main h2, main h3, main h4, main h5, main h6")]
    .map((heading) => Number(heading.tagName[1]))"""


def sign_in_as(page: Page, email: str) -> None:
    open_page(page, "/auth/login/")
    sign_in(page, email=email, password=PASSWORD)


@pytest.mark.parametrize("person", ["program_admin", "every_role"])
def test_the_bar_fits_from_992_px_up_whatever_ones_roles(
    page: Page, people: People, viewport: Viewport, person: str
) -> None:
    if viewport.phone:
        pytest.skip("the desktop's bar")
    user = getattr(people, person)
    sign_in_as(page, user.email)
    for width in BAR_WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        open_page(page, "/program/")
        bar = main_nav(page)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"the page scrolls sideways at {width} px"
        if width < 1200:
            expect(bar.get_by_role("button", name="Show navigation")).to_be_visible()
            expect(page.locator("#main-nav")).to_be_hidden()
            continue
        user_menu = bar.get_by_role("button", name=user.get_full_name(), exact=True)
        bell = bar.get_by_role("link", name="Notifications")
        for part in (user_menu, bell, bar.get_by_role("button", name="Program")):
            expect(part).to_be_visible()
            box = part.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, f"{part} runs off the screen at {width} px"
        # One line: no link's words wrap onto a second.
        heights = {round(link.bounding_box()["height"]) for link in bar.locator(".navbar-nav > li > .nav-link").all()}
        assert max(heights) <= 44, f"a link of the bar wraps at {width} px: {heights}"


def test_log_a_contact_comes_before_the_menu_on_screen_and_in_the_tab_order(
    page: Page, people: People, viewport: Viewport
) -> None:
    sign_in_as(page, people.executive.email)
    log = main_nav(page).get_by_role("link", name="Log a contact")

    main_nav(page).get_by_role("link", name="Groundwork").focus()
    page.keyboard.press("Tab")

    expect(log).to_be_focused()
    if not viewport.phone:
        first_item = main_nav(page).get_by_role("link", name="My contact")
        assert log.bounding_box()["x"] < first_item.bounding_box()["x"]


def test_on_a_phone_the_unread_count_shows_and_what_a_thumb_taps_is_44_px_tall(
    page: Page, checks: PageChecks, people: People, viewport: Viewport
) -> None:
    if not viewport.phone:
        pytest.skip("the phone's own layout")
    notification_send(users=[people.executive], message="Sam Rivera asks for your time", url="/")
    notification_send(users=[people.executive], message="Sam Rivera scheduled the meeting", url="/")
    sign_in_as(page, people.executive.email)

    header_count = page.locator("header").get_by_role("link", name="2 unread notifications")
    expect(header_count).to_be_visible()
    expect(page.locator("#main-nav")).to_be_hidden()
    # The brand, "Log a contact", the count and the menu's button on one line.
    brand = main_nav(page).get_by_role("link", name="Groundwork").bounding_box()
    toggler = main_nav(page).get_by_role("button", name="Show navigation").bounding_box()
    assert brand is not None and toggler is not None and toggler["y"] < brand["y"] + brand["height"]

    response = navigate(page, main_nav(page).get_by_role("link", name="Log a contact").click)
    checks.page(page, response)
    targets = page.locator(
        "main .btn:not(.btn-sm):visible, main .btn-primary:visible, header .btn:visible, header .navbar-toggler,"
        " main .form-control:visible, main .form-select:visible, main .form-check:visible"
    )
    assert targets.count() >= 5
    short = [
        f"{target.evaluate('element => element.outerHTML.slice(0, 80)')} is {box['height']:.0f} px"
        for target in targets.all()
        if (box := target.bounding_box()) is not None and box["height"] < 44
    ]
    assert short == []


def test_the_two_factor_pages_open_from_the_user_menu_and_look_like_the_rest(
    page: Page, checks: PageChecks, people: People, viewport: Viewport
) -> None:
    sign_in_as(page, people.executive.email)

    menu = open_menu(page, viewport, people.executive.get_full_name())
    response = navigate(page, menu.get_by_role("link", name="Two-factor sign-in").click)

    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    expect(page.locator("main .card").first).to_be_visible()
    activate = page.get_by_role("link", name="Activate")
    expect(activate).to_have_class("btn btn-outline-primary")
    checks.page(page, response)

    response = navigate(page, activate.click)
    expect(page.locator("main form .form-control").first).to_be_visible()
    checks.page(page, response)


def test_the_debrief_search_steps_down_one_heading_level_at_a_time(
    page: Page, checks: PageChecks, people: People, viewport: Viewport
) -> None:
    DebriefFactory(author=people.executive)
    sign_in_as(page, people.program_admin.email)

    response = open_page(page, "/debriefs/")
    checks.page(page, response)

    levels = page.evaluate(HEADING_LEVELS)
    assert levels[0] == 1 and len(levels) > 2
    assert all(later - earlier <= 1 for earlier, later in itertools.pairwise(levels)), levels
