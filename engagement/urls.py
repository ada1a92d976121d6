from __future__ import annotations

from django.urls import path

from engagement import views

app_name = "engagement"

urlpatterns = [
    path("executive/", views.executive_home, name="executive_home"),
    path("account-manager/", views.account_manager_home, name="account_manager_home"),
    path("account-manager/accounts.csv", views.account_manager_accounts_csv, name="account_manager_accounts_csv"),
    path("program/", views.program_home, name="program_home"),
    path("program/executives/", views.executives, name="executives"),
    path("program/executives.csv", views.executives_csv, name="executives_csv"),
    path("program/coverage/", views.coverage, name="coverage"),
    path("program/coverage/accounts/", views.coverage_accounts, name="coverage_accounts"),
    path("program/coverage/accounts.csv", views.coverage_csv, name="coverage_csv"),
    path("program/invite/", views.invite, name="invite"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("invitation/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
]
