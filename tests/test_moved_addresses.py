"""Each address prefix has one owner: the pages that moved to their app's
prefix still answer their old addresses (bookmarks, links in old emails and
notifications) with a permanent redirect, their query string kept."""

from __future__ import annotations

import pytest
from django.urls import reverse

from config import moved
from engagement.people.roles import Role
from engagement.tests.factories import UserFactory

OLD_TO_NEW = [
    ("/program/trends/", "/engagements/trends/"),
    ("/program/trends/weekly.csv", "/engagements/trends/weekly.csv"),
    ("/program/trends/states.csv", "/engagements/trends/states.csv"),
    ("/program/trends/types.csv", "/engagements/trends/types.csv"),
    ("/program/trends/executives.csv", "/engagements/trends/executives.csv"),
    ("/program/exports/engagements.csv?since=2025-01-01", "/engagements/export.csv?since=2025-01-01"),
    ("/engagements/12/debrief/", "/debriefs/12/"),
    ("/engagements/12/debrief/draft/", "/debriefs/12/draft/"),
    ("/engagements/12/actions/", "/debriefs/12/actions/"),
    ("/engagements/12/surveys/", "/surveys/send/12/"),
    ("/program/debriefs/?q=price", "/debriefs/?q=price"),
    ("/program/survey-answers/", "/surveys/answers/"),
    ("/program/pairings/?status=active", "/pairings/?status=active"),
    ("/program/pairings.csv", "/pairings.csv"),
    ("/program/coverage/key-person-risk/", "/pairings/key-person-risk/"),
    ("/program/coverage/key-person-risk.csv", "/pairings/key-person-risk.csv"),
    ("/program/accounts/7/propose/", "/pairings/propose/7/"),
    ("/program/executives/3/handover/", "/pairings/handover/3/"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new"), OLD_TO_NEW)
def test_an_old_address_redirects_for_good_to_where_the_page_is_now(client, old, new):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))

    response = client.get(old)

    assert (response.status_code, response["Location"]) == (301, new)


def test_every_moved_address_is_checked_here():
    assert len(moved.urlpatterns) == len(OLD_TO_NEW)


def test_each_prefix_is_served_by_one_app():
    """The first part of every address of the project names the one app that serves it."""
    owners: dict[str, set[str]] = {}
    for app in ("engagement", "visits", "feedback", "mentoring"):
        for pattern in __import__(f"{app}.urls", fromlist=["urlpatterns"]).urlpatterns:
            prefix = str(pattern.pattern).split("/", 1)[0]
            owners.setdefault(prefix, set()).add(app)
    shared = {prefix: apps for prefix, apps in owners.items() if len(apps) > 1}

    assert shared == {}
    assert owners["program"] == {"engagement"}
    assert owners["engagements"] == {"visits"}
    assert owners["debriefs"] == {"feedback"}
    assert owners["pairings"] == {"mentoring"}
    assert reverse("mentoring:key_person_risk").startswith("/pairings/")
