"""Debriefs, actions and themes in the audit trail (``engagement.audit``).
Surveys are customers' answers, not changes people make: they are left out."""

from __future__ import annotations

from django.db.models import F, TextField, Value
from django.db.models.functions import Concat

from engagement.audit.trail import audit_describe, audit_register, user_label
from feedback.models import ActionItem, Debrief, Survey, Theme
from visits.audit import engagement_label

audit_register(
    Debrief,
    kind="debriefs",
    label=Concat(
        Value("Debrief of "),
        engagement_label("engagement__"),
        Value(" by "),
        user_label("author__"),
        output_field=TextField(),
    ),
    # When it was submitted is the time of the entry that submits it.
    exclude=["submitted_at"],
    m2m=["themes"],
    # Shown on its engagement's debrief page.
    url_name="feedback:debrief",
    url_field="engagement_id",
)
audit_register(
    ActionItem,
    kind="debriefs",
    label=F("title"),
    # Set and cleared with its status.
    exclude=["closed_at"],
    url_name="feedback:action_detail",
)
audit_register(Theme, kind="settings", label=F("name"), url_name="admin:feedback_theme_change")
# Named where an action follows up an answer.
audit_describe(
    Survey,
    label=Concat(
        Value("Survey of "),
        F("contact__name"),
        Value(" about "),
        engagement_label("engagement__"),
        output_field=TextField(),
    ),
)
