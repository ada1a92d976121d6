"""With the mail server down, inviting someone and resetting a password still
answer as usual: the email is kept as not sent, tried again with growing
waits, and the invitations list says where each one stands, with a button to
send it again. Links in emails are never kept once sent."""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from celery.signals import task_failure, task_postrun, task_retry
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from engagement.delivery.models import OutgoingEmail
from engagement.delivery.outbox import broker_refusals_forget
from engagement.people.invitations import invitation_resend
from engagement.people.models import Invitation, User
from engagement.people.roles import Role
from engagement.tests.factories import UserFactory

INVITE_URL = reverse("engagement:invite")
SEND_INVITATION = "engagement.tasks.send_invitation"
SEND_EMAIL = "engagement.tasks.send_email"
NEW_PASSWORD = "harbor-quartz-meadow-58"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_port(settings) -> int:
    """Email goes by SMTP to a port of this machine where, for now, nothing listens."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return port


class Mailbox:
    """What an SMTP server received: each message as text, with its recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 Message accepted"


@contextmanager
def smtp_server(port: int) -> Iterator[Mailbox]:
    """A real SMTP server on ``port``: the mail server is back."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@contextmanager
def worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A Celery worker in a thread on the in-memory broker, with retries a
    second apart instead of minutes."""
    conf = celery_app.conf
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.setattr("engagement.tasks.RETRY_BASE_SECONDS", 1)
    saved = {
        "broker_url": conf.broker_url,
        "broker_transport_options": conf.broker_transport_options,
        "task_always_eager": conf.task_always_eager,
    }

    def drop_pools() -> None:
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.broker_url, conf.task_always_eager = "memory://", False
    conf.broker_transport_options = {"polling_interval": 0.1}
    drop_pools()
    broker_refusals_forget()
    try:
        with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        drop_pools()
        for name, value in saved.items():
            setattr(conf, name, value)


@contextmanager
def watching(task_name: str) -> Iterator[dict[str, threading.Event]]:
    """Events set when the worker retries ``task_name`` and when a run of it
    ends well (or any task fails, so that the test stops waiting)."""
    events = {"retried": threading.Event(), "done": threading.Event()}

    def on_retry(sender: Any = None, request: Any = None, **kwargs: Any) -> None:
        if getattr(request, "task", None) == task_name:
            events["retried"].set()

    def on_postrun(sender: Any = None, retval: Any = None, **kwargs: Any) -> None:
        if getattr(sender, "name", None) == task_name and retval is True:
            events["done"].set()

    def on_failure(**kwargs: Any) -> None:
        events["retried"].set()
        events["done"].set()

    task_retry.connect(on_retry, weak=False)
    task_postrun.connect(on_postrun, weak=False)
    task_failure.connect(on_failure, weak=False)
    try:
        yield events
    finally:
        task_retry.disconnect(on_retry)
        task_postrun.disconnect(on_postrun)
        task_failure.disconnect(on_failure)


def invitations_list(client) -> str:
    """The invitations part of the invite page."""
    page = client.get(INVITE_URL)
    assert page.status_code == 200
    return page.content.decode().split('id="invitations-heading"', 1)[1]


def invite_form(**changes: object) -> dict[str, object]:
    return {
        "email": "nina.newcomer@groundwork.example",
        "full_name": "Nina Newcomer",
        "time_zone": "UTC",
        "roles": [Role.ACCOUNT_MANAGER.value],
    } | changes


def never_signed_in(email: str) -> User:
    user = UserFactory(email=email, full_name="Nina Newcomer")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


# --- Invitations ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_invitation_while_the_mail_server_is_down_waits_to_be_retried_then_goes_once_it_is_back(
    client, smtp_port, monkeypatch
):
    client.force_login(UserFactory(full_name="Paula Admin", roles=[Role.PROGRAM_ADMIN], time_zone="Asia/Tokyo"))

    with worker(monkeypatch), watching(SEND_INVITATION) as events:
        response = client.post(INVITE_URL, invite_form(), follow=True)

        assert response.status_code == 200
        assert "nina.newcomer@groundwork.example is invited" in response.content.decode()
        assert events["retried"].wait(timeout=10), "the worker did not try the invitation"
        invitation = Invitation.objects.get(user__email="nina.newcomer@groundwork.example")
        assert invitation.status == Invitation.Status.RETRYING
        waiting = invitations_list(client)
        assert "Not sent yet: waiting to be retried" in waiting
        assert "The mail server could not be reached." in waiting
        # When, in the reader's own time zone.
        next_try = timezone.localtime(invitation.retry_at, timezone.get_fixed_timezone(9 * 60))
        assert f"Next try {next_try:%-d %b %Y, %H:%M}" in waiting

        with smtp_server(smtp_port) as mailbox:
            assert events["done"].wait(timeout=20), "the retry did not send the invitation"

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT
    assert [recipients for recipients, _ in mailbox.messages] == [["nina.newcomer@groundwork.example"]]
    assert "/invitation/" in mailbox.messages[0][1]
    assert "Sent " in invitations_list(client)


@pytest.mark.django_db
def test_an_invitation_the_mail_server_never_took_shows_as_not_sent_and_is_sent_again_on_request(
    client, smtp_port, settings, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INVITE_URL, invite_form(), follow=True)

    # Every try ran at once here (tasks run eagerly in tests) and failed.
    assert response.status_code == 200
    invited = User.objects.get(email="nina.newcomer@groundwork.example")
    invitation = Invitation.objects.get(user=invited)
    assert (invitation.status, invitation.attempts) == (Invitation.Status.FAILED, 6)
    listed = invitations_list(client)
    assert "Not sent" in listed and "The mail server could not be reached." in listed
    resend_url = reverse("engagement:invitation_resend", kwargs={"pk": invited.pk})
    assert f'href="{resend_url}"' in listed

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    confirm = client.get(resend_url)
    assert confirm.status_code == 200
    assert "Resend the invitation of Nina Newcomer" in confirm.content.decode()
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        resent = client.post(resend_url, follow=True)

    assert "The invitation to nina.newcomer@groundwork.example is on its way again" in resent.content.decode()
    assert [message.to for message in mail.outbox] == [["nina.newcomer@groundwork.example"]]
    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts, invitation.last_error) == (Invitation.Status.SENT, 1, "")
    # The new link works.
    link = next(url for url in re.findall(r"https?://\S+", mail.outbox[0].body) if "/invitation/" in url)
    client.logout()
    chosen = client.post(urlsplit(link).path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert chosen.status_code == 302


@pytest.mark.django_db
def test_inviting_an_address_whose_login_was_never_used_offers_to_resend_the_invitation(
    client, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    invited = never_signed_in("nina.newcomer@groundwork.example")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INVITE_URL, invite_form(email="Nina.Newcomer@groundwork.example"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "was invited already and has never signed in" in html
    assert f'href="{reverse("engagement:invitation_resend", kwargs={"pk": invited.pk})}"' in html
    assert "Resend invitation" in html
    assert User.objects.filter(email__iexact="nina.newcomer@groundwork.example").count() == 1
    assert mail.outbox == []


@pytest.mark.django_db
def test_resending_is_refused_once_the_login_is_in_use(client, django_capture_on_commit_callbacks):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    member = UserFactory(email="already.here@groundwork.example")
    url = reverse("engagement:invitation_resend", kwargs={"pk": member.pk})

    page = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(url, follow=True)

    assert "has chosen a password already: there is nothing to resend" in page.content.decode()
    assert "already.here@groundwork.example has chosen a password already" in posted.content.decode()
    assert mail.outbox == []
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_an_invitation_asked_twice_while_being_sent_goes_once(django_capture_on_commit_callbacks):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    invited = never_signed_in("nina.newcomer@groundwork.example")
    Invitation.objects.create(
        user=invited, invited_by=admin, status=Invitation.Status.SENDING, claimed_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        again = invitation_resend(user=invited, by=admin)

    assert again is False
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_invitation_whose_sender_died_long_ago_is_sent_again_on_request(django_capture_on_commit_callbacks):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    invited = never_signed_in("nina.newcomer@groundwork.example")
    Invitation.objects.create(
        user=invited,
        invited_by=admin,
        status=Invitation.Status.SENDING,
        claimed_at=timezone.now() - dt.timedelta(hours=1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        again = invitation_resend(user=invited, by=admin)

    assert again is True
    assert [message.to for message in mail.outbox] == [["nina.newcomer@groundwork.example"]]
    assert Invitation.objects.get().status == Invitation.Status.SENT


# --- Password resets -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_password_reset_while_the_mail_server_is_down_says_it_was_sent_and_goes_once_it_is_back(
    client, smtp_port, monkeypatch
):
    user = UserFactory(email="sam.rivera@groundwork.example", roles=[Role.ACCOUNT_MANAGER])

    with worker(monkeypatch), watching(SEND_EMAIL) as events:
        response = client.post(reverse("account_reset_password"), {"email": user.email}, follow=True)

        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == reverse("account_reset_password_done")
        assert "Check your email" in response.content.decode()
        assert events["retried"].wait(timeout=10), "the worker did not try the email"
        kept = OutgoingEmail.objects.get()
        assert (kept.status, kept.to) == (OutgoingEmail.Status.RETRYING, [user.email])
        assert kept.last_error == "The mail server could not be reached."

        with smtp_server(smtp_port) as mailbox:
            assert events["done"].wait(timeout=20), "the retry did not send the email"

    assert [recipients for recipients, _ in mailbox.messages] == [[user.email]]
    links = re.findall(r"https?://\S+/password/reset/key/\S+", mailbox.messages[0][1])
    assert links
    sent = OutgoingEmail.objects.get()
    assert sent.status == OutgoingEmail.Status.SENT
    # The link is in the mailbox now, and nowhere in the database.
    assert (sent.body, sent.html) == ("", "")
    assert not OutgoingEmail.objects.filter(subject__contains="/password/reset/key/").exists()


@pytest.mark.django_db
def test_a_password_reset_the_mail_server_never_took_is_given_up_without_keeping_its_link(
    client, smtp_port, django_capture_on_commit_callbacks
):
    user = UserFactory(roles=[Role.ACCOUNT_MANAGER])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": user.email}, follow=True)

    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    email = OutgoingEmail.objects.get()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.FAILED, 6)
    assert (email.body, email.html) == ("", "")
    assert email.last_error == "The mail server could not be reached."
