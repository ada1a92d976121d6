"""How a cell of an imported CSV file is read: dates and times as CRMs and spreadsheets write them, durations, yes
and no, lists of emails and of names.

Each reader takes the cell's text (never empty: an empty cell is left to the kind of row) and returns the value, or
raises ``CellError`` with a message that says what was wrong and how to write it instead.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from engagement.bounds import FIRST_DAY, LAST_DAY

DAY_FIRST = "dmy"

# A separator between several values in one cell: Salesforce and HubSpot write multi-select values with semicolons.
LIST_SEPARATOR = ";"


class CellError(ValueError):
    """A cell that cannot be read; its message is shown beside the line and column."""


def normalized(text: str) -> str:
    """``text`` with case, accents, spaces and punctuation taken away: "E-mail", "E-Mail " and "e_mail" are all
    "email"."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return re.sub(r"[^0-9a-z]", "", decomposed)


# --- Dates and times ---------------------------------------------------------------

_FIRST_HALF = ("january", "february", "march", "april", "may", "june")
_MONTH_NAMES = (*_FIRST_HALF, "july", "august", "september", "october", "november", "december")
_MONTHS = {name: n for n, month in enumerate(_MONTH_NAMES, 1) for name in (month, month[:3])} | {"sept": 9}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMERIC_DATE = re.compile(r"(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})")
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]+([a-z]+)\.?,?[\s\-/.]+(\d{2}|\d{4})")
_MONTH_NAME_DAY = re.compile(r"([a-z]+)\.?[\s\-/]+(\d{1,2})(?:st|nd|rd|th)?,?[\s\-/]+(\d{4})")
_TIME = re.compile(
    r"(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2})(?:\.\d+)?)?\s*([ap])\.?\s*m\.?|(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
)
# A time at the end of a cell that also holds a date: "14/03/2025 10:30", "Mar 14, 2025 2:30 PM".
_TRAILING_TIME = re.compile(
    r"^(?P<date>.+?)(?:[\s,]+|(?<=\d)t)(?P<time>\d{1,2}(?::\d{2}){1,2}(?:\.\d+)?(?:\s*[ap]\.?\s*m\.?)?"
    r"|\d{1,2}\s*[ap]\.?\s*m\.?)(?:\s*(?P<zone>z|utc|gmt))?$"
)


def _year(text: str) -> int:
    year = int(text)
    # Two-digit years are this century's: the program's history is recent.
    return 2000 + year if len(text) <= 2 else year


def _kept(date: dt.date, text: str) -> dt.date:
    """``date``, when it lies where a date in Groundwork may (1900 to 2999)."""
    if not FIRST_DAY <= date <= LAST_DAY:
        raise CellError(
            f"“{text}” is not a date Groundwork keeps: give one between {FIRST_DAY.year} and {LAST_DAY.year}."
        )
    return date


def _make_date(year: int, month: int, day: int, text: str, order: str, *, ordered: bool = True) -> dt.date:
    try:
        return _kept(dt.date(year, month, day), text)
    except CellError:
        raise
    except ValueError:
        pass
    if ordered and month > 12 and day <= 12:
        other = "Month first" if order == DAY_FIRST else "Day first"
        written = "day/month/year" if order == DAY_FIRST else "month/day/year"
        raise CellError(
            f"“{text}” is not a {written} date (there is no month {month}). If the file writes the "
            f"{'month' if order == DAY_FIRST else 'day'} first, upload it again choosing “{other}”."
        )
    raise CellError(f"“{text}” is not a date in the calendar.")


def parse_date(text: str, *, order: str = DAY_FIRST) -> dt.date:
    """A date: ISO 8601 (2025-03-14), numbers with slashes, dashes or dots in ``order`` (14/03/2025 or 03/14/2025;
    2025/03/14 always year first), or with the month's name (14 Mar 2025, March 14, 2025)."""
    cleaned = text.strip()
    lowered = cleaned.casefold()
    if match := _NUMERIC_DATE.fullmatch(lowered):
        first, _, second, third = match.groups()
        if len(first) == 4:
            return _make_date(int(first), int(second), int(third), cleaned, order, ordered=False)
        day, month = (first, second) if order == DAY_FIRST else (second, first)
        if len(third) in (2, 4) and len(first) <= 2:
            return _make_date(_year(third), int(month), int(day), cleaned, order)
    for pattern, day_at, month_at in ((_DAY_MONTH_NAME, 1, 2), (_MONTH_NAME_DAY, 2, 1)):
        if (match := pattern.fullmatch(lowered)) and match.group(month_at) in _MONTHS:
            month = _MONTHS[match.group(month_at)]
            return _make_date(_year(match.group(3)), month, int(match.group(day_at)), cleaned, order, ordered=False)
    example = "14/03/2025" if order == DAY_FIRST else "03/14/2025"
    raise CellError(f"“{cleaned}” is not a date: write it as 2025-03-14 or {example}.")


def parse_time(text: str) -> dt.time:
    """A time of day: 14:30, 14:30:00, 2:30 PM, 2 pm."""
    cleaned = text.strip()
    match = _TIME.fullmatch(cleaned.casefold())
    if match is None:
        raise CellError(f"“{cleaned}” is not a time: write it as 14:30 or 2:30 PM.")
    if match.group(4):  # with AM or PM
        hour, minute, second = int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)
        if not 1 <= hour <= 12:
            raise CellError(f"“{cleaned}” is not a time: with AM or PM the hour is from 1 to 12.")
        hour = hour % 12 + (12 if match.group(4) == "p" else 0)
    else:
        hour, minute, second = int(match.group(5)), int(match.group(6)), int(match.group(7) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise CellError(f"“{cleaned}” is not a time of day.")
    return dt.time(hour, minute, second)


def parse_moment(text: str, *, order: str = DAY_FIRST) -> tuple[dt.date, dt.time | None, dt.tzinfo | None]:
    """A date with or without a time of day, and the offset from UTC when the cell gives one (ISO 8601 with ``Z`` or
    ``+01:00``, or a trailing UTC). Without a time the second value is None; without an offset the third."""
    cleaned = text.strip()
    if _ISO_DATE.fullmatch(cleaned):
        return parse_date(cleaned, order=order), None, None
    if _ISO_DATE.match(cleaned):
        try:
            moment = dt.datetime.fromisoformat(cleaned.replace(" UTC", "Z").replace(" GMT", "Z"))
        except ValueError:
            pass
        else:
            return _kept(moment.date(), cleaned), moment.time().replace(microsecond=0), moment.tzinfo
    lowered = cleaned.casefold()
    if match := _TRAILING_TIME.fullmatch(lowered):
        date_text = match.group("date")
        if len(lowered) == len(cleaned):  # the cell's own spelling, for messages
            date_text = cleaned[: len(date_text)]
        day = parse_date(date_text, order=order)
        return day, parse_time(match.group("time")), dt.UTC if match.group("zone") else None
    return parse_date(cleaned, order=order), None, None


# --- Numbers, yes and no, lists -------------------------------------------------------

_HOURS = r"\s*(?:h|hr|hrs|hour|hours)"
_DURATION_PATTERNS = [
    (re.compile(r"(\d+)\s*(?:m|min|mins|minute|minutes)?"), lambda m: int(m.group(1))),
    (re.compile(r"(\d+):(\d{2})(?::00)?"), lambda m: int(m.group(1)) * 60 + int(m.group(2))),
    (re.compile(rf"(\d+(?:[.,]\d+)?){_HOURS}"), lambda m: round(float(m.group(1).replace(",", ".")) * 60)),
    (re.compile(rf"(\d+){_HOURS}\s*(\d+)\s*(?:m|min|mins|minutes)?"), lambda m: int(m.group(1)) * 60 + int(m.group(2))),
]


def parse_minutes(text: str) -> int:
    """A length of time in minutes: 90, 90 min, 1:30, 1.5 h, 1h30."""
    cleaned = text.strip().casefold()
    for pattern, minutes in _DURATION_PATTERNS:
        if match := pattern.fullmatch(cleaned):
            return minutes(match)
    raise CellError(f"“{text.strip()}” is not a length of time: give the minutes (90), or hours and minutes (1:30).")


# An amount as CRMs write it: thousands grouped by commas, spaces or apostrophes (1,250,000.00; 1 250 000;
# 1'250'000), at most two decimals after a point, and a currency sign or code before or after it.
_AMOUNT = re.compile(r"(?P<whole>\d{1,3}(?:([,\s'])\d{3})(?:\2\d{3})*|\d+)(?:\.(?P<cents>\d{1,2}))?")
_AROUND = re.compile(r"(?P<before>[^\d]*?)\s*(?P<number>\d.*?)\s*(?P<after>[a-z$€£¥₹]*)", re.IGNORECASE)
_NEGATIVE = ("-", "\u2212", "(")
LARGEST_AMOUNT = Decimal("999999999999.99")


def parse_amount(text: str) -> Decimal:
    """An amount of money, zero or more, in no particular currency: 125000, 125,000.50, $125,000, 125000 EUR. A
    currency sign or code around the number is left out, not converted; a minus sign (or accounting's brackets)
    is refused, since an annual value is never below zero."""
    cleaned = text.strip()
    around = _AROUND.fullmatch(cleaned.rstrip(")"))
    if around is not None and any(sign in around.group("before") for sign in _NEGATIVE):
        raise CellError(f"“{cleaned}” is below zero: an annual value is zero or more.")
    match = _AMOUNT.fullmatch(around.group("number")) if around is not None else None
    if match is None or not re.fullmatch(r"[a-z$€£¥₹\s]*", around.group("before"), re.IGNORECASE):
        raise CellError(f"“{cleaned}” is not an amount: write the number alone, such as 125000 or 125,000.50.")
    amount = Decimal(re.sub(r"\D", "", match.group("whole")) + "." + (match.group("cents") or "0"))
    if amount > LARGEST_AMOUNT:
        raise CellError(f"“{cleaned}” is more than Groundwork keeps: at most {LARGEST_AMOUNT:,}.")
    return amount


_YES = {"yes", "y", "true", "t", "1", "active", "x", "on"}
_NO = {"no", "n", "false", "f", "0", "inactive", "off"}


def parse_yes_no(text: str) -> bool:
    """Yes or no: yes/no, true/false, 1/0, active/inactive."""
    value = text.strip().casefold()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise CellError(f"“{text.strip()}” is neither yes nor no: write yes or no.")


def parse_email(text: str) -> str:
    """One email address, lowercased (Groundwork's addresses are)."""
    email = text.strip().strip("<>").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise CellError(f"“{text.strip()}” is not an email address.") from None
    return email


# An address with the person's name, as calendars and CRMs write attendees: "Lee Chan <lee@acme.example>" or
# "Lee Chan (lee@acme.example)".
_NAMED_ADDRESS = re.compile(r"[^<>()]*[<(]\s*([^<>()\s]+@[^<>()\s]+)\s*[>)]")


def parse_emails(text: str) -> list[str]:
    """Several email addresses, separated by semicolons, commas or spaces, each alone or with the person's name; in
    order, each once."""
    emails: list[str] = []
    for part in re.split(r"[;,]+", text.strip()):
        named = _NAMED_ADDRESS.fullmatch(part.strip())
        for word in [named.group(1)] if named else part.split():
            if (email := parse_email(word)) not in emails:
                emails.append(email)
    return emails


def parse_people(text: str) -> list[str]:
    """People named by email (as ``parse_emails`` reads them) or by full name, separated by semicolons; in order,
    each once whatever its case."""
    people: dict[str, str] = {}
    for part in text.split(LIST_SEPARATOR):
        name = " ".join(part.split())
        for person in parse_emails(name) if "@" in name else [name] if name else []:
            people.setdefault(person.casefold(), person)
    return list(people.values())


def parse_names(text: str) -> list[str]:
    """Several names separated by semicolons, each once whatever its case."""
    names: dict[str, str] = {}
    for part in text.split(LIST_SEPARATOR):
        name = " ".join(part.split())
        if name:
            names.setdefault(name.casefold(), name)
    return list(names.values())


def choice_reader(
    choices: Any, what: str, also: dict[str, object] | None = None, accepted: Iterable[str] = ()
) -> Callable[[str], Any]:
    """A reader of one of ``choices`` (an enumeration, by label or value) or of ``also``, spelled any way
    ``normalized`` makes alike, refusing anything else with the list of ``accepted`` values (else the labels)."""
    names = {**{str(choice.value): choice.value for choice in choices}, **{c.label: c.value for c in choices}}
    table = {normalized(name): value for name, value in {**names, **(also or {})}.items()}
    listed = ", ".join(accepted or choices.labels)

    def read(text: str) -> Any:
        if (key := normalized(text)) in table:
            return table[key]
        raise CellError(f"“{text.strip()}” is not {what}: write one of {listed}.")

    return read


@cache
def _time_zones() -> dict[str, str]:
    return {name.casefold(): name for name in [*zoneinfo.available_timezones(), "UTC"]}


def parse_time_zone(text: str) -> str:
    """An IANA time zone name, such as Europe/London or America/New_York."""
    name = _time_zones().get(text.strip().replace(" ", "_").casefold())
    if name is None:
        raise CellError(f"“{text.strip()}” is not a time zone: write its name, such as Europe/London.")
    return name
