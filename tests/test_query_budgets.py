"""Each page costs a fixed number of queries, however much data there is.

A page is measured with 5 executives and their engagements, then again with
200: the count must not move, and must equal the budget written here, so that
a change to it shows up in review. django-zeal is on for the whole suite
(conftest.py); the last test proves that it is.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from zeal import NPlusOneError

from engagement.models import Account, Executive, ExecutiveContact, Level, Program, User
from engagement.roles import Role
from engagement.services import invitation_token, notification_send, notifications_mark_read
from engagement.tests.factories import AccountFactory, ContactFactory, ExecutiveFactory, ProgramFactory, UserFactory
from visits.models import Engagement, EngagementExecutive, EngagementType
from visits.services import calendar_feed_token, engagement_approve, engagement_contacts_sync
from visits.tests.factories import EngagementFactory, EngagementTypeFactory

# Queries per page, sign-in included (session, user, roles). Change a number
# only with the change that moves it.
BUDGETS = {
    "engagement:executive_home": 10,
    "engagement:account_manager_home": 6,
    "engagement:program_home": 10,
    "engagement:invite": 6,
    "engagement:notifications": 6,
    "engagement:notification_settings": 4,
    "engagement:invitation_accept": 1,
    "visits:log_contact": 6,
    "visits:my_engagements": 8,
    "visits:account_choices": 6,
    "visits:contact_choices": 5,
    "visits:colleague_choices": 6,
    "visits:engagement_invite": 6,
    "visits:calendar_feed": 5,
    "visits:calendar_feed_ics": 4,
    "visits:engagement_request": 9,
    "visits:request_executives": 8,
    "visits:engagement_detail": 15,
    "visits:engagement_schedule": 17,
    "visits:engagement_cancel": 6,
    "visits:account_engagements": 14,
}
# Who looks at each page (None: a visitor who is not signed in).
VIEWERS: dict[str, Role | None] = {
    "engagement:executive_home": Role.EXECUTIVE,
    "engagement:account_manager_home": Role.ACCOUNT_MANAGER,
    "engagement:program_home": Role.PROGRAM_ADMIN,
    "engagement:invite": Role.PROGRAM_ADMIN,
    "engagement:notifications": Role.EXECUTIVE,
    "engagement:notification_settings": Role.EXECUTIVE,
    "engagement:invitation_accept": None,
    "visits:log_contact": Role.EXECUTIVE,
    "visits:my_engagements": Role.EXECUTIVE,
    "visits:account_choices": Role.EXECUTIVE,
    "visits:contact_choices": Role.EXECUTIVE,
    "visits:colleague_choices": Role.EXECUTIVE,
    "visits:engagement_invite": Role.EXECUTIVE,
    "visits:calendar_feed": Role.EXECUTIVE,
    "visits:engagement_request": Role.ACCOUNT_MANAGER,
    "visits:request_executives": Role.ACCOUNT_MANAGER,
    "visits:engagement_detail": Role.ACCOUNT_MANAGER,
    "visits:engagement_schedule": Role.ACCOUNT_MANAGER,
    "visits:engagement_cancel": Role.ACCOUNT_MANAGER,
    "visits:account_engagements": Role.ACCOUNT_MANAGER,
    # A calendar application, which does not sign in.
    "visits:calendar_feed_ics": None,
}
# The project's URLs that are not pages with data of their own.
NOT_BUDGETED = {
    "home": "sends each person to the home of their role",
    "engagement:notifications_read": "POST only: marks notifications read and redirects",
    "visits:engagement_decide": "POST only: decides, then back to the engagement (measured there)",
    "visits:engagement_answer": "POST only: answers, then back to the engagement (measured there)",
    "visits:engagement_outcome": "POST only: records it, then back to the engagement (measured there)",
    "healthz": "asks the database for SELECT 1, and the broker",
}
ENGAGEMENTS_EACH = 3


@dataclass
class ProgramData:
    """The data a page is measured on: the people who look at the pages, and
    executives who each met an account of the account manager's."""

    program: Program
    kind: EngagementType
    executive: Executive  # the one whose home page is measured
    account_manager: User
    program_admin: User

    def viewer(self, role: Role | None) -> User | None:
        if role is None:
            return None
        return {
            Role.EXECUTIVE: self.executive.user,
            Role.ACCOUNT_MANAGER: self.account_manager,
            Role.PROGRAM_ADMIN: self.program_admin,
        }[role]


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def start_program() -> ProgramData:
    program = ProgramFactory()
    executive = ExecutiveFactory()
    executive.programs.add(program)
    data = ProgramData(
        program=program,
        kind=EngagementTypeFactory(),
        executive=executive,
        account_manager=UserFactory(roles=[Role.ACCOUNT_MANAGER]),
        program_admin=UserFactory(roles=[Role.PROGRAM_ADMIN]),
    )
    for days in range(ENGAGEMENTS_EACH):
        EngagementFactory(executives=[executive], type=data.kind, starts_at=days_ago(3 + days * 10))
    return data


def grow_with_factories(data: ProgramData, executives: int) -> None:
    """Add ``executives`` executives, each with an account of the account
    manager's and a few engagements there, the way the app records them."""
    for _ in range(executives):
        executive = ExecutiveFactory()
        executive.programs.add(data.program)
        account = AccountFactory(account_manager=data.account_manager)
        for days in range(ENGAGEMENTS_EACH):
            EngagementFactory(
                executives=[executive], account=account, type=data.kind, starts_at=days_ago(5 + days * 20)
            )


_bulk_batches = itertools.count()


def grow_in_bulk(data: ProgramData, executives: int) -> None:
    """As ``grow_with_factories``, with a few bulk inserts; the contacts are
    still recorded by the service that records them in the app."""
    batch = next(_bulk_batches)
    users = User.objects.bulk_create(
        User(email=f"bulk{batch}-{n}@groundwork.example", full_name=f"Bulk Executive {batch}-{n}", password="!")
        for n in range(executives)
    )
    executive_group = Group.objects.get(name=Role.EXECUTIVE.value)
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=user.pk, group_id=executive_group.pk) for user in users
    )
    new = Executive.objects.bulk_create(
        Executive(user=user, title="VP", joined_on=timezone.localdate() - dt.timedelta(days=400)) for user in users
    )
    Executive.programs.through.objects.bulk_create(
        Executive.programs.through(executive_id=executive.pk, program_id=data.program.pk) for executive in new
    )
    accounts = Account.objects.bulk_create(
        Account(name=f"Bulk Account {batch}-{n}", account_manager=data.account_manager) for n in range(executives)
    )
    engagements = Engagement.objects.bulk_create(
        Engagement(
            account=account,
            type=data.kind,
            status=Engagement.Status.COMPLETED,
            starts_at=days_ago(5 + days * 20),
            duration_minutes=60,
        )
        for account in accounts
        for days in range(ENGAGEMENTS_EACH)
    )
    attendances = [
        EngagementExecutive(engagement=engagement, executive=new[index // ENGAGEMENTS_EACH])
        for index, engagement in enumerate(engagements)
    ]
    # The executive whose home is measured keeps meeting customers too.
    attendances += [EngagementExecutive(engagement=engagement, executive=data.executive) for engagement in engagements]
    EngagementExecutive.objects.bulk_create(attendances)
    engagement_contacts_sync(engagement_ids=[engagement.pk for engagement in engagements])


def url_of(page: str, data: ProgramData) -> str:
    if page == "engagement:invitation_accept":
        invited = UserFactory()
        invited.set_unusable_password()
        invited.save(update_fields=["password"])
        return reverse(page, kwargs={"token": invitation_token(user=invited)})
    if page in {"visits:account_choices", "visits:contact_choices"}:
        # A search that matches accounts as the data grows, one already chosen.
        chosen = Account.objects.filter(account_manager=data.account_manager).order_by("pk").first()
        return f"{reverse(page)}?account_query=account&account={chosen.pk}"
    if page == "visits:colleague_choices":
        # A search that finds more colleagues as the data grows, one already chosen.
        chosen = Executive.objects.exclude(user=data.viewer(Role.EXECUTIVE)).order_by("pk").first()
        return f"{reverse(page)}?colleague_query=executive&colleagues={chosen.pk}"
    if page == "engagement:notifications":
        # A list with something in it: read and unread, with a link and without.
        viewer = data.viewer(Role.EXECUTIVE)
        for n in range(3):
            notification_send(users=[viewer], message=f"Request {n} for your time", url=reverse("home"))
        notification_send(users=[viewer], message="Your contact is due soon")
        notifications_mark_read(user=viewer, notification_ids=[viewer.notifications.order_by("pk")[0].pk])
    if page == "visits:engagement_invite":
        # Next week's visit, with a colleague and the account manager along.
        colleague = Executive.objects.exclude(pk=data.executive.pk).order_by("pk").first()
        engagement = EngagementFactory(
            executives=[data.executive, colleague], status=Engagement.Status.SCHEDULED, starts_at=days_ago(-7)
        )
        engagement.staff.add(data.account_manager)
        return reverse(page, kwargs={"pk": engagement.pk})
    if page == "visits:calendar_feed":
        calendar_feed_token(user=data.executive.user)  # the page with the address on it
    if page == "visits:calendar_feed_ics":
        # The measured executive's feed, which grows with the bulk engagements.
        return reverse(page, kwargs={"token": calendar_feed_token(user=data.executive.user).token})
    first_account = Account.objects.filter(account_manager=data.account_manager).order_by("pk").first()
    if page == "visits:engagement_request":
        # The form for an account, suggestions ranked among all the executives.
        return f"{reverse(page)}?account={first_account.pk}"
    if page == "visits:request_executives":
        contact = ContactFactory(account=first_account, level=Level.DIRECTOR)
        return f"{reverse(page)}?account={first_account.pk}&working_contact={contact.pk}&executive_query=executive"
    if page in {"visits:engagement_detail", "visits:engagement_schedule", "visits:engagement_cancel"}:
        # A meeting at the account manager's first account, with its history,
        # people and brief; the data grows around it.
        colleague = Executive.objects.exclude(pk=data.executive.pk).order_by("pk").first()
        engagement = EngagementFactory(
            account=first_account,
            executives=[data.executive, colleague],
            status=Engagement.Status.REQUESTED,
            starts_at=days_ago(-7),
            requested_by=data.account_manager,
        )
        engagement.contacts.add(ContactFactory(account=first_account), ContactFactory(account=first_account))
        engagement.staff.add(data.account_manager)
        engagement_approve(engagement=engagement, by=data.executive.user, note="Glad to")
        return reverse(page, kwargs={"pk": engagement.pk})
    if page == "visits:account_engagements":
        return reverse(page, kwargs={"pk": first_account.pk})
    return reverse(page)


def queries_of(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.django_db
@pytest.mark.parametrize("page", list(BUDGETS))
def test_page_takes_its_budget_of_queries_with_5_executives_and_with_200(client, page):
    data = start_program()
    grow_with_factories(data, executives=4)
    viewer = data.viewer(VIEWERS[page])
    if viewer is not None:
        client.force_login(viewer)
    url = url_of(page, data)
    client.get(url)  # what a first visit loads once is not the page's cost

    with_5 = queries_of(client, url)
    grow_in_bulk(data, executives=195)
    with_200 = queries_of(client, url)

    assert Executive.objects.count() == 200
    # Each executive's own engagements, and the measured executive at each
    # of the bulk ones besides.
    assert ExecutiveContact.objects.count() == (200 + 195) * ENGAGEMENTS_EACH
    assert len(with_200) == len(with_5), "\n".join(["With 5:", *with_5, "With 200:", *with_200])
    assert len(with_5) == BUDGETS[page], "\n".join(with_5)


def project_url_names() -> set[str]:
    """The names of the project's own URLs: not allauth's, not the admin's."""
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                module = getattr(pattern.urlconf_module, "__name__", "")
                if pattern.namespace != "admin" and not module.startswith("allauth"):
                    walk(pattern.url_patterns, pattern.namespace or namespace)
            else:
                names.add(f"{namespace}:{pattern.name}" if namespace else str(pattern.name))

    walk(get_resolver().url_patterns, "")
    return names


def test_every_page_of_the_project_has_a_budget():
    assert project_url_names() - NOT_BUDGETED.keys() == set(BUDGETS)


@pytest.mark.django_db
def test_an_n_plus_one_query_fails_the_test():
    for _ in range(3):
        ExecutiveFactory()

    with pytest.raises(NPlusOneError, match=r"engagement\.Executive\.user"):
        [executive.user.email for executive in Executive.objects.all()]
