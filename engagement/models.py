"""The program's models. Each lives with its capability (``people``,
``accounts``, ``cadence``, ...); Django, and the migrations that name
``engagement.models.time_zone_choices``, find them all here."""

from __future__ import annotations

from engagement.accounts.models import Account, AccountDomain, Contact
from engagement.api.models import ApiToken
from engagement.cadence.models import ExecutiveContact, Program
from engagement.delivery.models import OutgoingEmail, UnsentTask
from engagement.imports.models import ImportJob
from engagement.notifications.models import DigestItem, Notification
from engagement.people.models import Executive, Function, Invitation, Level, Skill, User, UserManager, time_zone_choices
from engagement.reminders.models import Reminder

__all__ = [
    "Account",
    "AccountDomain",
    "ApiToken",
    "Contact",
    "DigestItem",
    "Executive",
    "ExecutiveContact",
    "Function",
    "ImportJob",
    "Invitation",
    "Level",
    "Notification",
    "OutgoingEmail",
    "Program",
    "Reminder",
    "Skill",
    "UnsentTask",
    "User",
    "UserManager",
    "time_zone_choices",
]
