"""An account's timeline: its whole story, newest first, from every app that
keeps a part of it, filtered by kind, a page at a time, for whoever may open
the account's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.accounts.access import MET_WITHIN_DAYS
from engagement.accounts.models import Account
from engagement.accounts.timeline import AccountTimeline
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ContactFactory, ExecutiveFactory, UserFactory, contact_record
from feedback.models import ActionItem
from feedback.tests.factories import ActionItemFactory, DebriefFactory, HeldEngagementFactory, SurveyFactory
from mentoring.models import Pairing, PairingGoal
from mentoring.tests.factories import PairingFactory
from visits.models import Engagement
from visits.tests.factories import EngagementFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def ago(**delta: float) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


def timeline_page(account: Account) -> str:
    return reverse("visits:account_timeline", args=[account.pk])


@pytest.fixture
def manager():
    return UserFactory(roles=[Role.ACCOUNT_MANAGER], full_name="Morgan Manager")


@pytest.fixture
def story(manager):
    """An account with one entry of every kind, each a day apart, the
    engagement oldest and the session newest."""
    account = AccountFactory(name="Tailspin Toys", account_manager=manager)
    sponsor = ExecutiveFactory(user__full_name="Avery Sponsor")
    buyer = ContactFactory(account=account, name="Dana Buyer")
    engagement = HeldEngagementFactory(
        account=account, executives=[sponsor], starts_at=ago(days=10), objective="Walk the north plant"
    )
    debrief = DebriefFactory(
        engagement=engagement,
        author=sponsor.user,
        heard="“The north plant needs a second line.”\n\n“Support answered within the hour.”",
        submitted_at=ago(days=9),
    )
    survey = SurveyFactory(
        engagement=engagement,
        contact=buyer,
        answered_at=ago(days=8),
        value=4,
        recommend=9,
        differently="Bring the plant manager next time.",
    )
    action = ActionItemFactory(
        engagement=engagement,
        debrief=debrief,
        title="Quote the second line",
        owner=manager,
        status=ActionItem.Status.DONE,
        status_note="Told Dana the quote goes out on Friday.",
        created_at=ago(days=8, hours=12),
        closed_at=ago(days=7),
    )
    pairing = PairingFactory(
        executive=sponsor,
        account=account,
        status=Pairing.Status.ACTIVE,
        starts_on=ago(days=6).date(),
        created_at=ago(days=6),
    )
    PairingGoal.objects.create(pairing=pairing, text="Renew the contract", status=PairingGoal.Status.IN_PROGRESS)
    session = contact_record(executive=sponsor, account=account, occurred_at=ago(days=5))
    return {
        "account": account,
        "sponsor": sponsor,
        "engagement": engagement,
        "debrief": debrief,
        "survey": survey,
        "action": action,
        "pairing": pairing,
        "session": session,
    }


def entries(account: Account, reader, kinds=()) -> list:
    timeline = AccountTimeline(account=account, reader=reader, kinds=kinds)
    return timeline[0 : timeline.count()]


def test_every_kind_of_entry_comes_newest_first_with_what_it_says(story, manager):
    found = entries(story["account"], manager)

    assert [entry.kind for entry in found] == ["sessions", "pairings", "actions", "surveys", "debriefs", "engagements"]
    session, pairing, action, survey, debrief, engagement = found
    assert engagement.who == "Avery Sponsor"
    assert "Walk the north plant" in engagement.summary
    assert engagement.url == reverse("visits:engagement_detail", args=[story["engagement"].pk])
    assert debrief.quotes == ("“The north plant needs a second line.”", "“Support answered within the hour.”")
    assert debrief.url == reverse("feedback:debrief", args=[story["engagement"].pk])
    assert survey.who == "Dana Buyer"
    assert "value 4 of 5" in survey.summary and "likely to recommend 9 of 10" in survey.summary
    assert survey.quotes == ("Bring the plant manager next time.",)
    # A closed action is dated when the customer was told.
    assert action.at == story["action"].closed_at
    assert action.told == "Told Dana the quote goes out on Friday."
    assert action.url == reverse("feedback:action_detail", args=[story["action"].pk])
    assert pairing.who == "Avery Sponsor"
    assert pairing.summary == "Sponsorship proposed, now active"
    assert pairing.details == ("Goal: Renew the contract (in progress)",)
    assert pairing.url == reverse("mentoring:pairing_detail", args=[story["pairing"].pk])
    assert session.at == story["session"].occurred_at
    assert session.url == reverse("mentoring:pairing_detail", args=[story["pairing"].pk])
    assert [entry.label for entry in found][:2] == ["Sponsorship sessions", "Sponsorships and goals"]


def test_the_kinds_filter_keeps_only_the_kinds_ticked(story, manager):
    found = entries(story["account"], manager, kinds=["debriefs", "actions"])

    assert [entry.kind for entry in found] == ["actions", "debriefs"]
    assert AccountTimeline(account=story["account"], reader=manager, kinds=["surveys"]).count() == 1


def test_an_open_action_is_dated_when_raised_and_says_nothing_told_yet(manager):
    account = AccountFactory(account_manager=manager)
    ActionItemFactory(
        engagement=HeldEngagementFactory(account=account),
        owner=manager,
        status=ActionItem.Status.OPEN,
        status_note="",
        created_at=ago(days=2),
    )

    (action,) = entries(account, manager, kinds=["actions"])

    assert action.at == ago(days=2)
    assert action.told == ""
    assert "(open, due" in action.summary


def test_drafts_unanswered_surveys_other_accounts_and_contacts_outside_a_sponsorship_stay_off(manager):
    account = AccountFactory(account_manager=manager)
    engagement = HeldEngagementFactory(account=account, starts_at=ago(days=30))
    DebriefFactory(engagement=engagement, status="draft", submitted_at=None)
    SurveyFactory(engagement=engagement)  # sent, not answered
    DebriefFactory()  # another account's
    executive = ExecutiveFactory()
    PairingFactory(executive=executive, account=account, status=Pairing.Status.ACTIVE, starts_on=ago(days=10).date())
    # Met before they sponsored it: a contact, not a session.
    contact_record(executive=executive, account=account, occurred_at=ago(days=20))

    assert [entry.kind for entry in entries(account, manager)] == ["pairings", "engagements"]


def test_the_reader_finds_links_only_to_what_they_may_open(story):
    # A colleague who met the account lately reads the whole story, but the
    # sponsor's engagement, its debrief and the pairing are not theirs to open.
    colleague = ExecutiveFactory()
    EngagementFactory(account=story["account"], executives=[colleague], starts_at=ago(days=40))

    found = {entry.kind: entry for entry in entries(story["account"], colleague.user)}

    assert found["debriefs"].quotes and found["debriefs"].url == ""
    assert found["pairings"].url == "" and found["sessions"].url == ""
    assert found["actions"].told and found["actions"].url == ""


def test_a_page_is_read_in_the_same_number_of_queries_however_long_the_story(manager):
    """A count, the page's keys, and each kind on it in its own few queries:
    a long story adds rows, never queries."""
    account = AccountFactory(account_manager=manager)

    def queries_for_first_page() -> int:
        timeline = AccountTimeline(account=account, reader=manager)
        with CaptureQueriesContext(connection) as queries:
            timeline.count()
            timeline[0:25]
        return len(queries)

    for index in range(3):
        engagement = HeldEngagementFactory(account=account, starts_at=ago(days=index + 1))
        DebriefFactory(engagement=engagement)
        ActionItemFactory(engagement=engagement)
    # Every kind of the three on the page: the count, the keys, the reader's
    # roles, three for the engagements, two each for the debriefs and actions.
    assert queries_for_first_page() == 10
    for index in range(30):
        engagement = HeldEngagementFactory(account=account, starts_at=ago(days=index + 10))
        DebriefFactory(engagement=engagement)
        ActionItemFactory(engagement=engagement)
    assert queries_for_first_page() <= 10


def test_the_page_shows_the_story_in_the_readers_time_zone_and_pages_through_it(client, manager):
    manager.time_zone = "Asia/Tokyo"
    manager.save(update_fields=["time_zone"])
    account = AccountFactory(account_manager=manager)
    for index in range(26):
        EngagementFactory(
            account=account,
            starts_at=dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC) - dt.timedelta(days=index),
            objective=f"Meeting {index}",
        )
    client.force_login(manager)

    first = client.get(timeline_page(account)).content.decode()
    second = client.get(timeline_page(account), {"page": 2, "kind": "engagements"}).content.decode()

    # 23:30 UTC on 1 March is 08:30 on 2 March in Tokyo.
    assert "Mon 2 Mar 2026, 08:30" in first
    assert "Meeting 0" in first and "Meeting 25" not in first
    assert "Page 1 of 2" in first
    assert "Meeting 25" in second and "Meeting 0" not in second
    # The next page keeps the kinds ticked.
    assert "kind=engagements&amp;page=1" in second


def test_the_page_shows_the_customers_words_and_what_they_were_told(client, story, manager):
    client.force_login(manager)

    page = client.get(timeline_page(story["account"])).content.decode()

    assert "The north plant needs a second line." in page
    assert "Told Dana the quote goes out on Friday." in page
    assert "Renew the contract" in page
    account_page = client.get(reverse("visits:account_engagements", args=[story["account"].pk])).content.decode()
    assert f'href="{timeline_page(story["account"])}"' in account_page


def test_an_unknown_kind_is_said_and_everything_is_shown(client, story, manager):
    client.force_login(manager)

    response = client.get(timeline_page(story["account"]), {"kind": "gossip"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "There is no kind of entry called “gossip”" in page
    assert "The north plant needs a second line." in page


def test_an_account_with_no_story_yet_says_so(client, manager):
    account = AccountFactory(account_manager=manager)
    client.force_login(manager)

    page = client.get(timeline_page(account)).content.decode()
    filtered = client.get(timeline_page(account), {"kind": "debriefs"}).content.decode()

    assert "Nothing has happened with this account yet" in page
    assert "Nothing of these kinds has happened with this account yet" in filtered


# Who may read it: the account team, program admins, and to read, the
# executives who sponsor the account or met it in the last two years.


def test_the_account_team_and_program_admins_read_it(client, story, manager):
    teammate = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    story["account"].account_team.add(teammate)
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    for reader in (manager, teammate, admin):
        client.force_login(reader)
        assert client.get(timeline_page(story["account"])).status_code == 200


@pytest.mark.parametrize(
    ("status", "opens"),
    [
        (Pairing.Status.ACTIVE, True),
        (Pairing.Status.PAUSED, True),
        (Pairing.Status.PROPOSED, True),
        (Pairing.Status.ENDED, False),
    ],
)
def test_a_sponsor_reads_it(client, status, opens):
    pairing = PairingFactory(status=status)
    client.force_login(pairing.executive.user)

    assert client.get(timeline_page(pairing.account)).status_code == (200 if opens else 404)
    assert client.get(reverse("visits:account_engagements", args=[pairing.account_id])).status_code == (
        200 if opens else 404
    )


@pytest.mark.parametrize(
    ("days_ago", "opens"), [(MET_WITHIN_DAYS - 1, True), (MET_WITHIN_DAYS, True), (MET_WITHIN_DAYS + 1, False)]
)
def test_an_executive_who_met_it_in_the_last_two_years_reads_it(client, days_ago, opens):
    executive = ExecutiveFactory()
    account = AccountFactory()
    # Midday, so that the day in the executive's zone is the day counted.
    today = timezone.localdate()
    noon = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(12), tzinfo=dt.UTC)
    contact_record(executive=executive, account=account, occurred_at=noon)
    client.force_login(executive.user)

    assert client.get(timeline_page(account)).status_code == (200 if opens else 404)


def test_others_cannot_read_it(client, story):
    stranger_manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    stranger_executive = ExecutiveFactory()
    # Met by a colleague, sponsored by another: neither opens it to them.
    contact_record(executive=ExecutiveFactory(), account=story["account"], occurred_at=ago(days=3))
    former = ExecutiveFactory()
    contact_record(executive=former, account=story["account"], occurred_at=ago(days=3))
    former.active = False
    former.save(update_fields=["active"])

    for reader in (stranger_manager, stranger_executive.user, former.user):
        client.force_login(reader)
        assert client.get(timeline_page(story["account"])).status_code == 404


def test_a_reader_finds_nothing_to_change_on_it(client, story):
    client.force_login(story["sponsor"].user)

    response = client.get(timeline_page(story["account"]))

    assert response.status_code == 200
    # Only the menu's sign-out posts anything.
    assert response.content.decode().count('method="post"') == 1
    assert client.post(timeline_page(story["account"])).status_code == 405
    assert Engagement.objects.filter(account=story["account"]).count() == 1
