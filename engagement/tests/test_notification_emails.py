"""New requests, schedule changes and cancellations by email, as each person
chooses per kind: at once (through the outbox), in the weekly digest, or in
the app only; each sent exactly once, whatever the retries."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import zoneinfo

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone

from engagement.delivery.models import MailDelivery, OutgoingEmail
from engagement.errors import ProgramError
from engagement.moments import moment_text
from engagement.notifications.models import KIND_EMAILS, DigestItem, EmailWhen, Notification, NotificationKind
from engagement.notifications.services import (
    notification_email_choices,
    notification_send,
    user_notification_emails_set,
)
from engagement.people.models import User
from engagement.people.roles import Role
from engagement.reminders.scan import next_digest_moment
from engagement.reminders.sending import reminder_digest_deliver, reminders_digest_ready
from engagement.tasks import send_digest, send_email
from engagement.tests.factories import UserFactory

SITE = "https://groundwork.example"
SETTINGS_URL = reverse("engagement:notification_settings")
TOKYO = "Asia/Tokyo"
# A moment in a notification, kept as text and drawn in each reader's zone.
MEETING_AT = dt.datetime(2031, 3, 4, 1, 30, tzinfo=dt.UTC)


def html_of(message: EmailMultiAlternatives) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def person(choices: dict[str, str] | None = None, **kwargs: object) -> User:
    return UserFactory(
        full_name="Jordan Ellis",
        time_zone=TOKYO,
        roles=[Role.EXECUTIVE],
        notification_emails=choices or {},
        **kwargs,
    )


def changed(users: list[User], *, kind: NotificationKind = NotificationKind.SCHEDULE_CHANGED) -> int:
    """The notification a reschedule sends, of ``kind``."""
    return notification_send(
        users=users,
        message=f"Changed: Executive briefing with Northwind Traders is now {moment_text(MEETING_AT)}. Their COO",
        url="/engagements/12/",
        kind=kind,
    )


# --- The kinds and their defaults -------------------------------------------------------


def test_every_kind_says_how_its_email_reads_and_goes_at_once_unless_chosen_otherwise():
    assert set(KIND_EMAILS) == set(NotificationKind.values)
    assert {words.default for words in KIND_EMAILS.values()} == {EmailWhen.AT_ONCE}


@pytest.mark.django_db
def test_someone_who_never_chose_gets_each_kind_at_once_and_a_bad_stored_value_reads_as_the_default():
    user = person({NotificationKind.CANCELLED: "weekly", NotificationKind.NEW_REQUEST: "digest"})

    assert notification_email_choices(user=user) == {
        NotificationKind.NEW_REQUEST: EmailWhen.DIGEST,
        NotificationKind.SCHEDULE_CHANGED: EmailWhen.AT_ONCE,
        NotificationKind.CANCELLED: EmailWhen.AT_ONCE,
    }


# --- At once ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", NotificationKind.values)
def test_at_once_sends_one_email_through_the_outbox_in_the_readers_zone_with_the_link(
    kind, django_capture_on_commit_callbacks
):
    reader = person({kind: EmailWhen.AT_ONCE})

    with django_capture_on_commit_callbacks(execute=True):
        changed([reader], kind=kind)

    [message] = mail.outbox
    assert message.to == [reader.email]
    # 01:30 UTC on 4 March is 10:30 that morning in Tokyo.
    assert message.subject.startswith("[Groundwork] Changed: Executive briefing with Northwind Traders is now")
    html = html_of(message)
    for part in (message.subject, message.body, html):
        assert "4 Mar 2031, 10:30" in part
    assert f'<a href="{SITE}/engagements/12/">{KIND_EMAILS[kind].action}</a>' in html
    assert f"{KIND_EMAILS[kind].action}: {SITE}/engagements/12/" in message.body
    assert f"<h1>{KIND_EMAILS[kind].heading}</h1>" in html
    assert f"{SITE}{SETTINGS_URL}" in message.body
    email = OutgoingEmail.objects.get()
    assert (email.status, email.to, email.body) == (OutgoingEmail.Status.SENT, [reader.email], "")
    assert not DigestItem.objects.exists()
    assert Notification.objects.filter(user=reader).count() == 1


@pytest.mark.django_db
def test_each_reader_gets_the_email_their_choice_asks_for_in_two_inserts(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    at_once = [person(email=f"at.once{n}@groundwork.example") for n in range(3)]
    digest = [
        person({NotificationKind.SCHEDULE_CHANGED: "digest"}, email=f"weekly{n}@groundwork.example") for n in range(2)
    ]
    app_only = person({NotificationKind.SCHEDULE_CHANGED: "app_only"}, email="app@groundwork.example")

    # The notifications, the kept emails and the digest's items: one INSERT each.
    with django_assert_num_queries(3):
        told = changed([*at_once, *digest, app_only])

    assert told == 6
    assert Notification.objects.count() == 6
    assert sorted(email.to[0] for email in OutgoingEmail.objects.all()) == sorted(u.email for u in at_once)
    assert sorted(DigestItem.objects.values_list("recipient__email", flat=True)) == sorted(u.email for u in digest)


@pytest.mark.django_db
def test_a_retried_or_doubled_send_task_sends_the_email_once(monkeypatch, django_capture_on_commit_callbacks):
    reader = person()
    tries = []
    real_send = EmailMultiAlternatives.send

    def down_once(message: EmailMultiAlternatives, fail_silently: bool = False) -> int:
        tries.append(message.to)
        if len(tries) == 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(message, fail_silently)

    monkeypatch.setattr(EmailMultiAlternatives, "send", down_once)
    with django_capture_on_commit_callbacks(execute=True):
        changed([reader], kind=NotificationKind.CANCELLED)
    email = OutgoingEmail.objects.get()
    # The task, queued again (a broker redelivery, a second worker), finds it sent.
    assert send_email.apply(args=[email.pk]).get() is False
    assert send_email(email.pk) is False

    assert len(tries) == 2  # the first refused, the retry taken
    assert [message.to for message in mail.outbox] == [[reader.email]]
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.SENT, 2)


@pytest.mark.django_db
def test_an_inactive_person_and_history_written_with_a_past_date_are_not_emailed():
    gone = person(is_active=False)
    reader = person(email="reader@groundwork.example")

    changed([gone])
    notification_send(
        users=[reader], message="Cancelled: the demo's meeting", url="/", kind=NotificationKind.CANCELLED,
        now=timezone.now() - dt.timedelta(days=3),
    )  # fmt: skip

    assert Notification.objects.count() == 2
    assert not OutgoingEmail.objects.exists()
    assert not DigestItem.objects.exists()


# --- In the digest -----------------------------------------------------------------------


@pytest.mark.django_db
def test_digest_keeps_it_for_monday_morning_then_sends_it_once_in_the_digest():
    reader = person({NotificationKind.SCHEDULE_CHANGED: EmailWhen.DIGEST})

    changed([reader])

    assert not OutgoingEmail.objects.exists()
    item = DigestItem.objects.get()
    notification = Notification.objects.get(user=reader)
    monday = next_digest_moment(notification.created_at, TOKYO)
    local = monday.astimezone(zoneinfo.ZoneInfo(TOKYO))
    assert (item.due_at, local.weekday(), local.hour, local.minute) == (monday, 0, 9, 0)
    assert (item.status, item.notification, item.kind) == (
        MailDelivery.Status.PENDING,
        notification,
        NotificationKind.SCHEDULE_CHANGED,
    )
    just_before = monday - dt.timedelta(minutes=1)
    assert reader.pk not in reminders_digest_ready(now=just_before)
    assert reminder_digest_deliver(recipient_id=reader.pk, now=just_before) == 0
    assert mail.outbox == []

    assert reader.pk in reminders_digest_ready(now=monday)
    assert reminder_digest_deliver(recipient_id=reader.pk, now=monday) == 1

    [digest] = mail.outbox
    html = html_of(digest)
    assert digest.to == [reader.email]
    assert digest.subject == "[Groundwork] Your digest for the week: 1"
    for part in (digest.body, html):
        assert "A meeting scheduled or changed" in part
        assert "Executive briefing with Northwind Traders is now Tue 4 Mar 2031, 10:30" in part
        assert "You chose to get these in one email a week" in part
        assert "reminders have gathered" not in part
    assert f'<a href="{SITE}/engagements/12/">Open the engagement</a>' in html
    assert f"Open the engagement: {SITE}/engagements/12/" in digest.body
    item.refresh_from_db()
    assert (item.status, item.sent_at) == (MailDelivery.Status.SENT, monday)
    # Sent is sent: the next run, or a second sender, finds nothing.
    assert reader.pk not in reminders_digest_ready(now=monday + dt.timedelta(minutes=15))
    assert reminder_digest_deliver(recipient_id=reader.pk, now=monday + dt.timedelta(minutes=1)) == 0
    assert len(mail.outbox) == 1
    # The app keeps it as it was; the digest does not tell it twice.
    assert Notification.objects.filter(user=reader).count() == 1


@pytest.mark.django_db
def test_a_notice_withdrawn_before_monday_is_left_out_of_the_digest_saying_why():
    reader = person({NotificationKind.SCHEDULE_CHANGED: EmailWhen.DIGEST, NotificationKind.CANCELLED: EmailWhen.DIGEST})
    changed([reader])
    changed([reader], kind=NotificationKind.CANCELLED)
    gone = Notification.objects.filter(user=reader).order_by("pk").first()
    # As deleting the engagement it leads to withdraws it (notifications_withdraw_leading_to).
    Notification.objects.filter(pk=gone.pk).update(
        withdrawn_at=timezone.now(), withdrawn_reason="The contact was deleted."
    )
    monday = next_digest_moment(gone.created_at, TOKYO)

    assert reminder_digest_deliver(recipient_id=reader.pk, now=monday) == 1

    [digest] = mail.outbox
    assert digest.subject == "[Groundwork] Your digest for the week: 1"
    withdrawn = DigestItem.objects.get(notification=gone)
    assert withdrawn.status == MailDelivery.Status.FAILED
    assert withdrawn.last_error == "Not sent: withdrawn before the digest (The contact was deleted.)"
    assert DigestItem.objects.exclude(pk=withdrawn.pk).get().status == MailDelivery.Status.SENT


@pytest.mark.django_db
def test_a_digest_the_mail_server_refused_goes_on_the_retry_with_each_notification_once(monkeypatch):
    reader = person({NotificationKind.SCHEDULE_CHANGED: "digest", NotificationKind.CANCELLED: "digest"})
    changed([reader])
    changed([reader], kind=NotificationKind.CANCELLED)
    monday = DigestItem.objects.first().due_at
    tries = []
    real_send = EmailMultiAlternatives.send

    def down_once(message: EmailMultiAlternatives, fail_silently: bool = False) -> int:
        tries.append(message.to)
        if len(tries) == 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(message, fail_silently)

    monkeypatch.setattr(EmailMultiAlternatives, "send", down_once)
    monkeypatch.setattr(timezone, "now", lambda: monday)
    # The task notes the failure and is retried (at once here), which sends it.
    assert send_digest.apply(args=[reader.pk]).get() == 2
    # Queued again (a second worker, the next run): nothing left to send.
    assert send_digest.apply(args=[reader.pk]).get() == 0

    assert len(tries) == 2
    [digest] = mail.outbox
    assert digest.body.count("Executive briefing with Northwind Traders") == 2
    assert digest.subject == "[Groundwork] Your digest for the week: 2"
    items = DigestItem.objects.all()
    assert set(items.values_list("status", "attempts")) == {(MailDelivery.Status.SENT, 2)}


@pytest.mark.django_db
def test_a_digest_given_up_marks_its_notifications_failed(monkeypatch):
    reader = person({NotificationKind.CANCELLED: "digest"})
    changed([reader], kind=NotificationKind.CANCELLED)
    monday = DigestItem.objects.get().due_at

    def refuse(message: EmailMultiAlternatives, fail_silently: bool = False) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    monkeypatch.setattr(timezone, "now", lambda: monday)
    assert send_digest.apply(args=[reader.pk]).get() == 0

    item = DigestItem.objects.get()
    assert (item.status, item.attempts) == (MailDelivery.Status.FAILED, 6)
    assert item.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert reader.pk not in reminders_digest_ready(now=monday + dt.timedelta(days=1))


# --- In the app only ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", NotificationKind.values)
def test_app_only_sends_no_email_now_or_in_the_digest(kind, django_capture_on_commit_callbacks):
    reader = person({kind: EmailWhen.APP_ONLY})

    with django_capture_on_commit_callbacks(execute=True):
        changed([reader], kind=kind)

    assert Notification.objects.filter(user=reader).count() == 1
    assert not OutgoingEmail.objects.exists()
    assert not DigestItem.objects.exists()
    assert reader.pk not in reminders_digest_ready(now=timezone.now() + dt.timedelta(days=8))
    assert mail.outbox == []


# --- Changing one's mind ---------------------------------------------------------------


@pytest.mark.django_db
def test_leaving_the_digest_sends_what_waited_at_the_next_run_or_drops_it_for_the_app_only():
    reader = person({NotificationKind.SCHEDULE_CHANGED: "digest", NotificationKind.CANCELLED: "digest"})
    changed([reader])
    changed([reader], kind=NotificationKind.CANCELLED)
    now = timezone.now()

    user_notification_emails_set(
        user=reader,
        choices={NotificationKind.SCHEDULE_CHANGED: EmailWhen.AT_ONCE, NotificationKind.CANCELLED: EmailWhen.APP_ONLY},
        now=now,
    )

    [item] = DigestItem.objects.all()
    assert (item.kind, item.due_at) == (NotificationKind.SCHEDULE_CHANGED, now)
    assert reader.pk in reminders_digest_ready(now=now)
    reader.refresh_from_db()
    assert reader.notification_emails == {"schedule_changed": "at_once", "cancelled": "app_only"}
    assert Notification.objects.filter(user=reader).count() == 2


@pytest.mark.django_db
def test_the_service_refuses_a_kind_or_a_choice_it_does_not_know():
    reader = person()

    for choices in ({"meetings": "at_once"}, {NotificationKind.CANCELLED: "hourly"}):
        with pytest.raises(ProgramError, match="Choose at once"):
            user_notification_emails_set(user=reader, choices=choices)

    reader.refresh_from_db()
    assert reader.notification_emails == {}


# --- The settings page -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_settings_page_asks_each_kind_in_its_own_fieldset_with_the_defaults_chosen(client):
    client.force_login(person())

    html = client.get(SETTINGS_URL).content.decode()

    for kind, label in NotificationKind.choices:
        fieldset = re.search(rf"<fieldset[^>]*>\s*<legend[^>]*>\s*{label}.*?</fieldset>", html, re.S)
        assert fieldset, label
        radios = re.findall(rf'<input type="radio"[^>]*name="{kind}"[^>]*>', fieldset.group(0))
        assert [re.search(r'value="(\w+)"', radio).group(1) for radio in radios] == EmailWhen.values
        assert [("checked" in radio) for radio in radios] == [True, False, False]
        for radio in radios:
            control_id = re.search(r'id="([^"]+)"', radio).group(1)
            assert f'for="{control_id}"' in html


@pytest.mark.django_db
def test_the_settings_page_saves_each_choice_and_shows_it(client):
    reader = person()
    client.force_login(reader)
    choices = {"new_request": "digest", "schedule_changed": "app_only", "cancelled": "at_once"}

    response = client.post(SETTINGS_URL, {"delivery": "single", **choices}, follow=True)

    assert response.redirect_chain == [(SETTINGS_URL, 302)]
    html = response.content.decode()
    assert re.search(r'<input[^>]*name="new_request" value="digest"[^>]*checked', html)
    assert re.search(r'<input[^>]*name="schedule_changed" value="app_only"[^>]*checked', html)
    assert re.search(r'<input[^>]*name="cancelled" value="at_once"[^>]*checked', html)
    reader.refresh_from_db()
    assert reader.notification_emails == choices


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("posted", "error"),
    [
        ({"new_request": "hourly"}, "Select a valid choice. hourly is not one of the available choices."),
        ({"new_request": ""}, "This field is required."),
        ({"new_request": "digest\x00"}, "Select a valid choice."),
    ],
)
def test_a_choice_that_is_not_offered_is_refused_and_the_others_are_kept_on_the_page(client, posted, error):
    reader = person()
    client.force_login(reader)
    data = {"delivery": "weekly", "new_request": "at_once", "schedule_changed": "digest", "cancelled": "app_only"}

    response = client.post(SETTINGS_URL, {**data, **posted})

    assert response.status_code == 200
    html = response.content.decode()
    assert error in html
    assert re.search(r'<input[^>]*name="schedule_changed" value="digest"[^>]*checked', html)
    assert re.search(r'<input[^>]*name="delivery" value="weekly"[^>]*checked', html)
    reader.refresh_from_db()
    assert (reader.notification_emails, reader.reminder_digest) == ({}, False)
