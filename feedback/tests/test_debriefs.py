"""Debriefs: drafts kept as they are typed, one per author, and the first one
submitted marking the engagement debriefed and telling the others."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from zeal import zeal_context

from engagement.errors import ProgramError
from engagement.notifications.models import Notification
from engagement.people.roles import Role
from engagement.tests.factories import UserFactory
from feedback.models import Debrief, Sentiment
from feedback.selectors import (
    account_debriefs_due,
    debrief_of,
    debriefs_submitted,
    debriefs_to_write,
)
from feedback.services import debrief_draft_save, debrief_submit
from feedback.tests.factories import HeldEngagementFactory, ThemeFactory
from visits.models import Engagement, EngagementStatusChange

HEARD = "“Your invoices arrive a month late.”\n\n“Support answers within the hour, which we love.”"


def written(**changes: object) -> dict[str, object]:
    """What an author types into a complete debrief."""
    return {
        "heard": HEARD,
        "insights": "Billing, not the product, is the risk.",
        "sentiment": Sentiment.MIXED,
        **changes,
    }


# Each save stands for one request, with its own N+1 check: several in a test
# are several requests, not one request repeating a query.


def save_draft(**kwargs: Any) -> Debrief:
    with zeal_context():
        return debrief_draft_save(**kwargs)


def submit(**kwargs: Any) -> Debrief:
    with zeal_context():
        return debrief_submit(**kwargs)


@pytest.fixture
def engagement(account, lead, colleague):
    return HeldEngagementFactory(account=account, executives=[lead, colleague])


def told(engagement: Engagement) -> list[int]:
    """Who was told of a debrief of ``engagement``, by user id."""
    return sorted(Notification.objects.filter(url=f"/debriefs/{engagement.pk}/").values_list("user_id", flat=True))


# --- Drafts ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_draft_saves_without_anything_required_and_keeps_its_themes(engagement, lead):
    pricing = ThemeFactory(name="Pricing")

    draft = save_draft(engagement=engagement, author=lead.user, fields={"insights": "Half a thought"}, themes=[pricing])

    assert draft.status == Debrief.Status.DRAFT
    assert (draft.heard, draft.insights, draft.sentiment) == ("", "Half a thought", None)
    assert list(draft.themes.all()) == [pricing]
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.COMPLETED
    assert told(engagement) == []


@pytest.mark.django_db
def test_saving_a_draft_again_updates_the_one_draft_and_keeps_themes_not_sent(engagement, lead):
    pricing = ThemeFactory(name="Pricing")
    save_draft(engagement=engagement, author=lead.user, fields={"heard": "“Your invoi"}, themes=[pricing])

    draft = save_draft(engagement=engagement, author=lead.user, fields={"heard": "“Your invoices arrive late.”"})

    assert Debrief.objects.filter(engagement=engagement).count() == 1
    assert draft.heard == "“Your invoices arrive late.”"
    assert list(draft.themes.all()) == [pricing]


@pytest.mark.django_db
def test_a_draft_ignores_fields_that_are_not_the_authors_to_type(engagement, lead):
    draft = save_draft(
        engagement=engagement, author=lead.user, fields={"insights": "Noted", "status": Debrief.Status.SUBMITTED}
    )

    assert draft.status == Debrief.Status.DRAFT
    assert draft.insights == "Noted"


@pytest.mark.django_db
def test_a_late_draft_save_never_changes_a_submitted_debrief(engagement, lead):
    pricing, onboarding = ThemeFactory(name="Pricing"), ThemeFactory(name="Onboarding")
    submitted = submit(engagement=engagement, author=lead.user, fields=written(), themes=[pricing])

    late = save_draft(
        engagement=engagement,
        author=lead.user,
        fields={"heard": "“Your invoi", "sentiment": None},
        themes=[onboarding],
        now=timezone.now() + dt.timedelta(seconds=5),
    )

    assert late.is_submitted
    assert (late.heard, late.sentiment, late.updated_at) == (HEARD, Sentiment.MIXED, submitted.updated_at)
    assert list(late.themes.all()) == [pricing]


# --- Submitting ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"heard": ""}, "Write down what the customer said, in their own words."),
        ({"heard": "  \n\n  "}, "Write down what the customer said, in their own words."),
        ({"sentiment": None}, "Choose how the customer felt."),
    ],
)
def test_submitting_needs_the_customers_words_and_a_sentiment(engagement, lead, changes, message):
    save_draft(engagement=engagement, author=lead.user, fields={"insights": "Billing is the risk"})

    with pytest.raises(ProgramError, match=message):
        submit(engagement=engagement, author=lead.user, fields=written(**changes), themes=[])

    assert Debrief.objects.get(engagement=engagement).status == Debrief.Status.DRAFT
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.COMPLETED


@pytest.mark.django_db
def test_the_first_debrief_marks_the_engagement_debriefed_and_tells_the_others(
    engagement, lead, colleague, account_manager
):
    pricing = ThemeFactory(name="Pricing")

    debrief = submit(engagement=engagement, author=lead.user, fields=written(), themes=[pricing])

    assert debrief.is_submitted
    assert debrief.submitted_at is not None
    assert list(debrief.themes.all()) == [pricing]
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.DEBRIEFED
    assert list(
        EngagementStatusChange.objects.filter(engagement=engagement).values_list("from_status", "to_status", "by")
    ) == [("completed", "debriefed", lead.user_id)]
    assert told(engagement) == sorted([colleague.user_id, account_manager.pk])
    message = Notification.objects.filter(user=account_manager).get().message
    assert message == f"Jordan Ellis debriefed the {engagement.type} with Northwind Traders."


@pytest.mark.django_db
def test_whoever_asked_for_the_engagement_is_told_too(engagement, lead):
    requester = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    Engagement.objects.filter(pk=engagement.pk).update(requested_by=requester)
    engagement.refresh_from_db()

    submit(engagement=engagement, author=lead.user, fields=written(), themes=[])

    assert requester.pk in told(engagement)


@pytest.mark.django_db
@pytest.mark.parametrize("page_read", ["before the first debrief", "after the first debrief"])
def test_a_second_authors_debrief_tells_the_others_and_leaves_the_engagement_debriefed(
    engagement, lead, colleague, account_manager, page_read
):
    # The colleague's page may have been opened before the first debrief went in.
    seen_by_colleague = Engagement.objects.get(pk=engagement.pk) if page_read.startswith("before") else None
    submit(engagement=engagement, author=lead.user, fields=written(), themes=[])
    Notification.objects.all().delete()

    second = submit(
        engagement=seen_by_colleague or Engagement.objects.get(pk=engagement.pk),
        author=colleague.user,
        fields=written(heard="“Invoices are our only problem.”", sentiment=Sentiment.NEGATIVE),
        themes=[],
    )

    assert second.is_submitted
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == sorted([lead.user_id, account_manager.pk])
    assert EngagementStatusChange.objects.filter(engagement=engagement, to_status="debriefed").count() == 1
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.DEBRIEFED
    assert [d.author for d in debriefs_submitted(engagement=engagement)] == [lead.user, colleague.user]


@pytest.mark.django_db
def test_editing_a_submitted_debrief_keeps_its_submission_time_and_tells_nobody(engagement, lead):
    first = submit(engagement=engagement, author=lead.user, fields=written(), themes=[])
    notifications = Notification.objects.count()

    edited = submit(
        engagement=Engagement.objects.get(pk=engagement.pk),
        author=lead.user,
        fields=written(insights="Billing is the whole story."),
        themes=[],
        now=timezone.now() + dt.timedelta(hours=1),
    )

    assert edited.insights == "Billing is the whole story."
    assert edited.submitted_at == first.submitted_at
    assert Notification.objects.count() == notifications


@pytest.mark.django_db
def test_what_was_heard_is_quoted_one_paragraph_at_a_time(engagement, lead):
    heard = "  “Your invoices arrive late.”  \r\n\r\n\r\n“Support is great.”\nSaid twice.\n\n   \n\n“Fix billing.”"

    debrief = submit(engagement=engagement, author=lead.user, fields=written(heard=heard), themes=[])

    assert debrief.quotes == ["“Your invoices arrive late.”", "“Support is great.”\nSaid twice.", "“Fix billing.”"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status", [Engagement.Status.SCHEDULED, Engagement.Status.CANCELLED, Engagement.Status.NOT_HELD]
)
def test_an_engagement_not_held_cannot_be_debriefed(account, lead, status):
    engagement = HeldEngagementFactory(account=account, executives=[lead], status=status)

    with pytest.raises(ProgramError, match="A debrief is written once the engagement has been held"):
        save_draft(engagement=engagement, author=lead.user, fields={"insights": "Noted"})
    with pytest.raises(ProgramError, match="A debrief is written once the engagement has been held"):
        submit(engagement=engagement, author=lead.user, fields=written(), themes=[])

    assert not Debrief.objects.exists()
    engagement.refresh_from_db()
    assert engagement.status == status


@pytest.mark.django_db
def test_two_authors_each_keep_their_own_debrief(engagement, lead, account_manager):
    save_draft(engagement=engagement, author=lead.user, fields={"heard": "“Invoices are late.”"})
    save_draft(engagement=engagement, author=account_manager, fields={"heard": "“Support is great.”"})
    save_draft(engagement=engagement, author=lead.user, fields={"heard": "“Invoices are very late.”"})

    assert Debrief.objects.filter(engagement=engagement).count() == 2
    assert debrief_of(engagement=engagement, author=lead.user).heard == "“Invoices are very late.”"
    assert debrief_of(engagement=engagement, author=account_manager).heard == "“Support is great.”"


# --- What pages list ----------------------------------------------------------------


@pytest.mark.django_db
def test_debriefs_to_write_lists_held_engagements_until_the_executives_own_is_submitted(account, lead, colleague):
    now = timezone.now()
    older = HeldEngagementFactory(account=account, executives=[lead, colleague], starts_at=now - dt.timedelta(days=9))
    newer = HeldEngagementFactory(account=account, executives=[lead], starts_at=now - dt.timedelta(days=2))
    HeldEngagementFactory(account=account, executives=[lead], starts_at=now - dt.timedelta(days=61))
    HeldEngagementFactory(account=account, executives=[colleague], starts_at=now - dt.timedelta(days=2))
    HeldEngagementFactory(
        account=account, executives=[lead], status=Engagement.Status.SCHEDULED, starts_at=now + dt.timedelta(days=2)
    )
    save_draft(engagement=newer, author=lead.user, fields={"heard": "“Half"})

    listed = debriefs_to_write(user=lead.user, now=now)
    assert [(e.pk, e.has_draft) for e in listed] == [(older.pk, False), (newer.pk, True)]

    submit(engagement=older, author=colleague.user, fields=written(), themes=[])
    submit(engagement=newer, author=lead.user, fields=written(), themes=[])

    # Debriefed by a colleague: nothing left for the lead to write.
    assert debriefs_to_write(user=lead.user, now=now) == []


@pytest.mark.django_db
def test_the_account_manager_sees_the_engagements_of_their_accounts_nobody_debriefed(account, account_manager, lead):
    waiting = HeldEngagementFactory(account=account, executives=[lead])
    debriefed = HeldEngagementFactory(account=account, executives=[lead])
    HeldEngagementFactory(executives=[lead])  # another account manager's account
    submit(engagement=debriefed, author=lead.user, fields=written(), themes=[])

    assert [e.pk for e in account_debriefs_due(user=account_manager)] == [waiting.pk]


@pytest.mark.django_db
def test_submitted_debriefs_are_listed_with_their_themes_in_one_read(account, lead, colleague):
    engagement = HeldEngagementFactory(account=account, executives=[lead, colleague])
    pricing, onboarding = ThemeFactory(name="Pricing"), ThemeFactory(name="Onboarding")
    submit(engagement=engagement, author=lead.user, fields=written(), themes=[pricing, onboarding])
    submit(engagement=engagement, author=colleague.user, fields=written(), themes=[pricing])
    save_draft(engagement=engagement, author=account.account_manager, fields={"heard": "“Half"})

    debriefs = debriefs_submitted(engagement=engagement)

    # Every debrief's themes come from one prefetch: an N+1 here fails the test.
    assert [(d.author.get_full_name(), [t.name for t in d.themes.all()]) for d in debriefs] == [
        ("Jordan Ellis", ["Onboarding", "Pricing"]),
        ("Alex Moreau", ["Pricing"]),
    ]
