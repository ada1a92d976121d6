"""Signing out, resetting a forgotten password and accepting an invitation,
in a real browser on a desktop and on a phone; each page on the way passes
axe-core (WCAG 2.2 A and AA) and the Nu HTML Checker."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.mail import EmailMessage
from playwright.sync_api import Page, expect

from engagement.people.invitations import invitation_url, user_invite
from engagement.people.models import Invitation
from engagement.people.roles import Role
from engagement.tests.factories import PASSWORD, UserFactory
from tests.browser.browsing import (
    Viewport,
    expect_heading,
    field,
    navigate,
    open_page,
    path_of,
    sign_in,
    sign_out,
)
from tests.browser.checks import PageChecks
from tests.browser.program import People

NEW_PASSWORD = "quartz-meadow-harbor-17"


def test_signing_out_from_the_user_menu_ends_the_session(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    user = people.executive
    open_page(page, "/auth/login/")
    sign_in(page, email=user.email, password=PASSWORD)
    assert path_of(page) == "/executive/"

    response = sign_out(page, viewport, user.get_full_name())

    assert path_of(page) == "/auth/login/"
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    checks.page(page, response)
    open_page(page, "/executive/")
    assert path_of(page) == "/auth/login/", "the executive's page opened after signing out"
    expect_heading(page, "Sign in to Groundwork")


def reset_link(mail: EmailMessage) -> str:
    links = [url for url in re.findall(r"https?://\S+", str(mail.body)) if "/password/reset/key/" in url]
    assert len(links) == 1, mail.body
    return links[0]


def test_forgotten_password_is_reset_from_the_emailed_link_and_signs_in(
    page: Page, checks: PageChecks, viewport: Viewport, people: People, mailoutbox: list[EmailMessage]
) -> None:
    user = people.account_manager
    checks.page(page, open_page(page, "/auth/login/"))

    response = navigate(page, page.get_by_role("link", name="Forgot your password?").click)
    expect_heading(page, "Reset your password")
    checks.page(page, response)

    field(page, "Email").fill(user.email)
    response = navigate(page, page.get_by_role("button", name="Send the link").click)
    assert path_of(page) == "/auth/password/reset/done/"
    expect_heading(page, "Check your email")
    checks.page(page, response)

    assert [mail.to for mail in mailoutbox] == [[user.email]]
    # The link is on SITE_URL; the same path on the live server.
    response = open_page(page, urlsplit(reset_link(mailoutbox[0])).path)
    expect_heading(page, "Choose a new password")
    checks.page(page, response)

    field(page, "New Password").fill(NEW_PASSWORD)
    field(page, "New Password (again)").fill(NEW_PASSWORD)
    response = navigate(page, page.get_by_role("button", name="Set password").click)
    # Signed in at once, on their home page.
    assert path_of(page) == "/account-manager/"
    checks.page(page, response)

    sign_out(page, viewport, user.get_full_name())
    response = sign_in(page, email=user.email, password=PASSWORD)
    assert path_of(page) == "/auth/login/", "the old password still signs in"
    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()
    checks.page(page, response)

    sign_in(page, email=user.email, password=NEW_PASSWORD)
    assert path_of(page) == "/account-manager/"


def test_invited_executive_chooses_a_password_and_lands_on_their_home(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    invited = user_invite(
        email="robin.invited@groundwork.example",
        full_name="Robin Invited",
        roles=[Role.EXECUTIVE],
        invited_by=people.program_admin,
        title="VP Service",
    )

    # The link is on SITE_URL; the same path on the live server.
    response = open_page(page, urlsplit(invitation_url(user=invited)).path)
    expect_heading(page, "Welcome, Robin")
    checks.page(page, response)

    field(page, "New password").fill(NEW_PASSWORD)
    field(page, "New password confirmation").fill(NEW_PASSWORD)
    response = navigate(page, page.get_by_role("button", name="Set password and sign in").click)

    assert path_of(page) == "/executive/"
    expect(page.get_by_role("status")).to_have_text("Welcome to Groundwork. Your password is set.")
    expect_heading(page, "My customer contact")
    checks.page(page, response)


def test_an_invitation_the_mail_server_refused_is_shown_as_not_sent_and_sent_again(
    page: Page, checks: PageChecks, viewport: Viewport, people: People, mailoutbox: list[EmailMessage]
) -> None:
    invited = UserFactory(email="robin.invited@groundwork.example", full_name="Robin Invited")
    invited.set_unusable_password()
    invited.save(update_fields=["password"])
    Invitation.objects.create(
        user=invited,
        invited_by=people.program_admin,
        status=Invitation.Status.FAILED,
        attempts=6,
        last_error="The mail server could not be reached.",
    )
    open_page(page, "/auth/login/")
    sign_in(page, email=people.program_admin.email, password=PASSWORD)

    response = open_page(page, "/program/invite/")
    invitations = page.get_by_role("region", name="Invitations")
    expect(invitations).to_contain_text("Robin Invited")
    expect(invitations).to_contain_text("Not sent")
    expect(invitations).to_contain_text("The mail server could not be reached.")
    checks.page(page, response)

    response = navigate(page, invitations.get_by_role("link", name="Resend invitation").click)
    expect_heading(page, "Resend the invitation of Robin Invited")
    checks.page(page, response)
    response = navigate(page, page.get_by_role("button", name="Resend invitation").click)

    assert path_of(page) == "/program/invite/"
    expect(page.get_by_role("status")).to_contain_text(
        "The invitation to robin.invited@groundwork.example is on its way again"
    )
    expect(invitations).to_contain_text("Sent ")
    checks.page(page, response)
    assert [mail.to for mail in mailoutbox] == [["robin.invited@groundwork.example"]]


def test_forms_sent_incomplete_explain_what_is_wrong_accessibly(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    user = people.program_admin
    open_page(page, "/auth/login/")
    sign_in(page, email=user.email, password=PASSWORD)

    open_page(page, "/program/invite/")
    field(page, "Email").fill(people.executive.email)
    field(page, "Full name").fill("Jordan Again")
    page.get_by_label("Executive", exact=True).check()
    response = navigate(page, page.get_by_role("button", name="Send invitation").click)
    assert path_of(page) == "/program/invite/"
    expect(field(page, "Email")).to_have_accessible_description(re.compile("already has a Groundwork login"))
    expect(field(page, "Title")).to_have_accessible_description(re.compile("Give the executive's title"))
    checks.page(page, response)

    open_page(page, "/auth/password/change/")
    field(page, "Current Password").fill("not-my-password")
    response = navigate(page, page.get_by_role("button", name="Change password").click)
    assert path_of(page) == "/auth/password/change/"
    expect(field(page, "Current Password")).to_have_accessible_description(re.compile("current password"))
    checks.page(page, response)
