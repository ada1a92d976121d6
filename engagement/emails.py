"""Emails built from templates: a subject, a plain-text body and an HTML body."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def templated_email(name: str, context: dict[str, object], *, to: str) -> EmailMultiAlternatives:
    """The email of the templates ``<name>_subject.txt``, ``<name>.txt`` and
    ``<name>.html`` (``name`` such as ``engagement/email/reminder``)."""
    message = EmailMultiAlternatives(
        subject=" ".join(render_to_string(f"{name}_subject.txt", context).split()),
        body=render_to_string(f"{name}.txt", context),
        to=[to],
    )
    message.attach_alternative(render_to_string(f"{name}.html", context), "text/html")
    return message
