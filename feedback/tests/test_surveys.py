"""Customer surveys: one private, expiring, single-use link per contact who
attended, emailed once after the commit, answered once, and a low answer
followed up by the account manager."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import zoneinfo
from typing import Any
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from zeal import zeal_context

from engagement.cadence.models import Program
from engagement.errors import ProgramError
from engagement.moments import moments_in_zone
from engagement.notifications.models import Notification
from engagement.people.invitations import invitation_token
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ContactFactory, UserFactory
from feedback.models import ActionItem, Survey
from feedback.selectors import customer_words, engagement_surveys
from feedback.services import (
    SURVEY_SALT,
    program_sends_surveys,
    survey_answer,
    survey_claim,
    survey_deliver,
    survey_link,
    survey_token,
    surveys_send,
    surveys_unsent,
)
from feedback.tasks import send_survey, send_surveys_after_held, send_unsent_surveys
from feedback.tests.factories import HeldEngagementFactory, SurveyFactory
from visits.models import Engagement
from visits.services import engagement_complete, engagement_log_contact
from visits.tests.factories import EngagementTypeFactory

AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")
SURVEY_LINK = re.compile(r"https://groundwork\.example/survey/([^/\s]+)/")


@pytest.fixture
def ana(account):
    return ContactFactory(account=account, name="Ana Lima", email="ana.lima@northwind.example")


@pytest.fixture
def ben(account):
    return ContactFactory(account=account, name="Ben Okafor", email="ben.okafor@northwind.example")


@pytest.fixture
def engagement(account, lead, colleague, ana, ben):
    no_email = ContactFactory(account=account, name="Chris Dunn", email="")
    left = ContactFactory(account=account, name="Dana Wu", email="dana.wu@northwind.example", active=False)
    return HeldEngagementFactory(account=account, executives=[lead, colleague], contacts=[ana, ben, no_email, left])


def refused(message: str) -> pytest.RaisesExc:
    """Expect the service to refuse with ``message`` (its beginning, word for word)."""
    return pytest.raises(ProgramError, match=re.escape(message))


def send(engagement: Engagement, by: Any) -> Any:
    """Send the survey as one request does (with its own N+1 check)."""
    with zeal_context():
        return surveys_send(engagement=engagement, by=by)


def link_in(message: EmailMultiAlternatives) -> str:
    """The survey token in an email's link (plain text and HTML alike)."""
    [token] = set(SURVEY_LINK.findall(message.body))
    assert SURVEY_LINK.findall(message.alternatives[0].content) == [token]
    return token


def opened(survey: Survey, now: dt.datetime | None = None) -> Survey:
    """The survey as its contact opens it, through their link."""
    link = survey_link(token=survey_token(survey=survey), now=now)
    assert link.state == "open"
    return link.survey


def answer(survey: Survey, value: int, recommend: int, differently: str = "", **kwargs: Any) -> Survey:
    """Answer through the link, as one request does (with its own N+1 check)."""
    with zeal_context():
        return survey_answer(
            survey=opened(survey, kwargs.get("now")),
            value=value,
            recommend=recommend,
            differently=differently,
            **kwargs,
        )


# --- Sending --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_survey_email_names_the_day_of_the_meeting_where_it_took_place(account, lead, colleague, ana):
    lead.user.time_zone = "America/Los_Angeles"
    lead.user.save()
    # Late on a Sunday evening in Los Angeles: Monday morning in UTC.
    late = dt.datetime(2026, 12, 6, 23, 30, tzinfo=zoneinfo.ZoneInfo("America/Los_Angeles"))
    engagement = HeldEngagementFactory(account=account, executives=[lead, colleague], contacts=[ana], starts_at=late)
    survey = SurveyFactory(engagement=engagement, contact=ana, sent_at=None)

    assert survey_claim(survey_id=survey.pk)
    survey_deliver(survey_id=survey.pk)

    [message] = mail.outbox
    assert "on 6 December 2026." in message.body
    assert "6 Dec" in message.subject


@pytest.mark.django_db
def test_the_survey_email_comes_from_the_company_and_names_the_executives_met(account, lead, colleague, ana):
    Program.objects.update(company_name="Acme & Sons", survey_from_email="customers@acme.example")
    engagement = HeldEngagementFactory(account=account, executives=[lead, colleague], contacts=[ana])
    survey = SurveyFactory(engagement=engagement, contact=ana, sent_at=None)

    assert survey_claim(survey_id=survey.pk)
    survey_deliver(survey_id=survey.pk)

    [message] = mail.outbox
    assert message.from_email == "Acme & Sons <customers@acme.example>"
    assert message.subject.startswith("Acme & Sons: how did our meeting on")
    assert "Thank you for meeting Jordan Ellis and Alex Moreau of Acme & Sons on" in message.body
    assert "Acme &amp; Sons" in message.alternatives[0].content
    assert "Groundwork" not in message.subject + message.body


@pytest.mark.django_db
def test_without_a_company_name_or_sender_the_survey_uses_the_programs_name_and_the_sites_address(
    account, lead, ana, settings
):
    settings.DEFAULT_FROM_EMAIL = "Groundwork <program@company.example>"
    Program.objects.update(name="Customer Closeness", company_name="", survey_from_email="")
    engagement = HeldEngagementFactory(account=account, executives=[lead], contacts=[ana])
    survey = SurveyFactory(engagement=engagement, contact=ana, sent_at=None)

    assert survey_claim(survey_id=survey.pk)
    survey_deliver(survey_id=survey.pk)

    [message] = mail.outbox
    assert message.from_email == "Customer Closeness <program@company.example>"
    assert "Thank you for meeting Jordan Ellis of Customer Closeness on" in message.body


@pytest.mark.django_db
def test_sending_makes_one_survey_per_attending_contact_with_an_email(engagement, ana, ben, account_manager):
    queued = send(engagement, account_manager)

    surveys = (
        Survey.objects.filter(engagement=engagement).select_related("contact", "sent_by").order_by("contact__name")
    )
    assert [(s.contact, s.sent_by, s.sent_at) for s in surveys] == [
        (ana, account_manager, None),
        (ben, account_manager, None),
    ]
    assert sorted(queued.queued) == sorted(s.pk for s in surveys)
    assert queued.without_email == ["Chris Dunn"]


@pytest.mark.django_db
def test_sending_again_makes_no_second_survey_nor_second_email(
    engagement, account_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(engagement, account_manager)
    with django_capture_on_commit_callbacks(execute=True):
        again = send(engagement, account_manager)

    assert Survey.objects.filter(engagement=engagement).count() == 2
    assert again.queued == []
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_the_email_goes_out_after_the_commit_with_a_signed_link_valid_30_days(
    engagement, ana, ben, account_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        surveys_send(engagement=engagement, by=account_manager)
        assert mail.outbox == []  # nothing goes before the commit

    assert len(callbacks) == 2
    assert sorted(message.to[0] for message in mail.outbox) == [ana.email, ben.email]
    surveys = {survey.contact.email: survey for survey in Survey.objects.select_related("contact")}
    for message in mail.outbox:
        survey = surveys[message.to[0]]
        token = link_in(message)
        assert signing.loads(token, salt=SURVEY_SALT) == survey.pk
        assert survey_link(token=token).survey == survey
        assert message.reply_to == [account_manager.email]
        # From the company the contact met, under its name.
        assert re.match(r"^[^:]+: how did our meeting on", message.subject)
        assert survey.sent_at is not None
        assert survey.expires_at - survey.sent_at == dt.timedelta(days=30)


@pytest.mark.django_db
def test_a_survey_needs_a_contact_who_attended_and_a_held_engagement(account, lead, ana, account_manager):
    nobody = HeldEngagementFactory(account=account, executives=[lead])
    planned = HeldEngagementFactory(
        account=account, executives=[lead], contacts=[ana], status=Engagement.Status.SCHEDULED
    )

    with refused("No customer contact attended: add who was there before sending the survey."):
        surveys_send(engagement=nobody, by=account_manager)
    with refused("The survey is sent once the engagement has been held; it is scheduled."):
        surveys_send(engagement=planned, by=account_manager)

    assert not Survey.objects.exists()


# --- Claiming and delivering ----------------------------------------------------------


@pytest.mark.django_db
def test_of_two_senders_one_claims_the_survey():
    survey = SurveyFactory(sent_at=None)

    assert survey_claim(survey_id=survey.pk) is True
    assert survey_claim(survey_id=survey.pk) is False


@pytest.mark.django_db
def test_a_claim_left_by_a_sender_that_died_is_taken_back_after_15_minutes():
    survey = SurveyFactory(sent_at=None)
    claimed = timezone.now()
    assert survey_claim(survey_id=survey.pk, now=claimed)

    assert survey_claim(survey_id=survey.pk, now=claimed + dt.timedelta(minutes=14)) is False
    assert survey_claim(survey_id=survey.pk, now=claimed + dt.timedelta(minutes=16)) is True


@pytest.mark.django_db
def test_a_survey_sent_already_is_never_claimed_again():
    survey = SurveyFactory()

    assert survey_claim(survey_id=survey.pk, now=timezone.now() + dt.timedelta(hours=1)) is False
    assert send_survey.delay(survey.pk).get() is False
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_mail_server_failure_frees_the_claim_so_a_later_send_works(engagement, ana):
    survey = SurveyFactory(engagement=engagement, contact=ana, sent_at=None)
    assert survey_claim(survey_id=survey.pk)

    with (
        mock.patch.object(EmailMultiAlternatives, "send", side_effect=smtplib.SMTPException("451 try later")),
        pytest.raises(smtplib.SMTPException),
    ):
        survey_deliver(survey_id=survey.pk)

    survey.refresh_from_db()
    assert (survey.claimed_at, survey.sent_at) == (None, None)
    assert survey_claim(survey_id=survey.pk)
    with zeal_context():
        survey_deliver(survey_id=survey.pk)
    survey.refresh_from_db()
    assert survey.sent_at is not None
    assert [message.to for message in mail.outbox] == [[ana.email]]


@pytest.mark.django_db
def test_a_send_that_fails_every_retry_is_left_for_the_unsent_survey_sweep(
    engagement, ana, django_capture_on_commit_callbacks
):
    survey = SurveyFactory(engagement=engagement, contact=ana, sent_at=None)

    with mock.patch.object(EmailMultiAlternatives, "send", side_effect=smtplib.SMTPServerDisconnected("gone")):
        assert send_survey.delay(survey.pk).get() is False

    survey.refresh_from_db()
    assert (survey.claimed_at, survey.sent_at) == (None, None)
    assert surveys_unsent() == [survey.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert send_unsent_surveys() == 1
    assert [message.to for message in mail.outbox] == [[ana.email]]


@pytest.mark.django_db
def test_the_sweep_sends_a_survey_whose_task_was_lost_once(
    engagement, ana, ben, account_manager, django_capture_on_commit_callbacks
):
    # Recorded, but the task that would send them never ran.
    with django_capture_on_commit_callbacks(execute=False):
        surveys_send(engagement=engagement, by=account_manager)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        assert send_unsent_surveys() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert send_unsent_surveys() == 0

    assert sorted(message.to[0] for message in mail.outbox) == [ana.email, ben.email]


@pytest.mark.django_db
def test_the_sweep_leaves_surveys_being_sent_and_those_older_than_30_days():
    now = timezone.now()
    being_sent = SurveyFactory(sent_at=None, claimed_at=now - dt.timedelta(minutes=5))
    SurveyFactory(sent_at=None, created_at=now - dt.timedelta(days=31))
    sender_died = SurveyFactory(sent_at=None, claimed_at=now - dt.timedelta(minutes=20))
    never_claimed = SurveyFactory(sent_at=None)

    assert sorted(surveys_unsent(now=now)) == sorted([sender_died.pk, never_claimed.pk])
    assert being_sent.pk not in surveys_unsent(now=now)


# --- The link --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_link_is_open_until_it_expires():
    survey = SurveyFactory()
    token = survey_token(survey=survey)

    assert survey_link(token=token, now=survey.expires_at - dt.timedelta(seconds=1)).state == "open"
    expired = survey_link(token=token, now=survey.expires_at)
    assert (expired.state, expired.survey) == ("expired", survey)


@pytest.mark.django_db
def test_an_answered_link_says_so():
    survey = SurveyFactory()
    answer(survey, 4, 9)

    link = survey_link(token=survey_token(survey=survey))

    assert (link.state, link.survey) == ("answered", survey)


@pytest.mark.django_db
def test_an_altered_or_foreign_token_opens_nothing():
    survey = SurveyFactory()
    unsent = SurveyFactory(sent_at=None)
    token = survey_token(survey=survey)
    last = token[-1]
    altered = token[:-1] + ("A" if last != "A" else "B")

    for bad in [
        altered,
        invitation_token(user=UserFactory()),  # a valid token, signed for another purpose
        signing.dumps(survey.pk, salt="feedback.other"),
        signing.dumps(str(survey.pk), salt=SURVEY_SALT),  # right salt, not a survey id
        "not-a-token",
        "",
        survey_token(survey=unsent),  # a survey not sent yet
    ]:
        link = survey_link(token=bad)
        assert (link.state, link.survey) == ("invalid", None), bad


@pytest.mark.django_db
def test_the_link_of_a_deleted_survey_opens_nothing():
    survey = SurveyFactory()
    token = survey_token(survey=survey)
    survey.delete()

    assert survey_link(token=token).state == "invalid"


# --- Answering -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_answer_is_recorded_once(engagement, ana):
    survey = SurveyFactory(engagement=engagement, contact=ana)
    answer(survey, 4, 9, "  More time for questions, please.  ")

    with refused("This survey has already been answered, or its link has expired."):
        survey_answer(survey=survey, value=1, recommend=0, differently="Changed my mind")

    survey.refresh_from_db()
    assert (survey.value, survey.recommend, survey.differently) == (4, 9, "More time for questions, please.")
    assert survey.answered_at is not None


@pytest.mark.django_db
def test_an_answer_tells_the_executives_who_attended(engagement, ana, lead, colleague, account_manager):
    survey = SurveyFactory(engagement=engagement, contact=ana)

    answer(survey, 5, 10)

    for user in (lead.user, colleague.user):
        day = f"{engagement.starts_at.astimezone(user.tzinfo):%-d %b %Y}"
        expected = (
            f"Ana Lima of Northwind Traders answered the survey about your {engagement.type} on {day}: 5/5, 10/10."
        )
        assert [
            (moments_in_zone(message, user.time_zone), url)
            for message, url in Notification.objects.filter(user=user).values_list("message", "url")
        ] == [(expected, f"/engagements/{engagement.pk}/")]
    assert not Notification.objects.filter(user=account_manager).exists()
    assert not ActionItem.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("value", "recommend"), [(2, 10), (5, 6), (1, 0)])
def test_a_low_answer_becomes_an_action_for_the_account_manager_due_in_a_week(
    engagement, ana, account_manager, value, recommend
):
    survey = SurveyFactory(engagement=engagement, contact=ana)
    now = timezone.now()

    answer(survey, value, recommend, "Less slides.\n\nMore listening.", now=now)

    action = ActionItem.objects.get()
    assert (action.engagement, action.survey, action.owner, action.created_by) == (
        engagement,
        survey,
        account_manager,
        None,
    )
    assert action.title == f"Follow up with Ana Lima: the survey scored {value}/5 and {recommend}/10"
    assert action.detail_quotes == ["Less slides.", "More listening."]
    assert action.due_on == timezone.localdate(now, timezone=dt.UTC) + dt.timedelta(days=7)
    assert list(Notification.objects.filter(user=account_manager).values_list("message", "url")) == [
        (
            "Ana Lima of Northwind Traders gave a low survey answer: follow up with them.",
            f"/actions/{action.pk}/",
        )
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("value", "recommend"), [(3, 7), (5, 10)])
def test_a_good_answer_makes_no_action(engagement, ana, value, recommend):
    answer(SurveyFactory(engagement=engagement, contact=ana), value, recommend)

    assert not ActionItem.objects.exists()


@pytest.mark.django_db
def test_the_follow_up_is_due_a_week_from_the_owners_own_today(lead, ana):
    kiwi = UserFactory(time_zone="Pacific/Auckland", roles=[Role.ACCOUNT_MANAGER])
    engagement = HeldEngagementFactory(account=AccountFactory(account_manager=kiwi), executives=[lead])
    contact = ContactFactory(account=engagement.account)
    survey = SurveyFactory(engagement=engagement, contact=contact, sent_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    # 01:00 on 2 June in Auckland, still 1 June in UTC.
    now = dt.datetime(2025, 6, 2, 1, tzinfo=AUCKLAND)

    answer(survey, 1, 1, now=now)

    assert ActionItem.objects.get().due_on == dt.date(2025, 6, 9)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("manager", "requester", "follows_up"),
    [
        ("none", "active", "requester"),
        ("inactive", "active", "requester"),
        ("none", "none", "lead"),
        ("inactive", "inactive", "lead"),
    ],
)
def test_without_an_account_manager_the_follow_up_goes_to_whoever_asked_else_the_lead(
    lead, colleague, manager, requester, follows_up
):
    people = {
        "none": None,
        "active": UserFactory(roles=[Role.ACCOUNT_MANAGER]),
        "inactive": UserFactory(roles=[Role.ACCOUNT_MANAGER], is_active=False),
    }
    account = AccountFactory(account_manager=people[manager])
    asker = people[requester] if requester == "none" else UserFactory(is_active=requester == "active")
    engagement = HeldEngagementFactory(account=account, executives=[lead, colleague], requested_by=asker)
    survey = SurveyFactory(engagement=engagement, contact=ContactFactory(account=account))

    answer(survey, 1, 3)

    expected = asker if follows_up == "requester" else lead.user
    assert ActionItem.objects.get().owner == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("value", "recommend"), [(0, 5), (6, 5), (3, -1), (3, 11)])
def test_an_answer_out_of_range_is_refused(value, recommend):
    survey = SurveyFactory()

    with refused("Choose a value from 1 to 5 and a likelihood from 0 to 10."):
        survey_answer(survey=survey, value=value, recommend=recommend)

    assert survey_link(token=survey_token(survey=survey)).state == "open"


@pytest.mark.django_db
def test_an_expired_or_unsent_survey_cannot_be_answered():
    expired = SurveyFactory(sent_at=timezone.now() - dt.timedelta(days=31))
    unsent = SurveyFactory(sent_at=None)

    for survey in (expired, unsent):
        with refused("This survey has already been answered, or its link has expired."):
            survey_answer(survey=survey, value=4, recommend=8)

    assert not Survey.objects.filter(answered_at__isnull=False).exists()


@pytest.mark.django_db
def test_the_executive_reads_what_customers_wrote_about_engagements_they_attended(
    engagement, ana, ben, lead, colleague
):
    now = timezone.now()
    first = SurveyFactory(engagement=engagement, contact=ana)
    second = SurveyFactory(engagement=engagement, contact=ben)
    not_answered = ContactFactory(account=engagement.account, name="Zoe Quiet")
    SurveyFactory(engagement=engagement, contact=not_answered)
    answer(first, 4, 9, "Shorter, please.", now=now)
    answer(second, 5, 10, now=now + dt.timedelta(minutes=1))
    elsewhere = SurveyFactory(engagement=HeldEngagementFactory(executives=[colleague]))
    answer(elsewhere, 3, 7)

    words = customer_words(executive=lead)

    assert words == [second, first]
    assert [(s.contact.name, s.engagement.account.name) for s in words] == [
        ("Ben Okafor", "Northwind Traders"),
        ("Ana Lima", "Northwind Traders"),
    ]
    assert [s.contact.name for s in engagement_surveys(engagement=engagement)] == [
        "Ana Lima",
        "Ben Okafor",
        "Zoe Quiet",
    ]


# --- Sent on their own once an engagement is held -----------------------------------------


def program_for(executive: Any, *, surveys_after_held: bool) -> Program:
    program = Program.objects.create(name=f"Program of {executive}", surveys_after_held=surveys_after_held)
    executive.programs.add(program)
    return program


def ended_meeting(account: Any, lead: Any, contacts: list[Any]) -> Engagement:
    """A scheduled meeting that ended an hour ago, not yet marked held."""
    start = timezone.now() - dt.timedelta(hours=2)
    return HeldEngagementFactory(
        account=account,
        executives=[lead],
        contacts=contacts,
        status=Engagement.Status.SCHEDULED,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
    )


def mark_held(engagement: Engagement, by: Any) -> Engagement:
    """Mark it held as one request does (with its own N+1 check)."""
    with zeal_context():
        return engagement_complete(engagement=engagement, by=by, duration_minutes=55)


@pytest.mark.django_db
def test_marking_held_sends_the_survey_when_the_program_says_so(
    account, lead, ana, ben, account_manager, django_capture_on_commit_callbacks
):
    program_for(lead, surveys_after_held=True)
    engagement = ended_meeting(account, lead, [ana, ben])

    with django_capture_on_commit_callbacks(execute=True):
        mark_held(engagement, account_manager)

    assert sorted(message.to[0] for message in mail.outbox) == [ana.email, ben.email]
    surveys = Survey.objects.filter(engagement=engagement)
    assert [(s.sent_by, s.sent_at is not None) for s in surveys] == [(None, True), (None, True)]


@pytest.mark.django_db
def test_logging_a_contact_sends_the_survey_when_the_program_says_so(
    account, lead, ana, django_capture_on_commit_callbacks
):
    program_for(lead, surveys_after_held=True)

    with django_capture_on_commit_callbacks(execute=True):
        engagement, _ = engagement_log_contact(
            executive=lead,
            account=account,
            engagement_type=EngagementTypeFactory(),
            on=timezone.localdate(),
            duration_minutes=30,
            contacts=[ana],
        )

    assert [message.to for message in mail.outbox] == [[ana.email]]
    assert Survey.objects.get().engagement == engagement


@pytest.mark.django_db
def test_marking_held_sends_nothing_when_the_program_leaves_it_to_the_account_manager(
    account, lead, ana, account_manager, django_capture_on_commit_callbacks
):
    program_for(lead, surveys_after_held=False)
    engagement = ended_meeting(account, lead, [ana])

    with django_capture_on_commit_callbacks(execute=True):
        mark_held(engagement, account_manager)

    assert mail.outbox == []
    assert not Survey.objects.exists()


@pytest.mark.django_db
def test_a_held_engagement_without_contacts_sends_nothing_and_fails_nothing(
    account, lead, account_manager, django_capture_on_commit_callbacks
):
    program_for(lead, surveys_after_held=True)
    left = ContactFactory(account=account, active=False)

    nobody, only_left = ended_meeting(account, lead, []), ended_meeting(account, lead, [left])

    for engagement in (nobody, only_left):
        with django_capture_on_commit_callbacks(execute=True):
            mark_held(engagement, account_manager)
        # The task's own outcome: it has nothing to send, and says so without failing.
        assert send_surveys_after_held.delay(engagement.pk).get() == 0

    assert mail.outbox == []
    assert not Survey.objects.exists()


@pytest.mark.django_db
def test_which_program_decides_whether_surveys_go_out_on_their_own(account, lead, colleague):
    engagement = HeldEngagementFactory(account=account, executives=[lead, colleague])
    first = Program.objects.order_by("pk").first()
    first.surveys_after_held = True
    first.save()

    # Executives in no program: the first active program decides.
    assert program_sends_surveys(engagement=engagement) is True

    program_for(lead, surveys_after_held=False)
    assert program_sends_surveys(engagement=engagement) is False

    # One attendee's program is enough.
    program_for(colleague, surveys_after_held=True)
    assert program_sends_surveys(engagement=engagement) is True

    Program.objects.exclude(pk=first.pk).update(active=False)
    first.surveys_after_held = False
    first.save()
    assert program_sends_surveys(engagement=engagement) is False
