from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import resolve, reverse

from engagement.demo import DEMO_ACCOUNT_MANAGER_EMAIL, DEMO_ADMIN_EMAIL, DEMO_EXECUTIVE_EMAIL, DEMO_PASSWORD
from engagement.models import Account, Executive, ExecutiveContact, Function, Notification, Skill, User
from engagement.roles import Role
from engagement.selectors import ContactState, executive_contact_statuses
from visits.models import Engagement, EngagementStatusChange
from visits.selectors import engagement_list, request_waiting_cutoff

TODAY = "2026-03-02"
# Noon in New York on the demo's today, a Monday, when the demo logins sign in.
NOW = dt.datetime(2026, 3, 2, 17, tzinfo=dt.UTC)


def seed(**options: object) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def fingerprint() -> str:
    people = sorted(User.objects.values_list("email", "full_name", "time_zone"))
    accounts = sorted(Account.objects.values_list("name", "crm_id", "tier"))
    engagements = sorted(
        Engagement.objects.values_list(
            "account__crm_id", "starts_at", "status", "type__slug", "duration_minutes", "status_changed_at",
            "created_at", "working_contact__name", "brief",
        )
    )  # fmt: skip
    history = sorted(
        EngagementStatusChange.objects.values_list(
            "engagement__account__crm_id",
            "engagement__starts_at",
            "from_status",
            "to_status",
            "by__email",
            "at",
            "note",
        ),
        key=repr,
    )
    notifications = sorted(
        Notification.objects.values_list("user__email", "message", "created_at", "read_at"), key=repr
    )
    contacts = sorted(ExecutiveContact.objects.values_list("executive__user__email", "contact_on"))
    return hashlib.sha256(repr((people, accounts, engagements, history, notifications, contacts)).encode()).hexdigest()


def wipe() -> None:
    Engagement.objects.all().delete()
    ExecutiveContact.objects.all().delete()
    Account.objects.all().delete()
    Function.objects.all().delete()
    Executive.objects.all().delete()
    User.objects.all().delete()
    Skill.objects.all().delete()


@pytest.mark.django_db
def test_seed_demo_is_deterministic_for_a_seed_and_a_day():
    seed(scale=0.05, today=dt.date.fromisoformat(TODAY))
    first = fingerprint()
    wipe()
    seed(scale=0.05, today=dt.date.fromisoformat(TODAY))
    assert fingerprint() == first
    wipe()
    seed(scale=0.05, today=dt.date.fromisoformat(TODAY), seed=99)
    assert fingerprint() != first


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing_and_prints_the_logins():
    seed(scale=0.05)
    counts = (User.objects.count(), Account.objects.count(), Engagement.objects.count())
    output = seed(scale=0.05)
    assert "already loaded" in output
    assert DEMO_EXECUTIVE_EMAIL in output
    assert (User.objects.count(), Account.objects.count(), Engagement.objects.count()) == counts


@pytest.mark.django_db
def test_seed_demo_if_empty_leaves_a_database_with_people_alone():
    User.objects.create_user(email="someone@company.example", full_name="Some One")
    output = seed(scale=0.05, if_empty=True)
    assert "not loaded" in output
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_demo_logins_have_their_roles_and_a_believable_program():
    seed(scale=0.2)
    logins = User.objects.filter(
        email__in=[DEMO_ADMIN_EMAIL, DEMO_EXECUTIVE_EMAIL, DEMO_ACCOUNT_MANAGER_EMAIL]
    ).prefetch_related("groups")
    assert {user.email: {group.name for group in user.groups.all()} for user in logins} == {
        DEMO_ADMIN_EMAIL: {Role.PROGRAM_ADMIN.value},
        DEMO_EXECUTIVE_EMAIL: {Role.EXECUTIVE.value},
        DEMO_ACCOUNT_MANAGER_EMAIL: {Role.ACCOUNT_MANAGER.value},
    }
    assert all(user.check_password(DEMO_PASSWORD) for user in logins)
    assert User.objects.get(email=DEMO_ADMIN_EMAIL).is_staff

    statuses = executive_contact_statuses(executives=Executive.objects.all())
    states = [status.state for status in statuses.values()]
    drifting = sum(state in {ContactState.OVERDUE, ContactState.ESCALATED} for state in states)
    assert len(states) == 8
    assert 1 <= drifting <= len(states) // 2
    assert states.count(ContactState.ON_TRACK) >= len(states) // 3

    executive = Executive.objects.get(user__email=DEMO_EXECUTIVE_EMAIL)
    assert statuses[executive.pk].state == ContactState.ON_TRACK
    assert executive.contacts.count() > 20
    assert Account.objects.filter(account_manager__email=DEMO_ACCOUNT_MANAGER_EMAIL).count() == 25
    # Every level is there, and everyone but the chief executive has a manager.
    assert set(Executive.objects.values_list("level", flat=True)) >= {6, 3}
    assert Executive.objects.filter(manager__isnull=True).count() == 1
    # Every type of engagement, and held ones counted as contact.
    assert Engagement.objects.values("type").distinct().count() == 8
    held = Engagement.objects.filter(status=Engagement.Status.COMPLETED).count()
    assert ExecutiveContact.objects.values("engagement_id").distinct().count() == held


@pytest.mark.django_db
def test_demo_logins_each_find_something_waiting_for_them():
    seed(scale=0.05, today=dt.date.fromisoformat(TODAY))
    manager = User.objects.get(email=DEMO_ACCOUNT_MANAGER_EMAIL)
    jordan = User.objects.get(email=DEMO_EXECUTIVE_EMAIL)

    def unread_links(user: User) -> set[str]:
        return set(Notification.objects.filter(user=user, read_at__isnull=True).values_list("url", flat=True))

    def link(engagement: Engagement) -> str:
        return reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})

    # The executive leads a request that has waited over two working days, and was told of it.
    overdue = engagement_list(user=jordan, when="waiting", now=NOW).filter(
        status=Engagement.Status.REQUESTED, requested_by=manager, status_changed_at__lt=request_waiting_cutoff(now=NOW)
    )
    assert {link(engagement) for engagement in overdue} & unread_links(jordan)

    # The account manager has a question to answer, an approval to schedule,
    # and a meeting that ended on the last working day, waiting to be marked.
    waiting = {}
    for engagement in engagement_list(user=manager, when="waiting", now=NOW):
        waiting.setdefault(engagement.status, []).append(engagement)
    [question] = waiting[Engagement.Status.QUESTION]
    assert question.status_changes.get(to_status=Engagement.Status.QUESTION).by == jordan
    assert link(question) in unread_links(manager)
    assert {link(engagement) for engagement in waiting[Engagement.Status.APPROVED]} & unread_links(manager)
    [ended] = waiting[Engagement.Status.SCHEDULED]
    assert NOW - dt.timedelta(days=4) < ended.ends_at < NOW

    # Next week's meeting has its brief, a customer contact, the account
    # manager, and the whole exchange that led to it.
    [next_week] = Engagement.objects.filter(status=Engagement.Status.SCHEDULED, starts_at__gt=NOW).exclude(brief="")
    assert NOW + dt.timedelta(days=7) < next_week.starts_at < NOW + dt.timedelta(days=14)
    assert list(next_week.staff.all()) == [manager]
    assert next_week.contacts.exists()
    assert list(next_week.status_changes.values_list("to_status", flat=True)) == [
        "requested", "question", "requested", "approved", "scheduled",
    ]  # fmt: skip
    [declined] = Notification.objects.filter(user=manager, message__contains="declined")
    assert EngagementStatusChange.objects.get(
        engagement_id=resolve(declined.url).kwargs["pk"], to_status=Engagement.Status.DECLINED, by=jordan
    ).note

    # Every engagement has a history, dated when it reached its status.
    assert not Engagement.objects.filter(status_changes__isnull=True).exists()
    assert not EngagementStatusChange.objects.filter(at__gt=NOW).exists()
    assert not Engagement.objects.filter(status_changed_at__gt=NOW).exists()
