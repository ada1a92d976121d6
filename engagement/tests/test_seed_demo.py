from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from collections import Counter
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.core.validators import EmailValidator
from django.db.models import F, Q
from django.urls import resolve, reverse

from engagement.accounts.models import Account, Contact
from engagement.cadence.models import ExecutiveContact
from engagement.cadence.rule import ContactState
from engagement.cadence.selectors import executive_contact_statuses
from engagement.demo import (
    DEMO_ACCOUNT_MANAGER_EMAIL,
    DEMO_ADMIN_EMAIL,
    DEMO_EXECUTIVE_EMAIL,
    DEMO_PASSWORD,
    email_local_part,
)
from engagement.notifications.models import Notification
from engagement.people.models import Executive, Function, Skill, User
from engagement.people.roles import Role
from engagement.tests.import_helpers import import_file
from feedback.models import ActionItem, Debrief, Survey, Theme
from feedback.selectors import (
    account_actions_open,
    account_debriefs_recent,
    actions_owed,
    customer_words,
    debriefs_to_write,
)
from mentoring.models import Pairing
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
    debriefs = sorted(
        Debrief.objects.values_list(
            "engagement__account__crm_id", "engagement__starts_at", "author__email", "heard", "surprised",
            "disagreed", "insights", "issues_raised", "sentiment", "status", "submitted_at", "follow_up_on",
        ),
        key=repr,
    )  # fmt: skip
    themes = sorted(
        Debrief.themes.through.objects.values_list(
            "debrief__engagement__account__crm_id", "debrief__engagement__starts_at", "debrief__author__email",
            "theme__name",
        )
    )  # fmt: skip
    actions = sorted(
        ActionItem.objects.values_list(
            "engagement__account__crm_id", "engagement__starts_at", "title", "detail", "owner__email",
            "function__name", "created_by__email", "survey__contact__name", "due_on", "status", "status_note",
            "created_at", "closed_at",
        ),
        key=repr,
    )  # fmt: skip
    surveys = sorted(
        Survey.objects.values_list(
            "engagement__account__crm_id", "engagement__starts_at", "contact__name", "sent_at", "expires_at",
            "answered_at", "value", "recommend", "differently",
        ),
        key=repr,
    )  # fmt: skip
    facts = (people, accounts, engagements, history, notifications, contacts, debriefs, themes, actions, surveys)
    return hashlib.sha256(repr(facts).encode()).hexdigest()


def wipe() -> None:
    Pairing.objects.all().delete()
    Engagement.objects.all().delete()
    ExecutiveContact.objects.all().delete()
    Account.objects.all().delete()
    Function.objects.all().delete()
    Executive.objects.all().delete()
    User.objects.all().delete()
    Skill.objects.all().delete()
    Theme.objects.all().delete()


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

    def counts() -> list[int]:
        models = [User, Account, Engagement, Debrief, ActionItem, Survey, Theme]
        return [model.objects.count() for model in models]

    before = counts()
    output = seed(scale=0.05)
    assert "already loaded" in output
    assert DEMO_EXECUTIVE_EMAIL in output
    assert counts() == before


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
    held = Engagement.objects.filter(status__in=Engagement.HELD_STATUSES).count()
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


@pytest.mark.django_db
def test_demo_has_debriefs_in_the_customers_words_and_the_engagements_they_debrief():
    # Twenty executives: enough meetings for a hundred debriefs and more.
    seed(scale=0.5, today=dt.date.fromisoformat(TODAY))
    assert set(Theme.objects.values_list("name", flat=True)) >= {
        "Pricing", "Onboarding", "Support response times", "Product gaps", "Integrations", "Billing",
        "Reliability", "Roadmap", "Training", "Account team",
    }  # fmt: skip
    submitted = Debrief.objects.filter(status=Debrief.Status.SUBMITTED)
    assert submitted.count() > 100
    assert all(len(debrief.quotes) >= 2 and debrief.sentiment is not None for debrief in submitted)
    assert not submitted.filter(themes__isnull=True).exists()
    sentiments = list(submitted.values_list("sentiment", flat=True))
    assert sum(s > 0 for s in sentiments) > len(sentiments) / 2 > sum(s < 0 for s in sentiments) > 0

    # Debriefed exactly when a debrief is in, since the first one, as the
    # service records it.
    debriefed = Engagement.objects.filter(status=Engagement.Status.DEBRIEFED)
    assert set(debriefed.values_list("pk", flat=True)) == set(submitted.values_list("engagement_id", flat=True))
    first = {}
    for engagement_id, author_id, at in submitted.order_by("submitted_at").values_list(
        "engagement_id", "author_id", "submitted_at"
    ):
        first.setdefault(engagement_id, (author_id, at))
    changes = EngagementStatusChange.objects.filter(to_status=Engagement.Status.DEBRIEFED)
    assert {
        engagement_id: (by_id, at)
        for engagement_id, by_id, at in changes.filter(from_status=Engagement.Status.COMPLETED).values_list(
            "engagement_id", "by_id", "at"
        )
    } == first
    assert dict(debriefed.values_list("pk", "status_changed_at")) == {pk: at for pk, (_, at) in first.items()}

    # Of the last two months, most are debriefed and some are still to be written.
    recent = Engagement.objects.filter(status=Engagement.Status.COMPLETED, starts_at__gte=NOW - dt.timedelta(days=60))
    assert 0 < recent.count() < debriefed.filter(starts_at__gte=NOW - dt.timedelta(days=60)).count()
    assert not Debrief.objects.filter(Q(submitted_at__gt=NOW) | Q(created_at__gt=NOW)).exists()
    # Begun as a draft before it was submitted.
    assert not submitted.filter(submitted_at__lt=F("created_at")).exists()


@pytest.mark.django_db
def test_demo_actions_and_survey_answers_close_the_loop():
    seed(scale=0.5, today=dt.date.fromisoformat(TODAY))
    actions = ActionItem.objects.all()
    assert actions.filter(debrief__isnull=False, function__isnull=False).exists()
    assert not actions.filter(function__isnull=False).exclude(owner=F("function__lead__user")).exists()
    # Closed ones say what the customer was told; a few open ones are
    # overdue, none by more than a few weeks.
    closed = actions.filter(status__in=ActionItem.CLOSED_STATUSES)
    assert closed.exists() and not closed.filter(Q(status_note="") | Q(closed_at__isnull=True)).exists()
    open_actions = actions.filter(status__in=ActionItem.OPEN_STATUSES)
    assert open_actions.filter(due_on__gte=NOW.date()).exists()
    assert open_actions.filter(due_on__lt=NOW.date()).exists()
    assert not open_actions.filter(due_on__lt=NOW.date() - dt.timedelta(days=30)).exists()
    assert not actions.filter(closed_at__gt=NOW).exists()
    # Open again or never closed: no moment of closing, as the service leaves it.
    assert not open_actions.filter(closed_at__isnull=False).exists()
    assert not actions.filter(updated_at__lt=F("created_at")).exists()

    surveys = Survey.objects.all()
    assert surveys.exists()
    assert all(survey.expires_at - survey.sent_at == dt.timedelta(days=30) for survey in surveys)
    answered = surveys.filter(answered_at__isnull=False)
    # A minority of customers answer, as in a real program.
    assert 0.2 < answered.count() / surveys.count() < 0.5
    assert not answered.filter(Q(answered_at__gte=F("expires_at")) | Q(answered_at__gt=NOW)).exists()
    # Every low answer became an action for the account manager, in the customer's words; no other did.
    low = answered.filter(Q(value__lte=2) | Q(recommend__lte=6))
    expected = set(low.values_list("pk", "engagement__account__account_manager_id", "differently"))
    assert expected
    followed = actions.filter(survey__isnull=False)
    assert set(followed.values_list("survey_id", "owner_id", "detail")) == expected
    assert followed.count() == len(expected)
    assert all(title.startswith("Follow up with ") for title in followed.values_list("title", flat=True))


@pytest.mark.django_db
def test_demo_logins_find_debriefs_actions_and_customer_words():
    seed(scale=0.05, today=dt.date.fromisoformat(TODAY))
    jordan = User.objects.get(email=DEMO_EXECUTIVE_EMAIL)
    manager = User.objects.get(email=DEMO_ACCOUNT_MANAGER_EMAIL)

    # The executive: a debrief to write (one begun as a draft), actions owed,
    # one of them routed to the function they lead, and customers' answers.
    to_write = debriefs_to_write(user=jordan, now=NOW)
    assert to_write and any(engagement.has_draft for engagement in to_write)
    owed = list(actions_owed(user=jordan))
    assert owed and any(action.created_by != jordan for action in owed)
    led = set(Function.objects.filter(lead__user=jordan).values_list("pk", flat=True))
    if led:
        assert {action.function_id for action in owed} & led
    words = customer_words(executive=jordan.executive)
    assert sum(bool(survey.differently) for survey in words) >= 2

    # The account manager: debriefs of their accounts, with quotes, and the open actions.
    recent = account_debriefs_recent(user=manager)
    assert recent and all(debrief.quotes for debrief in recent)
    assert Debrief.objects.filter(author=manager, status=Debrief.Status.SUBMITTED).exists()
    account_actions = list(account_actions_open(user=manager))
    assert {action.owner for action in account_actions} >= {manager, jordan}


def contacts_by_executive_month(months: list[tuple[int, int]]) -> dict[int, list[int]]:
    """Each executive's customer contacts in each of ``months``, in their own time zone."""
    counted = Counter(
        (executive_id, (day.year, day.month))
        for executive_id, day in ExecutiveContact.objects.values_list("executive_id", "contact_on")
    )
    return {pk: [counted[pk, month] for month in months] for pk in Executive.objects.values_list("pk", flat=True)}


@pytest.mark.django_db
def test_demo_executives_meet_customers_as_a_real_program_does():
    seed(scale=1, today=dt.date.fromisoformat(TODAY))
    # The twelve full months before the demo's today.
    months = [(2025, month) for month in range(3, 13)] + [(2026, 1), (2026, 2)]
    by_executive = contacts_by_executive_month(months)
    cells = [count for counts in by_executive.values() for count in counts]

    # Between none and four contacts a month, one to three in the middle.
    assert max(cells) <= 4 and min(cells) == 0
    assert 1 <= statistics.median(cells) <= 3
    assert 1 <= statistics.median(sum(counts) / len(counts) for counts in by_executive.values()) <= 3

    statuses = executive_contact_statuses(executives=Executive.objects.all(), as_of=NOW.date())
    states = Counter(status.state for status in statuses.values())
    # A third or more comfortably on track; some drifting; a few never met a customer.
    assert states[ContactState.ON_TRACK] >= len(statuses) / 3
    assert states[ContactState.OVERDUE] + states[ContactState.ESCALATED] >= len(statuses) / 10
    never = [pk for pk, counts in by_executive.items() if not ExecutiveContact.objects.filter(executive_id=pk).exists()]
    assert 1 <= len(never) <= len(statuses) / 10
    # Drifting over months: some met customers every month of last spring and
    # none in the last two months.
    faded = [counts for counts in by_executive.values() if all(counts[:3]) and not any(counts[-2:])]
    assert faded
    # A few meet customers at briefings and events only.
    types_met = {}
    held = Engagement.objects.filter(status__in=Engagement.HELD_STATUSES)
    for executive_id, slug in held.values_list("attendances__executive_id", "type__slug"):
        types_met.setdefault(executive_id, set()).add(slug)
    briefings_only = [pk for pk, slugs in types_met.items() if slugs <= {"executive-briefing", "event"}]
    assert 1 <= len(briefings_only) <= len(statuses) / 10

    # Account managers look after 15 to 40 accounts each.
    portfolios = Counter(Account.objects.values_list("account_manager_id", flat=True))
    assert all(15 <= size <= 40 for size in portfolios.values()), portfolios

    # A minority of the surveys sent are answered.
    surveys = Survey.objects.all()
    assert 0 < surveys.filter(answered_at__isnull=False).count() < surveys.count() / 2


@pytest.mark.django_db
def test_every_demo_value_exports_and_imports_again_unchanged(client, django_capture_on_commit_callbacks):
    seed(scale=0.2)
    client.force_login(User.objects.get(email=DEMO_ADMIN_EMAIL))
    validate_email = EmailValidator()
    for email in [*User.objects.values_list("email", flat=True), *Contact.objects.values_list("email", flat=True)]:
        validate_email(email)

    today = dt.date.today()
    exports = {kind: reverse(f"engagement:export_{kind}") for kind in ("executives", "accounts", "contacts")}
    exports["engagements"] = (
        reverse("visits:export_engagements")
        + "?"
        + urlencode(
            {
                "since": (today - dt.timedelta(days=800)).isoformat(),
                "until": (today + dt.timedelta(days=60)).isoformat(),
            }
        )
    )
    for kind, url in exports.items():
        exported = b"".join(client.get(url).streaming_content)
        job = import_file(client, django_capture_on_commit_callbacks, kind, exported)

        assert not job.errors, (kind, job.errors)
        assert job.summary == {"created": 0, "updated": 0, "unchanged": job.row_count}, (kind, job.preview["rows"])
        assert job.row_count > 0, kind


def test_a_demo_email_address_is_made_of_a_names_letters_with_single_dots():
    assert email_local_part("Ann-Marie O'Neil Jr.") == "ann.marie.o.neil.jr"
    assert email_local_part("Zoë Ångström") == "zoe.angstrom"
    assert email_local_part("..") == "person"
