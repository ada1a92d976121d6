"""Small drawings and controls for the dashboards, made on the server in one
pass each (no script, no inline style, no template per bar or option: a page
draws fifty charts and may offer a thousand managers)."""

from __future__ import annotations

import datetime as dt

from django import forms, template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from engagement.dashboards.standing import month_start

register = template.Library()

BAR_WIDTH = 6
GAP = 2
HEIGHT = 24


@register.simple_tag
def sparkline(counts: list[int], today: dt.date | None = None) -> SafeString:
    """Bars of ``counts`` (contacts per month, oldest first, ending with
    ``today``'s month), with the numbers said in words for screen readers."""
    if not counts:
        return mark_safe("")
    today = today or timezone.localdate()
    top = max(counts) or 1
    width = len(counts) * (BAR_WIDTH + GAP) - GAP
    months = [month_start(today, back=back) for back in range(len(counts) - 1, -1, -1)]
    words = ", ".join(f"{month:%b} {count}" for month, count in zip(months, counts, strict=True))
    label = escape(f"Contacts by month, {months[0]:%B %Y} to {months[-1]:%B %Y}: {words}")
    bars = []
    for index, count in enumerate(counts):
        height = 0 if not count else max(2, round(HEIGHT * count / top))
        x = index * (BAR_WIDTH + GAP)
        bars.append(f'<rect x="{x}" y="{HEIGHT - height}" width="{BAR_WIDTH}" height="{height}"/>')
    # Every value above is a number or escaped.
    return mark_safe(
        f'<svg class="sparkline" width="{width}" height="{HEIGHT}" viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-label="{label}"><title>{label}</title>{"".join(bars)}'
        f'<line x1="0" y1="{HEIGHT}" x2="{width}" y2="{HEIGHT}"/></svg>'
    )


@register.filter
def select_options(field: forms.BoundField) -> SafeString:
    """The ``<option>`` elements of a choice field, the current value selected."""
    current = field.value()
    current = "" if current is None else str(current)
    options = (
        f'<option value="{escape(value)}"{" selected" if str(value) == current else ""}>{escape(label)}</option>'
        for value, label in field.field.choices
    )
    return mark_safe("".join(options))  # every value and label is escaped
