"""The debrief, action and survey pages, as the people who use them see them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from engagement.cadence.models import Program
from engagement.notifications.models import Notification
from engagement.people.models import Level
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ContactFactory, ExecutiveFactory, FunctionFactory, UserFactory
from feedback.models import ActionItem, Debrief, Survey
from feedback.services import action_create, survey_token
from visits.models import Engagement
from visits.services import engagement_executive_users
from visits.tests.factories import EngagementFactory


@pytest.fixture
def held(account, executive):
    engagement = EngagementFactory(account=account, executives=[executive])
    engagement.contacts.add(
        ContactFactory(account=account, name="Ana Buyer", email="ana@northwind.example"),
        ContactFactory(account=account, name="Bo Nomail", email=""),
    )
    return engagement


def debrief_url(engagement: Engagement) -> str:
    return reverse("feedback:debrief", kwargs={"pk": engagement.pk})


def draft_url(engagement: Engagement) -> str:
    return reverse("feedback:debrief_draft", kwargs={"pk": engagement.pk})


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_the_engagement_page_of_a_held_engagement_invites_each_attendee_to_debrief(client, held, executive):
    client.force_login(executive.user)

    page = client.get(reverse("visits:engagement_detail", kwargs={"pk": held.pk})).content.decode()

    assert "Write your debrief" in page
    assert debrief_url(held) in page


@pytest.mark.django_db
def test_a_draft_saves_as_the_executive_types_and_comes_back_on_the_page(client, held, executive):
    client.force_login(executive.user)

    saved = client.post(draft_url(held), {"heard": "We wait three weeks for parts."}, HTTP_HX_REQUEST="true")
    page = client.get(debrief_url(held)).content.decode()

    assert saved.status_code == 200
    assert "Draft saved at" in saved.content.decode()
    # The autosave script recognises the draft address's own answer by this mark.
    assert "data-draft-status" in saved.content.decode()
    assert "We wait three weeks for parts." in page
    assert Debrief.objects.get(author=executive.user).status == Debrief.Status.DRAFT
    assert Engagement.objects.get(pk=held.pk).status == Engagement.Status.COMPLETED


@pytest.mark.django_db
def test_a_draft_with_a_half_typed_date_keeps_the_words_typed_beside_it(client, held, executive):
    client.force_login(executive.user)

    client.post(draft_url(held), {"heard": "Keep this.", "follow_up_on": "2026-13-"}, HTTP_HX_REQUEST="true")

    debrief = Debrief.objects.get(author=executive.user)
    assert (debrief.heard, debrief.follow_up_on) == ("Keep this.", None)


@pytest.mark.django_db
def test_without_javascript_save_draft_returns_to_the_page_with_a_message(client, held, executive):
    client.force_login(executive.user)

    response = client.post(draft_url(held), {"insights": "They need a single contact."})

    assert response.status_code == 302
    assert said(response) == ["Draft saved. Nobody else sees it until you submit it."]


@pytest.mark.django_db
def test_a_submit_without_the_customers_words_says_so_and_keeps_what_was_typed(client, held, executive):
    client.force_login(executive.user)

    response = client.post(debrief_url(held), {"insights": "Pricing is the real issue.", "sentiment": "-1"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Write down what the customer said, in their own words." in page
    assert "Pricing is the real issue." in page
    kept = Debrief.objects.get(author=executive.user)
    assert (kept.status, kept.insights, kept.sentiment) == (Debrief.Status.DRAFT, "Pricing is the real issue.", -1)


@pytest.mark.django_db
def test_submitting_shows_the_quotes_and_marks_the_engagement_debriefed(client, held, executive, account_manager):
    client.force_login(executive.user)

    response = client.post(
        debrief_url(held), {"heard": "Your portal is slow.\n\nBut the people are great.", "sentiment": "1"}
    )
    client.force_login(account_manager)
    page = client.get(debrief_url(held)).content.decode()

    assert response.status_code == 302
    assert said(response) == ["Debrief submitted. The others who were there can read it now."]
    assert Engagement.objects.get(pk=held.pk).status == Engagement.Status.DEBRIEFED
    assert page.count("<blockquote") == 2
    assert "Your portal is slow." in page
    assert "Jordan Ellis" in page


@pytest.mark.django_db
def test_an_autosave_after_submitting_changes_nothing(client, held, executive):
    client.force_login(executive.user)
    client.post(debrief_url(held), {"heard": "Final words.", "sentiment": "0"})

    late = client.post(draft_url(held), {"heard": "An older draft."}, HTTP_HX_REQUEST="true")

    assert "Your debrief is submitted" in late.content.decode()
    assert Debrief.objects.get(author=executive.user).heard == "Final words."


@pytest.mark.django_db
def test_a_program_admin_reads_the_debriefs_but_has_no_form(client, held, executive):
    Debrief.objects.create(
        engagement=held, author=executive.user, heard="Words.", sentiment=0, status="submitted",
        submitted_at=timezone.now(),
    )  # fmt: skip
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))

    page = client.get(debrief_url(held)).content.decode()
    refused = client.post(debrief_url(held), {"heard": "Mine.", "sentiment": "0"})

    assert "Words." in page
    assert 'id="debrief-form"' not in page
    assert refused.status_code == 403


@pytest.mark.django_db
def test_an_engagement_not_yet_held_cannot_be_debriefed(client, account, executive):
    scheduled = EngagementFactory(account=account, executives=[executive], status=Engagement.Status.SCHEDULED)
    client.force_login(executive.user)

    page = client.get(debrief_url(scheduled)).content.decode()
    refused = client.post(debrief_url(scheduled), {"heard": "Too early.", "sentiment": "0"})

    assert "A debrief is written once the engagement has been held." in page
    assert said(refused) == ["A debrief is written once the engagement has been held; it is scheduled."]
    assert not Debrief.objects.exists()


@pytest.mark.django_db
def test_an_issue_routed_to_another_function_reaches_its_lead(client, held, executive):
    service_lead = ExecutiveFactory(level=Level.SVP)
    service = FunctionFactory(name="Service", lead=service_lead)
    client.force_login(executive.user)
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()

    response = client.post(
        reverse("feedback:action_create", kwargs={"pk": held.pk}),
        {"title": "Call back about slow repairs", "owner_choice": "function", "function": service.pk, "due_on": due},
    )
    client.force_login(service_lead.user)
    home = client.get(reverse("engagement:executive_home")).content.decode()

    action = ActionItem.objects.get()
    assert (action.owner, action.function, action.created_by) == (service_lead.user, service, executive.user)
    assert said(response) == [
        f"Action added and sent to {service_lead.user.full_name}. You follow it until it is closed."
    ]
    assert "Call back about slow repairs" in home
    assert "Routed to Service" in home


@pytest.mark.django_db
def test_routing_without_a_function_says_what_is_missing(client, held, executive):
    client.force_login(executive.user)

    response = client.post(
        reverse("feedback:action_create", kwargs={"pk": held.pk}),
        {"title": "Fix it", "owner_choice": "function", "due_on": timezone.localdate().isoformat()},
    )

    assert response.status_code == 200
    assert "Choose the function that owns the issue." in response.content.decode()
    assert 'value="Fix it"' in response.content.decode()
    assert not ActionItem.objects.exists()


@pytest.mark.django_db
def test_an_unknown_owner_address_gets_a_clear_message(client, held, executive):
    client.force_login(executive.user)

    response = client.post(
        reverse("feedback:action_create", kwargs={"pk": held.pk}),
        {
            "title": "Fix it",
            "owner_choice": "person",
            "owner_email": "nobody@example.com",
            "due_on": timezone.localdate().isoformat(),
        },
    )

    assert "Nobody with an active login has the address nobody@example.com." in response.content.decode()


@pytest.mark.django_db
def test_the_owner_closes_an_action_with_what_the_customer_was_told(client, held, executive, account_manager):
    owner = ExecutiveFactory().user
    action = action_create(
        engagement=held, by=executive.user, title="Send the repair plan", owner=owner,
        due_on=timezone.localdate() + dt.timedelta(days=3),
    )  # fmt: skip
    client.force_login(owner)
    url = reverse("feedback:action_detail", kwargs={"pk": action.pk})

    missing = client.post(url, {"status": "done"})
    done = client.post(url, {"status": "done", "note": "Sent the plan; Ana confirmed by phone."})

    assert "Say what was done, and what the customer was told." in missing.content.decode()
    assert done.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.status_note) == (ActionItem.Status.DONE, "Sent the plan; Ana confirmed by phone.")
    told = Notification.objects.filter(message__contains="Sent the plan; Ana confirmed by phone.")
    assert sorted(told.values_list("user__email", flat=True)) == sorted([executive.user.email, account_manager.email])


@pytest.mark.django_db
def test_an_attendee_who_neither_owns_nor_raised_an_action_reads_it_only(client, held, executive):
    colleague = ExecutiveFactory()
    held.attendances.create(executive=colleague)
    action = action_create(
        engagement=held, by=executive.user, title="Send the plan", owner=executive.user,
        due_on=timezone.localdate() + dt.timedelta(days=3),
    )  # fmt: skip
    client.force_login(colleague.user)
    url = reverse("feedback:action_detail", kwargs={"pk": action.pk})

    page = client.get(url)
    refused = client.post(url, {"status": "in_progress"})

    assert page.status_code == 200
    assert refused.status_code == 403
    assert ActionItem.objects.get().status == ActionItem.Status.OPEN


@pytest.mark.django_db
def test_the_account_manager_sends_the_survey_and_hears_who_has_no_address(
    client, held, account_manager, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(account_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("feedback:surveys_send", kwargs={"pk": held.pk}))

    assert said(response) == [
        "The survey is on its way to 1 contact.",
        "No email address, so not asked: Bo Nomail.",
    ]
    assert [message.to for message in mailoutbox] == [["ana@northwind.example"]]
    assert "/survey/" in mailoutbox[0].body
    assert mailoutbox[0].reply_to == [account_manager.email]


@pytest.mark.django_db
def test_an_executive_cannot_send_the_survey(client, held, executive):
    client.force_login(executive.user)

    response = client.post(reverse("feedback:surveys_send", kwargs={"pk": held.pk}))

    assert response.status_code == 403
    assert not Survey.objects.exists()


def sent_survey(engagement: Engagement) -> Survey:
    now = timezone.now()
    return Survey.objects.create(
        engagement=engagement,
        contact=engagement.contacts.get(name="Ana Buyer"),
        sent_at=now,
        expires_at=now + dt.timedelta(days=30),
    )


@pytest.mark.django_db
def test_a_customer_answers_once_and_the_executive_reads_their_words_at_home(client, held, executive):
    survey = sent_survey(held)
    url = reverse("feedback:survey", kwargs={"token": survey_token(survey=survey)})

    form = client.get(url)
    thanks = client.post(url, {"value": "4", "recommend": "9", "differently": "Bring the product team next time."})
    again = client.get(url)
    client.force_login(executive.user)
    home = client.get(reverse("engagement:executive_home")).content.decode()

    assert "How valuable was the meeting to you?" in form.content.decode()
    assert "Thank you" in thanks.content.decode()
    assert again.status_code == 410
    assert "You have already answered" in again.content.decode()
    assert "Bring the product team next time." in home
    assert "Ana Buyer" in home


@pytest.mark.django_db
def test_the_survey_speaks_for_the_company_and_names_the_executives_met(client, held):
    Program.objects.update(company_name="Acme Industrial")
    survey = sent_survey(held)
    url = reverse("feedback:survey", kwargs={"token": survey_token(survey=survey)})
    names = " and ".join(user.get_full_name() for user in engagement_executive_users(engagement=held))

    form = client.get(url).content.decode()
    thanks = client.post(url, {"value": "4", "recommend": "9"}).content.decode()
    closed = client.get(url).content.decode()
    altered = client.get(url[:-3] + "xx/").content.decode()

    assert f"you met {names}." in form
    for page in (form, thanks, closed, altered):
        assert "<title>" in page and "· Acme Industrial</title>" in page
        assert "Groundwork" not in page  # not in the title, the header, the footer, nor a menu


@pytest.mark.django_db
def test_a_survey_answer_without_a_score_says_what_is_missing(client, held):
    survey = sent_survey(held)
    url = reverse("feedback:survey", kwargs={"token": survey_token(survey=survey)})

    response = client.post(url, {"differently": "Less slides."})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose from 1 to 5." in page
    assert "Less slides." in page
    assert Survey.objects.get().answered_at is None


@pytest.mark.django_db
def test_an_expired_or_altered_survey_link_gets_a_clear_page(client, held):
    survey = sent_survey(held)
    token = survey_token(survey=survey)
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    expired = client.get(reverse("feedback:survey", kwargs={"token": token}))
    altered = client.get(reverse("feedback:survey", kwargs={"token": token[:-2] + "xx"}))

    assert (expired.status_code, altered.status_code) == (410, 404)
    assert "This survey has closed" in expired.content.decode()
    assert "This link does not work" in altered.content.decode()


@pytest.mark.django_db
def test_the_account_managers_home_shows_debriefs_due_and_open_actions(client, held, executive, account_manager):
    Engagement.objects.filter(pk=held.pk).update(status_changed_at=timezone.now() - dt.timedelta(days=3))
    action_create(
        engagement=held, by=executive.user, title="Quote the new price", owner=executive.user,
        due_on=timezone.localdate() + dt.timedelta(days=3),
    )  # fmt: skip
    client.force_login(account_manager)

    page = client.get(reverse("engagement:account_manager_home")).content.decode()

    assert "Waiting for a debrief" in page
    # The link's visible word begins its accessible name (WCAG 2.5.3).
    assert f'Debrief<span class="visually-hidden"> the {held.type.name} with Northwind Traders</span>' in page
    assert "Quote the new price" in page


@pytest.mark.django_db
def test_the_actions_page_separates_owed_followed_and_closed(client, held, executive):
    peer = ExecutiveFactory().user
    mine = action_create(
        engagement=held, by=peer, title="Owed by me", owner=executive.user,
        due_on=timezone.localdate() + dt.timedelta(days=3),
    )  # fmt: skip
    action_create(
        engagement=held, by=executive.user, title="Theirs, I follow", owner=peer,
        due_on=timezone.localdate() + dt.timedelta(days=3),
    )  # fmt: skip
    ActionItem.objects.filter(pk=mine.pk).update(status=ActionItem.Status.DONE, closed_at=timezone.now())
    client.force_login(executive.user)

    owed = client.get(reverse("feedback:actions")).content.decode()
    following = client.get(reverse("feedback:actions"), {"tab": "following"}).content.decode()
    closed = client.get(reverse("feedback:actions"), {"tab": "closed"}).content.decode()

    assert "Nothing owed" in owed
    assert "Theirs, I follow" in following
    assert "Owed by me" not in following
    assert "Owed by me" in closed


@pytest.mark.django_db
def test_another_account_managers_action_is_not_found(client, held, executive):
    action = action_create(
        engagement=held, by=executive.user, title="Private", owner=executive.user,
        due_on=timezone.localdate() + dt.timedelta(days=3),
    )  # fmt: skip
    client.force_login(UserFactory(roles=[Role.ACCOUNT_MANAGER]))
    AccountFactory()

    response = client.get(reverse("feedback:action_detail", kwargs={"pk": action.pk}))

    assert response.status_code == 404


@pytest.mark.django_db
def test_an_action_form_sent_twice_makes_one_action(client, held, executive):
    client.force_login(executive.user)
    posted = {
        "title": "Send the repair plan",
        "owner_choice": "me",
        "due_on": timezone.localdate().isoformat(),
        "submission_key": "4f0c1d7e-59a4-4d51-9a51-3c4f5b0e7a10",
    }

    first = client.post(reverse("feedback:action_create", kwargs={"pk": held.pk}), posted)
    again = client.post(reverse("feedback:action_create", kwargs={"pk": held.pk}), posted)

    assert (first.status_code, again.status_code) == (302, 302)
    assert ActionItem.objects.filter(title="Send the repair plan").count() == 1
