"""The action a message carries (``engagement.web.messages``)."""

from __future__ import annotations

from typing import Any

from django import template

from engagement.web.messages import MessageAction, message_action_of

register = template.Library()


@register.filter
def message_action(message: Any) -> MessageAction | None:
    return message_action_of(message)
