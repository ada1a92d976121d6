from __future__ import annotations

from django.urls import path

from engagement.api import views as tokens
from engagement.audit import views as audit
from engagement.dashboards import views as dashboards
from engagement.imports import views as imports
from engagement.notifications import views as notifications
from engagement.people import views as people

app_name = "engagement"

urlpatterns = [
    path("executive/", dashboards.executive_home, name="executive_home"),
    path("account-manager/", dashboards.account_manager_home, name="account_manager_home"),
    path("account-manager/accounts.csv", dashboards.account_manager_accounts_csv, name="account_manager_accounts_csv"),
    path("program/", dashboards.program_home, name="program_home"),
    path("program/executives/", dashboards.executives, name="executives"),
    path("program/executives.csv", dashboards.executives_csv, name="executives_csv"),
    path("program/coverage/", dashboards.coverage, name="coverage"),
    path("program/coverage/accounts/", dashboards.coverage_accounts, name="coverage_accounts"),
    path("program/coverage/accounts.csv", dashboards.coverage_csv, name="coverage_csv"),
    path("program/invite/", people.invite, name="invite"),
    path("program/invite/<int:pk>/resend/", people.invitation_resend_view, name="invitation_resend"),
    path("program/audit/", audit.audit, name="audit"),
    path("program/imports/", imports.imports, name="imports"),
    path("program/imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("program/imports/<int:pk>/progress/", imports.import_progress_view, name="import_progress"),
    path("program/imports/<int:pk>/import/", imports.import_start, name="import_start"),
    path("program/imports/<int:pk>/read-again/", imports.import_recheck, name="import_recheck"),
    path("program/exports/", imports.exports, name="exports"),
    path("program/exports/executives.csv", imports.export_csv, {"kind": "executives"}, name="export_executives"),
    path("program/exports/accounts.csv", imports.export_csv, {"kind": "accounts"}, name="export_accounts"),
    path("program/exports/contacts.csv", imports.export_csv, {"kind": "contacts"}, name="export_contacts"),
    path("program/api-tokens/", tokens.api_tokens, name="api_tokens"),
    path("program/api-tokens/new/", tokens.api_token_create_view, name="api_token_create"),
    path("program/api-tokens/<int:pk>/revoke/", tokens.api_token_revoke_view, name="api_token_revoke"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("notifications/settings/", notifications.notification_settings, name="notification_settings"),
    path("invitation/<str:token>/", people.invitation_accept_view, name="invitation_accept"),
]
