"""A message that carries one thing to do at once ("Undo"), as a button.

Django's messages keep a text, a level and ``extra_tags`` only, in the
session or a cookie; the action travels in ``extra_tags``, and
``templates/includes/messages.html`` draws it as a POST button beside the
text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_PREFIX = "action\x1f"
_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class MessageAction:
    label: str
    url: str  # a path in Groundwork, posted to


def message_action(label: str, url: str) -> str:
    """The ``extra_tags`` of a message whose button ``label`` posts to ``url``."""
    return f"{_PREFIX}{label}{_SEPARATOR}{url}"


def message_action_of(message: Any) -> MessageAction | None:
    """The action a message carries, or None."""
    tags = getattr(message, "extra_tags", "") or ""
    if not tags.startswith(_PREFIX):
        return None
    label, _, url = tags.removeprefix(_PREFIX).partition(_SEPARATOR)
    # Only a path of this site: never a button that posts elsewhere.
    if not label or not url.startswith("/") or url[1:2] in ("/", "\\"):
        return None
    return MessageAction(label=label, url=url)
