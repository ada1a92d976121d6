"""Internet domains: an account's (whose addresses are its people) and the company's own (whose never are).

A domain is kept as its lowercase ASCII name without "www." (``acme.com``; an international one in its ``xn--`` form),
read from whatever people paste: a bare name, an address (``lee@acme.com``) or a website (``https://www.acme.com/``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_TOP_LEVEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
# Addresses at these belong to people, not to a company: they never name an account.
PERSONAL_DOMAINS = frozenset(
    {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "icloud.com",
     "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de", "mail.com"}
)  # fmt: skip


def domain_read(text: str) -> str:
    """The domain ``text`` names, or ``ValidationError`` saying how to write one."""
    cleaned = text.strip().lower()
    if "://" in cleaned:
        cleaned = urlsplit(cleaned).hostname or ""
    cleaned = cleaned.rpartition("@")[2].split("/")[0].rstrip(".").removeprefix("www.")
    try:
        cleaned = cleaned.encode("idna").decode("ascii")
    except UnicodeError:
        cleaned = ""
    *labels, top = cleaned.split(".") if cleaned else [""]
    if len(cleaned) > 253 or not labels or not all(map(_LABEL.fullmatch, labels)) or not _TOP_LEVEL.fullmatch(top):
        raise ValidationError(f"“{text.strip()}” is not an internet domain: write it as acme.com.")
    if cleaned in PERSONAL_DOMAINS:
        raise ValidationError(f"{cleaned} is where anyone has an address, not one company's domain.")
    return cleaned


def domains_read(text: str) -> list[str]:
    """Several domains, separated by semicolons, commas or spaces; in order, each once."""
    return list(dict.fromkeys(domain_read(part) for part in re.split(r"[;,\s]+", text) if part.strip()))


def domain_of(email: str) -> str:
    """The domain of an address, lowercase."""
    return email.rpartition("@")[2].strip().strip(".").lower()


def company_domains_valid(text: str) -> None:
    """A validator of the program's own domains."""
    domains_read(text)


def company_domains(texts: list[str]) -> set[str]:
    """The company's own domains, from the programs' settings."""
    return {domain for text in texts for domain in domains_read(text)}
