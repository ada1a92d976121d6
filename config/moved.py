"""Addresses that pages had before each address prefix got one owner
(``/program/`` the program's pages, ``/engagements/`` visits', ``/debriefs/``
and ``/surveys/`` feedback's, ``/pairings/`` mentoring's). Bookmarks of them
still arrive: each answers a permanent redirect to where the page is now,
with its query string, once the person is signed in."""

from __future__ import annotations

from django.urls import URLPattern, path
from django.views.generic import RedirectView

app_name = "moved"


def moved(old: str, new_name: str) -> URLPattern:
    """A permanent redirect from ``old`` to the page named ``new_name``, with the same arguments."""
    return path(
        old,
        RedirectView.as_view(pattern_name=new_name, permanent=True, query_string=True),
        name=new_name.replace(":", "-"),
    )


urlpatterns = [
    moved("program/trends/", "visits:trends"),
    moved("program/trends/weekly.csv", "visits:trends_weekly_csv"),
    moved("program/trends/states.csv", "visits:trends_states_csv"),
    moved("program/trends/types.csv", "visits:trends_types_csv"),
    moved("program/trends/executives.csv", "visits:trends_heatmap_csv"),
    moved("program/exports/engagements.csv", "visits:export_engagements"),
    moved("engagements/<int:pk>/debrief/", "feedback:debrief"),
    moved("engagements/<int:pk>/debrief/draft/", "feedback:debrief_draft"),
    moved("engagements/<int:pk>/actions/", "feedback:action_create"),
    moved("engagements/<int:pk>/surveys/", "feedback:surveys_send"),
    moved("program/debriefs/", "feedback:debrief_search"),
    moved("program/survey-answers/", "feedback:survey_answers"),
    moved("program/pairings/", "mentoring:pairings"),
    moved("program/pairings.csv", "mentoring:pairings_csv"),
    moved("program/coverage/key-person-risk/", "mentoring:key_person_risk"),
    moved("program/coverage/key-person-risk.csv", "mentoring:key_person_risk_csv"),
    moved("program/accounts/<int:account_pk>/propose/", "mentoring:propose"),
    moved("program/executives/<int:executive_pk>/handover/", "mentoring:handover"),
]
