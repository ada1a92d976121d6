"""What reminder emails say, the weekly digest, and where a person chooses between them."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import zoneinfo

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagement.accounts.models import Account
from engagement.accounts.selectors import account_suggestions_for_executive
from engagement.moments import moments_in_zone
from engagement.notifications.models import DigestItem, Notification, NotificationKind
from engagement.notifications.services import user_reminder_digest_set
from engagement.people.models import Executive, User
from engagement.people.roles import Role
from engagement.reminders.models import Reminder
from engagement.reminders.scan import reminders_due, reminders_record
from engagement.reminders.sending import (
    reminder_claim,
    reminder_deliver,
    reminder_digest_deliver,
    reminders_digest_ready,
    reminders_ready,
)
from engagement.tasks import send_digest
from engagement.tests.factories import (
    AccountFactory,
    ExecutiveFactory,
    SkillFactory,
    UserFactory,
    contact_record,
    overdue_reminder_sent,
)
from visits.models import Engagement
from visits.tests.factories import EngagementFactory

SITE = "https://groundwork.example"
# Noon UTC on a Monday: inside working hours for the UTC people here.
NOW = dt.datetime(2025, 6, 16, 12, 0, tzinfo=dt.UTC)
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# A Wednesday afternoon in New York, and the Monday morning after it.
WEDNESDAY = dt.datetime(2025, 6, 11, 14, 0, tzinfo=NEW_YORK)
MONDAY_9AM = dt.datetime(2025, 6, 16, 9, 0, tzinfo=NEW_YORK)
SETTINGS_URL = reverse("engagement:notification_settings")
# Each kind of notification by email at once, as the settings page posts it.
AT_ONCE = dict.fromkeys(NotificationKind.values, "at_once")


def executive_last_seen(days_ago: int, *, now: dt.datetime = NOW, **kwargs: object) -> Executive:
    """An executive whose last customer contact was ``days_ago`` days before ``now``."""
    executive = ExecutiveFactory(joined_on=dt.date(2023, 1, 2), **kwargs)
    contact_record(executive=executive, occurred_at=now - dt.timedelta(days=days_ago))
    return executive


def scan(now: dt.datetime) -> None:
    reminders_record(dues=reminders_due(now=now), now=now)


def send(reminder: Reminder, *, now: dt.datetime = NOW) -> EmailMultiAlternatives:
    """Send one recorded reminder the way its task does; its email."""
    assert reminder_claim(reminder_id=reminder.pk, now=now)
    assert reminder_deliver(reminder_id=reminder.pk, now=now)
    return mail.outbox[-1]


def html_of(message: EmailMultiAlternatives) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def met(account: Account, days_ago: int) -> None:
    """Some executive met ``account`` ``days_ago`` days before NOW."""
    contact_record(executive=ExecutiveFactory(), occurred_at=NOW - dt.timedelta(days=days_ago), account=account)


# --- Due soon and overdue: what to do, and where ---------------------------------------


@pytest.mark.django_db
def test_due_soon_email_suggests_the_accounts_unseen_longest_with_a_way_to_ask_their_managers():
    executive = executive_last_seen(38, user__full_name="Dana Whitfield")
    supply_chain = SkillFactory(name="Supply chain")
    executive.talents.add(supply_chain)
    priya = UserFactory(full_name="Priya Raman", roles=[Role.ACCOUNT_MANAGER])
    omar = UserFactory(full_name="Omar Haddad", roles=[Role.ACCOUNT_MANAGER])
    never = AccountFactory(name="Northwind Traders", account_manager=priya)
    long_ago = AccountFactory(name="Contoso Freight", account_manager=None)
    a_while = AccountFactory(name="Fabrikam Logistics", account_manager=omar)
    lately = AccountFactory(name="Initech Supply", account_manager=omar)
    churned = AccountFactory(name="Globex Shipping", status=Account.Status.CHURNED, account_manager=priya)
    AccountFactory(name="Umbrella Retail", account_manager=priya)  # needs nothing she offers
    for account in (never, long_ago, a_while, lately, churned):
        account.needs.add(supply_chain)
    met(long_ago, 300)
    met(a_while, 100)
    met(lately, 10)
    scan(NOW)

    message = send(Reminder.objects.get(recipient=executive.user, kind=Reminder.Kind.DUE_SOON))
    html, text = html_of(message), message.body

    assert message.to == [executive.user.email]
    # The state and the date the window closes, in both parts.
    for part in (text, html):
        assert "The six-week window closes on 20 Jun 2025" in part
        assert "Northwind Traders" in part
    assert '<html lang="en">' in html
    assert "<h1>Your customer-contact window closes soon</h1>" in html
    assert f'<a href="{SITE}/engagements/log/">Log a contact</a>' in html
    assert f"{SITE}/engagements/log/" in text
    assert f'href="{SITE}{SETTINGS_URL}"' in html
    items = re.findall(r"<li>(.*?)</li>", html, re.S)
    assert [re.search(r"<strong>(.*?)</strong>", item).group(1) for item in items] == [
        "Northwind Traders",
        "Contoso Freight",
        "Fabrikam Logistics",
    ]
    assert "no executive has met them yet" in items[0]
    ask_priya = (
        f'href="mailto:{priya.email}?subject=Could%20we%20set%20up%20a%20meeting%20with%20Northwind%20Traders%3F'
    )
    assert ask_priya in items[0]
    assert "Ask Priya Raman, its account manager, to schedule a meeting</a>" in items[0]
    assert "It has no account manager in Groundwork" in items[1]
    assert "mailto:" not in items[1]
    assert "last met by an executive on" in items[2]
    assert f'href="mailto:{omar.email}?subject=Could%20we%20set%20up%20a%20meeting%20with%20Fabrikam' in items[2]
    assert f"mailto:{omar.email}?subject=Could%20we%20set%20up%20a%20meeting%20with%20Fabrikam" in text
    assert "Initech Supply" not in html
    assert "Globex Shipping" not in html
    assert "Umbrella Retail" not in html


@pytest.mark.django_db
def test_accounts_are_suggested_from_all_when_none_needs_the_executives_talents():
    executive = ExecutiveFactory()
    executive.talents.add(SkillFactory(name="Pricing"))
    seen = AccountFactory(name="Seen Lately")
    unseen = AccountFactory(name="Never Seen")
    AccountFactory(name="Gone Elsewhere", status=Account.Status.CHURNED)
    met(seen, 20)

    suggestions = account_suggestions_for_executive(executive=executive)

    assert [account.name for account in suggestions] == [unseen.name, seen.name]


@pytest.mark.django_db
def test_account_suggestions_take_the_same_queries_for_5_accounts_and_30():
    executive = ExecutiveFactory()
    skill = SkillFactory()
    executive.talents.add(skill)

    def grow(accounts: int) -> None:
        for n in range(accounts):
            account = AccountFactory(account_manager=UserFactory(roles=[Role.ACCOUNT_MANAGER]))
            account.needs.add(skill)
            if n % 2:
                met(account, 10 + n)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            suggestions = account_suggestions_for_executive(executive=executive)
            [suggestion.account_manager.email for suggestion in suggestions]
        assert len(suggestions) == 3
        return len(captured.captured_queries)

    grow(5)
    with_5 = queries()
    grow(25)
    with_30 = queries()

    assert with_5 == with_30 == 1


# --- Escalations ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_escalation_email_asks_the_manager_to_help_and_names_the_executive():
    manager = executive_last_seen(3, user__full_name="Morgan Lee")
    executive = executive_last_seen(60, user__full_name="Dana Whitfield", title="VP Operations", manager=manager)
    overdue_reminder_sent(executive=executive, at=NOW - dt.timedelta(days=15))
    scan(NOW)

    message = send(Reminder.objects.get(recipient=manager.user, kind=Reminder.Kind.ESCALATION))
    html = html_of(message)

    assert message.to == [manager.user.email]
    assert "Dana Whitfield" in message.subject
    for part in (message.body, html):
        assert "Dana Whitfield is 18 days past the contact window" in part
        assert "please help Dana get back in touch with a customer this week" in part
    assert "<h1>Dana Whitfield is overdue for customer contact</h1>" in html
    assert f'<a href="mailto:{executive.user.email}">write to Dana</a>' in html
    assert "executives page" not in html


@pytest.mark.django_db
def test_escalation_without_a_manager_sends_program_admins_to_the_executives_page():
    admin = UserFactory(full_name="Alex Admin", roles=[Role.PROGRAM_ADMIN])
    dana = executive_last_seen(70, user__full_name="Dana Whitfield")
    overdue_reminder_sent(executive=dana, at=NOW - dt.timedelta(days=25))
    scan(NOW)

    message = send(Reminder.objects.get(recipient=admin, kind=Reminder.Kind.ESCALATION))
    html = html_of(message)

    assert "Dana Whitfield is 28 days past the contact window" in message.body
    assert f'<a href="{SITE}/program/">See where every executive stands</a>' in html
    assert f"{SITE}/program/" in message.body


# --- The weekly digest -------------------------------------------------------------------


def digest_person(days_ago: int = 38, **kwargs: object) -> Executive:
    """An executive in New York who chose the weekly digest, due soon on WEDNESDAY."""
    return executive_last_seen(
        days_ago,
        now=WEDNESDAY,
        user__full_name="Dana Whitfield",
        user__time_zone="America/New_York",
        user__reminder_digest=True,
        **kwargs,
    )


def request_waiting_for(executive: Executive) -> Engagement:
    """A request to ``executive`` that has waited since Friday 6 June for their answer."""
    return EngagementFactory(
        account=AccountFactory(name="Northwind Traders"),
        status=Engagement.Status.REQUESTED,
        status_changed_at=dt.datetime(2025, 6, 6, 15, 0, tzinfo=dt.UTC),
        starts_at=dt.datetime(2025, 7, 1, 15, 0, tzinfo=dt.UTC),
        requested_by=UserFactory(full_name="Sam Ortiz", roles=[Role.ACCOUNT_MANAGER]),
        executives=[executive],
    )


@pytest.mark.django_db
def test_a_digest_users_reminders_go_out_together_on_monday_morning_and_escalations_at_once():
    dana = digest_person()
    report = executive_last_seen(60, now=WEDNESDAY, user__full_name="Rowan Park", manager=dana)
    overdue_reminder_sent(executive=report, at=WEDNESDAY - dt.timedelta(days=15))
    request = request_waiting_for(dana)
    scan(WEDNESDAY)
    scan(WEDNESDAY + dt.timedelta(days=2))

    # The escalation about her report does not wait for Monday.
    escalation = Reminder.objects.get(recipient=dana.user, kind=Reminder.Kind.ESCALATION)
    assert escalation.channel == Reminder.Channel.EMAIL
    assert escalation.pk in reminders_ready(now=WEDNESDAY)
    assert "Rowan Park" in send(escalation, now=WEDNESDAY).subject
    # Her own reminders wait for Monday 09:00 in New York, and not a minute less.
    just_before = MONDAY_9AM - dt.timedelta(minutes=1)
    assert dana.user_id not in reminders_digest_ready(now=just_before)
    assert reminder_digest_deliver(recipient_id=dana.user_id, now=just_before) == 0
    assert len(mail.outbox) == 1

    scan(MONDAY_9AM)  # by now she is overdue: the due-soon reminder is no longer true
    assert dana.user_id in reminders_digest_ready(now=MONDAY_9AM)
    sent = reminder_digest_deliver(recipient_id=dana.user_id, now=MONDAY_9AM)

    assert sent == 2
    [digest] = [message for message in mail.outbox[1:] if message.to == [dana.user.email]]
    html = html_of(digest)
    assert digest.subject == "[Groundwork] Your reminders for the week: 2"
    for part in (digest.body, html):
        assert "1 day past the window" in part
        assert "Sam Ortiz has waited since 6 Jun 2025" in part
        assert "window closes on" not in part
        assert "Rowan Park" not in part
    assert "<h1>Your reminders for the week of 16 June 2025</h1>" in html
    request_url = f"/engagements/{request.pk}/"
    assert f'<a href="{SITE}{request_url}">Answer the request</a>' in html
    assert f'<a href="{SITE}/engagements/log/">Log a contact</a>' in html
    assert f"{SITE}{request_url}" in digest.body
    mine = Reminder.objects.filter(recipient=dana.user, channel=Reminder.Channel.DIGEST)
    assert sorted(mine.values_list("kind", "status")) == [
        (Reminder.Kind.DUE_SOON, Reminder.Status.WITHDRAWN),
        (Reminder.Kind.OVERDUE, Reminder.Status.SENT),
        (Reminder.Kind.REQUEST_WAITING, Reminder.Status.SENT),
    ]
    withdrawn = mine.get(kind=Reminder.Kind.DUE_SOON)
    assert (withdrawn.withdrawn_reason, withdrawn.withdrawn_at) == ("Dana Whitfield is overdue now.", MONDAY_9AM)
    assert set(mine.filter(status=Reminder.Status.SENT).values_list("sent_at", flat=True)) == {MONDAY_9AM}
    notes = Notification.objects.filter(user=dana.user, created_at=MONDAY_9AM)
    assert sorted(moments_in_zone(note.message, "America/New_York") for note in notes) == [
        "Overdue: 1 day past the window (last contact 4 May 2025).",
        "Request waiting for an answer: Sam Ortiz has waited since 6 Jun 2025 for your answer about meeting "
        "Northwind Traders.",
    ]
    # Sent is sent: a second sender finds nothing to send.
    assert reminder_digest_deliver(recipient_id=dana.user_id, now=MONDAY_9AM + dt.timedelta(minutes=1)) == 0
    assert dana.user_id not in reminders_digest_ready(now=MONDAY_9AM + dt.timedelta(hours=1))
    assert report.user_id not in reminders_digest_ready(now=MONDAY_9AM)


@pytest.mark.django_db
def test_a_digest_lists_the_notifications_kept_for_it_after_the_reminders_in_one_email():
    dana = digest_person(36)  # still due soon on Monday
    request = request_waiting_for(dana)
    scan(WEDNESDAY)
    cancelled = Notification.objects.create(
        user=dana.user,
        message="Cancelled: Executive briefing with Northwind Traders. Their reorganisation",
        url=f"/engagements/{request.pk}/",
        created_at=WEDNESDAY + dt.timedelta(days=1),
    )
    DigestItem.objects.create(
        notification=cancelled, recipient=dana.user, kind=NotificationKind.CANCELLED, due_at=MONDAY_9AM
    )

    assert reminder_digest_deliver(recipient_id=dana.user_id, now=MONDAY_9AM) == 3

    [digest] = mail.outbox
    html = html_of(digest)
    assert digest.subject == "[Groundwork] Your digest for the week: 3"
    assert "<h1>Your digest for the week of 16 June 2025</h1>" in html
    assert "2 reminders have gathered since the last digest" in html
    assert "Your reminders for the week of 16 June 2025: 2 have gathered since the last digest." in digest.body
    for part in (digest.body, html):
        assert "(Thu 12 Jun, 14:00): Cancelled: Executive briefing with Northwind Traders." in part
        assert part.count("Northwind Traders. Their reorganisation") == 1
    assert f'<a href="{SITE}/engagements/{request.pk}/">Open the engagement</a>' in html
    assert DigestItem.objects.get().status == DigestItem.Status.SENT
    # The notification was in the app already: the digest adds no second one.
    assert Notification.objects.filter(user=dana.user, message__startswith="Cancelled").count() == 1
    assert reminder_digest_deliver(recipient_id=dana.user_id, now=MONDAY_9AM + dt.timedelta(minutes=1)) == 0


@pytest.mark.django_db
def test_a_digest_mail_failure_leaves_the_reminders_pending_with_the_error(monkeypatch):
    dana = digest_person(36)  # still due soon on the Tuesday after
    request_waiting_for(dana)
    scan(WEDNESDAY)
    tuesday = "2025-06-17"

    def refuse(message: EmailMultiAlternatives, fail_silently: bool = False) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    # Called directly, the task notes the failure, then raises to be retried.
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_digest(dana.user_id, tuesday)

    mine = Reminder.objects.filter(recipient=dana.user)
    assert sorted(mine.values_list("kind", "status", "attempts", "last_error")) == [
        (Reminder.Kind.DUE_SOON, Reminder.Status.PENDING, 1, "SMTPServerDisconnected: Connection unexpectedly closed"),
        (
            Reminder.Kind.REQUEST_WAITING,
            Reminder.Status.PENDING,
            1,
            "SMTPServerDisconnected: Connection unexpectedly closed",
        ),
    ]
    assert not Notification.objects.filter(user=dana.user).exists()
    assert dana.user_id in reminders_digest_ready()

    # The retries fail too: after the last, they are failed for admins to see.
    send_digest.apply(args=[dana.user_id, tuesday])

    assert set(mine.values_list("status", "attempts")) == {(Reminder.Status.FAILED, 7)}
    assert not Notification.objects.filter(user=dana.user).exists()
    assert mail.outbox == []


# --- Choosing single emails or the digest ------------------------------------------------


@pytest.mark.django_db
def test_the_settings_page_shows_the_choice_and_a_get_changes_nothing(client):
    user = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    client.force_login(user)

    html = client.get(SETTINGS_URL).content.decode()
    notifications = client.get(reverse("engagement:notifications")).content.decode()

    assert f'href="{SETTINGS_URL}"' in notifications
    assert "An email for each reminder" in html
    assert "One email a week (Monday morning); escalations still come at once" in html
    assert re.search(r'<input[^>]*value="single"[^>]*checked', html)
    assert not re.search(r'<input[^>]*value="weekly"[^>]*checked', html)
    for control in re.findall(r'<input[^>]*type="radio"[^>]*>', html):
        control_id = re.search(r'id="([^"]+)"', control).group(1)
        assert f'for="{control_id}"' in html
    user.refresh_from_db()
    assert user.reminder_digest is False


@pytest.mark.django_db
def test_choosing_the_weekly_digest_is_saved_and_choosing_single_emails_sends_what_waited(client):
    dana = digest_person()
    scan(WEDNESDAY)
    dana.user.reminder_digest = False
    dana.user.save(update_fields=["reminder_digest"])
    client.force_login(dana.user)

    response = client.post(SETTINGS_URL, {"delivery": "weekly", **AT_ONCE}, follow=True)

    assert response.redirect_chain == [(SETTINGS_URL, 302)]
    assert "your reminders now come in one email on Monday mornings" in response.content.decode()
    assert User.objects.get(pk=dana.user_id).reminder_digest is True
    assert re.search(r'<input[^>]*value="weekly"[^>]*checked', response.content.decode())

    client.post(SETTINGS_URL, {"delivery": "single", **AT_ONCE})

    assert User.objects.get(pk=dana.user_id).reminder_digest is False
    waiting = Reminder.objects.get(recipient=dana.user, kind=Reminder.Kind.DUE_SOON)
    assert (waiting.channel, waiting.status) == (Reminder.Channel.EMAIL, Reminder.Status.PENDING)


@pytest.mark.django_db
def test_turning_the_digest_off_sends_what_waited_in_the_next_working_hours_not_on_monday():
    dana = digest_person()
    scan(WEDNESDAY)
    thursday_evening = WEDNESDAY + dt.timedelta(days=1, hours=6)
    friday_9am = dt.datetime(2025, 6, 13, 9, 0, tzinfo=NEW_YORK)

    user_reminder_digest_set(user=dana.user, digest=False, now=thursday_evening)

    waiting = Reminder.objects.get(recipient=dana.user, kind=Reminder.Kind.DUE_SOON)
    assert (waiting.channel, waiting.due_at) == (Reminder.Channel.EMAIL, friday_9am)
    assert waiting.pk in reminders_ready(now=friday_9am)
    assert dana.user_id not in reminders_digest_ready(now=MONDAY_9AM)


@pytest.mark.django_db
def test_a_choice_that_is_not_offered_is_refused(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(SETTINGS_URL, {"delivery": "daily", **AT_ONCE})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    user.refresh_from_db()
    assert user.reminder_digest is False
