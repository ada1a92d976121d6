"""A message's one action ("Undo") travels in its extra tags, and is drawn
only when it posts to a path of this site."""

from __future__ import annotations

from django.contrib.messages.storage.base import Message

from engagement.web.messages import MessageAction, message_action, message_action_of


def test_an_action_comes_back_as_it_was_given():
    message = Message(25, "Logged", extra_tags=message_action("Undo", "/engagements/12/delete/?undo=1"))

    assert message_action_of(message) == MessageAction(label="Undo", url="/engagements/12/delete/?undo=1")


def test_plain_tags_or_an_address_elsewhere_carry_no_action():
    assert message_action_of(Message(25, "Saved")) is None
    assert message_action_of(Message(25, "Saved", extra_tags="important")) is None
    assert message_action_of(Message(25, "Logged", extra_tags=message_action("Undo", "//evil.example/"))) is None
    assert message_action_of(Message(25, "Logged", extra_tags=message_action("Undo", "https://evil.example/"))) is None
    assert message_action_of(Message(25, "Logged", extra_tags=message_action("Undo", "/\\evil.example/"))) is None
