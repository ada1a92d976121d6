"""Pairings and their goals in the audit trail (``engagement.audit``)."""

from __future__ import annotations

from django.db.models import F, TextField, Value
from django.db.models.functions import Concat

from engagement.audit.trail import audit_register, user_label
from mentoring.models import Pairing, PairingGoal

audit_register(
    Pairing,
    kind="pairings",
    label=Concat(user_label("executive__user__"), Value(" sponsors "), F("account__name"), output_field=TextField()),
    url_name="mentoring:pairing_detail",
)
# A goal is shown on its pairing's page.
audit_register(
    PairingGoal, kind="pairings", label=F("text"), url_name="mentoring:pairing_detail", url_field="pairing_id"
)
