from __future__ import annotations

from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("engagements/<int:pk>/debrief/", views.debrief_view, name="debrief"),
    path("engagements/<int:pk>/debrief/draft/", views.debrief_draft, name="debrief_draft"),
    path("engagements/<int:pk>/actions/", views.action_create_view, name="action_create"),
    path("engagements/<int:pk>/surveys/", views.surveys_send_view, name="surveys_send"),
    path("actions/", views.action_list, name="actions"),
    path("actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("survey/<str:token>/", views.survey_view, name="survey"),
    path("program/debriefs/", views.debrief_search_view, name="debrief_search"),
    path("program/survey-answers/", views.survey_answers_view, name="survey_answers"),
]
