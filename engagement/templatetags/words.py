"""Lists said as a person says them."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

register = template.Library()


@register.filter
def and_list(items: Iterable[object]) -> str:
    """``["Ann", "Bo", "Cy"]`` as "Ann, Bo and Cy"; one item as itself."""
    words = [str(item) for item in items]
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else "".join(words)
