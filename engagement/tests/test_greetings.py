"""Emails and pages greet people by their first name, never by a title
("Hello Ms.,") written before it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from engagement.people.models import User
from engagement.people.roles import Role
from engagement.tests.factories import UserFactory


def invite(client, mailoutbox, capture_on_commit, *, full_name: str):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN], full_name="Paula Admin"))
    form = {
        "email": "new.person@groundwork.example",
        "full_name": full_name,
        "time_zone": "UTC",
        "roles": [Role.ACCOUNT_MANAGER.value],
    }
    with capture_on_commit(execute=True):
        client.post(reverse("engagement:invite"), form)
    client.logout()
    (mail,) = mailoutbox
    return mail


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("full_name", "greeted"),
    [
        ("Ms. Ana Ruiz", "Ana"),
        ("MRS Ana Ruiz", "Ana"),
        ("dr. Ana Ruiz", "Ana"),
        ("Prof. Dr. Ana Ruiz", "Ana"),
        ("Sir Ana Ruiz", "Ana"),
        ("Dame Ana Ruiz", "Ana"),
        ("Ana Ruiz", "Ana"),
        # A title and one word: that word is the surname, so the title stays.
        ("Dr. Okafor", "Dr. Okafor"),
        # Nothing but a title: the name as given, not an empty greeting.
        ("Mr.", "Mr."),
    ],
)
def test_the_invitation_email_and_page_greet_by_first_name_past_any_title(
    client, mailoutbox, django_capture_on_commit_callbacks, full_name, greeted
):
    mail = invite(client, mailoutbox, django_capture_on_commit_callbacks, full_name=full_name)
    (link,) = [url for url in re.findall(r"https?://\S+", mail.body) if "/invitation/" in url]

    page = client.get(link.removeprefix("https://groundwork.example")).content.decode()

    assert mail.body.startswith(f"Hello {greeted},\n")
    assert f"<p>Hello {greeted},</p>" in mail.alternatives[0][0]
    assert f"Welcome, {greeted}</h1>" in page


@pytest.mark.django_db
def test_the_password_reset_email_greets_by_first_name_past_a_title(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="ana@groundwork.example", full_name="Ms Ana Ruiz")

    # The email goes out by a task queued once the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "ana@groundwork.example"})

    (mail,) = mailoutbox
    assert mail.body.startswith("Hello Ana,\n")


def test_someone_without_a_name_is_greeted_by_their_email_address():
    assert User(email="ana@groundwork.example", full_name="").get_short_name() == "ana@groundwork.example"
