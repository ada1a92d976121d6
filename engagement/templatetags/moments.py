"""Kept texts with their moments drawn in the reader's time zone."""

from __future__ import annotations

from django import template

from engagement.moments import moments_in_zone

register = template.Library()


@register.filter
def in_reader_zone(text: str) -> str:
    """``text`` with its moments drawn in the current time zone: the signed-in
    reader's on a page, the recipient's inside ``{% timezone %}`` in an email.
    The result is plain text, escaped as any other."""
    return moments_in_zone(str(text))
