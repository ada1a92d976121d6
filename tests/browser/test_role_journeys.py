"""Each role signs in through the sign-in form, lands on its own home page and
opens every page its menu offers, on a desktop and on a phone. Every page of
ours passes axe-core (WCAG 2.2 A and AA) and the Nu HTML Checker, and the
browser logs no error on it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from engagement.people.roles import Role
from engagement.tests.factories import PASSWORD
from tests.browser.browsing import (
    Viewport,
    follow_nav_link,
    main_nav,
    main_nav_links,
    open_page,
    path_of,
    sign_in,
)
from tests.browser.checks import PageChecks
from tests.browser.program import ROLE_HOME_PATHS, People

# The menu entries each role brings (the menu may offer more: those are
# visited too). Everyone has the brand link home, their engagements, their
# notifications, their calendar, the calendars they connect and "Change password".
EVERYONE_LINKS = {
    "Groundwork",
    "My engagements",
    "Notifications",
    "My calendar",
    "Connected calendars",
    "Change password",
}
ROLE_LINKS = {
    Role.EXECUTIVE: {"My contact", "Sponsorships", "Log a contact"},
    Role.ACCOUNT_MANAGER: {"My accounts"},
    Role.PROGRAM_ADMIN: {
        "Dashboard",
        "Executives",
        "Coverage",
        "Trends",
        "Pairings",
        "Invite",
        "Audit trail",
        "Administration",
    },
}
JOURNEYS = {
    "executive": [Role.EXECUTIVE],
    "account_manager": [Role.ACCOUNT_MANAGER],
    "program_admin": [Role.PROGRAM_ADMIN],
    "every_role": [Role.PROGRAM_ADMIN, Role.ACCOUNT_MANAGER, Role.EXECUTIVE],
}


@pytest.mark.parametrize("person", list(JOURNEYS))
def test_each_role_signs_in_to_its_home_and_every_page_of_its_menu_passes_the_checks(
    page: Page, checks: PageChecks, viewport: Viewport, people: People, person: str
) -> None:
    user = getattr(people, person)
    roles = JOURNEYS[person]
    # The first of the roles in Role's order is where they land.
    home = ROLE_HOME_PATHS[min(roles, key=list(Role).index)]

    response = open_page(page, "/")
    assert path_of(page) == "/auth/login/"
    checks.page(page, response)

    response = sign_in(page, email=user.email, password=PASSWORD)
    assert path_of(page) == home
    checks.page(page, response)

    links = main_nav_links(page, viewport, user.get_full_name())
    names = {link.name for link in links}
    expected = EVERYONE_LINKS.union(*(ROLE_LINKS[role] for role in roles))
    assert expected <= names, f"the menu lacks {sorted(expected - names)}"
    # The menus as they look open: the phone's collapsed menu and the user menu.
    checks.accessible(page, f"{home} with its menus open ({viewport.name})")
    page.keyboard.press("Escape")

    # The Django admin last: what its pages log must not be blamed on ours.
    for link in sorted(links, key=lambda link: urlsplit(link.href).path.startswith("/admin/")):
        if main_nav(page).count() == 0:  # the Django admin has a menu of its own
            open_page(page, home)
        response = follow_nav_link(page, viewport, user.get_full_name(), link)
        path = urlsplit(link.href).path
        if path.startswith("/admin/"):
            # The Django admin is not ours to fix: it must open, that is all.
            checks.loaded(page, response)
            assert response.status == 200
            assert path_of(page) == path
            expect(page.get_by_role("heading", level=1)).to_have_text("Program data")
            checks.forget_browser_errors()
            continue
        assert path_of(page) == (home if path == "/" else path), f"{link.name!r} led to {page.url}"
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        checks.page(page, response)
