"""A contact kept on a phone without a connection is sent later, often in
another session and sometimes more than once: it is one engagement."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from engagement.dates import local_today
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ExecutiveFactory, UserFactory
from visits.models import Engagement
from visits.tests.factories import EngagementTypeFactory

LOG_URL = reverse("visits:log_contact")


def fresh_token(client: Client) -> str:
    """The CSRF token a phone reads from the log form before sending."""
    page = client.get(LOG_URL).content.decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


@pytest.mark.django_db
def test_a_contact_kept_on_the_phone_and_sent_twice_in_new_sessions_is_one_engagement():
    executive = ExecutiveFactory(user=UserFactory(roles=[Role.EXECUTIVE], time_zone="Europe/Berlin"))
    account = AccountFactory(name="Northwind Traders")
    kind = EngagementTypeFactory()
    phone = Client(enforce_csrf_checks=True)
    phone.force_login(executive.user)
    page = phone.get(LOG_URL).content.decode()
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    saved_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    kept = {
        "account": account.pk,
        "type": kind.pk,
        "on": local_today("Europe/Berlin").isoformat(),
        "duration_minutes": 60,
        "note": "Said on the train",
        "submission_key": key,
    }

    # Signed in again before it was sent: the token the form had is no longer good.
    phone.logout()
    phone.force_login(executive.user)
    stale = phone.post(LOG_URL, {**kept, "csrfmiddlewaretoken": saved_token})
    assert stale.status_code == 403 and not Engagement.objects.exists()
    first = phone.post(LOG_URL, {**kept, "csrfmiddlewaretoken": fresh_token(phone)})
    # The answer was lost on the way back, and the phone sends it again in yet another session.
    phone.logout()
    phone.force_login(executive.user)
    second = phone.post(LOG_URL, {**kept, "csrfmiddlewaretoken": fresh_token(phone)})

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("engagement:executive_home")
    engagement = Engagement.objects.get()
    assert engagement.submission_key == uuid.UUID(key)
    assert engagement.notes == "Said on the train"


@pytest.mark.django_db
def test_the_log_form_says_it_works_offline_and_each_visit_has_a_key_of_its_own(client):
    executive = ExecutiveFactory(user=UserFactory(roles=[Role.EXECUTIVE]))
    client.force_login(executive.user)

    pages = [client.get(LOG_URL).content.decode() for _ in range(2)]

    keys = {re.search(r'name="submission_key" value="([^"]+)"', page).group(1) for page in pages}
    assert len(keys) == 2
    assert all("data-offline-log" in page for page in pages)
