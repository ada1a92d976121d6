"""An engagement from request to held: the services that move it, and who may."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection, connections
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from zeal import zeal_ignore

from engagement.cadence.models import ExecutiveContact
from engagement.errors import ProgramError
from engagement.notifications.models import Notification
from engagement.people.roles import Role
from engagement.tests.factories import ContactFactory, ExecutiveFactory, UserFactory
from visits.access import engagement_rights, get_engagement_for_user
from visits.models import Engagement, EngagementExecutive, EngagementStatusChange
from visits.services import (
    Plan,
    engagement_answer,
    engagement_approve,
    engagement_ask,
    engagement_cancel,
    engagement_complete,
    engagement_decline,
    engagement_not_held,
    engagement_request,
    engagement_reschedule,
    engagement_schedule,
)
from visits.tests.factories import EngagementTypeFactory


def in_days(days: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def request_for(account, executive, by, **changes):
    values = {
        "account": account,
        "executive": executive,
        "requested_by": by,
        "engagement_type": EngagementTypeFactory(),
        "purpose": Engagement.Purpose.LISTENING,
        "objective": "Hear how the rollout lands with their operators",
        "value_proposition": "Jordan ran operations at a peer; they gain a peer view; we follow up within a week.",
        "starts_at": in_days(7),
        "duration_minutes": 60,
        **changes,
    }
    return engagement_request(**values)


def plan(**changes) -> Plan:
    values = {"starts_at": in_days(10), "ends_at": in_days(10.05), "location": "Their plant in Leeds", **changes}
    return Plan(**values)


def scheduled(account, executive, account_manager) -> Engagement:
    engagement = request_for(account, executive, account_manager)
    engagement_approve(engagement=engagement, by=executive.user)
    return engagement_schedule(engagement=engagement, by=account_manager, plan=plan())


def history(engagement):
    return list(
        EngagementStatusChange.objects.filter(engagement=engagement)
        .order_by("at", "pk")
        .values_list("from_status", "to_status", "by__full_name", "note")
    )


# --- Request ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_asks_the_executive_and_tells_them(account, executive, account_manager):
    engagement = request_for(account, executive, account_manager)

    assert engagement.status == Engagement.Status.REQUESTED
    assert list(engagement.attendances.values_list("executive", "role")) == [(executive.pk, "lead")]
    assert history(engagement) == [("", "requested", "Sam Rivera", engagement.objective)]
    notification = Notification.objects.get(user=executive.user)
    assert notification.message.startswith("Sam Rivera asks for your time with Northwind Traders")
    assert notification.url == f"/engagements/{engagement.pk}/"


@pytest.mark.django_db
def test_a_request_sent_twice_makes_one_engagement(account, executive, account_manager):
    key = uuid.uuid4()

    first = request_for(account, executive, account_manager, submission_key=key)
    second = request_for(account, executive, account_manager, submission_key=key)

    assert first.pk == second.pk
    assert Engagement.objects.count() == 1
    assert Notification.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts_at": in_days(-1)}, "Propose a date in the future."),
        ({"value_proposition": "   "}, "Say why this executive"),
        ({"objective": ""}, "Say what the meeting should achieve."),
    ],
)
def test_a_request_without_what_it_needs_is_refused(account, executive, account_manager, changes, message):
    with pytest.raises(ProgramError, match=message):
        request_for(account, executive, account_manager, **changes)

    assert Engagement.objects.count() == 0


@pytest.mark.django_db
def test_the_working_contact_must_be_at_the_account(account, executive, account_manager):
    elsewhere = ContactFactory()

    with pytest.raises(ProgramError, match="someone at this account"):
        request_for(account, executive, account_manager, working_contact=elsewhere)


# --- Decide ----------------------------------------------------------------------


@pytest.mark.django_db
def test_approving_tells_the_account_team(account, executive, account_manager):
    engagement = request_for(account, executive, account_manager)

    engagement_approve(engagement=engagement, by=executive.user, note="Happy to")

    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.APPROVED
    assert history(engagement)[-1] == ("requested", "approved", "Jordan Ellis", "Happy to")
    assert Notification.objects.filter(user=account_manager, message__contains="agreed to meet").count() == 1


@pytest.mark.django_db
def test_approving_twice_is_refused_with_who_decided(account, executive, account_manager):
    engagement = request_for(account, executive, account_manager)
    engagement_approve(engagement=engagement, by=executive.user)

    with pytest.raises(ProgramError, match="already decided: approved by Jordan Ellis"):
        engagement_approve(engagement=engagement, by=executive.user)

    assert EngagementStatusChange.objects.filter(engagement=engagement, to_status="approved").count() == 1


@pytest.mark.django_db
def test_of_two_decisions_made_on_the_same_page_the_second_is_told_it_was_decided(account, executive, account_manager):
    # Both people opened the request while it was waiting; both send.
    engagement = request_for(account, executive, account_manager)
    seen_by_executive = Engagement.objects.get(pk=engagement.pk)
    seen_by_admin = Engagement.objects.get(pk=engagement.pk)
    admin = UserFactory(full_name="Morgan Admin", roles=[Role.PROGRAM_ADMIN])

    engagement_decline(engagement=seen_by_admin, by=admin, reason="Jordan is on leave that week")
    with pytest.raises(ProgramError, match="already decided: declined by Morgan Admin"):
        engagement_approve(engagement=seen_by_executive, by=executive.user)

    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.DECLINED
    assert [change[1] for change in history(engagement)] == ["requested", "declined"]


@pytest.mark.django_db(transaction=True)
def test_two_decisions_at_the_same_moment_exactly_one_wins(account, executive, account_manager):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database is one connection: the race runs on PostgreSQL in CI")
    engagement = request_for(account, executive, account_manager)
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(decision):
        seen = Engagement.objects.get(pk=engagement.pk)
        start.wait()
        try:
            decision(seen)
            outcomes.append("won")
        except ProgramError as error:
            outcomes.append(str(error))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=(lambda seen: engagement_approve(engagement=seen, by=executive.user),)),
        threading.Thread(
            target=decide, args=(lambda seen: engagement_decline(engagement=seen, by=admin, reason="No"),)
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes)[-1] == "won"
    assert outcomes.count("won") == 1
    assert "already decided" in next(outcome for outcome in outcomes if outcome != "won")
    assert EngagementStatusChange.objects.filter(engagement=engagement).exclude(to_status="requested").count() == 1


@pytest.mark.django_db
def test_declining_needs_a_reason(account, executive, account_manager):
    engagement = request_for(account, executive, account_manager)

    with pytest.raises(ProgramError, match="Say why you decline"):
        engagement_decline(engagement=engagement, by=executive.user, reason=" ")

    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.REQUESTED


@pytest.mark.django_db
def test_a_question_goes_back_and_the_answer_returns_the_request_with_the_whole_exchange(
    account, executive, account_manager
):
    engagement = request_for(account, executive, account_manager)

    engagement_ask(engagement=engagement, by=executive.user, question="Who else from their side attends?")
    assert Notification.objects.filter(user=account_manager, message__contains="has a question").exists()
    engagement_answer(engagement=engagement, by=account_manager, answer="Their COO and the plant manager.")
    engagement_approve(engagement=engagement, by=executive.user)

    assert history(engagement) == [
        ("", "requested", "Sam Rivera", engagement.objective),
        ("requested", "question", "Jordan Ellis", "Who else from their side attends?"),
        ("question", "requested", "Sam Rivera", "Their COO and the plant manager."),
        ("requested", "approved", "Jordan Ellis", ""),
    ]
    assert Notification.objects.filter(user=executive.user, message__contains="answered your question").exists()


# --- Schedule, reschedule, cancel ----------------------------------------------------


@pytest.mark.django_db
def test_scheduling_sets_the_plan_and_tells_everyone_attending(account, executive, account_manager):
    engagement = request_for(account, executive, account_manager)
    engagement_approve(engagement=engagement, by=executive.user)
    colleague, rep, buyer = ExecutiveFactory(), UserFactory(), ContactFactory(account=account)

    engagement_schedule(
        engagement=engagement,
        by=account_manager,
        plan=plan(executives=(colleague,), staff=(rep, account_manager), contacts=(buyer,), brief="Renewal in May"),
    )

    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.SCHEDULED
    assert engagement.location == "Their plant in Leeds"
    assert engagement.brief == "Renewal in May"
    assert set(engagement.attendances.values_list("executive", "role")) == {
        (executive.pk, "lead"),
        (colleague.pk, "attendee"),
    }
    assert set(engagement.contacts.all()) == {buyer}
    told = set(Notification.objects.filter(message__startswith="Scheduled:").values_list("user", flat=True))
    assert told == {executive.user.pk, colleague.user.pk, rep.pk}  # not the account manager who did it


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts_at": in_days(-1), "ends_at": in_days(-0.9)}, "start in the future"),
        ({"ends_at": in_days(9)}, "end must come after the start"),
        ({"location": "", "meeting_link": ""}, "a place, a meeting link, or both"),
        ({"contacts": ()}, None),
    ],
)
def test_a_plan_that_cannot_happen_is_refused(account, executive, account_manager, changes, message):
    engagement = request_for(account, executive, account_manager)
    engagement_approve(engagement=engagement, by=executive.user)
    if message is None:
        changes = {"contacts": (ContactFactory(),)}  # someone from another account
        message = "people from this account"

    with pytest.raises(ProgramError, match=message):
        engagement_schedule(engagement=engagement, by=account_manager, plan=plan(**changes))

    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.APPROVED


@pytest.mark.django_db
def test_a_request_not_yet_approved_cannot_be_scheduled(account, executive, account_manager):
    engagement = request_for(account, executive, account_manager)

    with pytest.raises(ProgramError, match="cannot be scheduled now: it is requested"):
        engagement_schedule(engagement=engagement, by=account_manager, plan=plan())


@pytest.mark.django_db
def test_rescheduling_needs_a_reason_raises_the_sequence_and_tells_old_and_new_attendees(
    account, executive, account_manager
):
    engagement = scheduled(account, executive, account_manager)
    leaving, joining = ExecutiveFactory(), ExecutiveFactory()
    engagement_reschedule(
        engagement=engagement, by=account_manager, plan=plan(executives=(leaving,)), reason="Adding Lee"
    )
    Notification.objects.all().delete()

    with pytest.raises(ProgramError, match="Say why it changes"):
        engagement_reschedule(engagement=engagement, by=account_manager, plan=plan(), reason="")
    engagement_reschedule(
        engagement=engagement,
        by=account_manager,
        plan=plan(starts_at=in_days(12), ends_at=in_days(12.1), executives=(joining,)),
        reason="Their COO moved the board meeting",
    )

    engagement.refresh_from_db()
    assert engagement.sequence == 2
    assert engagement.status == Engagement.Status.SCHEDULED
    told = set(Notification.objects.values_list("user", flat=True))
    assert told == {executive.user.pk, leaving.user.pk, joining.user.pk}
    assert history(engagement)[-1][3].endswith("Their COO moved the board meeting")


@pytest.mark.django_db
def test_cancelling_a_scheduled_engagement_raises_the_sequence_and_says_why(account, executive, account_manager):
    engagement = scheduled(account, executive, account_manager)

    engagement_cancel(engagement=engagement, by=account_manager, reason="The customer reorganised")

    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.CANCELLED
    assert engagement.sequence == 1
    assert Notification.objects.filter(user=executive.user, message__startswith="Cancelled:").exists()


@pytest.mark.django_db
def test_a_held_engagement_cannot_be_cancelled(account, executive, account_manager):
    engagement = scheduled(account, executive, account_manager)
    Engagement.objects.filter(pk=engagement.pk).update(starts_at=in_days(-1), ends_at=in_days(-0.95))
    engagement.refresh_from_db()
    engagement_complete(engagement=engagement, by=account_manager, duration_minutes=60)

    with pytest.raises(ProgramError, match="cannot be cancelled now: it is held"):
        engagement_cancel(engagement=engagement, by=account_manager, reason="Oops")


# --- Complete ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_held_engagement_counts_for_every_executive_who_attended(account, executive, account_manager):
    engagement = request_for(account, executive, account_manager)
    engagement_approve(engagement=engagement, by=executive.user)
    colleague = ExecutiveFactory()
    engagement_schedule(engagement=engagement, by=account_manager, plan=plan(executives=(colleague,)))
    Engagement.objects.filter(pk=engagement.pk).update(starts_at=in_days(-1), ends_at=in_days(-0.95))
    engagement.refresh_from_db()

    engagement_complete(engagement=engagement, by=executive.user, duration_minutes=90)

    contacts = ExecutiveContact.objects.filter(engagement_id=engagement.pk)
    assert set(contacts.values_list("executive", "duration_minutes")) == {(executive.pk, 90), (colleague.pk, 90)}
    executive.refresh_from_db()
    assert executive.last_contact_on == timezone.localdate(in_days(-1))


@pytest.mark.django_db
def test_an_engagement_cannot_be_marked_held_before_it_ends(account, executive, account_manager):
    engagement = scheduled(account, executive, account_manager)

    with pytest.raises(ProgramError, match="once it has ended"):
        engagement_complete(engagement=engagement, by=executive.user, duration_minutes=60)

    assert not ExecutiveContact.objects.exists()


@pytest.mark.django_db
def test_completing_a_declined_request_is_refused_clearly(account, executive, account_manager):
    engagement = request_for(account, executive, account_manager)
    engagement_decline(engagement=engagement, by=executive.user, reason="Not the right person")

    with pytest.raises(ProgramError, match="cannot be marked held now: it is declined by Jordan Ellis"):
        engagement_complete(engagement=engagement, by=account_manager, duration_minutes=60)


@pytest.mark.django_db
def test_not_held_needs_a_reason_and_counts_for_nobody(account, executive, account_manager):
    engagement = scheduled(account, executive, account_manager)
    Engagement.objects.filter(pk=engagement.pk).update(starts_at=in_days(-1), ends_at=in_days(-0.95))
    engagement.refresh_from_db()

    with pytest.raises(ProgramError, match="Say what happened"):
        engagement_not_held(engagement=engagement, by=account_manager, reason="other")
    engagement_not_held(engagement=engagement, by=account_manager, reason="no_show", note="Snowed in")

    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.NOT_HELD
    assert history(engagement)[-1][3] == "The customer did not come — Snowed in"
    assert not ExecutiveContact.objects.exists()


# --- Who may -------------------------------------------------------------------------


@pytest.mark.django_db
def test_who_sees_an_engagement(account, executive, account_manager):
    engagement = request_for(account, executive, account_manager)
    team_member = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    account.account_team.add(team_member)
    other_manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    other_executive = ExecutiveFactory(user=UserFactory(roles=[Role.EXECUTIVE]))
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    # Each person's roles are read once per request; here, once per person.
    with zeal_ignore():
        for allowed in (executive.user, account_manager, team_member, admin):
            assert get_engagement_for_user(allowed, engagement.pk) == engagement
        for refused in (other_manager, other_executive.user):
            with pytest.raises(Http404):
                get_engagement_for_user(refused, engagement.pk)


@pytest.mark.django_db
def test_only_the_executive_asked_or_a_program_admin_decides(account, executive, account_manager):
    engagement = request_for(account, executive, account_manager)
    attendee = ExecutiveFactory(user=UserFactory(roles=[Role.EXECUTIVE]))
    EngagementExecutive.objects.create(engagement=engagement, executive=attendee)
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    with zeal_ignore():  # one person's roles per request; here, several people
        rights = {
            user: engagement_rights(user, engagement)
            for user in (executive.user, admin, attendee.user, account_manager)
        }

    assert rights[executive.user].decide
    assert rights[admin].decide
    assert not rights[attendee.user].decide
    assert not rights[account_manager].decide
    assert rights[account_manager].manage
    assert not rights[executive.user].manage
    assert rights[attendee.user].complete


# --- Times in each reader's own zone -----------------------------------------------


@pytest.mark.django_db
def test_a_scheduled_time_reads_in_each_readers_own_zone_on_their_notifications_and_the_history(client, account):
    chicago = UserFactory(full_name="Sam Rivera", time_zone="America/Chicago", roles=[Role.ACCOUNT_MANAGER])
    account.account_manager = chicago
    account.save()
    tokyo = ExecutiveFactory(user=UserFactory(time_zone="Asia/Tokyo", roles=[Role.EXECUTIVE]))
    lisbon = ExecutiveFactory(user=UserFactory(time_zone="Europe/Lisbon", roles=[Role.EXECUTIVE]))
    # 18:00 in Chicago on a Tuesday in December is 09:00 on Wednesday in Tokyo.
    start = dt.datetime(2031, 12, 2, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    engagement = request_for(account, tokyo, chicago, starts_at=start)
    engagement_approve(engagement=engagement, by=tokyo.user)
    engagement_schedule(
        engagement=engagement,
        by=chicago,
        plan=plan(starts_at=start, ends_at=start + dt.timedelta(hours=1), executives=(lisbon,)),
    )

    pages = {}
    for user in (tokyo.user, lisbon.user, chicago):
        client.force_login(user)
        pages[user.time_zone] = (
            client.get(reverse("engagement:notifications")).content.decode(),
            client.get(reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})).content.decode(),
        )

    tokyo_notes, tokyo_page = pages["Asia/Tokyo"]
    assert "Wed 3 Dec 2031, 09:00 JST" in tokyo_notes
    assert "CST" not in tokyo_notes
    assert "For Wed 3 Dec 2031, 09:00 JST" in tokyo_page
    lisbon_notes, lisbon_page = pages["Europe/Lisbon"]
    assert "Wed 3 Dec 2031, 00:00 WET" in lisbon_notes
    assert "For Wed 3 Dec 2031, 00:00 WET" in lisbon_page
    _chicago_notes, chicago_page = pages["America/Chicago"]
    assert "For Tue 2 Dec 2031, 18:00 CST" in chicago_page
