"""The customer feedback panel of the program dashboard, and the list of
survey answers behind it."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.dashboards.panels import PROGRAM_DASHBOARD_PANELS
from engagement.dates import local_today
from engagement.people.roles import Role
from engagement.tests.factories import UserFactory
from feedback.models import Survey
from feedback.selectors import customer_feedback_figures, feedback_since
from feedback.tests.factories import SurveyFactory

URL = reverse("feedback:survey_answers")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.fixture
def program_admin():
    return UserFactory(full_name="Priya Natarajan", time_zone="Asia/Tokyo", roles=[Role.PROGRAM_ADMIN])


def answered(
    value: int | None, recommend: int | None, *, days_ago: int = 3, at: dt.datetime | None = None, words: str = ""
) -> Survey:
    return SurveyFactory(
        answered_at=at or timezone.now() - dt.timedelta(days=days_ago),
        value=value,
        recommend=recommend,
        differently=words,
    )


def feedback_panel(user) -> tuple[dict, str]:
    """The feedback panel as the program dashboard gets it: its context and its HTML."""
    request = RequestFactory().get(reverse("engagement:program_home"))
    request.user = user
    panel = next(
        panel
        for panel in PROGRAM_DASHBOARD_PANELS.panels(request)
        if panel.template == "feedback/panels/program_feedback.html"
    )
    return panel.context, render_to_string(panel.template, {"panel": panel.context})


@pytest.mark.django_db
def test_the_panel_averages_the_last_twelve_months_of_answers(program_admin):
    counted = [answered(5, 10), answered(4, 9, words="Bring the roadmap next time."), answered(2, 3), answered(3, 7)]
    answered(1, 0, days_ago=400)  # more than a year ago
    SurveyFactory()  # sent, not answered

    context, html = feedback_panel(program_admin)
    figures = context["figures"]

    assert figures.answers == len(counted) == 4
    assert figures.value == pytest.approx(3.5)
    # Two promoters (9, 10), one detractor (3), one passive (7): 50% - 25%.
    assert (figures.promoter_share, figures.detractor_share, figures.net_promoter_score) == (50, 25, 25)
    first_day = local_today("Asia/Tokyo") - dt.timedelta(days=365)
    assert f"Survey answers since {first_day.day} {first_day:%b %Y}, the last twelve months." in html
    assert "3.5" in html
    assert "+25" in html
    assert "50% would recommend us (9 or 10), 25% would not (0 to 6)" in html
    assert f'href="{URL}"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("recommend", "score"),
    [
        ([10, 10, 6], 33),  # 2 promoters of 3, 1 detractor: 66.7% - 33.3%
        ([6, 0, 8], -67),
        ([9, 0, 7, 8], 0),
        ([10], 100),
        ([8, 7], 0),
    ],
)
def test_the_net_promoter_score_is_the_share_of_9s_and_10s_less_that_of_0_to_6(program_admin, recommend, score):
    for answer in recommend:
        answered(4, answer)

    figures = customer_feedback_figures(since=feedback_since(user=program_admin))

    assert figures.net_promoter_score == score


@pytest.mark.django_db
def test_twelve_months_start_at_the_viewers_midnight_365_days_ago(program_admin):
    first_day = local_today("Asia/Tokyo") - dt.timedelta(days=365)
    midnight = dt.datetime.combine(first_day, dt.time.min, tzinfo=TOKYO)
    answered(5, 10, at=midnight)
    answered(1, 0, at=midnight - dt.timedelta(seconds=1))

    figures = customer_feedback_figures(since=feedback_since(user=program_admin))

    assert figures.since == midnight
    assert (figures.answers, figures.value, figures.net_promoter_score) == (1, 5, 100)


@pytest.mark.django_db
def test_before_any_answer_the_panel_says_no_customer_has_answered_yet(program_admin):
    SurveyFactory()  # sent, not answered

    context, html = feedback_panel(program_admin)

    assert context["figures"].answers == 0
    assert "No customer has answered a survey yet." in html
    assert "Net promoter score" not in html


@pytest.mark.django_db
def test_with_only_old_answers_the_panel_says_none_came_lately(program_admin):
    answered(4, 9, days_ago=500)

    _, html = feedback_panel(program_admin)

    assert "No customer has answered a survey since" in html
    assert "yet" not in html


@pytest.mark.django_db
def test_the_figures_take_one_query_however_many_answers(program_admin):
    for _ in range(3):
        answered(4, 9)
    with CaptureQueriesContext(connection) as few:
        customer_feedback_figures(since=feedback_since(user=program_admin))
    for n in range(30):
        answered(n % 5 + 1, n % 11)
    with CaptureQueriesContext(connection) as many:
        figures = customer_feedback_figures(since=feedback_since(user=program_admin))

    assert figures.answers == 33
    assert len(few) == len(many) == 1


# --- The list of answers ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_shows_exactly_the_answers_the_panel_counts_newest_first(client, program_admin):
    older = answered(4, 9, days_ago=30, words="Bring the roadmap next time.")
    newer = answered(2, 3, days_ago=2, words="Nobody told our plant managers.")
    answered(1, 0, days_ago=400)
    SurveyFactory()
    client.force_login(program_admin)

    response = client.get(URL)

    page = response.context["page"]
    html = response.content.decode()
    assert [survey.pk for survey in page.object_list] == [newer.pk, older.pk]
    assert page.paginator.count == feedback_panel(program_admin)[0]["figures"].answers
    assert "Nobody told our plant managers." in html
    assert "Low score" in html
    assert html.index("Nobody told") < html.index("Bring the roadmap")


@pytest.mark.django_db
def test_the_list_says_so_when_nobody_answered_lately(client, program_admin):
    client.force_login(program_admin)

    assert "No customer has answered a survey since" in client.get(URL).content.decode()


@pytest.mark.django_db
def test_the_list_is_paginated_and_takes_the_same_queries_with_3_answers_and_with_40(client, program_admin):
    for _ in range(3):
        answered(4, 9, words="Fine.")
    client.force_login(program_admin)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(37):
        answered(3, 8, words="Fine.")
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)

    assert response.context["page"].paginator.num_pages == 2
    assert len(client.get(f"{URL}?page=2").context["page"].object_list) == 15
    assert len(few) == len(many)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ACCOUNT_MANAGER])
def test_only_program_admins_read_every_answer(client, role):
    client.force_login(UserFactory(roles=[role]))

    assert client.get(URL).status_code == 403
