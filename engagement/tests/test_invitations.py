"""People join by invitation from a program admin; sign-up is closed."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.urls import reverse

from engagement.cadence.models import Program
from engagement.people.invitations import invitation_url
from engagement.people.models import Executive, Invitation, User
from engagement.people.roles import Role, user_roles
from engagement.tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "tulip-lantern-orbit-93"


@pytest.fixture
def program_admin(client):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN], full_name="Paula Admin")
    client.force_login(admin)
    return admin


def invite(client, capture_on_commit, **data):
    form = {"email": "new.exec@groundwork.example", "full_name": "Nina Newcomer", "time_zone": "UTC"} | data
    with capture_on_commit(execute=True):
        return client.post(reverse("engagement:invite"), form, follow=True)


def invitation_link(mail) -> str:
    urls = re.findall(r"https?://\S+", mail.body)
    links = [url for url in urls if "/invitation/" in url]
    assert len(links) == 1, mail.body
    return links[0]


def invited_user() -> User:
    """Someone invited who has not chosen a password yet."""
    user = UserFactory()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def path_of(url: str) -> str:
    return urlsplit(url).path


@pytest.mark.django_db
def test_program_admin_invites_an_executive_by_email(
    client, program_admin, mailoutbox, django_capture_on_commit_callbacks
):
    response = invite(
        client,
        django_capture_on_commit_callbacks,
        roles=[Role.EXECUTIVE.value],
        title="SVP Operations",
        time_zone="Europe/Berlin",
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "new.exec@groundwork.example is invited: the email is on its way." in html
    assert Invitation.objects.get(user__email="new.exec@groundwork.example").status == Invitation.Status.SENT
    invitations = client.get(reverse("engagement:invite")).content.decode().split('id="invitations-heading"')[1]
    assert "Nina Newcomer" in invitations and "Sent " in invitations
    user = User.objects.get(email="new.exec@groundwork.example")
    assert user_roles(user) == {Role.EXECUTIVE}
    assert not user.has_usable_password()
    executive = Executive.objects.get(user=user)
    assert executive.title == "SVP Operations"
    assert user.time_zone == "Europe/Berlin"
    assert set(executive.programs.all()) == set(Program.objects.filter(active=True))
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["new.exec@groundwork.example"]
    assert mail.subject == "[Groundwork] You are invited to Groundwork"
    assert "Paula Admin" in mail.body
    assert invitation_link(mail).startswith("https://groundwork.example/invitation/")


@pytest.mark.django_db
def test_invitation_email_waits_for_the_commit(client, program_admin, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(
            reverse("engagement:invite"),
            {
                "email": "later@groundwork.example",
                "full_name": "Lee Later",
                "time_zone": "UTC",
                "roles": ["Account manager"],
            },
        )
    assert mailoutbox == []

    for callback in callbacks:
        callback()

    assert [mail.to for mail in mailoutbox] == [["later@groundwork.example"]]


@pytest.mark.django_db
def test_invited_person_sets_a_password_and_lands_on_their_home(
    client, program_admin, mailoutbox, django_capture_on_commit_callbacks
):
    invite(client, django_capture_on_commit_callbacks, roles=[Role.ACCOUNT_MANAGER.value])
    link = invitation_link(mailoutbox[0])
    client.logout()

    form_page = client.get(path_of(link))
    assert form_page.status_code == 200
    html = form_page.content.decode()
    assert "Choose a password for new.exec@groundwork.example" in html
    assert 'name="new_password1"' in html and 'name="new_password2"' in html

    response = client.post(path_of(link), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("engagement:account_manager_home")
    assert response.wsgi_request.user.email == "new.exec@groundwork.example"
    assert "Your password is set" in response.content.decode()
    client.logout()
    signed_in = client.post(
        reverse("account_login"), {"login": "new.exec@groundwork.example", "password": NEW_PASSWORD}, follow=True
    )
    assert signed_in.redirect_chain[-1][0] == reverse("engagement:account_manager_home")


@pytest.mark.django_db
def test_invited_executive_lands_on_the_executive_home(
    client, program_admin, mailoutbox, django_capture_on_commit_callbacks
):
    invite(client, django_capture_on_commit_callbacks, roles=[Role.EXECUTIVE.value], title="VP Sales")
    link = invitation_link(mailoutbox[0])
    client.logout()

    response = client.post(path_of(link), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("engagement:executive_home")
    assert "No customer contact logged yet." in response.content.decode()


@pytest.mark.django_db
def test_invitation_link_works_only_once(client, program_admin, mailoutbox, django_capture_on_commit_callbacks):
    invite(client, django_capture_on_commit_callbacks, roles=[Role.ACCOUNT_MANAGER.value])
    link = invitation_link(mailoutbox[0])
    client.logout()
    client.post(path_of(link), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client.logout()

    again = client.get(path_of(link))
    reused = client.post(path_of(link), {"new_password1": "other-Pass-4821", "new_password2": "other-Pass-4821"})

    for response in (again, reused):
        assert response.status_code == 400
        assert "This invitation link cannot be used" in response.content.decode()
    user = User.objects.get(email="new.exec@groundwork.example")
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_mismatched_passwords_keep_the_invitation_open(
    client, program_admin, mailoutbox, django_capture_on_commit_callbacks
):
    invite(client, django_capture_on_commit_callbacks, roles=[Role.ACCOUNT_MANAGER.value])
    link = invitation_link(mailoutbox[0])
    client.logout()

    response = client.post(path_of(link), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get(path_of(link)).status_code == 200


@pytest.mark.django_db
def test_altered_invitation_link_shows_the_invalid_link_page(client):
    user = invited_user()
    token = path_of(invitation_url(user=user)).rstrip("/").rsplit("/", 1)[-1]
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = client.get(reverse("engagement:invitation_accept", kwargs={"token": altered}))

    assert response.status_code == 400
    assert "This invitation link cannot be used" in response.content.decode()


@pytest.mark.django_db
def test_expired_invitation_link_shows_the_invalid_link_page(client, monkeypatch):
    user = invited_user()
    eight_days_ago = int(time.time()) - 8 * 24 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(eight_days_ago))
        link = invitation_url(user=user)

    response = client.get(path_of(link))

    assert response.status_code == 400
    assert "This invitation link cannot be used" in response.content.decode()


@pytest.mark.django_db
def test_invitation_link_still_works_six_days_later(client, monkeypatch):
    user = invited_user()
    six_days_ago = int(time.time()) - 6 * 24 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(six_days_ago))
        link = invitation_url(user=user)

    assert client.get(path_of(link)).status_code == 200


@pytest.mark.django_db
def test_invitation_of_a_deactivated_user_no_longer_works(client):
    user = invited_user()
    link = invitation_url(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert client.get(path_of(link)).status_code == 400


@pytest.mark.django_db
def test_inviting_an_email_that_already_has_a_login_is_refused(
    client, program_admin, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="taken@groundwork.example")

    response = invite(
        client, django_capture_on_commit_callbacks, email="Taken@Groundwork.example", roles=[Role.ACCOUNT_MANAGER.value]
    )

    assert response.status_code == 200
    assert "This email address already has a Groundwork login." in response.content.decode()
    assert response.context["form"].errors["email"]
    assert User.objects.filter(email__iexact="taken@groundwork.example").count() == 1
    assert mailoutbox == []


@pytest.mark.django_db
def test_inviting_an_executive_needs_their_title(client, program_admin, mailoutbox, django_capture_on_commit_callbacks):
    response = invite(client, django_capture_on_commit_callbacks, roles=[Role.EXECUTIVE.value], title="")

    assert response.context["form"].errors["title"] == ["Give the executive's title."]
    assert not User.objects.filter(email="new.exec@groundwork.example").exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_inviting_needs_a_role(client, program_admin, mailoutbox, django_capture_on_commit_callbacks):
    response = invite(client, django_capture_on_commit_callbacks)

    assert "roles" in response.context["form"].errors
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.EXECUTIVE])
def test_only_program_admins_may_invite(client, role, mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory(roles=[role])
    client.force_login(user)

    page = client.get(reverse("engagement:invite"))
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(
            reverse("engagement:invite"),
            {
                "email": "sneaky@groundwork.example",
                "full_name": "Sneaky",
                "time_zone": "UTC",
                "roles": ["Program admin"],
            },
        )

    assert page.status_code == 403
    assert posted.status_code == 403
    assert not User.objects.filter(email="sneaky@groundwork.example").exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_sign_up_is_closed(client):
    page = client.get(reverse("account_signup"))
    posted = client.post(
        reverse("account_signup"),
        {"email": "stranger@groundwork.example", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert page.status_code == 200
    assert "Groundwork is by invitation" in page.content.decode()
    assert posted.status_code == 200
    assert "Groundwork is by invitation" in posted.content.decode()
    assert not User.objects.filter(email="stranger@groundwork.example").exists()
