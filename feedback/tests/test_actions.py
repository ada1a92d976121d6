"""Actions: owned by a person or routed to the lead of a function, followed
until they are closed, and never changed under someone's feet."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone
from zeal import zeal_context

from engagement.errors import ProgramError
from engagement.notifications.models import Notification
from engagement.people.roles import Role
from engagement.tests.factories import ExecutiveFactory, FunctionFactory, UserFactory
from feedback.models import ActionItem
from feedback.selectors import account_actions_open, actions_closed, actions_followed, actions_owed
from feedback.services import action_create, action_status_set, debrief_submit
from feedback.tests.factories import ActionItemFactory, HeldEngagementFactory
from visits.models import Engagement

AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")


@pytest.fixture
def author(executive):
    """Who writes the actions: Jordan Ellis, the executive of the shared
    fixtures, who met Northwind Traders (managed by Sam Rivera)."""
    return executive.user


@pytest.fixture
def engagement(account, author):
    return HeldEngagementFactory(account=account, executives=[author.executive])


@pytest.fixture
def colleague():
    return UserFactory(full_name="Priya Natarajan", roles=[Role.ACCOUNT_MANAGER])


@pytest.fixture
def billing():
    """The Finance function, led by an executive."""
    lead = ExecutiveFactory(user=UserFactory(full_name="Morgan Blake", roles=[Role.EXECUTIVE]))
    return FunctionFactory(name="Finance", lead=lead)


def in_a_week() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=7)


def create(engagement: Engagement, by: Any, **changes: Any) -> ActionItem:
    """Add an action as one request does (with its own N+1 check)."""
    values = {"title": "Send the corrected invoices", "due_on": in_a_week(), **changes}
    with zeal_context():
        return action_create(engagement=engagement, by=by, **values)


def set_status(action: ActionItem, by: Any, status: str, note: str = "", **kwargs: Any) -> ActionItem:
    """Change an action's status as one request does (with its own N+1 check)."""
    with zeal_context():
        return action_status_set(action=action, by=by, status=status, note=note, **kwargs)


def refused(message: str) -> pytest.RaisesExc:
    """Expect the service to refuse with ``message`` (its beginning, word for word)."""
    return pytest.raises(ProgramError, match=re.escape(message))


def messages_to(user: Any) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("message", flat=True))


# --- Creating ------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_action_for_a_person_is_theirs_and_they_are_told(engagement, author, colleague):
    action = create(engagement, author, owner=colleague, detail="  They were billed twice in May.  ")

    action.refresh_from_db()
    assert (action.owner, action.function, action.created_by) == (colleague, None, author)
    assert (action.status, action.due_on, action.detail) == (
        ActionItem.Status.OPEN,
        in_a_week(),
        "They were billed twice in May.",
    )
    assert messages_to(colleague) == ["Jordan Ellis gave you an action: Send the corrected invoices"]
    assert Notification.objects.get(user=colleague).url == f"/actions/{action.pk}/"
    assert messages_to(author) == []


@pytest.mark.django_db
def test_an_action_belongs_to_its_authors_debrief(engagement, author, colleague):
    debrief = debrief_submit(
        engagement=engagement, author=author, fields={"heard": "“Billed twice.”", "sentiment": -1}, themes=[]
    )

    action = create(engagement, author, owner=colleague)

    assert action.debrief == debrief


@pytest.mark.django_db
def test_an_action_routed_to_a_function_goes_to_its_lead_and_records_the_function(
    engagement, author, colleague, billing
):
    # The function wins over a person chosen as well.
    action = create(engagement, author, owner=colleague, function=billing)

    action.refresh_from_db()
    assert action.owner == billing.lead.user
    assert action.function == billing
    assert action.is_routed
    assert messages_to(billing.lead.user) == [
        "Jordan Ellis gave you an action (routed to Finance): Send the corrected invoices"
    ]
    assert messages_to(colleague) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lead",
    [None, {"active": False}, {"user__is_active": False}],
    ids=["no-lead", "lead-left-the-program", "lead-login-closed"],
)
def test_routing_to_a_function_without_an_active_lead_is_refused_clearly(engagement, author, lead):
    function = FunctionFactory(name="Legal", lead=ExecutiveFactory(**lead) if lead is not None else None)

    with refused("Legal has no active lead executive to route this to. Choose a person"):
        create(engagement, author, function=function)

    assert not ActionItem.objects.exists()


@pytest.mark.django_db
def test_a_due_date_before_the_authors_today_is_refused(account):
    # 01:00 on 2 June in Auckland is still 1 June in UTC.
    now = dt.datetime(2025, 6, 2, 1, tzinfo=AUCKLAND)
    kiwi = ExecutiveFactory(user=UserFactory(time_zone="Pacific/Auckland", roles=[Role.EXECUTIVE]))
    engagement = HeldEngagementFactory(account=account, executives=[kiwi], starts_at=now - dt.timedelta(days=1))

    with refused("Choose a due date from today on."):
        create(engagement, kiwi.user, owner=kiwi.user, due_on=dt.date(2025, 6, 1), now=now)
    action = create(engagement, kiwi.user, owner=kiwi.user, due_on=dt.date(2025, 6, 2), now=now)

    assert ActionItem.objects.get() == action


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "   "}, "Say what is to be done."),
        ({"owner": None}, "Choose who owns it"),
        ({"owner": "inactive"}, "Choose who owns it: a person with an active login"),
    ],
)
def test_an_action_without_what_it_needs_is_refused(engagement, author, changes, message):
    if changes.get("owner") == "inactive":
        changes["owner"] = UserFactory(is_active=False)
    changes.setdefault("owner", UserFactory())

    with refused(message):
        create(engagement, author, **changes)

    assert not ActionItem.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_an_action_on_an_engagement_not_held_is_refused(account, author, colleague):
    engagement = HeldEngagementFactory(account=account, executives=[author.executive], status="scheduled")

    with refused("Actions are added once the engagement has been held; it is scheduled."):
        create(engagement, author, owner=colleague)


# --- Changing its status -------------------------------------------------------------


@pytest.fixture
def action(engagement, author, colleague):
    return ActionItemFactory(engagement=engagement, owner=colleague, created_by=author, title="Send the invoices")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "message"),
    [
        (ActionItem.Status.DONE, "Say what was done, and what the customer was told."),
        (ActionItem.Status.WONT_DO, "Say why it won't be done."),
    ],
)
def test_closing_an_action_needs_a_note(action, colleague, status, message):
    with refused(message):
        set_status(action, colleague, status, note="   ")

    action.refresh_from_db()
    assert (action.status, action.closed_at) == (ActionItem.Status.OPEN, None)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_done_closes_it_and_tells_its_followers_but_not_whoever_acted(action, colleague, author, account_manager):
    now = timezone.now()

    set_status(action, colleague, ActionItem.Status.DONE, note="Credit note sent; told their CFO.", now=now)

    action.refresh_from_db()
    assert (action.status, action.status_note, action.closed_at) == (
        ActionItem.Status.DONE,
        "Credit note sent; told their CFO.",
        now,
    )
    expected = "Priya Natarajan set “Send the invoices” to done: Credit note sent; told their CFO."
    assert messages_to(author) == [expected]
    assert messages_to(account_manager) == [expected]
    assert messages_to(colleague) == []


@pytest.mark.django_db
def test_the_account_manager_acting_tells_the_owner_and_the_author(action, colleague, author, account_manager):
    set_status(action, account_manager, ActionItem.Status.IN_PROGRESS)

    assert messages_to(colleague) == ["Sam Rivera set “Send the invoices” to in progress"]
    assert messages_to(author) == ["Sam Rivera set “Send the invoices” to in progress"]
    assert messages_to(account_manager) == []


@pytest.mark.django_db
def test_reopening_an_action_clears_its_closing(action, colleague):
    set_status(action, colleague, ActionItem.Status.WONT_DO, note="They moved to annual billing.")

    set_status(action, colleague, ActionItem.Status.OPEN)

    action.refresh_from_db()
    assert (action.status, action.closed_at) == (ActionItem.Status.OPEN, None)
    assert action in actions_owed(user=colleague)


@pytest.mark.django_db
def test_setting_the_status_it_already_has_is_refused(action, colleague):
    with refused("It is already open."):
        set_status(action, colleague, ActionItem.Status.OPEN)
    with refused("Choose a status."):
        set_status(action, colleague, "finished")


@pytest.mark.django_db
def test_a_change_made_meanwhile_wins_and_nothing_else_changes(action, colleague, account_manager):
    seen_by_account_manager = ActionItem.objects.get(pk=action.pk)
    set_status(action, colleague, ActionItem.Status.DONE, note="Credit note sent.")
    notifications = Notification.objects.count()

    with refused("Someone changed this action meanwhile: it is now done. Nothing was changed."):
        set_status(seen_by_account_manager, account_manager, ActionItem.Status.WONT_DO, note="Not ours to fix.")

    action.refresh_from_db()
    assert (action.status, action.status_note) == (ActionItem.Status.DONE, "Credit note sent.")
    assert Notification.objects.count() == notifications


@pytest.mark.django_db
def test_the_note_of_a_done_action_can_be_corrected_without_moving_its_closing(action, colleague):
    closed = timezone.now()
    set_status(action, colleague, ActionItem.Status.DONE, note="Credit note sent.", now=closed)

    set_status(
        action,
        colleague,
        ActionItem.Status.DONE,
        note="Credit note sent; told their CFO.",
        now=closed + dt.timedelta(hours=1),
    )

    action.refresh_from_db()
    assert (action.status_note, action.closed_at) == ("Credit note sent; told their CFO.", closed)


# --- What pages list -------------------------------------------------------------------


@pytest.mark.django_db
def test_an_action_is_owed_by_its_owner_followed_by_the_others_and_closed_for_all(
    action, colleague, author, account_manager
):
    other = ActionItemFactory(owner=colleague)  # another account's action

    assert list(actions_owed(user=colleague)) == [action, other]
    assert list(actions_followed(user=author)) == [action]
    assert list(actions_followed(user=account_manager)) == [action]
    assert list(actions_followed(user=colleague)) == []
    assert list(account_actions_open(user=account_manager)) == [action]

    set_status(action, colleague, ActionItem.Status.DONE, note="Sent.")

    assert list(actions_owed(user=colleague)) == [other]
    assert list(actions_followed(user=author)) == []
    assert list(account_actions_open(user=account_manager)) == []
    for user in (colleague, author, account_manager):
        assert list(actions_closed(user=user)) == [action]


@pytest.mark.django_db
def test_action_lists_read_their_people_in_one_query(account, author, colleague, billing):
    engagement = HeldEngagementFactory(account=account, executives=[author.executive])
    for _ in range(3):
        create(engagement, author, owner=colleague, function=billing)

    # Owners, authors and functions come with the list: an N+1 fails the test.
    rows = [
        (a.owner.get_full_name(), a.created_by.get_full_name(), str(a.function))
        for a in actions_owed(user=billing.lead.user)
    ]

    assert rows == [("Morgan Blake", "Jordan Ellis", "Finance")] * 3
