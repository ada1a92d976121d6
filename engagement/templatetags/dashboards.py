"""Small drawings for the dashboards, made on the server (no script, no inline style)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from engagement.dashboards import month_start

register = template.Library()

BAR_WIDTH = 6
GAP = 2
HEIGHT = 24


@register.inclusion_tag("includes/sparkline.html")
def sparkline(counts: list[int], today: dt.date | None = None) -> dict:
    """Bars of ``counts`` (contacts per month, oldest first, ending with
    ``today``'s month), with the numbers said in words for screen readers."""
    today = today or timezone.localdate()
    top = max(counts, default=0) or 1
    bars = []
    for index, count in enumerate(counts):
        height = 0 if not count else max(2, round(HEIGHT * count / top))
        bars.append({"x": index * (BAR_WIDTH + GAP), "y": HEIGHT - height, "height": height, "count": count})
    months = [month_start(today, back=back) for back in range(len(counts) - 1, -1, -1)]
    words = ", ".join(f"{month:%b} {count}" for month, count in zip(months, counts, strict=True))
    return {
        "bars": bars,
        "width": len(counts) * (BAR_WIDTH + GAP) - GAP,
        "height": HEIGHT,
        "bar_width": BAR_WIDTH,
        "label": f"Contacts by month, {months[0]:%B %Y} to {months[-1]:%B %Y}: {words}" if counts else "",
        "total": sum(counts),
    }
