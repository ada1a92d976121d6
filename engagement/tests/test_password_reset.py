"""Forgotten passwords are reset by an emailed link (allauth)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from engagement.people.roles import Role
from engagement.tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "quartz-meadow-harbor-17"


def reset_link(mail) -> str:
    links = [url for url in re.findall(r"https?://\S+", mail.body) if "/password/reset/key/" in url]
    assert len(links) == 1, mail.body
    return links[0]


@pytest.fixture
def ask_for_reset(client, django_capture_on_commit_callbacks):
    """Ask for a reset link for ``email``; the email goes out after the commit."""

    def ask(email: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("account_reset_password"), {"email": email}, follow=True)

    return ask


@pytest.mark.django_db
def test_password_reset_email_carries_a_link_to_choose_a_new_password(client, mailoutbox, ask_for_reset):
    user = UserFactory(roles=[Role.ACCOUNT_MANAGER])

    response = ask_for_reset(user.email)

    assert response.redirect_chain[-1][0] == reverse("account_reset_password_done")
    assert "Check your email" in response.content.decode()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    assert mailoutbox[0].subject.startswith("[Groundwork] ")
    assert reset_link(mailoutbox[0])


@pytest.mark.django_db
def test_password_reset_link_is_built_from_the_site_url(client, mailoutbox, ask_for_reset):
    user = UserFactory(roles=[Role.ACCOUNT_MANAGER])

    ask_for_reset(user.email)

    # Absolute links in emails come from SITE_URL, never from the request's Host.
    assert reset_link(mailoutbox[0]).startswith("https://groundwork.example/auth/password/reset/key/")


def open_reset_link(client, mail):
    """Follow the emailed link to the page where the new password is chosen; its URL."""
    response = client.get(urlsplit(reset_link(mail)).path, follow=True)
    assert response.status_code == 200
    assert "Choose a new password" in response.content.decode()
    # allauth moves the key from the URL into the session before showing the form.
    return response.redirect_chain[-1][0] if response.redirect_chain else response.request["PATH_INFO"]


@pytest.mark.django_db
def test_new_password_from_the_reset_link_signs_in(client, mailoutbox, ask_for_reset):
    user = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    ask_for_reset(user.email)
    form_url = open_reset_link(client, mailoutbox[0])

    done = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, follow=True)

    assert done.redirect_chain[-1][0] == reverse("engagement:account_manager_home")
    assert done.wsgi_request.user == user
    client.logout()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    signed_in = client.post(reverse("account_login"), {"login": user.email, "password": NEW_PASSWORD}, follow=True)
    assert signed_in.redirect_chain[-1][0] == reverse("engagement:account_manager_home")


@pytest.mark.django_db
def test_password_reset_link_works_only_once(client, mailoutbox, ask_for_reset):
    user = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    ask_for_reset(user.email)
    form_url = open_reset_link(client, mailoutbox[0])
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.logout()

    again = client.get(urlsplit(reset_link(mailoutbox[0])).path, follow=True)

    assert again.status_code == 200
    assert "This reset link cannot be used" in again.content.decode()


@pytest.mark.django_db
def test_mismatched_new_passwords_change_nothing(client, mailoutbox, ask_for_reset):
    user = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    ask_for_reset(user.email)
    form_url = open_reset_link(client, mailoutbox[0])

    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "!"})

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_password_reset_for_an_unknown_email_reveals_nothing(client, mailoutbox, ask_for_reset):
    response = ask_for_reset("nobody@groundwork.example")

    assert response.redirect_chain[-1][0] == reverse("account_reset_password_done")
    # Enumeration is prevented: the page is the same, and no reset link goes out.
    assert all("/password/reset/key/" not in mail.body for mail in mailoutbox)
