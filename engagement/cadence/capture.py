"""How each of the program's contacts came in: captured from a calendar
without a tap, confirmed with one tap from a calendar meeting, or typed.

The program keeps its own record of contacts (``ExecutiveContact``) but not
the engagements they come from, which live in an app this one does not
import; that app says where a contact's way in is read
(``contact_capture_from``), as it registers its panels, and the reads that
count contacts count them by it (``contact_capture``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce


class ContactCapture(models.TextChoices):
    """How a contact came in: captured from a calendar without a tap (the
    executive chose to confirm automatically), confirmed with one tap from a
    meeting read from their calendar, or typed (logged, requested or
    imported). The values are those of the engagements it comes from."""

    AUTOMATIC = "automatic", "Captured from a calendar"
    CONFIRMED = "confirmed", "Confirmed from a calendar"
    TYPED = "typed", "Typed"


CaptureSource = Callable[[], models.Expression]
_capture_sources: list[CaptureSource] = []


def contact_capture_from(source: CaptureSource) -> CaptureSource:
    """Register where each contact's capture is read: ``source`` returns an
    expression over an ``ExecutiveContact`` (its ``engagement_id``) that is a
    ``ContactCapture`` value. The engagements live in an app this one does
    not import, so that app registers it, as it registers its panels."""
    if source not in _capture_sources:
        _capture_sources.append(source)
    return source


def contact_capture() -> models.Expression:
    """Each contact's ``ContactCapture``, as registered. A contact the source
    does not know, or every contact without a source, counts as typed: the
    three ways always add up to the contacts."""
    typed = Value(ContactCapture.TYPED.value, output_field=models.CharField())
    if _capture_sources:
        return Coalesce(_capture_sources[-1](), typed, output_field=models.CharField())
    return typed
