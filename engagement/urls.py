from __future__ import annotations

from django.urls import path

from engagement import api_token_views, audit_views, import_views, views

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
    path("program/invite/<int:pk>/resend/", views.invitation_resend_view, name="invitation_resend"),
    path("program/audit/", audit_views.audit, name="audit"),
    path("program/imports/", import_views.imports, name="imports"),
    path("program/imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("program/imports/<int:pk>/progress/", import_views.import_progress_view, name="import_progress"),
    path("program/imports/<int:pk>/import/", import_views.import_start, name="import_start"),
    path("program/exports/", import_views.exports, name="exports"),
    path("program/exports/executives.csv", import_views.export_csv, {"kind": "executives"}, name="export_executives"),
    path("program/exports/accounts.csv", import_views.export_csv, {"kind": "accounts"}, name="export_accounts"),
    path("program/exports/contacts.csv", import_views.export_csv, {"kind": "contacts"}, name="export_contacts"),
    path("program/api-tokens/", api_token_views.api_tokens, name="api_tokens"),
    path("program/api-tokens/new/", api_token_views.api_token_create_view, name="api_token_create"),
    path("program/api-tokens/<int:pk>/revoke/", api_token_views.api_token_revoke_view, name="api_token_revoke"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("invitation/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
]
