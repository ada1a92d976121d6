"""Putting a logged contact right: whoever logged it changes or deletes it
within 30 days (and undoes it from the message after logging), every change
audited, everyone on it recounted and colleagues told; and a logged contact
owes a debrief only when its author says they will add one."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from zeal import zeal_context

from engagement.cadence.models import ExecutiveContact
from engagement.cadence.selectors import executive_contact_status
from engagement.dates import local_date, local_today
from engagement.errors import ProgramError
from engagement.notifications.models import Notification
from engagement.people.roles import Role
from engagement.reminders.models import Reminder
from engagement.reminders.scan import ScanMoment
from engagement.tests.factories import AccountFactory, ContactFactory, ExecutiveFactory, UserFactory, api_key
from feedback.reminders import debrief_due_reminders
from feedback.selectors import account_debriefs_due, debriefs_to_write
from visits.models import Engagement, EngagementStatusChange
from visits.services import LoggedContact, engagement_log_contact
from visits.services import engagement_logged_delete as engagement_logged_delete_service
from visits.services import engagement_logged_update as engagement_logged_update_service
from visits.tests.factories import EngagementFactory, EngagementTypeFactory
from visits.tests.test_api import waiting_on_a_lock

ZONE = "America/Los_Angeles"


@pytest.fixture
def author():
    return ExecutiveFactory(user=UserFactory(full_name="Jordan Ellis", time_zone=ZONE, roles=[Role.EXECUTIVE]))


@pytest.fixture
def colleague():
    # In the author's zone: "days since" counts the same days for both, whatever the hour in UTC.
    return ExecutiveFactory(user=UserFactory(full_name="Riley Chen", time_zone=ZONE, roles=[Role.EXECUTIVE]))


@pytest.fixture
def visit_type():
    return EngagementTypeFactory(name="Site walk", slug="site-walk")


# Each call of a service as its own request would make it: django-zeal
# would take the same reads in two calls for an N+1.
def engagement_logged_update(**kwargs):
    with zeal_context():
        return engagement_logged_update_service(**kwargs)


def engagement_logged_delete(**kwargs):
    with zeal_context():
        return engagement_logged_delete_service(**kwargs)


def logged(author, visit_type, *, colleagues=(), days_ago=1, debrief_wanted=False, account=None, **kwargs):
    with zeal_context():
        return _logged(author, visit_type, colleagues, days_ago, debrief_wanted, account, **kwargs)


def _logged(author, visit_type, colleagues, days_ago, debrief_wanted, account, **kwargs):
    engagement, _ = engagement_log_contact(
        executive=author,
        account=account or AccountFactory(name="Northwind Traders"),
        engagement_type=visit_type,
        on=local_today(ZONE) - dt.timedelta(days=days_ago),
        duration_minutes=60,
        colleagues=colleagues,
        note="They want faster delivery",
        debrief_wanted=debrief_wanted,
        **kwargs,
    )
    return engagement


def fix_of(engagement: Engagement, **changes) -> LoggedContact:
    with zeal_context():
        return _fix_of(engagement, **changes)


def _fix_of(engagement: Engagement, **changes) -> LoggedContact:
    values = {
        "account": engagement.account,
        "engagement_type": engagement.type,
        "on": local_date(engagement.starts_at, ZONE),
        "duration_minutes": engagement.duration_minutes,
        "contacts": tuple(engagement.contacts.all()),
        "colleagues": (),
        "note": engagement.notes,
        "debrief_wanted": engagement.debrief_wanted,
    }
    values.update(changes)
    return LoggedContact(**values)


# --- Changing it ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_author_corrects_the_day_length_and_colleagues_and_everyone_on_it_is_recounted(
    author, colleague, visit_type
):
    newcomer = ExecutiveFactory(user=UserFactory(full_name="Sam Okafor", time_zone=ZONE, roles=[Role.EXECUTIVE]))
    engagement = logged(author, visit_type, colleagues=[colleague])
    assert executive_contact_status(executive=colleague).days_since == 1

    engagement, changed = engagement_logged_update(
        engagement=engagement,
        by=author.user,
        fix=fix_of(
            engagement,
            on=local_today(ZONE) - dt.timedelta(days=3),
            duration_minutes=120,
            colleagues=(newcomer,),
        ),
    )

    assert changed
    engagement.refresh_from_db()
    assert engagement.duration_minutes == 120
    assert set(engagement.executives.all()) == {author, newcomer}
    assert executive_contact_status(executive=author).days_since == 3
    assert executive_contact_status(executive=newcomer).days_since == 3
    assert executive_contact_status(executive=colleague).last_contact_on is None
    assert not ExecutiveContact.objects.filter(executive=colleague).exists()
    # The audit trail names who changed what, and who was on it before and after.
    entry = LogEntry.objects.filter(object_pk=str(engagement.pk), actor=author.user).latest("pk")
    assert entry.changes["duration_minutes"] == ["60", "120"]
    assert entry.changes["executives"] == ["Jordan Ellis, Riley Chen", "Jordan Ellis, Sam Okafor"]
    # The one taken off is told it no longer counts, with a page they can open.
    [off] = Notification.objects.filter(user=colleague.user, message__contains="took you off")
    assert off.url == reverse("visits:my_engagements")
    [on] = Notification.objects.filter(user=newcomer.user)
    assert "corrected the Site walk" in on.message
    assert on.url == reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})
    assert EngagementStatusChange.objects.filter(engagement=engagement, note="Corrected").count() == 1


@pytest.mark.django_db
def test_the_same_correction_sent_twice_changes_it_once(author, colleague, visit_type):
    engagement = logged(author, visit_type, colleagues=[colleague])
    fix = fix_of(engagement, duration_minutes=90, colleagues=(colleague,))

    engagement_logged_update(engagement=engagement, by=author.user, fix=fix)
    _, changed = engagement_logged_update(engagement=engagement, by=author.user, fix=fix)

    assert not changed
    assert ExecutiveContact.objects.filter(engagement_id=engagement.pk).count() == 2
    assert Notification.objects.filter(user=colleague.user, message__contains="corrected").count() == 1


@pytest.mark.django_db
def test_only_the_author_corrects_it_and_only_for_30_days(author, colleague, visit_type):
    engagement = logged(author, visit_type, colleagues=[colleague])

    with pytest.raises(ProgramError, match="Only whoever logged"):
        engagement_logged_update(engagement=engagement, by=colleague.user, fix=fix_of(engagement, duration_minutes=90))
    later = timezone.now() + dt.timedelta(days=31)
    with pytest.raises(ProgramError, match="more than 30 days ago"):
        engagement_logged_update(
            engagement=engagement, by=author.user, fix=fix_of(engagement, duration_minutes=90), now=later
        )
    requested = EngagementFactory(executives=[author], requested_by=author.user)
    with pytest.raises(ProgramError, match="Only a contact logged"):
        engagement_logged_update(engagement=requested, by=author.user, fix=fix_of(requested))
    engagement.refresh_from_db()
    assert engagement.duration_minutes == 60


@pytest.mark.django_db
def test_people_of_another_account_are_refused(author, visit_type):
    engagement = logged(author, visit_type)
    stranger = ContactFactory(account=AccountFactory())

    with pytest.raises(ProgramError, match="Choose people from the account"):
        engagement_logged_update(engagement=engagement, by=author.user, fix=fix_of(engagement, contacts=(stranger,)))


# --- Deleting it ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_deleting_it_recounts_everyone_withdraws_its_reminders_and_tells_colleagues(author, colleague, visit_type):
    engagement = logged(author, visit_type, colleagues=[colleague], debrief_wanted=True)
    pk = engagement.pk
    reminder = Reminder.objects.create(
        recipient=colleague.user,
        kind=Reminder.Kind.DEBRIEF_DUE,
        episode=f"engagement:{pk}:debrief",
        reason="Write it",
        due_at=timezone.now(),
    )
    credited = Notification.objects.get(user=colleague.user)

    deleted = engagement_logged_delete(engagement_pk=pk, by=author.user)

    assert deleted is not None
    assert not Engagement.objects.filter(pk=pk).exists()
    assert not ExecutiveContact.objects.filter(engagement_id=pk).exists()
    assert executive_contact_status(executive=author).last_contact_on is None
    assert executive_contact_status(executive=colleague).last_contact_on is None
    reminder.refresh_from_db()
    assert (reminder.status, reminder.withdrawn_reason) == (Reminder.Status.WITHDRAWN, "The engagement was deleted.")
    credited.refresh_from_db()
    assert credited.withdrawn_reason == "The engagement was deleted."
    [told] = Notification.objects.filter(user=colleague.user, message__contains="deleted")
    assert told.url == reverse("visits:my_engagements")
    assert not Notification.objects.filter(user=author.user).exists()
    entries = LogEntry.objects.filter(object_pk=str(pk))
    assert entries.filter(action=LogEntry.Action.DELETE).exists()
    assert entries.filter(actor=author.user, changes__executives=["Jordan Ellis, Riley Chen", "None"]).exists()


@pytest.mark.django_db
def test_a_second_delete_finds_it_gone_and_changes_nothing(author, colleague, visit_type):
    engagement = logged(author, visit_type, colleagues=[colleague])
    engagement_logged_delete(engagement_pk=engagement.pk, by=author.user)
    told = Notification.objects.count()

    assert engagement_logged_delete(engagement_pk=engagement.pk, by=author.user) is None
    assert Notification.objects.count() == told


@pytest.mark.django_db
def test_nobody_else_deletes_it_nor_the_author_after_30_days(author, colleague, visit_type):
    engagement = logged(author, visit_type, colleagues=[colleague])

    with pytest.raises(ProgramError, match="Only whoever logged"):
        engagement_logged_delete(engagement_pk=engagement.pk, by=colleague.user)
    with pytest.raises(ProgramError, match="more than 30 days ago"):
        engagement_logged_delete(
            engagement_pk=engagement.pk, by=author.user, now=timezone.now() + dt.timedelta(days=30, minutes=1)
        )
    assert Engagement.objects.filter(pk=engagement.pk).exists()


# --- Debriefs owed --------------------------------------------------------------------------


def debrief_dues(now):
    return list(debrief_due_reminders(ScanMoment(now=now)))


@pytest.mark.django_db
def test_a_logged_contact_owes_a_debrief_only_when_its_author_will_add_one(author, visit_type):
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    quiet = logged(author, visit_type, account=AccountFactory(account_manager=manager), days_ago=3)
    wanted = logged(
        author, visit_type, account=AccountFactory(account_manager=manager), days_ago=3, debrief_wanted=True
    )
    later = timezone.now() + dt.timedelta(days=3)

    assert [e.pk for e in debriefs_to_write(user=author.user)] == [wanted.pk]
    assert [e.pk for e in account_debriefs_due(user=manager)] == [wanted.pk]
    assert {due.episode for due in debrief_dues(later)} == {f"engagement:{wanted.pk}:debrief"}
    assert quiet.debrief_wanted is False


@pytest.mark.django_db
def test_a_requested_meeting_still_owes_its_debrief(author):
    held = EngagementFactory(executives=[author], starts_at=timezone.now() - dt.timedelta(days=3))

    assert held.debrief_wanted
    assert [e.pk for e in debriefs_to_write(user=author.user)] == [held.pk]


# --- The pages ------------------------------------------------------------------------------


def log_form(account, visit_type, **changes):
    data = {
        "account": account.pk,
        "type": visit_type.pk,
        "on": local_today(ZONE).isoformat(),
        "duration_minutes": 60,
        "note": "",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_the_logged_message_carries_an_undo_that_removes_it(client, author, visit_type):
    account = AccountFactory(name="Northwind Traders")
    client.force_login(author.user)

    home = client.post(reverse("visits:log_contact"), log_form(account, visit_type), follow=True)

    engagement = Engagement.objects.get()
    assert engagement.debrief_wanted is False
    undo = reverse("visits:logged_contact_delete", kwargs={"pk": engagement.pk}) + "?undo=1"
    page = home.content.decode()
    assert f'action="{undo}"' in page
    assert ">Undo</button>" in page

    after = client.post(undo, follow=True)

    assert after.redirect_chain[-1][0] == reverse("visits:log_contact")
    assert "Removed: the Site walk with Northwind Traders" in after.content.decode()
    assert not Engagement.objects.exists()
    deletion = LogEntry.objects.get(object_pk=str(engagement.pk), action=LogEntry.Action.DELETE)
    assert deletion.actor == author.user
    again = client.post(undo)
    assert again.status_code == 404


@pytest.mark.django_db
def test_ticking_ill_add_a_debrief_asks_for_one(client, author, visit_type):
    client.force_login(author.user)

    client.post(reverse("visits:log_contact"), log_form(AccountFactory(), visit_type, debrief_wanted="on"))

    assert Engagement.objects.get().debrief_wanted is True


@pytest.mark.django_db
def test_the_change_page_holds_the_contact_as_it_is_and_saves_a_correction(client, author, colleague, visit_type):
    account = AccountFactory(name="Northwind Traders")
    buyer = ContactFactory(account=account, name="Ana Buyer")
    engagement = logged(author, visit_type, colleagues=[colleague], account=account, contacts=[buyer])
    url = reverse("visits:logged_contact_edit", kwargs={"pk": engagement.pk})
    client.force_login(author.user)

    page = client.get(url)

    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["duration_minutes"] == 60
    assert page.context["chosen_colleagues"] == {colleague.pk}
    assert page.context["chosen_contacts"] == {str(buyer.pk)}
    assert "Save changes" in page.content.decode()

    data = log_form(account, visit_type, duration_minutes=90, contacts=[buyer.pk], colleagues=[colleague.pk])
    data["on"] = (local_today(ZONE) - dt.timedelta(days=1)).isoformat()
    del data["submission_key"]
    saved = client.post(url, data)

    assert saved.status_code == 302
    assert saved["Location"] == reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})
    engagement.refresh_from_db()
    assert engagement.duration_minutes == 90


@pytest.mark.django_db
def test_bad_input_on_the_change_page_is_shown_with_what_was_typed(client, author, visit_type):
    engagement = logged(author, visit_type)
    client.force_login(author.user)

    response = client.post(
        reverse("visits:logged_contact_edit", kwargs={"pk": engagement.pk}),
        {"account": engagement.account_id, "type": visit_type.pk, "on": "2999-01-01", "duration_minutes": 7,
         "note": "Kept"},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'value="Kept"' in response.content.decode()


@pytest.mark.django_db
def test_a_colleague_and_a_late_author_are_refused_with_a_message(client, author, colleague, visit_type):
    engagement = logged(author, visit_type, colleagues=[colleague])
    detail = reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})
    client.force_login(colleague.user)

    refused = client.get(reverse("visits:logged_contact_edit", kwargs={"pk": engagement.pk}), follow=True)

    assert refused.redirect_chain == [(detail, 302)]
    assert "Only whoever logged this contact can change or delete it." in refused.content.decode()
    assert f'href="/engagements/{engagement.pk}/change/"' not in client.get(detail).content.decode()

    Engagement.objects.filter(pk=engagement.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    client.force_login(author.user)
    late = client.post(reverse("visits:logged_contact_delete", kwargs={"pk": engagement.pk}), follow=True)

    assert late.redirect_chain == [(detail, 302)]
    assert "more than 30 days ago" in late.content.decode()
    assert Engagement.objects.filter(pk=engagement.pk).exists()


@pytest.mark.django_db
def test_the_delete_page_asks_first_then_deletes(client, author, visit_type):
    engagement = logged(author, visit_type)
    url = reverse("visits:logged_contact_delete", kwargs={"pk": engagement.pk})
    client.force_login(author.user)

    detail = client.get(reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})).content.decode()
    assert f'href="{url}"' in detail
    asked = client.get(url)
    assert asked.status_code == 200
    assert Engagement.objects.filter(pk=engagement.pk).exists()

    deleted = client.post(url)

    assert deleted["Location"] == reverse("visits:my_engagements")
    assert not Engagement.objects.filter(pk=engagement.pk).exists()


# --- The API --------------------------------------------------------------------------------


def api_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(user)}")
    return client


@pytest.mark.django_db
def test_the_api_corrects_and_deletes_a_contact_its_author_logged(author, colleague, visit_type):
    engagement = logged(author, visit_type, colleagues=[colleague])
    url = reverse("api:engagement-detail", kwargs={"pk": engagement.pk})

    changed = api_of(author.user).patch(url, {"duration_minutes": 120, "colleagues": []}, format="json")

    assert changed.status_code == 200, changed.content
    assert changed.json()["duration_minutes"] == 120
    assert [row["id"] for row in changed.json()["executives"]] == [author.pk]
    assert not ExecutiveContact.objects.filter(executive=colleague).exists()

    refused = api_of(colleague.user).delete(url)
    assert refused.status_code == 404  # no longer on it: not theirs to see

    deleted = api_of(author.user).delete(url)
    assert deleted.status_code == 204
    assert not Engagement.objects.filter(pk=engagement.pk).exists()
    assert api_of(author.user).delete(url).status_code == 404


@pytest.mark.django_db
def test_the_api_refuses_a_colleague_a_late_author_and_bad_values(author, colleague, visit_type):
    engagement = logged(author, visit_type, colleagues=[colleague])
    url = reverse("api:engagement-detail", kwargs={"pk": engagement.pk})

    assert api_of(colleague.user).patch(url, {"duration_minutes": 90}, format="json").status_code == 403
    bad = api_of(author.user).patch(url, {"duration_minutes": 7, "on": "someday"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"duration_minutes", "on"}
    future = api_of(author.user).patch(url, {"on": "2999-01-01"}, format="json")
    assert future.status_code == 400
    Engagement.objects.filter(pk=engagement.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    late = api_of(author.user).delete(url)
    assert late.status_code == 403
    assert "more than 30 days ago" in late.json()["detail"]


@pytest.mark.django_db
def test_the_api_logs_a_contact_owing_a_debrief_only_when_asked(author, visit_type):
    body = {"account": AccountFactory().pk, "type": visit_type.pk, "on": local_today(ZONE).isoformat(),
            "duration_minutes": 60}  # fmt: skip

    quiet = api_of(author.user).post(reverse("api:engagement-list"), body, format="json")
    wanted = api_of(author.user).post(reverse("api:engagement-list"), {**body, "debrief_wanted": True}, format="json")

    assert Engagement.objects.get(pk=quiet.json()["id"]).debrief_wanted is False
    assert Engagement.objects.get(pk=wanted.json()["id"]).debrief_wanted is True


@pytest.mark.django_db(transaction=True)
def test_two_deletes_at_the_same_moment_delete_it_once_and_tell_colleagues_once(author, colleague, visit_type):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database is one connection: the race runs on PostgreSQL in CI")
    engagement = logged(author, visit_type, colleagues=[colleague])
    first_deleted, first_may_commit = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def delete(name: str, *, hold: bool = False) -> None:
        try:
            with transaction.atomic():
                results[name] = engagement_logged_delete(engagement_pk=engagement.pk, by=author.user)
                if hold:
                    # Deleted, not yet committed: the other waits on its row.
                    first_deleted.set()
                    first_may_commit.wait(timeout=30)
        finally:
            connections.close_all()

    first = threading.Thread(target=delete, args=("first",), kwargs={"hold": True})
    second = threading.Thread(target=delete, args=("second",))
    first.start()
    assert first_deleted.wait(timeout=30)
    second.start()
    waiting_on_a_lock(timeout=30)
    first_may_commit.set()
    first.join(timeout=30)
    second.join(timeout=30)

    assert results["first"] is not None
    assert results["second"] is None
    assert not Engagement.objects.filter(pk=engagement.pk).exists()
    assert Notification.objects.filter(user=colleague.user, message__contains="deleted").count() == 1
    assert executive_contact_status(executive=colleague).last_contact_on is None
