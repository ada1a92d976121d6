"""Absolute links for emails, built from SITE_URL and never from a request's Host."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from django.conf import settings


def absolute_url(path_or_url: str) -> str:
    """``path_or_url`` on the site's own address (any host in it is dropped)."""
    parts = urlsplit(path_or_url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return urljoin(settings.SITE_URL + "/", path.lstrip("/"))
