"""Engagements and their types in the audit trail (``engagement.audit``);
an account's page, which the trail links to, is this app's."""

from __future__ import annotations

import datetime as dt

from django.db.models import Expression, F, TextField, Value
from django.db.models.functions import Cast, Concat, TruncDate

from engagement.accounts.models import Account
from engagement.audit.trail import audit_describe, audit_register
from visits.models import Engagement, EngagementType


def engagement_label(prefix: str = "") -> Expression:
    """An engagement's name in SQL, as ``Engagement.__str__`` gives it."""
    return Concat(
        F(f"{prefix}type__name"),
        Value(" with "),
        F(f"{prefix}account__name"),
        Value(" on "),
        Cast(TruncDate(f"{prefix}starts_at", tzinfo=dt.UTC), TextField()),
        output_field=TextField(),
    )


audit_register(
    Engagement,
    kind="engagements",
    label=engagement_label(),
    # The calendar invites' counter, raised by the services with each change they record.
    exclude=["sequence"],
    # Who attends from our side and theirs. The executives, and the staff and
    # contacts of a schedule, are written through their link tables by the
    # services, which record those changes themselves (services._plan_apply).
    m2m=["staff", "contacts"],
    url_name="visits:engagement_detail",
)
audit_register(EngagementType, kind="settings", label=F("name"), url_name="admin:visits_engagementtype_change")
audit_describe(Account, url_name="visits:account_engagements")
