"""The link from an object's page to its history in the audit trail."""

from __future__ import annotations

from django import template
from django.db import models
from django.urls import reverse
from django.utils.http import urlencode

from engagement.audit.trail import audit_object_key

register = template.Library()


@register.simple_tag
def audit_history_url(instance: models.Model) -> str:
    """The audit page showing only ``instance``'s changes."""
    return f"{reverse('engagement:audit')}?{urlencode({'object': audit_object_key(instance)})}"
