from __future__ import annotations

from django.urls import path

from visits import (
    calendar_connection_views,
    calendar_suggestion_views,
    calendar_views,
    import_views,
    trends_views,
    views,
)

app_name = "visits"

urlpatterns = [
    path("engagements/", views.my_engagements, name="my_engagements"),
    path("engagements/log/", views.log_contact, name="log_contact"),
    path("engagements/log/accounts/", views.account_choices, name="account_choices"),
    path("engagements/log/contacts/", views.contact_choices, name="contact_choices"),
    path("engagements/log/colleagues/", views.colleague_choices, name="colleague_choices"),
    path("engagements/request/", views.engagement_request_view, name="engagement_request"),
    path("engagements/request/executives/", views.request_executives, name="request_executives"),
    path("engagements/request/time/", views.request_time_for_executive, name="request_time_for_executive"),
    path("engagements/<int:pk>/", views.engagement_detail, name="engagement_detail"),
    path("engagements/<int:pk>/decide/", views.engagement_decide, name="engagement_decide"),
    path("engagements/<int:pk>/answer/", views.engagement_answer_view, name="engagement_answer"),
    path("engagements/<int:pk>/schedule/", views.engagement_schedule_view, name="engagement_schedule"),
    path("engagements/<int:pk>/cancel/", views.engagement_cancel_view, name="engagement_cancel"),
    path("engagements/<int:pk>/outcome/", views.engagement_outcome, name="engagement_outcome"),
    path("engagements/<int:pk>/change/", views.logged_contact_edit, name="logged_contact_edit"),
    path("engagements/<int:pk>/delete/", views.logged_contact_delete, name="logged_contact_delete"),
    path("engagements/<int:pk>/not-there/", views.engagement_not_there_view, name="engagement_not_there"),
    path("accounts/<int:pk>/", views.account_engagements, name="account_engagements"),
    path("accounts/<int:pk>/timeline/", views.account_timeline, name="account_timeline"),
    path("engagements/<int:pk>/invite.ics", calendar_views.engagement_invite, name="engagement_invite"),
    path("calendar/", calendar_views.calendar_feed, name="calendar_feed"),
    path("calendar/suggestions/", calendar_suggestion_views.calendar_suggestions, name="calendar_suggestions"),
    path(
        "calendar/meetings/<int:pk>/log/",
        calendar_suggestion_views.calendar_meeting_confirm_view,
        name="calendar_meeting_confirm",
    ),
    path(
        "calendar/meetings/<int:pk>/unlog/",
        calendar_suggestion_views.calendar_meeting_unlog,
        name="calendar_meeting_unlog",
    ),
    path(
        "calendar/meetings/<int:pk>/dismiss/",
        calendar_suggestion_views.calendar_meeting_dismiss_view,
        name="calendar_meeting_dismiss",
    ),
    path(
        "calendar/meetings/<int:pk>/restore/",
        calendar_suggestion_views.calendar_meeting_restore_view,
        name="calendar_meeting_restore",
    ),
    path("calendar/connected/", calendar_connection_views.calendar_connections, name="calendar_connections"),
    path(
        "calendar/connected/address/",
        calendar_connection_views.calendar_connection_add_address,
        name="calendar_connection_add_address",
    ),
    path(
        "calendar/connected/caldav/",
        calendar_connection_views.calendar_connection_add_caldav,
        name="calendar_connection_add_caldav",
    ),
    path(
        "calendar/connected/<int:pk>/disconnect/",
        calendar_connection_views.calendar_connection_disconnect_view,
        name="calendar_connection_disconnect",
    ),
    path(
        "calendar/connected/<int:pk>/read/",
        calendar_connection_views.calendar_connection_read_again_view,
        name="calendar_connection_read_again",
    ),
    path("calendar/<str:token>.ics", calendar_views.calendar_feed_ics, name="calendar_feed_ics"),
    path("engagements/trends/", trends_views.trends, name="trends"),
    path("engagements/trends/weekly.csv", trends_views.trends_weekly_csv, name="trends_weekly_csv"),
    path("engagements/trends/states.csv", trends_views.trends_states_csv, name="trends_states_csv"),
    path("engagements/trends/types.csv", trends_views.trends_types_csv, name="trends_types_csv"),
    path("engagements/trends/executives.csv", trends_views.trends_heatmap_csv, name="trends_heatmap_csv"),
    path("engagements/export.csv", import_views.export_engagements, name="export_engagements"),
]
