"""Program admins find debriefs by what customers said and by theme."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from zeal import zeal_ignore

from engagement.people.models import User
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ExecutiveFactory, UserFactory
from feedback.filters import DebriefSearchFilter
from feedback.models import Debrief, Theme
from feedback.selectors import debrief_search, debriefs_matching
from visits.tests.factories import EngagementFactory

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search is PostgreSQL's; SQLite matches words"
)


def debrief(heard: str, *, themes: tuple[Theme, ...] = (), status: str = Debrief.Status.SUBMITTED, **fields) -> Debrief:
    with zeal_ignore():  # test data, one debrief per call
        return _debrief(heard, themes=themes, status=status, **fields)


def _debrief(heard: str, *, themes: tuple[Theme, ...], status: str, **fields) -> Debrief:
    executive = ExecutiveFactory()
    engagement = EngagementFactory(account=AccountFactory(), executives=[executive])
    written = Debrief.objects.create(
        engagement=engagement,
        author=executive.user,
        heard=heard,
        status=status,
        submitted_at=timezone.now() if status == Debrief.Status.SUBMITTED else None,
        sentiment=0,
        **fields,
    )
    written.themes.set(themes)
    return written


def found(query: str = "", theme: Theme | None = None) -> list[Debrief]:
    return list(DebriefSearchFilter({"q": query, "theme": theme.pk if theme else ""}, queryset=debrief_search()).qs)


@pytest.mark.django_db
def test_a_search_finds_submitted_debriefs_by_any_of_their_words():
    waiting = debrief("We wait three weeks for a replacement part.")
    insight = debrief("All fine.", insights="Their plant manager wants a replacement programme.")
    debrief("The new dashboard is great.")
    debrief("Replacement parts are late again.", status=Debrief.Status.DRAFT)

    assert set(found("replacement")) == {waiting, insight}
    assert found("dashboard great") != []
    assert found("nothing like this") == []


@pytest.mark.django_db
def test_a_theme_narrows_the_search_and_stands_on_its_own():
    pricing = Theme.objects.create(name="Pricing")
    support = Theme.objects.create(name="Support response times")
    expensive = debrief("The renewal price went up by a third.", themes=(pricing,))
    slow = debrief("Tickets sit for days before anyone answers.", themes=(support, pricing))
    debrief("Tickets are answered quickly now.", themes=(support,))

    assert set(found(theme=pricing)) == {expensive, slow}
    assert found("tickets", theme=pricing) == [slow]


@pytest.mark.django_db
def test_without_words_the_latest_debriefs_come_first():
    older = debrief("First.")
    Debrief.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - dt.timedelta(days=3))
    newer = debrief("Second.")

    assert found() == [newer, older]


@postgresql_only
@pytest.mark.django_db
def test_on_postgresql_words_match_by_stem_latest_first():
    often = debrief("Billing errors, billing errors again: the billing team never calls back.")
    once = debrief("One billed item was wrong.", insights="Small thing.")
    debrief("Delivery was on time.")

    assert found("bill") == [once, often]
    # Web search syntax: a minus leaves out debriefs with the word.
    assert found("billing -team") == [once]


@postgresql_only
@pytest.mark.django_db
def test_on_postgresql_the_search_reads_the_full_text_index():
    # Enough submitted debriefs that their status narrows nothing, as at scale.
    engagement = EngagementFactory(account=AccountFactory())
    authors = User.objects.bulk_create(
        User(email=f"author{n}@groundwork.example", full_name=f"Author {n}", password="!") for n in range(400)
    )
    Debrief.objects.bulk_create(
        Debrief(engagement=engagement, author=author, heard=f"Quote {n} about the weather", sentiment=0,
                status=Debrief.Status.SUBMITTED, submitted_at=timezone.now())
        for n, author in enumerate(authors)
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE feedback_debrief")
        # A table this small may still be cheaper to read whole, or through
        # the status index, than through the text index; at scale it is not.
        # Leave the planner only bitmap scans, and see that it picks the
        # text index among them: proof that its expression is the query's.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = debriefs_matching(debrief_search(), "replacement").explain()

    assert "debrief_search" in plan


@pytest.mark.django_db
def test_the_search_page_is_paginated_and_keeps_the_query(client):
    for n in range(23):
        debrief(f"Quote number {n} about onboarding.")
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))

    first = client.get(reverse("feedback:debrief_search"), {"q": "onboarding"})
    second = client.get(reverse("feedback:debrief_search"), {"q": "onboarding", "page": 2})

    assert "23 debriefs found, latest first" in first.content.decode()
    assert first.content.decode().count("<blockquote") == 20
    assert 'href="?q=onboarding&amp;page=2"' in first.content.decode()
    assert second.content.decode().count("<blockquote") == 3


@pytest.mark.django_db
def test_a_search_with_no_match_says_so(client):
    debrief("Something else entirely.")
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))

    response = client.get(reverse("feedback:debrief_search"), {"q": "zeppelin"})

    assert "No debrief matches" in response.content.decode()
