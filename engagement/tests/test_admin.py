"""The Django admin: program admins manage the program there, signing in through allauth."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from engagement.cadence.models import ExecutiveContact
from engagement.delivery.models import OutgoingEmail, UnsentTask
from engagement.imports.models import ImportJob
from engagement.notifications.models import DigestItem, NotificationKind
from engagement.notifications.services import notification_send
from engagement.people.models import Executive, Invitation, User
from engagement.people.roles import Role
from engagement.reminders.models import Reminder
from engagement.reminders.scan import Due, reminders_record
from engagement.tests.factories import (
    PASSWORD,
    AccountFactory,
    ContactFactory,
    ExecutiveFactory,
    FunctionFactory,
    ProgramFactory,
    SkillFactory,
    UserFactory,
    api_key,
    contact_record,
)


class _FormFields(HTMLParser):
    """The name/value pairs a browser would submit from the page's main form."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attributes:
                return
            self.fields.append((name, attributes.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.fields.append((self._select, attributes.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)


def admin_form_data(html: str, **changes: str | list[str]) -> dict[str, str | list[str]]:
    """What the admin change form in ``html`` submits, with ``changes`` applied."""
    parser = _FormFields()
    parser.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value)
    result: dict[str, str | list[str]] = {
        name: values if len(values) > 1 else values[0] for name, values in data.items()
    }
    result.pop("csrfmiddlewaretoken", None)
    for name, value in changes.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


@pytest.fixture
def program_admin_client(client):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))
    return client


def models_of(app_label: str) -> list[type]:
    return list(apps.get_app_config(app_label).get_models())


def changelist_url(model: type) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_every_engagement_model_is_in_the_admin():
    missing = [model.__name__ for model in models_of("engagement") if model not in admin.site._registry]

    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("model", models_of("engagement"), ids=lambda model: model.__name__)
def test_program_admin_opens_and_searches_each_engagement_changelist(program_admin_client, model):
    executive = ExecutiveFactory(function=FunctionFactory(), manager=ExecutiveFactory())
    executive.talents.add(SkillFactory())
    executive.programs.add(ProgramFactory())
    contact = ContactFactory(account=AccountFactory(account_manager=UserFactory()))
    contact_record(executive=executive, account=contact.account, occurred_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    notification_send(users=[executive.user], message="Your contact is due soon", url="/")
    DigestItem.objects.create(
        notification=executive.user.notifications.get(),
        recipient=executive.user,
        kind=NotificationKind.CANCELLED,
        due_at=timezone.now(),
        last_error="x",
    )
    reminders_record(dues=[Due(executive.user.pk, "due_soon", "executive:1:2025-06-01", "Window closes soon")])
    ImportJob.objects.create(kind=ImportJob.Kind.ACCOUNTS, filename="accounts.csv", data=b"Name\r\nAcme\r\n")
    api_key(executive.user)
    Invitation.objects.create(user=executive.user, last_error="The mail server could not be reached.")
    OutgoingEmail.objects.create(to=[executive.user.email], subject="[Groundwork] Password reset", body="x")
    UnsentTask.objects.create(name="feedback.tasks.send_survey", args=[1], error="OperationalError: x")

    listing = program_admin_client.get(changelist_url(model))
    search = program_admin_client.get(changelist_url(model), {"q": "x"})

    assert listing.status_code == 200
    assert search.status_code == 200
    assert listing.context["cl"].result_count >= 1


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/", "/admin/engagement/executive/"])
def test_anonymous_visitor_of_the_admin_signs_in_through_allauth(client, url):
    response = client.get(url, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert "Sign in to Groundwork" in response.content.decode()


@pytest.mark.django_db
def test_admin_login_page_hands_over_to_allauth(client):
    response = client.get(reverse("admin:login"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.django_db
def test_program_admin_signing_in_from_the_admin_returns_to_it(client):
    admin_user = UserFactory(roles=[Role.PROGRAM_ADMIN])
    sign_in_url = client.get("/admin/", follow=True).redirect_chain[-1][0]

    response = client.post(sign_in_url, {"login": admin_user.email, "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == "/admin/"
    assert "Groundwork administration" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.EXECUTIVE])
def test_people_who_are_not_program_admins_cannot_open_the_admin(client, role):
    client.force_login(UserFactory(roles=[role]))

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


@pytest.mark.django_db
def test_program_admin_sees_the_admin_index(program_admin_client):
    response = program_admin_client.get("/admin/")

    assert response.status_code == 200
    assert "Groundwork administration" in response.content.decode()


@pytest.mark.django_db
def test_executive_contacts_are_read_only_in_the_admin(program_admin_client):
    executive = ExecutiveFactory()
    contact = contact_record(executive=executive, occurred_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))

    add = program_admin_client.get(reverse("admin:engagement_executivecontact_add"))
    delete = program_admin_client.post(
        reverse("admin:engagement_executivecontact_delete", args=[contact.pk]), {"post": "yes"}
    )

    assert add.status_code == 403
    assert delete.status_code == 403
    assert ExecutiveContact.objects.filter(pk=contact.pk).exists()


@pytest.mark.django_db
def test_changing_a_users_time_zone_in_the_admin_redates_their_contacts(program_admin_client):
    executive = ExecutiveFactory()
    # 03:00 UTC on 2 May is the evening of 1 May in Los Angeles.
    contact_record(executive=executive, occurred_at=dt.datetime(2025, 5, 2, 3, 0, tzinfo=dt.UTC))
    url = reverse("admin:engagement_user_change", args=[executive.user.pk])
    form = program_admin_client.get(url).content.decode()

    response = program_admin_client.post(url, admin_form_data(form, time_zone="America/Los_Angeles"))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    executive.refresh_from_db()
    assert User.objects.get(pk=executive.user.pk).time_zone == "America/Los_Angeles"
    assert executive.last_contact_on == dt.date(2025, 5, 1)
    assert Executive.objects.get(pk=executive.pk).contacts.get().contact_on == dt.date(2025, 5, 1)


@pytest.mark.django_db
def test_a_program_admin_sends_a_failed_reminder_again_from_the_log(program_admin_client):
    executive = ExecutiveFactory()
    reminders_record(
        dues=[
            Due(executive.user.pk, "overdue", "executive:1:2026-01-01:0", "Overdue"),
            Due(executive.user.pk, "due_soon", "executive:1:2026-01-01", "Due soon"),
        ]
    )
    failed, sent = Reminder.objects.order_by("kind")
    Reminder.objects.filter(pk=failed.pk).update(status=Reminder.Status.FAILED, last_error="SMTPException: down")
    Reminder.objects.filter(pk=sent.pk).update(status=Reminder.Status.SENT)

    response = program_admin_client.post(
        changelist_url(Reminder), {"action": "send_again", "_selected_action": [failed.pk, sent.pk]}, follow=True
    )

    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == (Reminder.Status.PENDING, 0)
    assert sent.status == Reminder.Status.SENT
    assert "1 reminder will go out at the next run. 1 had not failed and was left alone." in response.content.decode()


@pytest.mark.django_db
def test_a_user_made_or_readdressed_in_the_admin_has_their_address_recorded_for_sign_in(program_admin_client):
    add_url = reverse("admin:engagement_user_add")
    form = program_admin_client.get(add_url).content.decode()

    program_admin_client.post(
        add_url,
        admin_form_data(
            form, email="dana@groundwork.example", full_name="Dana Lee", password1=PASSWORD, password2=PASSWORD
        ),
    )
    user = User.objects.get(email="dana@groundwork.example")
    change_url = reverse("admin:engagement_user_change", args=[user.pk])
    changed = program_admin_client.post(
        change_url, admin_form_data(program_admin_client.get(change_url).content.decode(), email="dana@new.example")
    )

    assert changed.status_code == 302
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "primary", "verified")) == [
        ("dana@new.example", True, False)
    ]
