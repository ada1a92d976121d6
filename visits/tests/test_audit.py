"""Engagements in the audit trail: each step from request to held is one
conditional UPDATE that sends no signal, so the services record it, with who
took it, in the same transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagement.errors import ProgramError
from engagement.people.models import Level
from engagement.people.roles import Role
from engagement.tests.audit_page import audit_entries
from engagement.tests.factories import ContactFactory, ExecutiveFactory, UserFactory
from visits import services
from visits.models import Engagement
from visits.services import (
    Plan,
    engagement_approve,
    engagement_cancel,
    engagement_decline,
    engagement_log_contact,
    engagement_request,
    engagement_reschedule,
    engagement_schedule,
)
from visits.tests.factories import EngagementTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(full_name="Morgan Admin", roles=[Role.PROGRAM_ADMIN]))
    return client


def in_days(days: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def requested(account, executive, account_manager) -> Engagement:
    return engagement_request(
        account=account,
        executive=executive,
        requested_by=account_manager,
        engagement_type=EngagementTypeFactory(name="Plant visit", slug="plant-visit"),
        purpose=Engagement.Purpose.LISTENING,
        objective="Hear how the rollout lands with their operators",
        value_proposition="Jordan ran operations at a peer; they gain a peer view.",
        starts_at=in_days(7),
        duration_minutes=60,
    )


def history(client, engagement: Engagement) -> list[str]:
    return audit_entries(client, object=f"visits.engagement:{engagement.pk}")


def test_an_engagement_approved_by_an_executive_says_they_changed_its_status(
    admin_client, account, executive, account_manager
):
    engagement = requested(account, executive, account_manager)

    engagement_approve(engagement=engagement, by=executive.user, note="Glad to")

    latest = history(admin_client, engagement)[0]
    assert latest.startswith("Jordan Ellis changed engagement Plant visit with Northwind Traders")
    assert "Status: Requested → Approved" in latest


def test_a_decision_taken_on_the_page_names_who_took_it(admin_client, account, executive, account_manager):
    engagement = requested(account, executive, account_manager)
    client = Client()
    client.force_login(executive.user)

    client.post(reverse("visits:engagement_decide", kwargs={"pk": engagement.pk}), {"decision": "approve"})

    latest = history(admin_client, engagement)[0]
    assert latest.startswith("Jordan Ellis changed engagement")
    assert "Status: Requested → Approved" in latest


def test_a_request_decided_by_someone_else_meanwhile_records_one_decision(account, executive, account_manager):
    engagement = requested(account, executive, account_manager)
    seen_by_the_other = Engagement.objects.get(pk=engagement.pk)
    engagement_approve(engagement=engagement, by=executive.user)
    recorded = LogEntry.objects.count()

    with pytest.raises(ProgramError):
        engagement_decline(engagement=seen_by_the_other, by=executive.user, reason="Too busy")

    assert LogEntry.objects.count() == recorded


def test_a_change_undone_by_its_transaction_leaves_no_entry(monkeypatch, account, executive, account_manager):
    engagement = requested(account, executive, account_manager)
    recorded = LogEntry.objects.count()

    def mail_down(**kwargs: object) -> int:
        raise ConnectionError("notifications are down")

    monkeypatch.setattr(services, "notification_send", mail_down)
    with pytest.raises(ConnectionError):
        engagement_approve(engagement=engagement, by=executive.user)

    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.REQUESTED
    assert LogEntry.objects.count() == recorded


def test_a_reschedule_records_the_new_time_and_who_attends_by_name(admin_client, account, executive, account_manager):
    engagement = requested(account, executive, account_manager)
    engagement_approve(engagement=engagement, by=executive.user)
    first = Plan(starts_at=in_days(10), ends_at=in_days(10.05), location="Their plant in Leeds")
    engagement = engagement_schedule(engagement=engagement, by=account_manager, plan=first)
    colleague = ExecutiveFactory(user=UserFactory(full_name="Ann Lee", roles=[Role.EXECUTIVE]), level=Level.VP)
    buyer = ContactFactory(account=account, name="Ada Byrne")
    moved = Plan(
        starts_at=first.starts_at + dt.timedelta(days=1),
        ends_at=first.ends_at + dt.timedelta(days=1),
        location="Their plant in Leeds",
        executives=(colleague,),
        contacts=(buyer,),
    )

    engagement_reschedule(engagement=engagement, by=account_manager, plan=moved, reason="Their CFO can join")

    entries = history(admin_client, engagement)
    latest, scheduled = entries[0], entries[1]
    assert latest.startswith("Sam Rivera changed engagement")
    assert f"Starts at: {first.starts_at:%-d %b %Y, %H:%M} → {moved.starts_at:%-d %b %Y, %H:%M}" in latest
    assert "Executives: Jordan Ellis → Ann Lee, Jordan Ellis" in latest
    assert "Contacts: — → Ada Byrne (Northwind Traders)" in latest
    assert "Status" not in latest
    assert "Status: Approved → Scheduled" in scheduled
    assert "Location: — → Their plant in Leeds" in scheduled


def test_a_cancelled_engagement_is_recorded(admin_client, account, executive, account_manager):
    engagement = requested(account, executive, account_manager)

    engagement_cancel(engagement=engagement, by=account_manager, reason="The customer reorganised")

    assert "Status: Requested → Cancelled" in history(admin_client, engagement)[0]


def test_a_logged_contact_is_created_with_who_was_there(admin_client, account, executive):
    buyer = ContactFactory(account=account, name="Ada Byrne")

    engagement, _ = engagement_log_contact(
        executive=executive,
        account=account,
        engagement_type=EngagementTypeFactory(name="Video call", slug="video-call"),
        on=timezone.localdate(),
        duration_minutes=30,
        contacts=[buyer],
    )

    entries = history(admin_client, engagement)
    assert any("Contacts: added Ada Byrne (Northwind Traders)" in entry for entry in entries)
    assert any(entry.startswith("System created engagement Video call with Northwind Traders") for entry in entries)


def test_an_engagement_type_changed_in_the_admin_is_a_program_setting(admin_client):
    kind = EngagementTypeFactory(name="Plant tour", slug="plant-tour", counts_toward_cadence=True)
    url = reverse("admin:visits_engagementtype_change", args=[kind.pk])

    admin_client.post(
        url,
        {"name": "Plant tour", "slug": kind.slug, "description": "", "default_duration_minutes": "90",
         "position": "0", "active": "on", "directness": "unfiltered"},
    )  # fmt: skip

    latest = audit_entries(admin_client, kind="settings")[0]
    assert latest.startswith("Morgan Admin changed engagement type Plant tour")
    assert "Counts toward cadence: Yes → No" in latest
    assert "Default duration minutes: 60 → 90" in latest


def test_the_engagement_and_account_pages_offer_their_history_to_program_admins_only(
    admin_client, account, executive, account_manager
):
    engagement = requested(account, executive, account_manager)
    audit = reverse("engagement:audit")

    admin_pages = (
        admin_client.get(reverse("visits:engagement_detail", args=[engagement.pk])).content.decode(),
        admin_client.get(reverse("visits:account_engagements", args=[account.pk])).content.decode(),
    )
    client = Client()
    client.force_login(account_manager)
    manager_pages = (
        client.get(reverse("visits:engagement_detail", args=[engagement.pk])).content.decode(),
        client.get(reverse("visits:account_engagements", args=[account.pk])).content.decode(),
    )

    assert f"{audit}?object=visits.engagement%3A{engagement.pk}" in admin_pages[0]
    assert f"{audit}?object=engagement.account%3A{account.pk}" in admin_pages[1]
    assert not any(audit in page for page in manager_pages)
