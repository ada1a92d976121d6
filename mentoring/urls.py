from __future__ import annotations

from django.urls import path

from mentoring import views

app_name = "mentoring"

urlpatterns = [
    path("pairings/", views.pairings, name="pairings"),
    path("pairings.csv", views.pairings_csv, name="pairings_csv"),
    path("pairings/key-person-risk/", views.key_person_risk, name="key_person_risk"),
    path("pairings/key-person-risk.csv", views.key_person_risk_csv, name="key_person_risk_csv"),
    path("pairings/propose/<int:account_pk>/", views.pairing_propose_view, name="propose"),
    path("pairings/handover/<int:executive_pk>/", views.handover, name="handover"),
    path("sponsorships/", views.my_sponsorships, name="my_sponsorships"),
    path("sponsorships/impact/", views.impact, name="impact"),
    path("sponsorships/impact/accounts/", views.impact_accounts_page, name="impact_accounts"),
    path("sponsorships/impact/accounts.csv", views.impact_accounts_csv, name="impact_accounts_csv"),
    path("pairings/<int:pk>/", views.pairing_detail, name="pairing_detail"),
    path("pairings/<int:pk>/change/", views.pairing_change, name="pairing_change"),
    path("pairings/<int:pk>/goals/", views.pairing_goal_add, name="pairing_goal_add"),
    path("pairings/<int:pk>/goals/<int:goal_pk>/", views.pairing_goal_edit, name="pairing_goal_edit"),
]
