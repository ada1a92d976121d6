from __future__ import annotations

from django.urls import path

from visits import views

app_name = "visits"

urlpatterns = [
    path("engagements/", views.my_engagements, name="my_engagements"),
    path("engagements/log/", views.log_contact, name="log_contact"),
    path("engagements/log/accounts/", views.account_choices, name="account_choices"),
    path("engagements/log/contacts/", views.contact_choices, name="contact_choices"),
    path("engagements/log/colleagues/", views.colleague_choices, name="colleague_choices"),
]
