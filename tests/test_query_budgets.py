"""Each page costs a fixed number of queries, however much data there is.

A page is measured with 5 executives and their engagements (and the debriefs,
actions and survey answers that came of them), then again with 200: the count
must not move, and must equal the budget written here, so that a change to it
shows up in review. django-zeal is on for the whole suite (conftest.py); the
last test proves that it is.
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
from zeal import NPlusOneError, zeal_ignore

from config import moved as moved_urls
from engagement.accounts.models import Account, Contact
from engagement.api.tokens import api_token_create, api_token_revoke
from engagement.cadence.models import ExecutiveContact, Program
from engagement.imports.framework import Progress
from engagement.imports.models import ImportJob
from engagement.imports.services import import_job_create
from engagement.notifications.models import Notification
from engagement.notifications.services import notification_send, notifications_mark_read
from engagement.people.invitations import invitation_token
from engagement.people.models import Executive, Function, Invitation, Level, User
from engagement.people.roles import Role
from engagement.tests.factories import (
    AccountFactory,
    ContactFactory,
    ExecutiveFactory,
    ProgramFactory,
    UserFactory,
    overdue_reminder_sent,
)
from engagement.tests.import_helpers import csv_bytes
from feedback.models import ActionItem, Debrief, Sentiment, Survey, Theme
from feedback.services import (
    action_create,
    action_status_set,
    debrief_draft_save,
    debrief_submit,
    survey_answer,
    survey_token,
)
from mentoring.models import Pairing, PairingGoal
from mentoring.services import pairing_accept, pairing_pause, pairing_propose
from visits.models import CalendarConnection, CalendarMeeting, Engagement, EngagementExecutive, EngagementType
from visits.services import (
    calendar_feed_token,
    engagement_approve,
    engagement_contacts_sync,
    engagement_log_contact,
)
from visits.tests.factories import EngagementFactory, EngagementTypeFactory

# Queries per page, sign-in included (session, user, roles). Change a number
# only with the change that moves it. A URL name followed by words in brackets
# is the same page in another state: a tab, a search, a held engagement.
BUDGETS = {
    # With the months of contacts (one query) and where the executive stands
    # among all the others (four: the time zones in use, the counts, two medians),
    # and the accounts going quiet (two: the executive's program, the accounts);
    # and what needs them now, one query a kind, each listed or counted (seven:
    # requests to answer, meetings within 48 hours, debriefs to write, actions
    # late and due this week, sponsorships proposed, meetings from their
    # calendar to log); and their customer meetings coming up (one); and the
    # complaints routed to the functions they lead, counted beside them (one);
    # and how direct their contact is (two: the executive with their last
    # unfiltered contact, their twelve months' minutes by directness).
    "engagement:executive_home": 31,
    # With the names of the executives who met the page's accounts (one query),
    # and what needs them now, one query a kind (five: requests to schedule,
    # questions, debriefs waiting, late actions, accounts going quiet).
    "engagement:account_manager_home": 15,
    "engagement:program_home": 10,
    "engagement:executives": 10,
    "engagement:executives (filtered and sorted)": 10,
    # The heatmap's counts come in the coverage table's one query (no more).
    "engagement:coverage": 5,
    # With the executives who met the page's accounts (one query).
    "engagement:coverage_accounts": 7,
    "engagement:coverage_accounts (tier, never met)": 7,
    # A heatmap cell's accounts: the months filter narrows the same queries.
    "engagement:coverage_accounts (tier, months)": 7,
    # With the invitations, a page of them (their count, the rows with whom
    # they are for and who asked).
    "engagement:invite": 8,
    "engagement:invitation_resend": 6,
    # A page of the audit trail: its count, its entries with who made them and
    # of what, and the names and pages of what they point at (one UNION).
    "engagement:audit": 7,
    "engagement:audit (filtered)": 7,
    "engagement:audit (one record)": 7,
    "engagement:notifications": 15,
    "engagement:notification_settings": 4,
    "engagement:invitation_accept": 1,
    # With the executive's accounts of the last 90 days, as one-tap choices (one query).
    "visits:log_contact": 7,
    "visits:my_engagements": 8,
    "visits:account_choices": 6,
    "visits:contact_choices": 5,
    "visits:colleague_choices": 6,
    "visits:engagement_invite": 6,
    "visits:calendar_feed": 5,
    # The meetings to log, to come and dismissed (a query each), with the
    # kinds of engagement to choose from.
    "visits:calendar_suggestions": 9,
    "visits:calendar_feed_ics": 4,
    # Three connections, one failing and one broken: one query for them all.
    "visits:calendar_connections": 6,
    "visits:calendar_connection_add_address": 5,
    "visits:calendar_connection_add_caldav": 5,
    "visits:calendar_connection_disconnect": 5,
    "visits:engagement_request": 9,
    "visits:request_executives": 8,
    "visits:request_time_for_executive": 4,
    "visits:engagement_detail": 15,
    "visits:engagement_schedule": 17,
    "visits:engagement_cancel": 6,
    # The log form again, as the contact is: its people and colleagues ticked.
    "visits:logged_contact_edit": 12,
    "visits:logged_contact_delete": 5,
    # With its sponsors (one query).
    "visits:account_engagements": 15,
    # An account the executive sponsors, read by them: the same page.
    "visits:account_engagements (sponsor)": 15,
    # The count and the keys of a page of every kind of entry (one UNION
    # each), then each kind drawn by id: engagements 3, debriefs 2, survey
    # answers 2, actions 2, sponsorships 3, sessions 2.
    "visits:account_timeline": 21,
    # An account the executive is asked to sponsor, read by them: the same page.
    "visits:account_timeline (sponsor)": 21,
    # Weekly contacts, the states at each week end, held engagements by type
    # (and the types' names), the function filter, and a page of the heatmap
    # (count, executives, their months).
    "visits:trends": 12,
    # A held engagement, with the debriefs, actions and survey answers of its panel.
    "visits:engagement_detail (held)": 19,
    "feedback:debrief": 13,
    "feedback:actions": 6,
    "feedback:actions (following)": 6,
    "feedback:actions (closed)": 6,
    "feedback:action_detail": 6,
    "feedback:action_detail (survey follow-up)": 6,
    "feedback:debrief_search": 8,
    "feedback:debrief_search (words and theme)": 9,
    "feedback:survey_answers": 7,
    # The routed actions' counts by function, the year's closed ones' days,
    # and the oldest open action of each function.
    "feedback:loop": 7,
    # The tab narrowed to one function's open actions, naming the function (one).
    "feedback:actions (routed, open)": 7,
    # The survey, the company it speaks for and the executives the customer met.
    "feedback:survey": 3,
    "mentoring:pairings": 7,
    "mentoring:my_sponsorships": 7,
    # With whether the viewer may open its account's page (one query).
    "mentoring:pairing_detail": 9,
    # The suggestions: the working contact, the account's needs, the default
    # limit, every executive's load and limit, their matching talents, the
    # account's contacts and pairings, and the executives chosen.
    "mentoring:propose": 14,
    "mentoring:key_person_risk": 15,
    # One query per measure (six), whatever the number of accounts.
    "mentoring:impact": 10,
    # The group's figures (one query), and a page of its accounts with their count.
    "mentoring:impact_accounts": 7,
    "mentoring:handover": 14,
    # The upload form and a page of past imports (count, jobs with who uploaded them).
    "engagement:imports": 6,
    # A file with row errors: the job, its errors a page at a time from the job itself.
    "engagement:import_detail": 5,
    "engagement:import_detail (ready)": 5,
    # The progress bar: the job; the rows done come from the cache.
    "engagement:import_progress": 4,
    "engagement:exports": 4,
    # The API, read with a session (a key costs the same: its token and user in one query).
    "engagement:api_tokens": 6,
    "engagement:api_token_create": 4,
    "engagement:api_token_revoke": 5,
    "api:executive-list": 5,
    "api:executive-detail": 4,
    # With the contact status: the executives, programs, memberships and
    # exposure; and its directness (two: the executives with their last
    # unfiltered contact, their twelve months' minutes by directness).
    "api:executive-contact-status": 10,
    "api:contact-status-list": 11,
    "api:account-list": 5,
    "api:account-detail": 4,
    "api:contact-list": 5,
    "api:contact-detail": 4,
    "api:engagement-type-list": 5,
    "api:engagement-list": 6,
    "api:engagement-list (program admin, filtered)": 6,
    "api:engagement-detail": 6,
    "api:debrief-list": 6,
    "api:debrief-detail": 5,
    "api:action-list": 5,
    "api:action-detail": 4,
    # Closing the loop's three queries.
    "api:action-loop-list": 6,
    "api:pairing-list": 6,
    # One query per measure (six), whatever the number of accounts.
    "api:sponsorship-impact-list": 9,
    "api:pairing-detail": 5,
}
# Who looks at each page (None: a visitor who is not signed in).
VIEWERS: dict[str, Role | None] = {
    "engagement:executive_home": Role.EXECUTIVE,
    "engagement:account_manager_home": Role.ACCOUNT_MANAGER,
    "engagement:program_home": Role.PROGRAM_ADMIN,
    "engagement:executives": Role.PROGRAM_ADMIN,
    "engagement:executives (filtered and sorted)": Role.PROGRAM_ADMIN,
    "engagement:coverage": Role.PROGRAM_ADMIN,
    "engagement:coverage_accounts": Role.PROGRAM_ADMIN,
    "engagement:coverage_accounts (tier, never met)": Role.PROGRAM_ADMIN,
    "engagement:coverage_accounts (tier, months)": Role.PROGRAM_ADMIN,
    "engagement:invite": Role.PROGRAM_ADMIN,
    "engagement:invitation_resend": Role.PROGRAM_ADMIN,
    "engagement:audit": Role.PROGRAM_ADMIN,
    "engagement:audit (filtered)": Role.PROGRAM_ADMIN,
    "engagement:audit (one record)": Role.PROGRAM_ADMIN,
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
    "visits:calendar_suggestions": Role.EXECUTIVE,
    "visits:calendar_connections": Role.EXECUTIVE,
    "visits:calendar_connection_add_address": Role.EXECUTIVE,
    "visits:calendar_connection_add_caldav": Role.EXECUTIVE,
    "visits:calendar_connection_disconnect": Role.EXECUTIVE,
    "visits:engagement_request": Role.ACCOUNT_MANAGER,
    "visits:request_executives": Role.ACCOUNT_MANAGER,
    "visits:request_time_for_executive": Role.ACCOUNT_MANAGER,
    "visits:engagement_detail": Role.ACCOUNT_MANAGER,
    "visits:engagement_schedule": Role.ACCOUNT_MANAGER,
    "visits:engagement_cancel": Role.ACCOUNT_MANAGER,
    "visits:logged_contact_edit": Role.EXECUTIVE,
    "visits:logged_contact_delete": Role.EXECUTIVE,
    "visits:account_engagements": Role.ACCOUNT_MANAGER,
    "visits:account_engagements (sponsor)": Role.EXECUTIVE,
    "visits:account_timeline": Role.ACCOUNT_MANAGER,
    "visits:account_timeline (sponsor)": Role.EXECUTIVE,
    "visits:trends": Role.PROGRAM_ADMIN,
    # A calendar application, which does not sign in.
    "visits:calendar_feed_ics": None,
    "visits:engagement_detail (held)": Role.ACCOUNT_MANAGER,
    "feedback:debrief": Role.EXECUTIVE,
    "feedback:actions": Role.EXECUTIVE,
    "feedback:actions (following)": Role.ACCOUNT_MANAGER,
    "feedback:actions (closed)": Role.EXECUTIVE,
    "feedback:action_detail": Role.EXECUTIVE,
    "feedback:action_detail (survey follow-up)": Role.ACCOUNT_MANAGER,
    "feedback:debrief_search": Role.PROGRAM_ADMIN,
    "feedback:debrief_search (words and theme)": Role.PROGRAM_ADMIN,
    "feedback:survey_answers": Role.PROGRAM_ADMIN,
    "feedback:loop": Role.PROGRAM_ADMIN,
    "feedback:actions (routed, open)": Role.PROGRAM_ADMIN,
    # A customer, who does not sign in.
    "feedback:survey": None,
    "mentoring:pairings": Role.PROGRAM_ADMIN,
    "mentoring:my_sponsorships": Role.EXECUTIVE,
    "mentoring:pairing_detail": Role.EXECUTIVE,
    "mentoring:propose": Role.PROGRAM_ADMIN,
    "mentoring:key_person_risk": Role.PROGRAM_ADMIN,
    "mentoring:impact": Role.PROGRAM_ADMIN,
    "mentoring:impact_accounts": Role.PROGRAM_ADMIN,
    "mentoring:handover": Role.PROGRAM_ADMIN,
    "engagement:imports": Role.PROGRAM_ADMIN,
    "engagement:import_detail": Role.PROGRAM_ADMIN,
    "engagement:import_detail (ready)": Role.PROGRAM_ADMIN,
    "engagement:import_progress": Role.PROGRAM_ADMIN,
    "engagement:exports": Role.PROGRAM_ADMIN,
    "engagement:api_tokens": Role.PROGRAM_ADMIN,
    "engagement:api_token_create": Role.PROGRAM_ADMIN,
    "engagement:api_token_revoke": Role.PROGRAM_ADMIN,
    "api:executive-list": Role.PROGRAM_ADMIN,
    "api:executive-detail": Role.EXECUTIVE,
    "api:executive-contact-status": Role.EXECUTIVE,
    "api:contact-status-list": Role.PROGRAM_ADMIN,
    "api:account-list": Role.ACCOUNT_MANAGER,
    "api:account-detail": Role.ACCOUNT_MANAGER,
    "api:contact-list": Role.EXECUTIVE,
    "api:contact-detail": Role.ACCOUNT_MANAGER,
    "api:engagement-type-list": Role.EXECUTIVE,
    "api:engagement-list": Role.EXECUTIVE,
    "api:engagement-list (program admin, filtered)": Role.PROGRAM_ADMIN,
    "api:engagement-detail": Role.ACCOUNT_MANAGER,
    "api:debrief-list": Role.ACCOUNT_MANAGER,
    "api:debrief-detail": Role.EXECUTIVE,
    "api:action-list": Role.EXECUTIVE,
    "api:action-detail": Role.ACCOUNT_MANAGER,
    "api:action-loop-list": Role.PROGRAM_ADMIN,
    "api:pairing-list": Role.PROGRAM_ADMIN,
    "api:sponsorship-impact-list": Role.PROGRAM_ADMIN,
    "api:pairing-detail": Role.EXECUTIVE,
}
# The project's URLs that are not pages with data of their own.
NOT_BUDGETED = {
    **{
        f"moved:{pattern.name}": "a permanent redirect of an old address, reading nothing (config.moved)"
        for pattern in moved_urls.urlpatterns
    },
    "visits:trends_weekly_csv": "the trends page's weekly query, as CSV (visits/tests/test_trends.py)",
    "visits:trends_states_csv": "the trends page's states query, as CSV (visits/tests/test_trends.py)",
    "visits:trends_types_csv": "the trends page's two by-type queries, as CSV (visits/tests/test_trends.py)",
    "visits:trends_heatmap_csv": "streams the heatmap's months and every executive (visits/tests/test_trends.py)",
    "home": "sends each person to the home of their role",
    "visits:calendar_meeting_confirm": "POST only: logs a meeting through the log service, then back where it was",
    "visits:calendar_meeting_unlog": "POST only: deletes what a meeting was logged as, then back where it was",
    "visits:calendar_meeting_dismiss": "POST only: marks a meeting no customer meeting, then back where it was",
    "visits:calendar_meeting_restore": "POST only: suggests a dismissed meeting again, then back where it was",
    "engagement:notifications_read": "POST only: marks notifications read and redirects",
    "engagement:executives_csv": "streams the executives table's one query (engagement/tests/test_dashboards.py)",
    "engagement:coverage_csv": "streams the coverage list's one query (engagement/tests/test_coverage.py)",
    "mentoring:key_person_risk_csv": "streams its list, and four queries per 2,000 accounts (mentoring/tests)",
    "mentoring:pairings_csv": "streams the pairings list's one query (mentoring/tests/test_pages.py)",
    "mentoring:impact_accounts_csv": "the group's figures, then streams its list's one query (mentoring/tests)",
    "feedback:actions_csv": "streams the Actions page's list, one query (feedback/tests/test_loop.py)",
    "feedback:loop_csv": "Closing the loop's three queries, as CSV (feedback/tests/test_loop.py)",
    "mentoring:pairing_change": "POST only: changes it, then back to the pairing (measured there)",
    "mentoring:pairing_goal_add": "POST only: adds it, then back to the pairing (measured there)",
    "mentoring:pairing_goal_edit": "POST only: saves it, then back to the pairing (measured there)",
    "engagement:account_manager_accounts_csv": "streams three queries (engagement/tests/test_coverage.py)",
    "visits:engagement_decide": "POST only: decides, then back to the engagement (measured there)",
    "visits:engagement_answer": "POST only: answers, then back to the engagement (measured there)",
    "visits:engagement_outcome": "POST only: records it, then back to the engagement (measured there)",
    "visits:calendar_connection_read_again": "POST only: queues a read, then back to the list (measured there)",
    "visits:engagement_not_there": "POST only: takes the executive off it, then to their notifications or home",
    "healthz": "asks the database for SELECT 1, the broker and the cache",
    "service_worker": "the service worker's entry: static addresses, no program data",
    "web_manifest": "the web manifest: names and icons, no program data",
    "offline": "the page the service worker keeps for no connection: no program data",
    "feedback:debrief_draft": "POST only: saves the draft, then the draft's status line or back to the debrief",
    "feedback:action_create": "POST only: adds it, then back to the debrief (measured there)",
    "feedback:surveys_send": "POST only: queues the emails, then back to the engagement (measured there)",
    "engagement:import_start": "POST only: queues the import, then back to its page (measured there)",
    "engagement:import_recheck": "POST only: checks the file again, then back to its page (measured there)",
    "engagement:export_executives": "streams one query (engagement/tests/test_imports.py)",
    "engagement:export_accounts": "streams one query (engagement/tests/test_imports.py)",
    "engagement:export_contacts": "streams one query (engagement/tests/test_imports.py)",
    "visits:export_engagements": "streams one query (visits/tests/test_imports.py)",
    "api:api-root": "links to each collection of the API, read from the URL configuration",
    "api:schema": "the OpenAPI schema, generated from the code: no program data",
    "api:docs": "the page that loads the schema: no program data",
}
ENGAGEMENTS_EACH = 3
# What customers say in every debrief and survey answer of the data, so that a
# search for it finds more as the data grows.
CUSTOMER_WORDS = "The rollout slipped twice and nobody told our plant managers why."


@dataclass
class ProgramData:
    """The data a page is measured on: the people who look at the pages, and
    executives who each met an account of the account manager's."""

    program: Program
    kind: EngagementType
    executive: Executive  # the one whose home page is measured
    account_manager: User
    program_admin: User
    function: Function  # led by the measured executive: actions routed to it are theirs

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
        function=Function.objects.create(name="Supply chain", lead=executive),
    )
    for days in range(ENGAGEMENTS_EACH):
        EngagementFactory(executives=[executive], type=data.kind, starts_at=days_ago(3 + days * 10))
    return data


def grow_with_factories(data: ProgramData, executives: int) -> None:
    """Add ``executives`` executives, each with an account of the account
    manager's and a few engagements there, the way the app records them; and
    what was learned from them, through the services that record it."""
    Theme.objects.bulk_create(Theme(name=name) for name in ("Delivery", "Pricing", "Support"))
    for _ in range(executives):
        executive = ExecutiveFactory()
        executive.programs.add(data.program)
        account = AccountFactory(account_manager=data.account_manager)
        engagements = [
            EngagementFactory(
                executives=[executive], account=account, type=data.kind, starts_at=days_ago(5 + days * 20)
            )
            for days in range(ENGAGEMENTS_EACH)
        ]
        feedback_with_services(data, executive, engagements)
        with zeal_ignore():
            pairings_with_services(data, executive, account)
    # Two of each kind of need on the homes: listed one by one.
    accounts = list(Account.objects.filter(account_manager=data.account_manager).order_by("pk")[:2])
    engagements_waiting(data, accounts)
    calendar_meetings_at(data, accounts)
    # The measured executive's own engagements: a draft, and a customer's answer.
    own = list(Engagement.objects.filter(executives=data.executive).select_related("account").order_by("pk"))
    with zeal_ignore():
        debrief_draft_save(engagement=own[0], author=data.executive.user, fields={"heard": CUSTOMER_WORDS})
        answered_survey(own[1])


def engagements_waiting(data: ProgramData, accounts: list[Account]) -> None:
    """At each of ``accounts``, what the homes list as needs: a request
    waiting for the measured executive's answer, one approved and one with a
    question for the account manager, and a meeting tomorrow the measured
    executive leads, each for five days in its status."""
    now = timezone.now()
    planned = [
        (Engagement.Status.REQUESTED, now + dt.timedelta(days=20)),
        (Engagement.Status.APPROVED, now + dt.timedelta(days=20)),
        (Engagement.Status.QUESTION, now + dt.timedelta(days=20)),
        (Engagement.Status.SCHEDULED, now + dt.timedelta(days=1)),
    ]
    engagements = Engagement.objects.bulk_create(
        Engagement(
            account=account,
            type=data.kind,
            status=status,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=1),
            duration_minutes=60,
            status_changed_at=now - dt.timedelta(days=5),
        )
        for account in accounts
        for status, starts_at in planned
    )
    EngagementExecutive.objects.bulk_create(
        EngagementExecutive(engagement=engagement, executive=data.executive, role=EngagementExecutive.Role.LEAD)
        for engagement in engagements
    )


def pairings_with_services(data: ProgramData, executive: Executive, account: Account) -> None:
    """``executive`` sponsors ``account`` (accepted), and the measured
    executive is asked to sponsor it too."""
    pairing = pairing_propose(executive=executive, account=account, by=data.program_admin, goals=["Meet the CFO"])
    pairing_accept(pairing=pairing, by=executive.user)
    Pairing.objects.create(executive=data.executive, account=account, proposed_by=data.program_admin)


def pairings_in_bulk(data: ProgramData, executives: list[Executive], accounts: list[Account]) -> None:
    """As ``pairings_with_services``, with bulk inserts."""
    sponsored = Pairing.objects.bulk_create(
        Pairing(executive=executive, account=account, status=Pairing.Status.ACTIVE, proposed_by=data.program_admin)
        for executive, account in zip(executives, accounts, strict=True)
    )
    PairingGoal.objects.bulk_create(PairingGoal(pairing=pairing, text="Meet the CFO") for pairing in sponsored)
    Pairing.objects.bulk_create(
        Pairing(executive=data.executive, account=account, proposed_by=data.program_admin) for account in accounts
    )


def answered_survey(engagement: Engagement) -> Survey:
    """A survey sent to a new contact who attended ``engagement``, answered low."""
    contact = ContactFactory(account=engagement.account)
    engagement.contacts.add(contact)
    now = timezone.now()
    survey = Survey.objects.create(
        engagement=engagement, contact=contact, sent_at=now, expires_at=now + dt.timedelta(days=30)
    )
    return survey_answer(survey=survey, value=2, recommend=4, differently=f"{CUSTOMER_WORDS}\n\nCall us first.")


def feedback_with_services(data: ProgramData, executive: Executive, engagements: list[Engagement]) -> None:
    """What ``executive`` learned at ``engagements``: the first debriefed with
    actions (one routed to the measured executive's function, one for the
    account manager, one done) and the customer's low answer; the second a
    draft; the third not written yet."""
    themes = Theme.objects.filter(active=True)[:2]
    first, second, _ = engagements
    due = timezone.localdate() + dt.timedelta(days=7)
    with zeal_ignore():
        debrief_submit(
            engagement=first,
            author=executive.user,
            fields={"heard": CUSTOMER_WORDS, "insights": "Tell plants first.", "sentiment": Sentiment.NEGATIVE},
            themes=themes,
        )
        debrief_draft_save(engagement=second, author=executive.user, fields={"heard": CUSTOMER_WORDS})
        action_create(engagement=first, by=executive.user, title="Explain the slip", due_on=due, function=data.function)
        action_create(
            engagement=first, by=executive.user, title="Send the new plan", due_on=due, owner=data.account_manager
        )
        done = action_create(
            engagement=first, by=executive.user, title="Call the plant", due_on=due, function=data.function
        )
        action_status_set(action=done, by=data.executive.user, status="done", note="Called; they have the dates.")
        answered_survey(first)


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
            # The first of each account's engagements is debriefed (below).
            status=Engagement.Status.DEBRIEFED if days == 0 else Engagement.Status.COMPLETED,
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
    feedback_in_bulk(data, batch, new, accounts, engagements)
    pairings_in_bulk(data, new, accounts)
    engagements_waiting(data, accounts)
    calendar_meetings_at(data, accounts)
    invitations_in_bulk(data, users)


def calendar_meetings_at(data: ProgramData, accounts: list[Account]) -> None:
    """Read from the measured executive's calendar, at each of ``accounts``:
    a meeting yesterday to log, one dismissed, and one tomorrow."""
    connection = CalendarConnection.objects.filter(owner=data.executive.user).first()
    if connection is None:
        connection = CalendarConnection(owner=data.executive.user, name="Work")
        connection.url = "https://calendar.example/private/basic.ics"
        connection.save()
    now = timezone.now()
    CalendarMeeting.objects.bulk_create(
        CalendarMeeting(
            connection=connection,
            uid=f"{kind}-{account.pk}",
            title=f"Review with {account.name}",
            starts_at=now + dt.timedelta(days=days),
            ends_at=now + dt.timedelta(days=days, hours=1),
            account=account,
            dismissed_at=now if kind == "dismissed" else None,
        )
        for account in accounts
        for kind, days in (("past", -1), ("dismissed", -2), ("next", 1))
    )


def invitations_in_bulk(data: ProgramData, users: list[User]) -> None:
    """An invitation for each of ``users``, in each state it may be in."""
    states = [Invitation.Status.SENT, Invitation.Status.RETRYING, Invitation.Status.FAILED, Invitation.Status.PENDING]
    now = timezone.now()
    Invitation.objects.bulk_create(
        Invitation(
            user=user,
            invited_by=data.program_admin,
            status=states[n % len(states)],
            sent_at=now,
            retry_at=now,
            attempts=1,
            last_error="The mail server could not be reached.",
        )
        for n, user in enumerate(users)
    )


def feedback_in_bulk(
    data: ProgramData, batch: int, executives: list[Executive], accounts: list[Account], engagements: list[Engagement]
) -> None:
    """As ``feedback_with_services``, for the bulk executives, with bulk inserts:
    more themes and functions besides, and more of each kind of action."""
    now, due = timezone.now(), timezone.localdate() + dt.timedelta(days=7)
    themes = Theme.objects.bulk_create(Theme(name=f"Bulk theme {batch}-{n}") for n in range(10))
    functions = Function.objects.bulk_create(
        Function(name=f"Bulk function {batch}-{n}", lead=executive) for n, executive in enumerate(executives[:20])
    )
    contacts = Contact.objects.bulk_create(
        Contact(account=account, name=f"Bulk Contact {batch}-{n}", email=f"bulk{batch}-{n}@customer.example")
        for n, account in enumerate(accounts)
    )
    firsts = engagements[::ENGAGEMENTS_EACH]
    seconds = engagements[1::ENGAGEMENTS_EACH]
    Engagement.contacts.through.objects.bulk_create(
        Engagement.contacts.through(engagement_id=engagement.pk, contact_id=contact.pk)
        for engagement, contact in zip(firsts, contacts, strict=True)
    )
    debriefs = Debrief.objects.bulk_create(
        Debrief(
            engagement=engagement,
            author=executive.user,
            heard=CUSTOMER_WORDS,
            insights="Tell plants first.",
            sentiment=Sentiment.NEGATIVE,
            status=Debrief.Status.SUBMITTED,
            submitted_at=now,
        )
        for engagement, executive in zip(firsts, executives, strict=True)
    )
    # Each about delivery (what the measured search asks for) and one theme more.
    delivery = Theme.objects.get(name="Delivery")
    Debrief.themes.through.objects.bulk_create(
        Debrief.themes.through(debrief_id=debrief.pk, theme_id=theme.pk)
        for n, debrief in enumerate(debriefs)
        for theme in (delivery, themes[n % len(themes)])
    )
    # Drafts: the bulk executives', and the measured executive's at each second engagement.
    Debrief.objects.bulk_create(
        Debrief(engagement=engagement, author=author.user, heard=CUSTOMER_WORDS)
        for engagement, executive in zip(seconds, executives, strict=True)
        for author in (executive, data.executive)
    )
    surveys = Survey.objects.bulk_create(
        Survey(
            engagement=engagement,
            contact=contact,
            sent_at=now,
            expires_at=now + dt.timedelta(days=30),
            answered_at=now,
            value=2,
            recommend=4,
            differently=f"{CUSTOMER_WORDS}\n\nCall us first.",
        )
        for engagement, contact in zip(firsts, contacts, strict=True)
    )
    actions = []
    for n, (engagement, executive, debrief, survey) in enumerate(
        zip(firsts, executives, debriefs, surveys, strict=True)
    ):
        made = {"engagement": engagement, "created_by": executive.user, "due_on": due, "debrief": debrief}
        late = made | {"due_on": timezone.localdate() - dt.timedelta(days=3)}
        # Routed to more functions as the data grows: Closing the loop gets a row each.
        elsewhere = functions[n % len(functions)]
        actions += [
            ActionItem(title="Check the invoices", owner=elsewhere.lead.user, function=elsewhere, **late),
            # Late: the homes list them as needs.
            ActionItem(title="Explain the slip", owner=data.executive.user, function=data.function, **late),
            ActionItem(title="Send the new plan", owner=data.account_manager, **late),
            ActionItem(
                title="Call the plant",
                owner=data.executive.user,
                function=data.function,
                status=ActionItem.Status.DONE,
                status_note="Called; they have the dates.",
                closed_at=now,
                **made,
            ),
            ActionItem(
                engagement=engagement,
                survey=survey,
                title="Follow up with the contact",
                detail=survey.differently,
                owner=data.account_manager,
                due_on=due,
            ),
        ]
    ActionItem.objects.bulk_create(actions)


def url_name(page: str) -> str:
    """The URL name of a page of BUDGETS: "feedback:actions (closed)" is a tab of "feedback:actions"."""
    return page.split(" ", 1)[0]


def held_meeting(data: ProgramData) -> Engagement:
    """Yesterday's meeting at the account manager's first account: debriefed
    by a colleague and the account manager, the measured executive's draft
    half-typed, an action routed to the measured executive, one of the
    customers' low answer, the other's survey still open."""
    account = Account.objects.filter(account_manager=data.account_manager).order_by("pk").first()
    colleague = Executive.objects.exclude(pk=data.executive.pk).order_by("pk").first()
    engagement = EngagementFactory(
        account=account,
        executives=[data.executive, colleague],
        type=data.kind,
        starts_at=days_ago(1),
        requested_by=data.account_manager,
    )
    engagement.staff.add(data.account_manager)
    themes = Theme.objects.filter(active=True)[:2]
    written = {"heard": f"{CUSTOMER_WORDS}\n\nWe need dates.", "sentiment": Sentiment.NEGATIVE}
    with zeal_ignore():
        debrief_submit(engagement=engagement, author=colleague.user, fields=written, themes=themes)
        debrief_submit(engagement=engagement, author=data.account_manager, fields=written, themes=themes)
        debrief_draft_save(engagement=engagement, author=data.executive.user, fields={"heard": CUSTOMER_WORDS})
        due = timezone.localdate() + dt.timedelta(days=7)
        action_create(
            engagement=engagement, by=colleague.user, title="Explain the slip", due_on=due, function=data.function
        )
        action_create(
            engagement=engagement, by=colleague.user, title="Send the plan", due_on=due, owner=data.account_manager
        )
        answered_survey(engagement)
        contact = ContactFactory(account=account)
        engagement.contacts.add(contact)
        now = timezone.now()
        Survey.objects.create(
            engagement=engagement, contact=contact, sent_at=now, expires_at=now + dt.timedelta(days=30)
        )
    return engagement


def api_url_of(page: str, data: ProgramData) -> str | None:
    """The URL of an API page (or the API tokens' pages) of BUDGETS, on the data as it grows."""
    first_account = Account.objects.filter(account_manager=data.account_manager).order_by("pk").first()
    if page.startswith("engagement:api_token"):
        # Keys of several people, some used and one revoked: the list shows them all.
        keys = [
            api_token_create(user=user, name="CRM sync", by=data.program_admin)[0] for user in User.objects.all()[:3]
        ]
        api_token_revoke(token=keys[0], by=data.program_admin)
        return reverse(page, kwargs={"pk": keys[1].pk} if page == "engagement:api_token_revoke" else {})
    by_object: dict[str, Any] = {
        "api:executive-detail": lambda: data.executive.pk,
        "api:executive-contact-status": lambda: data.executive.pk,
        "api:account-detail": lambda: first_account.pk,
        "api:contact-detail": lambda: ContactFactory(account=first_account).pk,
        "api:engagement-detail": lambda: held_meeting(data).pk,
        "api:debrief-detail": lambda: held_meeting(data).debriefs.filter(status=Debrief.Status.SUBMITTED)[0].pk,
        "api:action-detail": lambda: (
            ActionItem.objects.get(engagement=held_meeting(data), owner=data.account_manager, survey=None).pk
        ),
        "api:pairing-detail": lambda: Pairing.objects.filter(executive=data.executive).order_by("pk")[0].pk,
    }
    if page in by_object:
        return reverse(page, args=[by_object[page]()])
    if page == "api:engagement-list (program admin, filtered)":
        since = (timezone.localdate() - dt.timedelta(days=400)).isoformat()
        return f"{reverse(url_name(page))}?executive={data.executive.pk}&status=held&from={since}"
    if page.startswith("api:"):
        # Every list grows with the data; a page of it is read.
        return reverse(url_name(page))
    return None


def import_page_url(page: str, data: ProgramData) -> str:
    """A page of the imports, about files of the executives the data has."""
    executives = Executive.objects.select_related("user").order_by("pk")[:5]
    rows = [["Email", "Name", "Title"]] + [[e.user.email, e.user.full_name, "SVP"] for e in executives]
    ready = import_job_create(
        kind="executives", filename="ready.csv", data=csv_bytes(rows), date_order="dmy", uploaded_by=data.program_admin
    )
    wrong = import_job_create(
        kind="executives",
        filename="wrong.csv",
        data=csv_bytes([["Email", "Name"], *[[f"not-an-email-{n}", "Someone"] for n in range(60)]]),
        date_order="dmy",
        uploaded_by=data.program_admin,
    )
    if page == "engagement:import_detail (ready)":
        return reverse(url_name(page), kwargs={"pk": ready.pk})
    if page == "engagement:import_detail":
        return reverse(url_name(page), kwargs={"pk": wrong.pk}) + "?page=2"
    if page == "engagement:import_progress":
        ImportJob.objects.filter(pk=ready.pk).update(status=ImportJob.Status.IMPORTING)
        Progress(job_id=ready.pk, total=ready.row_count).start("importing")
        return reverse(url_name(page), kwargs={"pk": ready.pk})
    return reverse(url_name(page))


def feedback_page_url(page: str, data: ProgramData) -> str | None:
    """The URL of a feedback page (and the held meeting's page), with the data it shows; None for the plain URL."""
    if page in {"visits:engagement_detail (held)", "feedback:debrief"}:
        return reverse(url_name(page), kwargs={"pk": held_meeting(data).pk})
    if page == "feedback:action_detail":
        # Routed to the measured executive by a colleague.
        action = ActionItem.objects.get(engagement=held_meeting(data), owner=data.executive.user)
        return reverse(url_name(page), kwargs={"pk": action.pk})
    if page == "feedback:action_detail (survey follow-up)":
        action = ActionItem.objects.get(engagement=held_meeting(data), survey__isnull=False)
        return reverse(url_name(page), kwargs={"pk": action.pk})
    if page == "feedback:survey":
        survey = Survey.objects.get(engagement=held_meeting(data), answered_at__isnull=True)
        return reverse(url_name(page), kwargs={"token": survey_token(survey=survey)})
    if page == "feedback:actions (routed, open)":
        return f"{reverse(url_name(page))}?tab=routed&function={data.function.pk}&state=open"
    if page.startswith("feedback:actions ("):
        return f"{reverse(url_name(page))}?tab={page.split('(')[1].rstrip(')')}"
    if page == "feedback:debrief_search (words and theme)":
        theme = Theme.objects.get(name="Delivery")
        return f"{reverse(url_name(page))}?q=plant+managers&theme={theme.pk}"
    return None


def engagement_page_url(page: str, data: ProgramData) -> str | None:
    """The URL of one of engagement's pages, with the data it shows; None for the plain URL."""
    if page == "engagement:coverage_accounts (tier, never met)":
        AccountFactory(tier=Account.Tier.STRATEGIC)  # one that no executive met, so the list shows a row
        return f"{reverse(url_name(page))}?kind=customer&tier=1&no_contact=never"
    if page == "engagement:coverage_accounts (tier, months)":
        # One met a few days ago, so that the list shows a row.
        AccountFactory(tier=Account.Tier.STRATEGIC, last_contact_on=timezone.localdate() - dt.timedelta(days=3))
        return f"{reverse(url_name(page))}?kind=customer&tier=1&months=0"
    if page == "engagement:executives (filtered and sorted)":
        # Filters that the bulk executives meet, so that the rows are read too.
        return f"{reverse(url_name(page))}?level=4&state=on_track&q=groundwork&sort=-contacts_12m"
    if page == "engagement:audit (filtered)":
        # Debriefs and actions changed by people of the company this past week.
        since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
        return f"{reverse(url_name(page))}?kind=debriefs&who=groundwork.example&date_from={since}"
    if page == "engagement:audit (one record)":
        # A pairing proposed, accepted and paused.
        pairing = Pairing.objects.filter(status=Pairing.Status.ACTIVE).order_by("pk").first()
        pairing_pause(pairing=pairing, by=data.program_admin, reason="Their reorganisation")
        return f"{reverse(url_name(page))}?object=mentoring.pairing:{pairing.pk}"
    if page in {"engagement:invite", "engagement:invitation_resend"}:
        # Invited people who never signed in: one the mail server refused.
        invited = [UserFactory() for _ in range(3)]
        User.objects.filter(pk__in=[user.pk for user in invited]).update(password="!")
        invitations_in_bulk(data, invited)
        if page == "engagement:invitation_resend":
            return reverse(page, kwargs={"pk": invited[2].pk})
    if page == "engagement:invitation_accept":
        invited = UserFactory()
        invited.set_unusable_password()
        invited.save(update_fields=["password"])
        return reverse(page, kwargs={"token": invitation_token(user=invited)})
    if page == "engagement:notifications":
        # A list with something in it: read and unread, with a link and without.
        viewer = data.viewer(Role.EXECUTIVE)
        for n in range(3):
            notification_send(users=[viewer], message=f"Request {n} for your time", url=reverse("home"))
        notification_send(users=[viewer], message="Your contact is due soon", url="/")
        notifications_mark_read(user=viewer, notification_ids=[viewer.notifications.order_by("pk")[0].pk])
        # And a reminder's, whose words are checked against where they stand now.
        reminder = overdue_reminder_sent(executive=viewer.executive, at=timezone.now())
        Notification.objects.create(user=viewer, message=f"Overdue: {reminder.reason}", reminder=reminder)
    return None


def calendar_connections_made(owner: User) -> list[CalendarConnection]:
    """Three of ``owner``'s calendars: read, failing and broken."""
    now = timezone.now()
    states = [
        {"last_read_at": now, "events_seen": 120, "matched": 4},
        {"last_read_at": now, "failures": 2, "error": "The calendar's server failed to answer (503)."},
        {"failures": 5, "broken_at": now, "error": "This address was not found (404)."},
    ]
    made = []
    for number, state in enumerate(states):
        connection = CalendarConnection(owner=owner, name=f"Calendar {number}", **state)
        connection.url = f"https://calendar.example/secret-{number}/basic.ics"
        connection.save()
        made.append(connection)
    return made


def calendar_page_url(page: str, data: ProgramData) -> str | None:
    """The connected-calendars pages, with the measured executive's three calendars."""
    if page in {"visits:calendar_connections", "visits:calendar_connection_disconnect"}:
        connections = calendar_connections_made(data.executive.user)
        if page == "visits:calendar_connection_disconnect":
            return reverse(page, kwargs={"pk": connections[0].pk})
    return None


def visits_page_url(page: str, data: ProgramData) -> str | None:
    """The URL of a visits page, with the data it shows; None for the plain URL."""
    first_account = Account.objects.filter(account_manager=data.account_manager).order_by("pk").first()
    if page in {"visits:account_choices", "visits:contact_choices"}:
        # A search that matches accounts as the data grows, one already chosen.
        chosen = Account.objects.filter(account_manager=data.account_manager).order_by("pk").first()
        return f"{reverse(page)}?account_query=account&account={chosen.pk}"
    if page == "visits:colleague_choices":
        # A search that finds more colleagues as the data grows, one already chosen.
        chosen = Executive.objects.exclude(user=data.viewer(Role.EXECUTIVE)).order_by("pk").first()
        return f"{reverse(page)}?colleague_query=executive&colleagues={chosen.pk}"
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
    if page == "visits:engagement_request":
        # The form for an account, suggestions ranked among all the executives.
        return f"{reverse(page)}?account={first_account.pk}"
    if page == "visits:request_time_for_executive":
        return f"{reverse(page)}?executive={data.executive.pk}&starts_at=2031-12-02T18:00&duration_minutes=60"
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
    if page in {"visits:logged_contact_edit", "visits:logged_contact_delete"}:
        # Logged yesterday by the measured executive, with two of the
        # account's people and a colleague; the data grows around it.
        colleague = Executive.objects.exclude(pk=data.executive.pk).order_by("pk").first()
        engagement, _ = engagement_log_contact(
            executive=data.executive,
            account=first_account,
            engagement_type=data.kind,
            on=timezone.localdate() - dt.timedelta(days=1),
            duration_minutes=60,
            contacts=[ContactFactory(account=first_account), ContactFactory(account=first_account)],
            colleagues=[colleague],
        )
        return reverse(page, kwargs={"pk": engagement.pk})
    if page == "visits:account_engagements":
        return reverse(page, kwargs={"pk": first_account.pk})
    if page == "visits:account_engagements (sponsor)":
        # The measured executive sponsors an account they met: their engagements there, and its background.
        account = Engagement.objects.filter(executives=data.executive).order_by("pk").first().account
        Pairing.objects.create(
            executive=data.executive, account=account, status=Pairing.Status.ACTIVE, proposed_by=data.program_admin
        )
        return reverse(url_name(page), kwargs={"pk": account.pk})
    if url_name(page) == "visits:account_timeline":
        # The first account's story: its engagements, debrief, survey answer,
        # actions, sponsorships (one accepted, one asked of the measured
        # executive, who reads it) and the sponsor's sessions, their pairing
        # dated back before the engagements; the data grows around it.
        Pairing.objects.filter(account=first_account, status=Pairing.Status.ACTIVE).update(
            starts_on=timezone.localdate() - dt.timedelta(days=90)
        )
        return reverse(url_name(page), kwargs={"pk": first_account.pk})
    return None


def mentoring_page_url(page: str, data: ProgramData) -> str | None:
    """The URL of a mentoring page, with the data it shows; None for the plain URL."""
    first_account = Account.objects.filter(account_manager=data.account_manager).order_by("pk").first()
    if page == "mentoring:propose":
        return reverse(page, kwargs={"account_pk": first_account.pk})
    if page == "mentoring:handover":
        # The measured executive, asked to sponsor more accounts as the data grows.
        return reverse(page, kwargs={"executive_pk": data.executive.pk})
    if page == "mentoring:impact_accounts":
        # Every account the program's executives meet, with its contacts.
        tier = Account.objects.order_by("pk").values_list("tier", flat=True).first()
        return reverse(page) + f"?measure=contacts&tier={tier}&group=comparison"
    if page == "mentoring:pairing_detail":
        pairing = Pairing.objects.filter(executive=data.executive).order_by("pk").first()
        PairingGoal.objects.create(pairing=pairing, text="Open a roadmap review")
        return reverse(page, kwargs={"pk": pairing.pk})
    return None


def url_of(page: str, data: ProgramData) -> str:
    """The URL a page is measured at, after making the data it should show."""
    if page.startswith(("engagement:import", "engagement:exports")):
        return import_page_url(page, data)
    for url_with_data in (
        api_url_of,
        feedback_page_url,
        engagement_page_url,
        calendar_page_url,
        visits_page_url,
        mentoring_page_url,
    ):
        if (url := url_with_data(page, data)) is not None:
            return url
    return reverse(url_name(page))


def feedback_counts() -> tuple[int, int, int, int]:
    """Submitted debriefs, drafts, answered surveys and actions."""
    return (
        Debrief.objects.filter(status=Debrief.Status.SUBMITTED).count(),
        Debrief.objects.filter(status=Debrief.Status.DRAFT).count(),
        Survey.objects.filter(answered_at__isnull=False).count(),
        ActionItem.objects.count(),
    )


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
    contacts, feedback = ExecutiveContact.objects.count(), feedback_counts()
    grow_in_bulk(data, executives=195)
    with_200 = queries_of(client, url)

    assert Executive.objects.count() == 200
    # Each bulk executive's own engagements, and the measured executive at
    # each of them besides.
    assert ExecutiveContact.objects.count() - contacts == 195 * 2 * ENGAGEMENTS_EACH
    # A debrief and two drafts per bulk executive, an answered survey, and five actions (one routed to a bulk function).
    grown = [after - before for before, after in zip(feedback, feedback_counts(), strict=True)]
    assert grown == [195, 2 * 195, 195, 5 * 195]
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
    assert project_url_names() - NOT_BUDGETED.keys() == {url_name(page) for page in BUDGETS}
    assert BUDGETS.keys() == VIEWERS.keys()


@pytest.mark.django_db
def test_an_n_plus_one_query_fails_the_test():
    for _ in range(3):
        ExecutiveFactory()

    with pytest.raises(NPlusOneError, match=r"engagement\.Executive\.user"):
        [executive.user.email for executive in Executive.objects.all()]
