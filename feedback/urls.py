from __future__ import annotations

from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("debriefs/<int:pk>/", views.debrief_view, name="debrief"),
    path("debriefs/<int:pk>/draft/", views.debrief_draft, name="debrief_draft"),
    path("debriefs/<int:pk>/actions/", views.action_create_view, name="action_create"),
    path("surveys/send/<int:pk>/", views.surveys_send_view, name="surveys_send"),
    path("actions/", views.action_list, name="actions"),
    path("actions/csv/", views.action_list_csv, name="actions_csv"),
    path("actions/loop/", views.loop_view, name="loop"),
    path("actions/loop/csv/", views.loop_csv, name="loop_csv"),
    path("actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("survey/<str:token>/", views.survey_view, name="survey"),
    path("debriefs/", views.debrief_search_view, name="debrief_search"),
    path("surveys/answers/", views.survey_answers_view, name="survey_answers"),
]
