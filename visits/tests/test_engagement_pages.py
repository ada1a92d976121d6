"""The pages of the lifecycle: what each person sees, and what bad input gets."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.people.models import Level
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ContactFactory, ExecutiveFactory, SkillFactory, UserFactory
from visits.models import Engagement
from visits.services import Plan, engagement_approve, engagement_ask, engagement_decline, engagement_schedule
from visits.tests.factories import EngagementFactory, EngagementTypeFactory
from visits.tests.test_lifecycle import request_for


def in_days(days: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def request_form(account, executive, **changes):
    return {
        "account": account.pk,
        "executive": executive.pk,
        "type": EngagementTypeFactory().pk,
        "purpose": Engagement.Purpose.LISTENING,
        "objective": "Hear how the rollout lands",
        "value_proposition": "Jordan ran operations at a peer; they gain a peer view; we follow up within a week.",
        "starts_at": timezone.localtime(in_days(7)).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": 60,
        "submission_key": str(uuid.uuid4()),
        **changes,
    }


# --- Request ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_request_form_suggests_executives_one_or_two_levels_above_the_contact_and_says_why(
    client, account, account_manager
):
    negotiation = SkillFactory(name="Negotiation")
    account.needs.add(negotiation)
    contact = ContactFactory(account=account, name="Ana Buyer", level=Level.DIRECTOR)
    fits = ExecutiveFactory(user=UserFactory(full_name="Fiona Fit"), level=Level.SVP)
    fits.talents.add(negotiation)
    ExecutiveFactory(user=UserFactory(full_name="Dan Director"), level=Level.DIRECTOR)
    client.force_login(account_manager)

    page = client.get(
        reverse("visits:request_executives"), {"account": account.pk, "working_contact": contact.pk}
    ).content.decode()

    assert page.index("Fiona Fit") < page.index("Dan Director")
    assert "Two levels above the working contact" in page
    assert "Talents the account needs: Negotiation" in page
    assert "No open engagements" in page


@pytest.mark.django_db
def test_for_a_c_suite_contact_the_form_suggests_the_top_of_the_company_and_says_so(client, account, account_manager):
    chief = ContactFactory(account=account, name="Cora Chief", level=Level.C_SUITE)
    # Alphabetically first, and at no fitting level: she comes after.
    ExecutiveFactory(user=UserFactory(full_name="Ava Vee"), level=Level.VP)
    ExecutiveFactory(user=UserFactory(full_name="Ceo Peer"), level=Level.C_SUITE)
    client.force_login(account_manager)

    page = client.get(
        reverse("visits:request_executives"), {"account": account.pk, "working_contact": chief.pk}
    ).content.decode()

    assert page.index("Ceo Peer") < page.index("Ava Vee")
    assert "executives at the top of the company, as Cora Chief is C-suite" in page
    assert "No active executive is at that level" not in page


@pytest.mark.django_db
def test_when_no_executive_is_at_the_fitting_level_the_form_says_so(client, account, account_manager):
    svp = ContactFactory(account=account, name="Sol Svp", level=Level.SVP)
    busy = ExecutiveFactory(user=UserFactory(full_name="Busy Vee"), level=Level.VP)
    EngagementFactory(account=account, executives=[busy], starts_at=in_days(3), status=Engagement.Status.SCHEDULED)
    ExecutiveFactory(user=UserFactory(full_name="Free Vee"), level=Level.VP)
    client.force_login(account_manager)

    page = client.get(
        reverse("visits:request_executives"), {"account": account.pk, "working_contact": svp.pk}
    ).content.decode()

    assert "one or two levels above Sol Svp (SVP)" in page
    assert "No active executive is at that level: these are ranked by talents, then by who is least busy." in page
    # Least busy first, as the words say.
    assert page.index("Free Vee") < page.index("Busy Vee")


@pytest.mark.django_db
def test_a_request_is_sent_from_the_form_and_opens_on_its_page(client, account, account_manager, executive):
    client.force_login(account_manager)

    response = client.post(reverse("visits:engagement_request"), request_form(account, executive))

    engagement = Engagement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})
    assert engagement.status == Engagement.Status.REQUESTED
    assert engagement.requested_by == account_manager


@pytest.mark.django_db
def test_a_request_without_a_value_proposition_keeps_everything_typed(client, account, account_manager, executive):
    client.force_login(account_manager)

    response = client.post(reverse("visits:engagement_request"), request_form(account, executive, value_proposition=""))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Write the value proposition: the executive decides on it." in page
    assert 'value="Hear how the rollout lands"' in page
    assert re.search(rf'name="executive" value="{executive.pk}"[^>]*checked', page)
    assert not Engagement.objects.exists()


@pytest.mark.django_db
def test_the_request_form_shows_the_proposed_time_in_the_executives_zone(client, account, account_manager):
    account_manager.time_zone = "America/Chicago"
    account_manager.save()
    tokyo = ExecutiveFactory(user=UserFactory(full_name="Kenji Sato", time_zone="Asia/Tokyo"))
    client.force_login(account_manager)
    hint = reverse("visits:request_time_for_executive")

    # 18:00 on a Tuesday in Chicago is 09:00 on Wednesday in Tokyo: a working hour there.
    evening = client.get(hint, {"executive": tokyo.pk, "starts_at": "2031-12-02T18:00", "duration_minutes": 90})
    # 10:00 in Chicago is 01:00 at night in Tokyo.
    morning = client.get(hint, {"executive": tokyo.pk, "starts_at": "2031-12-02T10:00", "duration_minutes": 60})

    text = " ".join(re.sub(r"<[^>]+>", "", evening.content.decode()).split())
    assert "For Kenji Sato that is Wed 3 Dec 2031, 09:00\u201310:30 JST, in their time zone (Asia/Tokyo)." in text
    assert "working hours" not in text
    text = " ".join(re.sub(r"<[^>]+>", "", morning.content.decode()).split())
    assert "For Kenji Sato that is Wed 3 Dec 2031, 01:00\u201302:00 JST" in text
    assert "That is outside Kenji Sato's working hours (09:00\u201317:00, Monday to Friday, in their time zone)" in text


@pytest.mark.django_db
def test_the_time_hint_says_nothing_until_an_executive_and_a_readable_time_are_chosen(client, account_manager):
    executive = ExecutiveFactory()
    client.force_login(account_manager)
    hint = reverse("visits:request_time_for_executive")

    for query in (
        {"starts_at": "2031-12-02T18:00"},
        {"executive": executive.pk, "starts_at": "not a time"},
        {"executive": executive.pk, "starts_at": "9999-12-31T23:59", "duration_minutes": "600000"},
        {"executive": "99999999999999999999999", "starts_at": "2031-12-02T18:00"},
    ):
        response = client.get(hint, query)
        assert response.status_code == 200
        assert response.content.decode().strip() == ""


@pytest.mark.django_db
def test_a_request_form_sent_back_with_an_error_shows_the_time_in_the_executives_zone(client, account, account_manager):
    tokyo = ExecutiveFactory(user=UserFactory(full_name="Kenji Sato", time_zone="Asia/Tokyo"))
    client.force_login(account_manager)  # in UTC

    response = client.post(
        reverse("visits:engagement_request"),
        request_form(account, tokyo, value_proposition="", starts_at="2031-12-06T02:00"),
    )

    page = response.content.decode()
    assert "For Kenji Sato that is <strong>Sat 6 Dec 2031, 11:00\u201312:00 JST</strong>" in page
    assert "outside Kenji Sato's working hours" in page


@pytest.mark.django_db
def test_an_account_manager_cannot_request_for_an_account_they_do_not_serve(client, account_manager, executive):
    elsewhere = AccountFactory(name="Someone Elses Co")
    client.force_login(account_manager)

    form = client.get(reverse("visits:engagement_request"), {"account": elsewhere.pk})
    sent = client.post(reverse("visits:engagement_request"), request_form(elsewhere, executive))

    assert "Someone Elses Co" not in form.content.decode()  # the list of their own accounts instead
    assert sent.status_code == 200
    assert not Engagement.objects.exists()


# --- Decide ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_executive_asked_sees_the_decision_form_and_approves(client, account, account_manager, executive):
    engagement = request_for(account, executive, account_manager)
    client.force_login(executive.user)

    page = client.get(reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})).content.decode()
    response = client.post(
        reverse("visits:engagement_decide", kwargs={"pk": engagement.pk}), {"decision": "approve"}, follow=True
    )

    assert "Your decision" in page
    assert "Approved. The account team is told" in response.content.decode()
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.APPROVED


@pytest.mark.django_db
def test_a_decision_on_a_request_already_decided_gets_a_message_not_an_error(
    client, account, account_manager, executive
):
    engagement = request_for(account, executive, account_manager)
    engagement_decline(engagement=engagement, by=UserFactory(full_name="Morgan Admin"), reason="On leave")
    client.force_login(executive.user)

    response = client.post(
        reverse("visits:engagement_decide", kwargs={"pk": engagement.pk}), {"decision": "approve"}, follow=True
    )

    assert response.status_code == 200
    assert "This request was already decided: declined by Morgan Admin." in response.content.decode()
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.DECLINED


@pytest.mark.django_db
def test_declining_without_a_reason_keeps_the_form_with_its_message(client, account, account_manager, executive):
    engagement = request_for(account, executive, account_manager)
    client.force_login(executive.user)

    response = client.post(reverse("visits:engagement_decide", kwargs={"pk": engagement.pk}), {"decision": "decline"})

    assert response.status_code == 200
    assert "Say why you decline" in response.content.decode()
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.REQUESTED


@pytest.mark.django_db
def test_an_account_manager_cannot_decide_for_the_executive(client, account, account_manager, executive):
    engagement = request_for(account, executive, account_manager)
    client.force_login(account_manager)

    response = client.post(reverse("visits:engagement_decide", kwargs={"pk": engagement.pk}), {"decision": "approve"})

    assert response.status_code == 403
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.REQUESTED


@pytest.mark.django_db
def test_the_exchange_shows_on_the_engagement_in_order(client, account, account_manager, executive):
    engagement = request_for(account, executive, account_manager)
    engagement_ask(engagement=engagement, by=executive.user, question="Who attends from their side?")
    client.force_login(account_manager)

    page = client.get(reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})).content.decode()

    history = page[page.index('id="history-heading"') :]
    assert "The executive asks a question" in page
    assert history.index("Requested") < history.index("Question asked") < history.index("Who attends from their side?")


# --- Schedule and complete --------------------------------------------------------------


@pytest.mark.django_db
def test_scheduling_from_the_form_keeps_what_was_typed_when_something_is_missing(
    client, account, account_manager, executive
):
    engagement = request_for(account, executive, account_manager)
    engagement_approve(engagement=engagement, by=executive.user)
    client.force_login(account_manager)
    url = reverse("visits:engagement_schedule", kwargs={"pk": engagement.pk})
    start = timezone.localtime(in_days(9)).strftime("%Y-%m-%dT%H:%M")

    missing = client.post(url, {"starts_at": start, "duration_minutes": 90, "brief": "Renewal in May"})
    done = client.post(url, {"starts_at": start, "duration_minutes": 90, "location": "Leeds", "brief": "Renewal"})

    assert "a place, a meeting link, or both" in missing.content.decode()
    assert "Renewal in May" in missing.content.decode()
    assert done.status_code == 302
    engagement.refresh_from_db()
    assert (engagement.status, engagement.location, engagement.planned_minutes) == ("scheduled", "Leeds", 90)


@pytest.mark.django_db
def test_after_its_end_the_engagement_is_marked_held_from_its_page(client, account, account_manager, executive):
    engagement = request_for(account, executive, account_manager)
    engagement_approve(engagement=engagement, by=executive.user)
    engagement_schedule(
        engagement=engagement, by=account_manager, plan=Plan(starts_at=in_days(1), ends_at=in_days(1.1), location="HQ")
    )
    Engagement.objects.filter(pk=engagement.pk).update(starts_at=in_days(-1), ends_at=in_days(-0.9))
    client.force_login(executive.user)
    url = reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})

    assert "Did it take place?" in client.get(url).content.decode()
    missing = client.post(reverse("visits:engagement_outcome", kwargs={"pk": engagement.pk}), {"outcome": "held"})
    client.post(reverse("visits:engagement_outcome", kwargs={"pk": engagement.pk}), {"outcome": "held",
                "duration_minutes": 120})  # fmt: skip

    assert "Say how long it lasted." in missing.content.decode()
    engagement.refresh_from_db()
    executive.refresh_from_db()
    assert (engagement.status, engagement.duration_minutes) == ("completed", 120)
    assert executive.last_contact_on is not None


@pytest.mark.django_db
def test_cancelling_asks_for_confirmation_and_a_reason(client, account, account_manager, executive):
    engagement = request_for(account, executive, account_manager)
    client.force_login(account_manager)
    url = reverse("visits:engagement_cancel", kwargs={"pk": engagement.pk})

    confirm = client.get(url)
    without_reason = client.post(url, {"reason": ""})
    engagement.refresh_from_db()
    status_after_empty_reason = engagement.status
    client.post(url, {"reason": "The customer postponed the project"})

    assert "This cannot be undone" in confirm.content.decode()
    assert "Say why: everyone attending is told." in without_reason.content.decode()
    assert status_after_empty_reason == Engagement.Status.REQUESTED
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.CANCELLED


# --- Lists ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_waiting_for_me_lists_what_each_person_must_do(client, account, account_manager, executive):
    to_decide = request_for(account, executive, account_manager, objective="Decide me")
    to_answer = request_for(account, executive, account_manager)
    engagement_ask(engagement=to_answer, by=executive.user, question="Why me?")
    to_schedule = request_for(account, executive, account_manager)
    engagement_approve(engagement=to_schedule, by=executive.user)
    url = reverse("visits:my_engagements")

    client.force_login(executive.user)
    executive_rows = client.get(url, {"when": "waiting"}).context["page"].object_list
    client.force_login(account_manager)
    manager_rows = client.get(url, {"when": "waiting"}).context["page"].object_list

    assert [row.pk for row in executive_rows] == [to_decide.pk]
    assert {row.pk for row in manager_rows} == {to_answer.pk, to_schedule.pk}


@pytest.mark.django_db
def test_requests_waiting_more_than_two_working_days_are_highlighted(client, account, account_manager, executive):
    fresh = request_for(account, executive, account_manager)
    stale = request_for(account, executive, account_manager)
    Engagement.objects.filter(pk=stale.pk).update(status_changed_at=timezone.now() - dt.timedelta(days=5))
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    client.force_login(admin)

    waiting = client.get(reverse("visits:my_engagements"), {"when": "waiting"})
    stale_page = client.get(reverse("visits:engagement_detail", kwargs={"pk": stale.pk})).content.decode()
    fresh_page = client.get(reverse("visits:engagement_detail", kwargs={"pk": fresh.pk})).content.decode()

    # A program admin's "waiting" is the requests that waited too long for their executive.
    assert [row.pk for row in waiting.context["page"].object_list] == [stale.pk]
    # Once in the list a phone shows, once in the table a desktop shows.
    assert waiting.content.decode().count("Waiting over 2 working days") == 2
    assert "Waiting over 2 working days" in stale_page
    assert "Waiting over 2 working days" not in fresh_page


@pytest.mark.django_db
def test_the_list_filters_by_account_and_executive(client, account, account_manager, executive):
    other_account = AccountFactory(name="Contoso", account_manager=account_manager)
    colleague = ExecutiveFactory(user=UserFactory(full_name="Lee Colleague"))
    EngagementFactory(account=account, executives=[executive], starts_at=in_days(-3))
    EngagementFactory(account=other_account, executives=[colleague], starts_at=in_days(-4))
    client.force_login(account_manager)
    url = reverse("visits:my_engagements")

    by_account = client.get(url, {"when": "past", "account": "contoso"}).context["page"].object_list
    by_executive = client.get(url, {"when": "past", "executive": "jordan"}).context["page"].object_list

    assert [row.account.name for row in by_account] == ["Contoso"]
    assert [row.account.name for row in by_executive] == ["Northwind Traders"]


@pytest.mark.django_db
def test_an_account_page_shows_its_history_and_background(client, account, account_manager, executive):
    account.needs.add(SkillFactory(name="Supply chain"))
    EngagementFactory(account=account, executives=[executive], starts_at=in_days(-3), notes="Loved the pilot")
    EngagementFactory(account=AccountFactory(name="Elsewhere"), executives=[executive], starts_at=in_days(-3))
    client.force_login(account_manager)

    page = client.get(reverse("visits:account_engagements", kwargs={"pk": account.pk})).content.decode()

    assert "Supply chain" in page
    assert "Loved the pilot" in page
    assert "Jordan Ellis" in page
    assert "Elsewhere" not in page
