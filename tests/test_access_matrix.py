"""Who may use which URL: every URL pattern, every kind of visitor, GET and POST.

``ACCESS`` says who may use each URL of the project, by URL name. A walk over
the URL configuration fails when a pattern is missing from it, so a new page
cannot ship without a decision on who may open it. The matrix then asks every
URL as an anonymous visitor and as each role, by GET and by POST, and checks
the exact answer: anonymous visitors are sent to sign in, the wrong role gets
403, the right one gets the page; and nothing a refused request or a GET does
changes the database.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from auditlog.models import LogEntry
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from config import moved as moved_urls
from engagement.accounts.models import Account, AccountDomain
from engagement.api.tokens import api_token_create
from engagement.cadence.models import ExecutiveContact
from engagement.delivery.models import OutgoingEmail, UnsentTask
from engagement.imports.services import import_job_create
from engagement.notifications.models import DigestItem, Notification, NotificationKind
from engagement.people.invitations import invitation_token
from engagement.people.models import Executive, Invitation, Level, User
from engagement.people.roles import Role
from engagement.reminders.models import Reminder
from engagement.tests.factories import (
    AccountFactory,
    ContactFactory,
    ExecutiveFactory,
    FunctionFactory,
    ProgramFactory,
    SkillFactory,
    UserFactory,
)
from feedback.models import ActionItem, Debrief, Sentiment, Survey, Theme
from feedback.services import survey_token
from mentoring.models import Pairing, PairingGoal
from mentoring.tests.factories import PairingFactory
from visits.models import CalendarConnection, CalendarFeed, CalendarMeeting, Engagement
from visits.services import engagement_log_contact
from visits.tests.factories import EngagementFactory, EngagementTypeFactory

# --- Who may use what ------------------------------------------------------------

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed in"  # anyone signed in, whatever their role
Access = str | frozenset[Role]

EXECUTIVES = frozenset({Role.EXECUTIVE})
ACCOUNT_MANAGERS = frozenset({Role.ACCOUNT_MANAGER})
PROGRAM_ADMINS = frozenset({Role.PROGRAM_ADMIN})
AM_OR_ADMIN = frozenset({Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN})
EVERY_ROLE = frozenset(Role)

ACCESS: dict[str, Access] = {
    # Groundwork
    "home": SIGNED_IN,
    "healthz": PUBLIC,
    "service_worker": PUBLIC,
    "web_manifest": PUBLIC,
    "offline": PUBLIC,
    "engagement:executive_home": EXECUTIVES,
    "engagement:account_manager_home": ACCOUNT_MANAGERS,
    "engagement:account_manager_accounts_csv": ACCOUNT_MANAGERS,
    "engagement:program_home": PROGRAM_ADMINS,
    "engagement:executives": PROGRAM_ADMINS,
    "engagement:executives_csv": PROGRAM_ADMINS,
    "engagement:coverage": PROGRAM_ADMINS,
    "engagement:coverage_accounts": PROGRAM_ADMINS,
    "engagement:coverage_csv": PROGRAM_ADMINS,
    "engagement:invite": PROGRAM_ADMINS,
    "engagement:invitation_resend": PROGRAM_ADMINS,
    "engagement:audit": PROGRAM_ADMINS,
    "engagement:notifications": SIGNED_IN,
    "engagement:notifications_read": SIGNED_IN,
    "engagement:notification_settings": SIGNED_IN,
    "visits:log_contact": EXECUTIVES,
    "visits:my_engagements": EVERY_ROLE,
    "visits:account_choices": EXECUTIVES,
    "visits:contact_choices": EXECUTIVES,
    "visits:colleague_choices": EVERY_ROLE,  # colleagues to log with, attendees to schedule
    "visits:engagement_request": AM_OR_ADMIN,
    "visits:request_executives": AM_OR_ADMIN,
    "visits:request_time_for_executive": AM_OR_ADMIN,
    # Which engagement or account a person may open is decided by visits.access
    # (the rows of OWNED_OBJECTS below): 404 for the rest.
    "visits:engagement_detail": EVERY_ROLE,
    "visits:engagement_decide": frozenset({Role.EXECUTIVE, Role.PROGRAM_ADMIN}),
    "visits:engagement_answer": AM_OR_ADMIN,
    "visits:engagement_schedule": AM_OR_ADMIN,
    "visits:engagement_cancel": AM_OR_ADMIN,
    "visits:engagement_outcome": EVERY_ROLE,
    "visits:engagement_not_there": EXECUTIVES,
    # Whoever logged a contact: others are told it is not theirs to change (visits.services).
    "visits:logged_contact_edit": EXECUTIVES,
    "visits:logged_contact_delete": EXECUTIVES,
    # An account's page: its account team's, and to read, the executives who
    # sponsor it or met it lately (engagement.accounts.access.account_visibility).
    "visits:account_engagements": EVERY_ROLE,
    # Its timeline: whoever may open the account's page, by the same rule.
    "visits:account_timeline": EVERY_ROLE,
    "visits:trends": PROGRAM_ADMINS,
    "visits:trends_weekly_csv": PROGRAM_ADMINS,
    "visits:trends_states_csv": PROGRAM_ADMINS,
    "visits:trends_types_csv": PROGRAM_ADMINS,
    "visits:trends_heatmap_csv": PROGRAM_ADMINS,
    # Importing and exporting the program's data.
    "engagement:imports": PROGRAM_ADMINS,
    "engagement:import_detail": PROGRAM_ADMINS,
    "engagement:import_progress": PROGRAM_ADMINS,
    "engagement:import_start": PROGRAM_ADMINS,
    "engagement:import_recheck": PROGRAM_ADMINS,
    "engagement:exports": PROGRAM_ADMINS,
    "engagement:export_executives": PROGRAM_ADMINS,
    "engagement:export_accounts": PROGRAM_ADMINS,
    "engagement:export_contacts": PROGRAM_ADMINS,
    "visits:export_engagements": PROGRAM_ADMINS,
    # Whom the engagement belongs to is decided by visits.access: 404 for the rest.
    "visits:engagement_invite": SIGNED_IN,
    "visits:calendar_feed": SIGNED_IN,
    # Meetings read from one's own calendar: 404 for anyone else's.
    "visits:calendar_suggestions": EXECUTIVES,
    "visits:calendar_meeting_confirm": EXECUTIVES,
    "visits:calendar_meeting_unlog": EXECUTIVES,
    "visits:calendar_meeting_dismiss": EXECUTIVES,
    "visits:calendar_meeting_restore": EXECUTIVES,
    # Calendars read for customer meetings: only executives connect one (the
    # list tells anyone else so); whose a connection is is decided by
    # visits.selectors.calendar_connection_of, 404 for everyone else.
    "visits:calendar_connections": SIGNED_IN,
    "visits:calendar_connection_add_address": EXECUTIVES,
    "visits:calendar_connection_add_caldav": EXECUTIVES,
    "visits:calendar_connection_disconnect": SIGNED_IN,
    "visits:calendar_connection_read_again": SIGNED_IN,
    # Calendar applications cannot sign in: the secret address is the credential.
    "visits:calendar_feed_ics": PUBLIC,
    # Which engagement's debriefs a person may open is decided by visits.access,
    # which actions by feedback.access (OWNED_OBJECTS below): 404 for the rest.
    # Who may write is decided in the view: see ROLE_STATUS.
    "feedback:debrief": EVERY_ROLE,
    "feedback:debrief_draft": EVERY_ROLE,
    "feedback:action_create": EVERY_ROLE,
    "feedback:surveys_send": AM_OR_ADMIN,
    "feedback:actions": EVERY_ROLE,
    "feedback:action_detail": EVERY_ROLE,
    "feedback:debrief_search": PROGRAM_ADMINS,
    "feedback:survey_answers": PROGRAM_ADMINS,
    "feedback:loop": PROGRAM_ADMINS,
    "feedback:loop_csv": PROGRAM_ADMINS,
    # The Actions page's list as CSV: each person's own tab, as the page.
    "feedback:actions_csv": EVERY_ROLE,
    "mentoring:pairings": PROGRAM_ADMINS,
    "mentoring:pairings_csv": PROGRAM_ADMINS,
    "mentoring:key_person_risk": PROGRAM_ADMINS,
    "mentoring:key_person_risk_csv": PROGRAM_ADMINS,
    # What sponsorship changes, and the accounts each of its figures counts.
    "mentoring:impact": PROGRAM_ADMINS,
    "mentoring:impact_accounts": PROGRAM_ADMINS,
    "mentoring:impact_accounts_csv": PROGRAM_ADMINS,
    "mentoring:propose": PROGRAM_ADMINS,
    "mentoring:handover": PROGRAM_ADMINS,
    "mentoring:my_sponsorships": EXECUTIVES,
    # Which pairing a person may open is decided by mentoring.access (the rows
    # of OWNED_OBJECTS below): 404 for the rest. Who may answer, pause or end
    # it is decided in the view: see ROLE_STATUS.
    "mentoring:pairing_detail": EVERY_ROLE,
    "mentoring:pairing_change": EVERY_ROLE,
    "mentoring:pairing_goal_add": EVERY_ROLE,
    "mentoring:pairing_goal_edit": EVERY_ROLE,
    # Customers do not sign in: the signed, single-use link is the credential.
    "feedback:survey": PUBLIC,
    # The emailed link is the credential: it opens before signing in.
    "engagement:invitation_accept": PUBLIC,
    # allauth: signing in, and the steps around it, come before a session.
    "account_login": PUBLIC,
    "account_signup": PUBLIC,  # closed: it says so
    "account_inactive": PUBLIC,
    "account_reset_password": PUBLIC,
    "account_reset_password_done": PUBLIC,
    "account_reset_password_from_key": PUBLIC,
    "account_reset_password_from_key_done": PUBLIC,
    "account_email_verification_sent": PUBLIC,
    "account_confirm_email": PUBLIC,
    "account_confirm_login_code": PUBLIC,
    "mfa_authenticate": PUBLIC,  # the second step of signing in
    # Signing out when not signed in sends the visitor home, not to sign in.
    "account_logout": PUBLIC,
    # allauth: a person's own login, whatever their role.
    "account_reauthenticate": SIGNED_IN,
    "account_email": SIGNED_IN,
    "account_change_password": SIGNED_IN,
    "account_set_password": SIGNED_IN,
    "mfa_index": SIGNED_IN,
    "mfa_reauthenticate": SIGNED_IN,
    "mfa_activate_totp": SIGNED_IN,
    "mfa_deactivate_totp": SIGNED_IN,
    "mfa_view_recovery_codes": SIGNED_IN,
    "mfa_generate_recovery_codes": SIGNED_IN,
    "mfa_download_recovery_codes": SIGNED_IN,
    # API tokens are made and revoked by program admins only.
    "engagement:api_tokens": PROGRAM_ADMINS,
    "engagement:api_token_create": PROGRAM_ADMINS,
    "engagement:api_token_revoke": PROGRAM_ADMINS,
    # The API (/api/v1/): the same roles as the pages, by key or session. Which
    # object a person may read is decided by each app's access module, as for
    # the pages (OWNED_OBJECTS below): 404 for the rest.
    "api:api-root": EVERY_ROLE,
    "api:schema": SIGNED_IN,
    "api:docs": SIGNED_IN,
    "api:executive-list": EVERY_ROLE,
    "api:executive-detail": EVERY_ROLE,
    # Whose contact status: an executive's own, or anyone's for program admins.
    "api:executive-contact-status": frozenset({Role.EXECUTIVE, Role.PROGRAM_ADMIN}),
    "api:contact-status-list": frozenset({Role.EXECUTIVE, Role.PROGRAM_ADMIN}),
    "api:account-list": EVERY_ROLE,
    "api:account-detail": EVERY_ROLE,
    "api:contact-list": EVERY_ROLE,
    "api:contact-detail": EVERY_ROLE,
    "api:engagement-type-list": EVERY_ROLE,
    "api:engagement-list": EVERY_ROLE,  # to log a held contact: see ROLE_STATUS
    "api:engagement-detail": EVERY_ROLE,
    "api:debrief-list": EVERY_ROLE,
    "api:debrief-detail": EVERY_ROLE,
    "api:action-list": EVERY_ROLE,
    "api:action-detail": EVERY_ROLE,
    "api:action-loop-list": PROGRAM_ADMINS,
    "api:pairing-list": EVERY_ROLE,
    "api:sponsorship-impact-list": PROGRAM_ADMINS,
    "api:pairing-detail": EVERY_ROLE,
}
# Addresses pages had before each prefix got one owner (config.moved): a
# permanent redirect for anyone signed in, to the page where it is now.
MOVED = {f"moved:{pattern.name}": pattern.name.replace("-", ":", 1) for pattern in moved_urls.urlpatterns}
ACCESS.update(dict.fromkeys(MOVED, SIGNED_IN))
# The Django admin generates a URL per model and view: one rule covers them
# all (config.admin.GroundworkAdminSite refuses signed-in non-admins with 403).
ADMIN_NAMESPACE = "admin"
ADMIN_ACCESS: Access = PROGRAM_ADMINS

# What an allowed visitor gets, exactly, by URL name and method.
ALLOWED_STATUS: dict[str, dict[str, int]] = {
    "home": {"GET": 302, "POST": 405},  # to the home of their role
    "healthz": {"GET": 200, "POST": 405},
    "service_worker": {"GET": 200, "POST": 405},
    "web_manifest": {"GET": 200, "POST": 405},
    "offline": {"GET": 200, "POST": 405},
    "engagement:executive_home": {"GET": 200, "POST": 405},
    "engagement:account_manager_home": {"GET": 200, "POST": 405},
    "engagement:account_manager_accounts_csv": {"GET": 200, "POST": 405},
    "engagement:program_home": {"GET": 200, "POST": 405},
    "engagement:executives": {"GET": 200, "POST": 405},
    "engagement:executives_csv": {"GET": 200, "POST": 405},
    "engagement:coverage": {"GET": 200, "POST": 405},
    "engagement:coverage_accounts": {"GET": 200, "POST": 405},
    "engagement:coverage_csv": {"GET": 200, "POST": 405},
    "engagement:invite": {"GET": 200, "POST": 302},  # the invitation is sent
    # The world's invited person, who never signed in: asks first, then sends it again.
    "engagement:invitation_resend": {"GET": 200, "POST": 302},
    "engagement:audit": {"GET": 200, "POST": 405},
    "engagement:notifications": {"GET": 200, "POST": 405},
    "engagement:notifications_read": {"GET": 405, "POST": 302},  # marked read: back to the list
    "engagement:notification_settings": {"GET": 200, "POST": 200},  # no choice posted: the form says so
    "visits:log_contact": {"GET": 200, "POST": 200},  # the form, with what is missing
    "visits:my_engagements": {"GET": 200, "POST": 405},
    "visits:account_choices": {"GET": 200, "POST": 405},
    "visits:contact_choices": {"GET": 200, "POST": 405},
    "visits:colleague_choices": {"GET": 200, "POST": 405},
    "visits:engagement_request": {"GET": 200, "POST": 200},  # no account chosen: the list to choose from
    "visits:request_executives": {"GET": 200, "POST": 405},
    "visits:request_time_for_executive": {"GET": 200, "POST": 405},
    # The world's scheduled engagement, which the executive visitor leads.
    "visits:engagement_detail": {"GET": 200, "POST": 405},
    "visits:engagement_decide": {"GET": 405, "POST": 200},  # the page again, with what is missing
    "visits:engagement_answer": {"GET": 405, "POST": 200},
    "visits:engagement_schedule": {"GET": 200, "POST": 200},
    "visits:engagement_cancel": {"GET": 200, "POST": 200},  # asks for a reason first
    "visits:engagement_outcome": {"GET": 405, "POST": 200},
    # The world's held engagement, which the executive visitor attended: off it, to their page.
    "visits:engagement_not_there": {"GET": 405, "POST": 302},
    # The world's logged contact, which the executive visitor logged: the form,
    # with what is missing; asked first, then deleted and off to their list.
    "visits:logged_contact_edit": {"GET": 200, "POST": 200},
    "visits:logged_contact_delete": {"GET": 200, "POST": 302},
    "visits:account_engagements": {"GET": 200, "POST": 405},
    "visits:account_timeline": {"GET": 200, "POST": 405},
    "visits:trends": {"GET": 200, "POST": 405},
    "visits:trends_weekly_csv": {"GET": 200, "POST": 405},
    "visits:trends_states_csv": {"GET": 200, "POST": 405},
    "visits:trends_types_csv": {"GET": 200, "POST": 405},
    "visits:trends_heatmap_csv": {"GET": 200, "POST": 405},
    "engagement:imports": {"GET": 200, "POST": 200},  # no file sent: the form says so
    # The world's checked file of executives, ready to import.
    "engagement:import_detail": {"GET": 200, "POST": 405},
    "engagement:import_progress": {"GET": 200, "POST": 405},
    "engagement:import_start": {"GET": 405, "POST": 302},  # queued: back to the import's page
    "engagement:import_recheck": {"GET": 405, "POST": 302},  # back to the import's page, with a message
    "engagement:exports": {"GET": 200, "POST": 405},
    "engagement:export_executives": {"GET": 200, "POST": 405},
    "engagement:export_accounts": {"GET": 200, "POST": 405},
    "engagement:export_contacts": {"GET": 200, "POST": 405},
    "visits:export_engagements": {"GET": 200, "POST": 405},
    "visits:engagement_invite": {"GET": 200, "POST": 405},
    "visits:calendar_feed": {"GET": 200, "POST": 302},  # the address is made: back to the page
    # The executive visitor's own meeting, read from their calendar yesterday:
    # each step is taken (or said to be taken already), and back to the page.
    "visits:calendar_suggestions": {"GET": 200, "POST": 405},
    "visits:calendar_meeting_confirm": {"GET": 405, "POST": 302},
    "visits:calendar_meeting_unlog": {"GET": 405, "POST": 302},
    "visits:calendar_meeting_dismiss": {"GET": 405, "POST": 302},
    "visits:calendar_meeting_restore": {"GET": 405, "POST": 302},
    "visits:calendar_feed_ics": {"GET": 404, "POST": 405},  # a made-up address opens nothing
    "visits:calendar_connections": {"GET": 200, "POST": 302},  # the choice saved: back to the list
    "visits:calendar_connection_add_address": {"GET": 200, "POST": 200},  # the form, with what is missing
    "visits:calendar_connection_add_caldav": {"GET": 200, "POST": 200},
    # The executive visitor's broken calendar: asked first, then disconnected;
    # read again, back to the list. Everyone else's 404 is in ROLE_STATUS.
    "visits:calendar_connection_disconnect": {"GET": 200, "POST": 302},
    "visits:calendar_connection_read_again": {"GET": 405, "POST": 302},
    "engagement:invitation_accept": {"GET": 200, "POST": 200},  # the form, with its errors
    # The world's held engagement, which the executive visitor attended and
    # the account manager's account owns. Posted without what the customer
    # said: the form says so, and what was typed is kept as a draft.
    "feedback:debrief": {"GET": 200, "POST": 200},
    "feedback:debrief_draft": {"GET": 405, "POST": 302},  # saved: back to the debrief
    "feedback:action_create": {"GET": 405, "POST": 200},  # the debrief page, with what is missing
    # Sent to the contact not asked yet: back to the engagement.
    "feedback:surveys_send": {"GET": 405, "POST": 302},
    "feedback:actions": {"GET": 200, "POST": 405},
    # The executive visitor raised it, routed to a function; no status chosen: the form says so.
    "feedback:action_detail": {"GET": 200, "POST": 200},
    # A sent survey's real link: the questions; no answer chosen: the form says so.
    "feedback:survey": {"GET": 200, "POST": 200},
    "feedback:debrief_search": {"GET": 200, "POST": 405},
    "feedback:survey_answers": {"GET": 200, "POST": 405},
    "feedback:loop": {"GET": 200, "POST": 405},
    "feedback:loop_csv": {"GET": 200, "POST": 405},
    "feedback:actions_csv": {"GET": 200, "POST": 405},
    "mentoring:pairings": {"GET": 200, "POST": 405},
    "mentoring:pairings_csv": {"GET": 200, "POST": 405},
    "mentoring:key_person_risk": {"GET": 200, "POST": 405},
    "mentoring:key_person_risk_csv": {"GET": 200, "POST": 405},
    "mentoring:impact": {"GET": 200, "POST": 405},
    "mentoring:impact_accounts": {"GET": 200, "POST": 405},
    "mentoring:impact_accounts_csv": {"GET": 200, "POST": 405},
    # The suggestions; posted without an executive chosen: the form says so.
    "mentoring:propose": {"GET": 200, "POST": 400},
    # The leaver's pairings; posted without a pairing: the page says so.
    "mentoring:handover": {"GET": 200, "POST": 400},
    "mentoring:my_sponsorships": {"GET": 200, "POST": 405},
    # The world's proposal to the executive visitor, at the account manager's account.
    "mentoring:pairing_detail": {"GET": 200, "POST": 405},
    "mentoring:pairing_change": {"GET": 405, "POST": 400},  # nothing chosen to do: the page says so
    "mentoring:pairing_goal_add": {"GET": 405, "POST": 400},  # no goal given: the form says so
    "mentoring:pairing_goal_edit": {"GET": 405, "POST": 400},
    # Signed in already: allauth sends them home.
    "account_login": {"GET": 302, "POST": 302},
    "account_signup": {"GET": 302, "POST": 302},
    "account_confirm_login_code": {"GET": 302, "POST": 302},
    "mfa_authenticate": {"GET": 302, "POST": 302},
    "account_inactive": {"GET": 200, "POST": 405},
    "account_reset_password": {"GET": 200, "POST": 302},  # "we sent a link", whoever asks
    "account_reset_password_done": {"GET": 200, "POST": 405},
    "account_reset_password_from_key": {"GET": 200, "POST": 200},  # "this link is not valid"
    "account_reset_password_from_key_done": {"GET": 200, "POST": 405},
    "account_email_verification_sent": {"GET": 200, "POST": 405},
    # A made-up key: the page says the link is not valid; confirming it finds nothing.
    "account_confirm_email": {"GET": 200, "POST": 404},
    "account_logout": {"GET": 200, "POST": 302},
    "account_reauthenticate": {"GET": 200, "POST": 200},
    "account_email": {"GET": 200, "POST": 302},
    "account_change_password": {"GET": 200, "POST": 200},
    "account_set_password": {"GET": 302, "POST": 302},  # they have one: change it instead
    "mfa_index": {"GET": 200, "POST": 405},
    "mfa_reauthenticate": {"GET": 200, "POST": 200},
    "mfa_activate_totp": {"GET": 302, "POST": 302},  # already on
    # Changing two-factor settings asks for the password again first.
    "mfa_deactivate_totp": {"GET": 302, "POST": 302},
    "mfa_view_recovery_codes": {"GET": 302, "POST": 405},
    "mfa_generate_recovery_codes": {"GET": 302, "POST": 302},
    "mfa_download_recovery_codes": {"GET": 302, "POST": 302},
    "engagement:api_tokens": {"GET": 200, "POST": 405},
    "engagement:api_token_create": {"GET": 200, "POST": 200},  # the form, with what is missing
    "engagement:api_token_revoke": {"GET": 200, "POST": 302},  # revoked: back to the list
    # Read-only collections refuse POST; the engagements take JSON only (415 for a form).
    **{
        name: {"GET": 200, "POST": 405}
        for name in (
            "api:api-root",
            "api:executive-list",
            "api:executive-detail",
            "api:executive-contact-status",
            "api:contact-status-list",
            "api:account-list",
            "api:account-detail",
            "api:contact-list",
            "api:contact-detail",
            "api:engagement-type-list",
            "api:engagement-detail",
            "api:debrief-list",
            "api:debrief-detail",
            "api:action-list",
            "api:action-detail",
            "api:action-loop-list",
            "api:pairing-list",
            "api:pairing-detail",
            "api:sponsorship-impact-list",
            "api:schema",
            "api:docs",
        )
    },
    "api:engagement-list": {"GET": 200, "POST": 415},
}
# Where one role, allowed in, gets something else than the others.
ROLE_STATUS: dict[str, dict[Role, dict[str, int]]] = {
    # A program admin reads every debrief but writes none: they were not there.
    "feedback:debrief": {Role.PROGRAM_ADMIN: {"GET": 200, "POST": 403}},
    "feedback:debrief_draft": {Role.PROGRAM_ADMIN: {"GET": 405, "POST": 403}},
    # Executives log their own contacts, program admins anyone's; account managers none (as on the pages).
    "api:engagement-list": {Role.ACCOUNT_MANAGER: {"GET": 200, "POST": 403}},
    # A calendar is its owner's secret: not found for anyone else, program admins included.
    **{
        name: {role: {"GET": 404, "POST": 404} for role in (Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN)}
        for name in ("visits:calendar_connection_disconnect", "visits:calendar_connection_read_again")
    },
}
# Public pages that answer an anonymous visitor differently.
ANONYMOUS_STATUS: dict[str, dict[str, int]] = {
    "account_login": {"GET": 200, "POST": 200},
    "account_signup": {"GET": 200, "POST": 200},
    "account_confirm_login_code": {"GET": 302, "POST": 302},  # no code was sent: to sign in
    "mfa_authenticate": {"GET": 302, "POST": 302},  # no sign-in under way: to sign in
    "account_logout": {"GET": 302, "POST": 302},  # nothing to end: home
}

# The admin's own pages, then each model's pages by kind.
ADMIN_SITE_STATUS: dict[str, dict[str, int]] = {
    "admin:index": {"GET": 200, "POST": 200},
    "admin:login": {"GET": 302, "POST": 200},
    "admin:logout": {"GET": 405, "POST": 200},
    "admin:password_change": {"GET": 200, "POST": 200},
    "admin:password_change_done": {"GET": 200, "POST": 405},
    "admin:autocomplete": {"GET": 200, "POST": 405},
    "admin:jsi18n": {"GET": 200, "POST": 405},
    # No model has a page of its own on the site, so there is nowhere to go.
    "admin:view_on_site": {"GET": 404, "POST": 404},
    "admin:app_list": {"GET": 200, "POST": 200},
    "admin:<catch all>": {"GET": 404, "POST": 404},
}
ADMIN_MODEL_STATUS: dict[str, dict[str, int]] = {
    "changelist": {"GET": 200, "POST": 200},
    "add": {"GET": 200, "POST": 200},  # the form, with its errors
    "change": {"GET": 200, "POST": 200},
    "history": {"GET": 200, "POST": 200},
    "delete": {"GET": 200, "POST": 302},  # deleted
    "<object>": {"GET": 302, "POST": 302},  # the old object URL, to its change page
    "password": {"GET": 200, "POST": 200},  # a user's password, with the form's errors
}
# Models whose admin pages program admins may not use at all: roles are given
# on the user's page, two-factor secrets stay with their owner, and the audit
# trail is read on its own page (engagement:audit), in the program's words.
ADMIN_MODELS_CLOSED_TO_PROGRAM_ADMINS = {"auth.group", "mfa.authenticator", "auditlog.logentry"}
ADMIN_MODEL_STATUS_EXCEPTIONS: dict[str, dict[str, dict[str, int]]] = {
    # Contacts follow from held engagements: they can be looked at, not edited.
    "engagement.executivecontact": {
        "add": {"GET": 403, "POST": 403},
        "change": {"GET": 200, "POST": 403},
        "delete": {"GET": 403, "POST": 403},
    },
    # Deleting them would delete their contacts, which nobody may delete. (The
    # email, name and time zone in POSTED make a valid change of a user.)
    "engagement.user": {"delete": {"GET": 200, "POST": 403}, "change": {"GET": 200, "POST": 302}},
    # API tokens are made and revoked under Program → API tokens: read here, never edited.
    "engagement.apitoken": {
        "add": {"GET": 403, "POST": 403},
        "change": {"GET": 200, "POST": 403},
        "delete": {"GET": 403, "POST": 403},
    },
    "engagement.executive": {"delete": {"GET": 200, "POST": 403}},
    # Invitations are sent and sent again from the invite page; the emails of the
    # sign-in pages, the notifications kept for a digest, the tasks kept
    # while the broker was down and the calendars read for customer meetings
    # are the program's own: all read here, never edited.
    **{
        model: {
            "add": {"GET": 403, "POST": 403},
            "change": {"GET": 200, "POST": 403},
            "delete": {"GET": 403, "POST": 403},
        }
        for model in (
            "engagement.invitation",
            "engagement.outgoingemail",
            "engagement.unsenttask",
            "engagement.digestitem",
            # Calendars are read by the program, and disconnected by their owners.
            "visits.calendarconnection",
            "visits.calendarmeeting",
        )
    },
    # Import jobs are uploaded and imported from the import pages: read here, never edited.
    "engagement.importjob": {
        "add": {"GET": 403, "POST": 403},
        "change": {"GET": 200, "POST": 403},
        "delete": {"GET": 403, "POST": 403},
    },
    # The reminder log is written by the reminder engine: read, never edited.
    "engagement.reminder": {
        "add": {"GET": 403, "POST": 403},
        "change": {"GET": 200, "POST": 403},
        "delete": {"GET": 403, "POST": 403},
    },
    # Engagements are requested or logged, and pairings proposed, in Groundwork
    # itself, which tells whoever is concerned: corrected here, never added.
    "visits.engagement": {"add": {"GET": 403, "POST": 403}},
    "mentoring.pairing": {"add": {"GET": 403, "POST": 403}},
    # Calendar addresses are made by their owners; an admin may only delete one.
    "visits.calendarfeed": {
        "add": {"GET": 403, "POST": 403},
        "change": {"GET": 200, "POST": 403},
    },
    # Debriefs are their authors' words and surveys their customers': read, never edited.
    "feedback.debrief": {
        "add": {"GET": 403, "POST": 403},
        "change": {"GET": 200, "POST": 403},
        "delete": {"GET": 403, "POST": 403},
    },
    "feedback.survey": {
        "add": {"GET": 403, "POST": 403},
        "change": {"GET": 200, "POST": 403},
        "delete": {"GET": 403, "POST": 403},
    },
    # Actions come from debriefs and answers: an admin may only hand one on or move its date.
    "feedback.actionitem": {
        "add": {"GET": 403, "POST": 403},
        "delete": {"GET": 403, "POST": 403},
    },
    # Engagements protect their account and their type: the page says so.
    "engagement.account": {"delete": {"GET": 200, "POST": 200}},
    "visits.engagementtype": {"delete": {"GET": 200, "POST": 200}},
}

# What a refused POST carries: enough to invite someone or to confirm an admin
# delete, were it let through.
POSTED = {
    "email": "intruder@groundwork.example",
    "full_name": "Intruder",
    "roles": [Role.PROGRAM_ADMIN.value],
    "time_zone": "UTC",
    "title": "Intruder",
    "post": "yes",
}


# --- The URL patterns ----------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern: its qualified name (if any), namespace and route."""

    name: str | None
    namespace: str
    route: str
    pattern: URLPattern = field(compare=False, repr=False)

    @property
    def label(self) -> str:
        """Its test id: the URL name, or the route of an unnamed pattern."""
        if self.name:
            return self.name
        return f"{self.namespace}:<{self.route}>" if self.namespace else f"<{self.route}>"


def routes() -> list[Route]:
    """Every URL pattern of the project, allauth's and the admin's included."""
    found: list[Route] = []

    def walk(patterns: list[Any], prefix: str, namespaces: tuple[str, ...]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            else:
                name = ":".join((*namespaces, pattern.name)) if pattern.name else None
                found.append(Route(name, ":".join(namespaces), prefix + str(pattern.pattern), pattern))

    walk(get_resolver().url_patterns, "", ())
    return found


def access_of(route: Route) -> Access | None:
    """Who may use ``route``; None when the table does not say (an unnamed
    pattern outside the admin cannot be in it: give it a name)."""
    if route.namespace == ADMIN_NAMESPACE:
        return ADMIN_ACCESS
    return ACCESS.get(route.name) if route.name else None


ROUTES = routes()


# --- The data the URLs point at ----------------------------------------------------------


@dataclass
class World:
    """People of each role and one real object behind every URL that names one."""

    users: dict[Role, User]
    sessions: dict[Role, str]  # a signed-in session key for each role
    objects: dict[str, int]  # "app_label.model_name" -> primary key
    invitation_token: str
    survey_token: str  # the link of the world's sent survey
    state: dict[str, tuple[int, str]] = field(default_factory=dict)  # database_state() of all this


VISITORS: list[Role | None] = [None, Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN]


def visitor_id(visitor: Role | None) -> str:
    return "anonymous" if visitor is None else visitor.name.lower().replace("_", "-")


def signed_up(user: User) -> User:
    """A login as an accepted invitation leaves it: the email address proven,
    two-factor sign-in on (as the program asks of everyone who manages data)."""
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    TOTP.activate(user, "JBSWY3DPEHPK3PXP")
    RecoveryCodes.activate(user)
    return user


def build_world() -> World:
    users = {
        Role.EXECUTIVE: signed_up(ExecutiveFactory().user),
        Role.ACCOUNT_MANAGER: signed_up(UserFactory(roles=[Role.ACCOUNT_MANAGER])),
        Role.PROGRAM_ADMIN: signed_up(UserFactory(roles=[Role.PROGRAM_ADMIN])),
    }
    # Someone else's data, two of everything, so that pages listing related
    # rows show more than one.
    program = ProgramFactory()
    function = FunctionFactory()
    manager = ExecutiveFactory(level=Level.SVP, function=function)
    subject = ExecutiveFactory(function=function, manager=manager)
    peer = ExecutiveFactory(function=function, manager=manager)
    function.lead = manager
    function.save(update_fields=["lead"])
    skills = [SkillFactory(), SkillFactory()]
    for executive in (manager, subject, peer):
        executive.programs.add(program)
        executive.talents.add(*skills)
    account = AccountFactory(account_manager=users[Role.ACCOUNT_MANAGER])
    account.account_team.add(users[Role.ACCOUNT_MANAGER], UserFactory())
    account.needs.add(*skills)
    contacts = [ContactFactory(account=account), ContactFactory(account=account)]
    engagement = EngagementFactory(
        account=account, executives=[subject, peer], type=EngagementTypeFactory(), starts_at=timezone.now()
    )
    engagement.contacts.add(*contacts)
    engagement.staff.add(users[Role.ACCOUNT_MANAGER], UserFactory())
    # The executive visitor leads it, so that every visitor whose role may act
    # on an engagement can open it (what each may do is in OWNED_OBJECTS).
    scheduled = EngagementFactory(
        account=account, executives=[users[Role.EXECUTIVE].executive, subject], status=Engagement.Status.SCHEDULED
    )
    # Held, so that it has debriefs: the executive visitor attended, and the
    # account manager's account owns it (both may write theirs). Its debrief
    # and survey are the peer's and the second contact's, so that the admin's
    # delete pages of the subject and the first contact stay as described above.
    now = timezone.now()
    held = EngagementFactory(
        account=account,
        executives=[peer, users[Role.EXECUTIVE].executive],
        type=engagement.type,
        starts_at=now - dt.timedelta(days=2),
    )
    held.contacts.add(*contacts)
    theme = Theme.objects.create(name="Pricing")
    debrief = Debrief.objects.create(
        engagement=held,
        author=peer.user,
        heard="The renewal price came as a surprise.",
        sentiment=Sentiment.NEGATIVE,
        status=Debrief.Status.SUBMITTED,
        submitted_at=now,
    )
    debrief.themes.add(theme)
    # Raised by the executive visitor, routed to the lead of the function.
    action = ActionItem.objects.create(
        engagement=held,
        debrief=debrief,
        title="Explain the new price list",
        owner=manager.user,
        function=function,
        created_by=users[Role.EXECUTIVE],
        due_on=timezone.localdate() + dt.timedelta(days=14),
    )
    # Sent to the second contact (the first is not asked yet), so that its
    # real link opens the survey: a made-up one would only test the 404.
    survey = Survey.objects.create(
        engagement=held,
        contact=contacts[1],
        sent_by=users[Role.ACCOUNT_MANAGER],
        sent_at=now,
        expires_at=now + dt.timedelta(days=30),
    )
    Notification.objects.create(user=subject.user, message="Scheduled: a visit", url="/engagements/")
    signed_up(subject.user)
    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    task = PeriodicTask.objects.create(name="Contact reminders", task="engagement.tasks.scan", interval=every)
    # The peer sponsors the account (the subject would be protected from the
    # admin's delete by it); the second contact is the one they work with.
    pairing = PairingFactory(
        executive=peer, account=account, primary_contact=contacts[1], proposed_by=users[Role.PROGRAM_ADMIN]
    )
    PairingGoal.objects.create(pairing=pairing, text="Open a quarterly roadmap review with their COO")
    # Proposed to the executive visitor, at the account manager's account, so
    # that every role may open it (what each may do is in ROLE_STATUS).
    proposal = PairingFactory(executive=users[Role.EXECUTIVE].executive, account=account)
    PairingGoal.objects.create(pairing=proposal, text="Meet their head of operations")
    invited = UserFactory()
    invited.set_unusable_password()
    invited.save(update_fields=["password"])
    calendar = CalendarConnection(owner=subject.user, name="Work calendar")
    calendar.url = "https://calendar.example/private-world-token/basic.ics"
    calendar.save()
    # The executive visitor's own calendar, broken, so that it may be read again.
    own_calendar = CalendarConnection(
        owner=users[Role.EXECUTIVE], name="My work calendar", failures=5, broken_at=now, error="Not found (404)."
    )
    own_calendar.url = "https://calendar.example/private-visitor-token/basic.ics"
    own_calendar.save()

    objects = {
        "auth.group": Group.objects.get(name=Role.EXECUTIVE.value).pk,
        # The world's making is in the audit trail: its latest entry.
        "auditlog.logentry": LogEntry.objects.latest("pk").pk,
        "account.emailaddress": EmailAddress.objects.get(user=subject.user).pk,
        "mfa.authenticator": subject.user.authenticator_set.first().pk,
        "django_celery_beat.periodictask": task.pk,
        "django_celery_beat.intervalschedule": every.pk,
        "django_celery_beat.crontabschedule": CrontabSchedule.objects.create(minute="0", hour="7").pk,
        "django_celery_beat.solarschedule": SolarSchedule.objects.create(
            event="sunrise", latitude=Decimal("51.5"), longitude=Decimal("-0.1")
        ).pk,
        "django_celery_beat.clockedschedule": ClockedSchedule.objects.create(
            clocked_time=timezone.now() + dt.timedelta(days=1)
        ).pk,
        "engagement.user": subject.user.pk,
        "engagement.program": program.pk,
        "engagement.skill": skills[0].pk,
        "engagement.function": function.pk,
        "engagement.executive": subject.pk,
        "engagement.account": account.pk,
        "engagement.contact": contacts[0].pk,
        "engagement.accountdomain": AccountDomain.objects.create(account=account, domain="world.example").pk,
        "engagement.executivecontact": ExecutiveContact.objects.filter(executive=subject).first().pk,
        "visits.engagementtype": engagement.type_id,
        "visits.engagement": engagement.pk,
        "visits.engagement_scheduled": scheduled.pk,
        "engagement.notification": Notification.objects.get(user=subject.user).pk,
        "engagement.reminder": Reminder.objects.create(
            recipient=subject.user,
            kind="due_soon",
            episode="executive:1:2026-01-01",
            reason="Due",
            due_at=timezone.now(),
        ).pk,
        "visits.calendarfeed": CalendarFeed.objects.create(user=subject.user, token="world-calendar-token").pk,
        "visits.calendarconnection": calendar.pk,
        "visits.calendarconnection_own": own_calendar.pk,
        "visits.calendarmeeting": CalendarMeeting.objects.create(
            connection=calendar,
            uid="world-meeting",
            title="World meeting",
            starts_at=timezone.now(),
            ends_at=timezone.now() + dt.timedelta(hours=1),
            account=account,
        ).pk,
        "visits.calendarmeeting_own": meeting_of(users[Role.EXECUTIVE], account=account),
        "engagement.importjob": import_job_create(
            kind="executives",
            filename="executives.csv",
            data=b"Email,Name\r\nnew.executive@groundwork.example,New Executive\r\n",
            date_order="dmy",
            uploaded_by=users[Role.PROGRAM_ADMIN],
        ).pk,
        "visits.engagement_held": held.pk,
        # Logged yesterday by the executive visitor, who may change or delete it.
        "visits.engagement_logged": engagement_log_contact(
            executive=users[Role.EXECUTIVE].executive,
            account=account,
            engagement_type=engagement.type,
            on=timezone.localdate() - dt.timedelta(days=1),
            duration_minutes=60,
        )[0].pk,
        "feedback.theme": theme.pk,
        "feedback.debrief": debrief.pk,
        "feedback.actionitem": action.pk,
        "feedback.survey": survey.pk,
        "mentoring.pairing": pairing.pk,
        "mentoring.pairing_proposed": proposal.pk,
        "mentoring.pairinggoal_proposed": proposal.goals.get().pk,
        "engagement.apitoken": api_token_create(user=subject.user, name="CRM sync", by=users[Role.PROGRAM_ADMIN])[0].pk,
        "engagement.user_invited": invited.pk,
        "engagement.invitation": Invitation.objects.create(
            user=invited,
            invited_by=users[Role.PROGRAM_ADMIN],
            status=Invitation.Status.RETRYING,
            attempts=1,
            last_error="The mail server could not be reached.",
            retry_at=now + dt.timedelta(minutes=1),
        ).pk,
        "engagement.outgoingemail": OutgoingEmail.objects.create(
            to=[subject.user.email], subject="[Groundwork] Password reset", status=OutgoingEmail.Status.SENT
        ).pk,
        "engagement.digestitem": DigestItem.objects.create(
            # A notification of its own: the world's other one is deleted from the admin.
            notification=Notification.objects.create(
                user=users[Role.ACCOUNT_MANAGER], message="Cancelled: a visit", url="/engagements/"
            ),
            recipient=users[Role.ACCOUNT_MANAGER],
            kind=NotificationKind.CANCELLED,
            due_at=now,
        ).pk,
        "engagement.unsenttask": UnsentTask.objects.create(name="feedback.tasks.send_survey", args=[survey.pk]).pk,
    }
    sessions = {}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        sessions[role] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return World(
        users=users,
        sessions=sessions,
        objects=objects,
        invitation_token=invitation_token(user=invited),
        survey_token=survey_token(survey=survey),
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """Built once for the module, in a transaction rolled back at its end; each
    test runs in a savepoint inside it (as Django's ``setUpTestData`` does)."""
    world_settings = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Two-factor enforcement for program admins has tests of its own
        # (tests/test_security.py); here they reach the admin directly.
        MFA_REQUIRED_FOR_PROGRAM_ADMINS=False,
    )
    with django_db_blocker.unblock(), world_settings, transaction.atomic():
        world = build_world()
        world.state = database_state()
        yield world
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def signed_in_client() -> Client:
    """One client for the module: it loads the middleware once, not per test."""
    return Client()


# --- Building a real URL for each pattern ------------------------------------------------


def admin_model_and_view(route: Route) -> tuple[str, str] | None:
    """("app_label.model_name", view kind) for a model's admin URL, else None."""
    if route.name == "admin:auth_user_password_change":
        return User._meta.label_lower, "password"
    model_admin = getattr(route.pattern.callback, "model_admin", None)
    if model_admin is None:
        # Unnamed: the old object URL, which redirects to the change page.
        parts = route.route.split("/")
        if route.name is None and route.route.endswith("<path:object_id>/") and len(parts) == 5:
            return f"{parts[1]}.{parts[2]}", "<object>"
        return None
    opts = model_admin.model._meta
    kind = route.name.rsplit("_", 1)[1] if route.name else "<object>"
    return opts.label_lower, kind


# Sample values for URL parameters, by URL name. The admin's object URLs take
# the id of a real object of their model from the world.
URL_KWARGS: dict[str, Callable[[World], dict[str, Any]]] = {
    "engagement:invitation_accept": lambda world: {"token": world.invitation_token},
    "account_confirm_email": lambda world: {"key": "made-up-key"},
    "account_reset_password_from_key": lambda world: {"uidb36": "zz", "key": "made-up-key"},
    "admin:view_on_site": lambda world: {
        "content_type_id": ContentType.objects.get_for_model(Executive).pk,
        "object_id": world.objects["engagement.executive"],
    },
    "admin:app_list": lambda world: {"app_label": "engagement"},
    "admin:auth_user_password_change": lambda world: {"id": world.objects["engagement.user"]},
    "visits:engagement_invite": lambda world: {"pk": world.objects["visits.engagement_scheduled"]},
    **{
        name: lambda world: {"pk": world.objects["visits.engagement_scheduled"]}
        for name in (
            "visits:engagement_detail",
            "visits:engagement_decide",
            "visits:engagement_answer",
            "visits:engagement_schedule",
            "visits:engagement_cancel",
            "visits:engagement_outcome",
        )
    },
    "visits:account_engagements": lambda world: {"pk": world.objects["engagement.account"]},
    **{
        name: lambda world: {"pk": world.objects["visits.engagement_logged"]}
        for name in ("visits:logged_contact_edit", "visits:logged_contact_delete")
    },
    "visits:account_timeline": lambda world: {"pk": world.objects["engagement.account"]},
    "visits:calendar_feed_ics": lambda world: {"token": "made-up-token"},
    **{
        name: lambda world: {"pk": world.objects["visits.calendarmeeting_own"]}
        for name in (
            "visits:calendar_meeting_confirm",
            "visits:calendar_meeting_unlog",
            "visits:calendar_meeting_dismiss",
            "visits:calendar_meeting_restore",
        )
    },
    **{
        name: lambda world: {"pk": world.objects["visits.calendarconnection_own"]}
        for name in ("visits:calendar_connection_disconnect", "visits:calendar_connection_read_again")
    },
    **{
        name: lambda world: {"pk": world.objects["engagement.importjob"]}
        for name in (
            "engagement:import_detail",
            "engagement:import_progress",
            "engagement:import_start",
            "engagement:import_recheck",
        )
    },
    **{
        name: lambda world: {"pk": world.objects["visits.engagement_held"]}
        for name in (
            "feedback:debrief",
            "feedback:debrief_draft",
            "feedback:action_create",
            "feedback:surveys_send",
            "visits:engagement_not_there",
        )
    },
    "feedback:action_detail": lambda world: {"pk": world.objects["feedback.actionitem"]},
    **{
        name: lambda world: {"pk": world.objects["mentoring.pairing_proposed"]}
        for name in ("mentoring:pairing_detail", "mentoring:pairing_change", "mentoring:pairing_goal_add")
    },
    "mentoring:pairing_goal_edit": lambda world: {
        "pk": world.objects["mentoring.pairing_proposed"],
        "goal_pk": world.objects["mentoring.pairinggoal_proposed"],
    },
    "mentoring:propose": lambda world: {"account_pk": world.objects["engagement.account"]},
    "mentoring:handover": lambda world: {"executive_pk": world.objects["engagement.executive"]},
    "feedback:survey": lambda world: {"token": world.survey_token},
    "engagement:api_token_revoke": lambda world: {"pk": world.objects["engagement.apitoken"]},
    "engagement:invitation_resend": lambda world: {"pk": world.objects["engagement.user_invited"]},
    "api:executive-detail": lambda world: {"pk": world.objects["engagement.executive"]},
    # The executive visitor's own: theirs to read, and every program admin's.
    "api:executive-contact-status": lambda world: {"pk": world.users[Role.EXECUTIVE].executive.pk},
    "api:account-detail": lambda world: {"pk": world.objects["engagement.account"]},
    "api:contact-detail": lambda world: {"pk": world.objects["engagement.contact"]},
    "api:engagement-detail": lambda world: {"pk": world.objects["visits.engagement_scheduled"]},
    "api:debrief-detail": lambda world: {"pk": world.objects["feedback.debrief"]},
    "api:action-detail": lambda world: {"pk": world.objects["feedback.actionitem"]},
    "api:pairing-detail": lambda world: {"pk": world.objects["mentoring.pairing_proposed"]},
}
ALLOWED_STATUS.update({name: {"GET": 301, "POST": 301} for name in MOVED})
URL_KWARGS.update({name: URL_KWARGS[target] for name, target in MOVED.items() if target in URL_KWARGS})
QUERY_STRINGS: dict[str, str | Callable[[World], str]] = {
    "admin:autocomplete": "?app_label=visits&model_name=engagementexecutive&field_name=executive&term=",
    "visits:request_executives": lambda world: f"?account={world.objects['engagement.account']}&executive_query=ex",
    "visits:request_time_for_executive": lambda world: (
        f"?executive={world.objects['engagement.executive']}&starts_at=2031-12-02T18:00&duration_minutes=60"
    ),
    # A search by words and theme that finds the world's debrief.
    "feedback:debrief_search": lambda world: f"?q=price&theme={world.objects['feedback.theme']}",
    "mentoring:impact_accounts": "?measure=contacts&tier=1&group=comparison",
    "mentoring:impact_accounts_csv": "?measure=contacts&tier=1&group=comparison",
}


def url_of(route: Route, world: World) -> str:
    """A real URL for ``route``, with sample values for its parameters."""
    if route.name is None:
        if route.namespace == ADMIN_NAMESPACE and route.route.endswith("(?P<url>.*)$"):
            return "/admin/no-such-page/"
        model, _ = admin_model_and_view(route) or (None, None)
        if model is None:
            raise KeyError(f"no sample URL for the unnamed pattern {route.route!r}")
        app_label, model_name = model.split(".")
        change = reverse(f"admin:{app_label}_{model_name}_change", args=[world.objects[model]])
        return change.removesuffix("change/")
    if route.name in URL_KWARGS:
        kwargs = URL_KWARGS[route.name](world)
    elif route.pattern.pattern.converters.keys() == {"object_id"} and admin_model_and_view(route):
        model, _ = admin_model_and_view(route) or ("", "")
        kwargs = {"object_id": world.objects[model]}
    elif route.pattern.pattern.converters or route.pattern.pattern.regex.groups:
        raise KeyError(f"no sample values for the parameters of {route.name}: add them to URL_KWARGS")
    else:
        kwargs = {}
    query = QUERY_STRINGS.get(route.name, "")
    return reverse(route.name, kwargs=kwargs) + (query(world) if callable(query) else query)


# --- What the database holds ----------------------------------------------------------------

# Signing in writes the session and the user's last sign-in time: not the
# program's data. The sign-in rate limits live in the cache, not here.
IGNORED_TABLES = {"django_session"}
IGNORED_COLUMNS = {User._meta.db_table: {"last_login"}}


@functools.cache
def table_reads() -> dict[str, str]:
    """A SELECT of every column that matters, for every table (the schema does
    not change while the tests run)."""
    quote = connection.ops.quote_name
    reads = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in IGNORED_TABLES:
                continue
            description = connection.introspection.get_table_description(cursor, table)
            columns = [quote(c.name) for c in description if c.name not in IGNORED_COLUMNS.get(table, set())]
            reads[table] = f"SELECT {', '.join(columns)} FROM {quote(table)}"
    return reads


def database_state() -> dict[str, tuple[int, str]]:
    """Row count and a hash of the rows, for every table."""
    state: dict[str, tuple[int, str]] = {}
    with connection.cursor() as cursor:
        for table, read in table_reads().items():
            cursor.execute(read)
            # PostgreSQL reads binary columns as memoryview, whose repr is its address.
            rows = sorted(
                repr(tuple(bytes(value) if isinstance(value, memoryview) else value for value in row))
                for row in cursor.fetchall()
            )
            state[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return state


def changed_tables(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))


# --- The walk -----------------------------------------------------------------------------


def test_every_url_pattern_is_in_the_access_table():
    missing = [route.label for route in ROUTES if access_of(route) is None]

    assert missing == [], f"URL patterns with no entry in ACCESS (decide who may use them): {missing}"


def test_access_table_names_only_urls_that_exist():
    names = {route.name for route in ROUTES if route.name}

    assert sorted(set(ACCESS) - names) == []
    assert sorted(set(ALLOWED_STATUS) - set(ACCESS)) == []
    assert sorted(set(ACCESS) - set(ALLOWED_STATUS)) == [], "say what an allowed visitor gets"
    assert sorted(set(ROLE_STATUS) - set(ACCESS)) == []
    for name, by_role in ROLE_STATUS.items():
        assert all(is_allowed(ACCESS[name], role) for role in by_role), f"{name}: a role not let in"


def test_the_walk_sees_every_kind_of_url():
    # The walk reaches into allauth (and its two-factor URLs) and the admin.
    names = {route.name for route in ROUTES}

    assert {"engagement:invite", "account_login", "mfa_index", "admin:index", "admin:visits_engagement_change"} <= names


# --- The matrix ------------------------------------------------------------------------------


def expected_status(route: Route, visitor: Role | None, method: str) -> int:
    """What an allowed ``visitor`` gets from ``route``."""
    if route.namespace != ADMIN_NAMESPACE:
        assert route.name
        if visitor is None and route.name in ANONYMOUS_STATUS:
            return ANONYMOUS_STATUS[route.name][method]
        if visitor is not None and visitor in ROLE_STATUS.get(route.name, {}):
            return ROLE_STATUS[route.name][visitor][method]
        return ALLOWED_STATUS[route.name][method]
    if route.name in ADMIN_SITE_STATUS:
        return ADMIN_SITE_STATUS[route.name][method]
    if route.name is None and route.route.endswith("(?P<url>.*)$"):
        return ADMIN_SITE_STATUS["admin:<catch all>"][method]
    model_and_view = admin_model_and_view(route)
    assert model_and_view, f"no expected status for {route.label}"
    model, kind = model_and_view
    if model in ADMIN_MODELS_CLOSED_TO_PROGRAM_ADMINS and kind != "<object>":
        return 403
    return ADMIN_MODEL_STATUS_EXCEPTIONS.get(model, {}).get(kind, ADMIN_MODEL_STATUS[kind])[method]


def is_allowed(access: Access, visitor: Role | None) -> bool:
    """Whether ``visitor`` (None: not signed in) may use a URL with ``access``."""
    if access == PUBLIC:
        return True
    if visitor is None:
        return False
    return access == SIGNED_IN or visitor in access


def answers_401(route: Route) -> bool:
    """The API is called by programs, which cannot follow a sign-in page:
    without credentials it answers 401. Its docs are a page for people."""
    return route.namespace == "api" and route.name != "api:docs"


def assert_sent_to_sign_in(client: Client, response: HttpResponse, url: str) -> None:
    """To allauth's sign-in page, coming back to ``url`` afterwards. The
    admin's own pages go through the admin's sign-in page, which hands over to
    allauth's."""
    assert response.status_code == 302, f"{url}: {response.status_code}"
    location = response["Location"]
    if location.startswith(reverse("admin:login")):
        assert location == redirect_to_login(url, reverse("admin:login"))["Location"]
        url, location = location, client.get(location)["Location"]
    assert location == redirect_to_login(url, reverse("account_login"))["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("visitor", VISITORS, ids=visitor_id)
@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.label)
def test_access_matrix(world, signed_in_client, route, visitor, method):
    client = signed_in_client
    client.cookies.clear()
    if visitor is not None:
        # Signed in once for the whole module (the session rows are part of
        # the world each test starts from).
        client.cookies[django_settings.SESSION_COOKIE_NAME] = world.sessions[visitor]
    url = url_of(route, world)
    access = access_of(route)
    assert access is not None, f"{route.label} is not in ACCESS"

    response = client.get(url) if method == "GET" else client.post(url, POSTED)

    allowed = is_allowed(access, visitor)
    if not allowed and visitor is None and answers_401(route):
        assert response.status_code == 401, f"{method} {url}: {response.status_code}"
    elif not allowed and visitor is None:
        assert_sent_to_sign_in(client, response, url)
    elif not allowed:
        assert response.status_code == 403, f"{method} {url}: {response.status_code}"
    else:
        assert response.status_code == expected_status(route, visitor, method), f"{method} {url}"
    if not allowed or method == "GET":
        assert changed_tables(world.state, database_state()) == [], f"{method} {url} changed the database"


# --- Objects of other people ------------------------------------------------------------------


@dataclass(frozen=True)
class OwnedObject:
    """A URL that names an object belonging to one user: its owner may open
    it, anyone else with the same role gets 404 (not 403, which would tell them
    it exists)."""

    url_name: str
    role: Role
    # Builds an object owned by the given user; returns the URL's kwargs.
    build: Callable[[User], dict[str, Any]]


# One row per URL of the project that names an object a user owns. The role
# pages show only the signed-in person's own data, and the admin is for
# program admins, who see everything (its object URLs are in the matrix above
# with real objects). The test below fails when such a URL appears without its
# row here.
def meeting_of(owner: User, account: Account | None = None) -> int:
    """A customer meeting read yesterday from a calendar of ``owner``'s."""
    connection = CalendarConnection(owner=owner, name="My calendar")
    connection.url = "https://calendar.example/private-token/basic.ics"
    connection.save()
    yesterday = timezone.now() - dt.timedelta(days=1)
    return CalendarMeeting.objects.create(
        connection=connection,
        uid=f"meeting-of-{owner.pk}",
        title="Quarterly review",
        starts_at=yesterday,
        ends_at=yesterday + dt.timedelta(hours=1),
        account=account or AccountFactory(),
    ).pk


def led_by(owner: User, status: str = Engagement.Status.SCHEDULED) -> dict[str, Any]:
    """An engagement the executive ``owner`` is asked to lead."""
    return {"pk": EngagementFactory(executives=[owner.executive], status=status).pk}


def of_account_managed_by(owner: User) -> dict[str, Any]:
    """An engagement with an account the account manager ``owner`` manages."""
    account = AccountFactory(account_manager=owner)
    return {"pk": EngagementFactory(account=account, executives=[ExecutiveFactory()], status="scheduled").pk}


def held_by(owner: User) -> dict[str, Any]:
    """A held engagement the executive ``owner`` attended."""
    return led_by(owner, Engagement.Status.COMPLETED)


def held_at_account_of(owner: User) -> dict[str, Any]:
    """A held engagement, with a customer contact, at an account the account manager ``owner`` manages."""
    account = AccountFactory(account_manager=owner)
    engagement = EngagementFactory(account=account, executives=[ExecutiveFactory()])
    engagement.contacts.add(ContactFactory(account=account))
    return {"pk": engagement.pk}


def action_of(engagement_id: int, owner: User | None = None) -> dict[str, Any]:
    """An action from the engagement ``engagement_id``, for ``owner`` or the engagement's lead."""
    engagement = Engagement.objects.get(pk=engagement_id)
    lead = owner or engagement.executives.get().user
    action = ActionItem.objects.create(
        engagement=engagement, title="Send the roadmap", owner=lead, created_by=lead, due_on=timezone.localdate()
    )
    return {"pk": action.pk}


def goal_of(pairing: Pairing) -> dict[str, Any]:
    """A goal of ``pairing``."""
    return {"pk": pairing.pk, "goal_pk": PairingGoal.objects.create(pairing=pairing, text="Meet the CFO").pk}


def logged_by(owner: User) -> dict[str, Any]:
    """A contact the executive ``owner`` logged yesterday."""
    engagement, _ = engagement_log_contact(
        executive=owner.executive,
        account=AccountFactory(),
        engagement_type=EngagementTypeFactory(),
        on=timezone.localdate() - dt.timedelta(days=1),
        duration_minutes=60,
    )
    return {"pk": engagement.pk}


def calendar_of(owner: User) -> dict[str, Any]:
    """A calendar ``owner`` connected, broken (so that it may be read again)."""
    calendar = CalendarConnection(owner=owner, name="Work", failures=5, broken_at=timezone.now())
    calendar.url = f"https://calendar.example/{owner.pk}/basic.ics"
    calendar.save()
    return {"pk": calendar.pk}


OWNED_OBJECTS: list[OwnedObject] = [
    *(
        OwnedObject(name, Role.EXECUTIVE, lambda owner: {"pk": meeting_of(owner)})
        for name in (
            "visits:calendar_meeting_confirm",
            "visits:calendar_meeting_unlog",
            "visits:calendar_meeting_dismiss",
            "visits:calendar_meeting_restore",
        )
    ),
    # A calendar is its owner's secret, whatever their role.
    *(
        OwnedObject(name, role, calendar_of)
        for name in ("visits:calendar_connection_disconnect", "visits:calendar_connection_read_again")
        for role in Role
    ),
    OwnedObject("visits:logged_contact_edit", Role.EXECUTIVE, logged_by),
    OwnedObject("visits:logged_contact_delete", Role.EXECUTIVE, logged_by),
    OwnedObject("visits:engagement_invite", Role.EXECUTIVE, led_by),
    OwnedObject("visits:engagement_detail", Role.EXECUTIVE, led_by),
    OwnedObject("visits:engagement_decide", Role.EXECUTIVE, lambda owner: led_by(owner, Engagement.Status.REQUESTED)),
    OwnedObject("visits:engagement_outcome", Role.EXECUTIVE, led_by),
    OwnedObject(
        "visits:engagement_not_there",
        Role.EXECUTIVE,
        lambda owner: {"pk": EngagementFactory(executives=[ExecutiveFactory(), owner.executive]).pk},
    ),
    OwnedObject("visits:engagement_answer", Role.ACCOUNT_MANAGER, of_account_managed_by),
    OwnedObject("visits:engagement_schedule", Role.ACCOUNT_MANAGER, of_account_managed_by),
    OwnedObject("visits:engagement_cancel", Role.ACCOUNT_MANAGER, of_account_managed_by),
    OwnedObject(
        "visits:account_engagements",
        Role.ACCOUNT_MANAGER,
        lambda owner: {"pk": AccountFactory(account_manager=owner).pk},
    ),
    # An account the executive sponsors, and one they met: theirs to read.
    OwnedObject(
        "visits:account_engagements",
        Role.EXECUTIVE,
        lambda owner: {"pk": PairingFactory(executive=owner.executive, status=Pairing.Status.ACTIVE).account_id},
    ),
    OwnedObject(
        "visits:account_engagements",
        Role.EXECUTIVE,
        lambda owner: {"pk": Engagement.objects.get(pk=held_by(owner)["pk"]).account_id},
    ),
    OwnedObject(
        "visits:account_timeline",
        Role.ACCOUNT_MANAGER,
        lambda owner: {"pk": AccountFactory(account_manager=owner).pk},
    ),
    # The timeline opens as the account's page does: sponsored or met lately.
    OwnedObject(
        "visits:account_timeline",
        Role.EXECUTIVE,
        lambda owner: {"pk": PairingFactory(executive=owner.executive, status=Pairing.Status.ACTIVE).account_id},
    ),
    OwnedObject(
        "visits:account_timeline",
        Role.EXECUTIVE,
        lambda owner: {"pk": Engagement.objects.get(pk=held_by(owner)["pk"]).account_id},
    ),
    OwnedObject("feedback:debrief", Role.EXECUTIVE, held_by),
    OwnedObject("feedback:debrief", Role.ACCOUNT_MANAGER, held_at_account_of),
    OwnedObject("feedback:debrief_draft", Role.EXECUTIVE, held_by),
    OwnedObject("feedback:action_create", Role.EXECUTIVE, held_by),
    OwnedObject("feedback:surveys_send", Role.ACCOUNT_MANAGER, held_at_account_of),
    # Routed to its owner, who never saw the engagement: theirs all the same.
    OwnedObject(
        "feedback:action_detail",
        Role.EXECUTIVE,
        lambda owner: action_of(held_by(person_with(Role.EXECUTIVE))["pk"], owner),
    ),
    # An action of an account the account manager manages, owned by the executive who went.
    OwnedObject(
        "feedback:action_detail", Role.ACCOUNT_MANAGER, lambda owner: action_of(held_at_account_of(owner)["pk"])
    ),
    *[
        OwnedObject(name, Role.EXECUTIVE, lambda owner: {"pk": PairingFactory(executive=owner.executive).pk})
        for name in ("mentoring:pairing_detail", "mentoring:pairing_change", "mentoring:pairing_goal_add")
    ],
    *[
        OwnedObject(name, Role.ACCOUNT_MANAGER, lambda owner: {"pk": PairingFactory(account__account_manager=owner).pk})
        for name in ("mentoring:pairing_detail", "mentoring:pairing_change", "mentoring:pairing_goal_add")
    ],
    OwnedObject(
        "mentoring:pairing_goal_edit", Role.EXECUTIVE, lambda owner: goal_of(PairingFactory(executive=owner.executive))
    ),
    OwnedObject(
        "mentoring:pairing_goal_edit",
        Role.ACCOUNT_MANAGER,
        lambda owner: goal_of(PairingFactory(account__account_manager=owner)),
    ),
]


# URLs naming an object that every role may open, whoever it concerns.
DIRECTORY_URLS = {
    # Every role finds active executives by name (the colleague and request searches).
    "api:executive-detail",
}


def api_debrief_of(engagement_id: int, author: User | None = None) -> dict[str, Any]:
    """A submitted debrief of the engagement ``engagement_id``, by ``author`` or its lead."""
    engagement = Engagement.objects.get(pk=engagement_id)
    debrief = Debrief.objects.create(
        engagement=engagement,
        author=author or engagement.executives.get().user,
        heard="The renewal price came as a surprise.",
        status=Debrief.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    return {"pk": debrief.pk}


OWNED_OBJECTS += [
    OwnedObject("api:executive-contact-status", Role.EXECUTIVE, lambda owner: {"pk": owner.executive.pk}),
    OwnedObject(
        "api:account-detail", Role.ACCOUNT_MANAGER, lambda owner: {"pk": AccountFactory(account_manager=owner).pk}
    ),
    # Executives look up every account not churned (the quick log's); a
    # churned one only when its page is open to them, as one they sponsor.
    OwnedObject(
        "api:account-detail",
        Role.EXECUTIVE,
        lambda owner: {
            "pk": PairingFactory(
                executive=owner.executive, account__status="churned", status=Pairing.Status.ACTIVE
            ).account_id
        },
    ),
    OwnedObject(
        "api:contact-detail",
        Role.ACCOUNT_MANAGER,
        lambda owner: {"pk": ContactFactory(account=AccountFactory(account_manager=owner)).pk},
    ),
    OwnedObject("api:engagement-detail", Role.EXECUTIVE, led_by),
    OwnedObject("api:engagement-detail", Role.ACCOUNT_MANAGER, of_account_managed_by),
    OwnedObject("api:debrief-detail", Role.EXECUTIVE, lambda owner: api_debrief_of(held_by(owner)["pk"])),
    OwnedObject(
        "api:debrief-detail", Role.ACCOUNT_MANAGER, lambda owner: api_debrief_of(held_at_account_of(owner)["pk"])
    ),
    OwnedObject(
        "api:action-detail", Role.EXECUTIVE, lambda owner: action_of(held_by(person_with(Role.EXECUTIVE))["pk"], owner)
    ),
    OwnedObject("api:action-detail", Role.ACCOUNT_MANAGER, lambda owner: action_of(held_at_account_of(owner)["pk"])),
    OwnedObject(
        "api:pairing-detail", Role.EXECUTIVE, lambda owner: {"pk": PairingFactory(executive=owner.executive).pk}
    ),
    OwnedObject(
        "api:pairing-detail",
        Role.ACCOUNT_MANAGER,
        lambda owner: {"pk": PairingFactory(account__account_manager=owner).pk},
    ),
]


def test_every_role_url_naming_an_object_says_whose_it_is():
    owned = {row.url_name for row in OWNED_OBJECTS}
    unaccounted = [
        route.name
        for route in ROUTES
        if route.namespace != ADMIN_NAMESPACE
        and route.pattern.pattern.regex.groups
        # Program admins run the whole program: every object is theirs to open.
        and access_of(route) not in (PUBLIC, PROGRAM_ADMINS)
        and route.name not in owned
        and route.name not in DIRECTORY_URLS
        # A moved address opens nothing itself: the page it redirects to decides.
        and route.namespace != "moved"
    ]

    assert unaccounted == [], f"URLs naming an object with no row in OWNED_OBJECTS: {unaccounted}"


def person_with(role: Role) -> User:
    if role == Role.EXECUTIVE:
        return ExecutiveFactory().user
    return UserFactory(roles=[role])


@pytest.mark.django_db
@pytest.mark.parametrize("row", OWNED_OBJECTS, ids=lambda row: f"{row.url_name}-{visitor_id(row.role)}")
def test_another_users_object_is_not_found(client, row):
    owner, someone_else = person_with(row.role), person_with(row.role)
    url = reverse(row.url_name, kwargs=row.build(owner))
    before = database_state()

    client.force_login(someone_else)
    refused_get, refused_post = client.get(url), client.post(url, POSTED)
    client.force_login(owner)
    owners = client.get(url)

    assert refused_get.status_code == 404
    assert refused_post.status_code == 404
    assert owners.status_code not in {403, 404, 500}
    assert changed_tables(before, database_state()) == []
