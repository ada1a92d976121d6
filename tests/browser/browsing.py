"""What a person does in the browser: sign in, open the menus, follow links.

Every step goes through the page as a person would (labels, button and link
names) and returns the response that delivered the page it ends on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, Response, expect


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    phone: bool


DESKTOP = Viewport("desktop", 1280, 900, phone=False)
PHONE = Viewport("phone", 390, 844, phone=True)


@dataclass(frozen=True)
class NavLink:
    name: str
    href: str
    in_user_menu: bool
    # The menu button it sits under (the user menu's is the person's name); None: in the bar itself.
    menu: str | None = None


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def navigate(page: Page, action: Callable[[], object]) -> Response:
    """Do ``action`` and wait until the page it leads to has loaded; the
    response of that page (after any redirects)."""
    with page.expect_navigation() as navigation:
        action()
    response = navigation.value
    assert response is not None, f"{page.url} was not loaded from the server"
    return response


def open_page(page: Page, path: str) -> Response:
    response = page.goto(path)
    assert response is not None, f"{path} was not loaded from the server"
    return response


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def reveal_main_nav(page: Page, viewport: Viewport) -> None:
    """On a phone the menu sits behind the toggler: open it, as a person must."""
    if not viewport.phone:
        return
    toggler = main_nav(page).get_by_role("button", name="Show navigation")
    if toggler.get_attribute("aria-expanded") == "true":
        return
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#main-nav")).to_be_hidden()
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#main-nav")).to_be_visible()


def open_menu(page: Page, viewport: Viewport, name: str) -> Locator:
    """Open the menu under the button ``name`` of the main navigation; the open menu."""
    reveal_main_nav(page, viewport)
    toggle = main_nav(page).get_by_role("button", name=name, exact=True)
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    menu = toggle.locator("xpath=following-sibling::*[contains(concat(' ', @class, ' '), ' dropdown-menu ')]")
    expect(menu).to_be_visible()
    return menu


def open_user_menu(page: Page, viewport: Viewport, user_name: str) -> Locator:
    """Open the menu under the signed-in person's name; the open menu."""
    return open_menu(page, viewport, user_name)


def _nav_link(link: Locator, menu: str | None, user_name: str) -> NavLink:
    return NavLink(
        name=" ".join(link.inner_text().split()),
        href=link.get_attribute("href") or "",
        in_user_menu=menu == user_name,
        menu=menu,
    )


def main_nav_links(page: Page, viewport: Viewport, user_name: str) -> list[NavLink]:
    """Every link the main navigation offers the signed-in person, found the
    way they find them: those in the bar, then each menu's, opened in turn
    (the user menu last, which stays open)."""
    reveal_main_nav(page, viewport)
    links = [
        _nav_link(link, None, user_name)
        for link in main_nav(page).get_by_role("link").all()
        if link.evaluate("element => element.closest('.dropdown-menu') === null")
    ]
    for toggle in main_nav(page).locator(".dropdown-toggle").all():
        name = " ".join(toggle.inner_text().split())
        menu = open_menu(page, viewport, name)
        links += [_nav_link(link, name, user_name) for link in menu.get_by_role("link").all()]
    return links


def follow_nav_link(page: Page, viewport: Viewport, user_name: str, link: NavLink) -> Response:
    target = main_nav(page).get_by_role("link", name=link.name, exact=True)
    if link.in_user_menu or link.menu:
        open_menu(page, viewport, link.menu or user_name)
    elif not target.is_visible():  # on a phone, behind the toggler
        reveal_main_nav(page, viewport)
    return navigate(page, target.click)


def field(page: Page, label: str) -> Locator:
    """The form field labelled ``label`` (crispy marks required ones with a *)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def sign_in(page: Page, *, email: str, password: str) -> Response:
    """Fill in and send the sign-in form the page shows."""
    field(page, "Email").fill(email)
    field(page, "Password").fill(password)
    return navigate(page, page.get_by_role("button", name="Sign in", exact=True).click)


def sign_out(page: Page, viewport: Viewport, user_name: str) -> Response:
    menu = open_user_menu(page, viewport, user_name)
    return navigate(page, menu.get_by_role("button", name="Sign out", exact=True).click)


def expect_heading(page: Page, text: str | re.Pattern[str]) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)
