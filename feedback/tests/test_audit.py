"""Debriefs and actions in the audit trail: submitting a debrief and moving an
action on are conditional UPDATEs that send no signal, so the services record
them; a draft saved as its author types is not recorded."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from engagement.errors import ProgramError
from engagement.people.roles import Role
from engagement.tests.audit_page import audit_entries
from engagement.tests.factories import UserFactory
from feedback.models import ActionItem, Debrief, Sentiment, Theme
from feedback.services import action_status_set, debrief_draft_save, debrief_submit
from feedback.tests.factories import ActionItemFactory, HeldEngagementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(full_name="Morgan Admin", roles=[Role.PROGRAM_ADMIN]))
    return client


@pytest.fixture
def engagement(account, lead):
    return HeldEngagementFactory(account=account, executives=[lead])


def history(client, instance) -> list[str]:
    return audit_entries(client, object=f"{instance._meta.label_lower}:{instance.pk}")


def test_drafts_are_not_recorded_and_the_submission_is(admin_client, engagement, lead):
    pricing = Theme.objects.create(name="Pricing")
    debrief_draft_save(engagement=engagement, author=lead.user, fields={"heard": "The price"}, themes=[pricing])
    debrief_draft_save(engagement=engagement, author=lead.user, fields={"heard": "The price rose"}, themes=[pricing])
    debrief = Debrief.objects.get(engagement=engagement, author=lead.user)
    drafted = history(admin_client, debrief)

    debrief_submit(
        engagement=engagement,
        author=lead.user,
        fields={"heard": "The price rose twice.", "sentiment": Sentiment.NEGATIVE},
        themes=[pricing],
    )

    # Made when the author first typed, then nothing until they submitted.
    assert len(drafted) == 1 and drafted[0].startswith("System created debrief")
    submitted = history(admin_client, debrief)[0]
    assert submitted.startswith("Jordan Ellis changed debrief Debrief of")
    assert "Status: Draft → Submitted" in submitted
    assert "What we heard: The price rose → The price rose twice." in submitted
    assert "Sentiment: — → Negative" in submitted


def test_an_edit_after_submission_shows_the_words_before_and_after(admin_client, engagement, lead):
    pricing, delivery = Theme.objects.create(name="Pricing"), Theme.objects.create(name="Delivery")
    written = {"heard": "Deliveries slip.", "sentiment": Sentiment.MIXED}
    debrief = debrief_submit(engagement=engagement, author=lead.user, fields=written, themes=[pricing])

    debrief_submit(
        engagement=engagement,
        author=lead.user,
        fields={**written, "insights": "Tell the plants first."},
        themes=[pricing, delivery],
    )

    entries = history(admin_client, debrief)
    assert "Insights: — → Tell the plants first." in entries[0]
    assert "Status" not in entries[0]
    assert "Themes: added Delivery" in entries[1]
    # The debrief page is where it links.
    assert entries[0].startswith("Jordan Ellis changed debrief")


def test_a_long_text_is_shortened_on_the_page_and_kept_whole(admin_client, engagement, lead):
    words = "They said the rollout slipped twice. " * 20
    debrief = debrief_submit(
        engagement=engagement, author=lead.user, fields={"heard": words, "sentiment": Sentiment.MIXED}, themes=[]
    )

    latest = history(admin_client, debrief)[0]
    stored = LogEntry.objects.get_for_object(debrief).latest("pk").changes["heard"][1]

    assert stored == words
    assert "What we heard: — → They said the rollout slipped twice." in latest
    assert "…" in latest
    assert len(latest) < len(words)


def test_an_actions_status_change_is_recorded_with_its_note(admin_client, engagement, lead):
    action = ActionItemFactory(engagement=engagement, owner=lead.user, title="Send the new plan")

    action_status_set(action=action, by=lead.user, status=ActionItem.Status.DONE, note="Sent; they have the dates.")

    latest = history(admin_client, action)[0]
    assert latest.startswith("Jordan Ellis changed action item Send the new plan")
    assert "Status: Open → Done" in latest
    assert "Status note: — → Sent; they have the dates." in latest


def test_an_action_changed_by_someone_else_meanwhile_records_nothing(engagement, lead):
    action = ActionItemFactory(engagement=engagement, owner=lead.user)
    seen_by_the_other = ActionItem.objects.get(pk=action.pk)
    action_status_set(action=action, by=lead.user, status=ActionItem.Status.IN_PROGRESS)
    recorded = LogEntry.objects.count()

    with pytest.raises(ProgramError):
        action_status_set(action=seen_by_the_other, by=lead.user, status=ActionItem.Status.WONT_DO, note="No")

    assert LogEntry.objects.count() == recorded
