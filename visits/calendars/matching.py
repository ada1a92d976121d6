"""Which occurrences are customer meetings, and with whom.

An attendee is a customer when their address is a known contact's, or their
domain is one of an account's domains (a subdomain counts: ``eu.acme.com``
is Acme's when Acme has ``acme.com``). The company's own domains never match,
even when an account lists one (a partner sharing an address book, or a
typing slip), so an internal meeting is never taken for a customer one.

Everything else is dropped here, before anything is stored: meetings with
no customer, cancelled ones, ones the owner declined, all-day events (a
trade fair or an out-of-office, not a meeting someone attended for a set
length) and events longer than a day. A customer who declined is not
counted as being in the meeting.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from engagement.accounts.domains import domain_of
from visits.calendars.reading import Occurrence

LONGEST_MEETING = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class MatchedPerson:
    """A customer in the meeting: a known contact (``contact_id``), or an
    address at an account's domain that is no contact yet."""

    email: str
    name: str
    account_id: int
    contact_id: int | None


@dataclass(frozen=True, slots=True)
class MatchedEvent:
    uid: str
    recurrence_key: str
    title: str
    start: dt.datetime
    end: dt.datetime
    location: str
    people: tuple[MatchedPerson, ...]
    # Every account the meeting touches, the primary first.
    account_ids: tuple[int, ...]

    @property
    def length(self) -> dt.timedelta:
        return self.end - self.start

    @property
    def primary_account_id(self) -> int:
        """The account with the most people in the meeting; on a tie, the one
        whose person the calendar lists first (usually the organiser)."""
        return self.account_ids[0]

    @property
    def contact_ids(self) -> tuple[int, ...]:
        return tuple(person.contact_id for person in self.people if person.contact_id is not None)


def normalise_domains(domains: Iterable[str]) -> set[str]:
    """Domains as a program or an account lists them, compared the same way:
    lowercase, without a leading ``@`` or ``www.``."""
    cleaned = {domain.strip().lower().lstrip("@").strip(".") for domain in domains}
    return {domain.removeprefix("www.") for domain in cleaned if domain}


def _suffixes(domain: str) -> list[str]:
    """``eu.sales.acme.com`` → itself, ``sales.acme.com``, ``acme.com``: each
    parent that is still a domain of its own (two labels or more)."""
    labels = domain.split(".")
    return [".".join(labels[index:]) for index in range(len(labels) - 1)]


class Matcher:
    """The program's customers, ready for many calendars: build once per run,
    then ``match`` each person's occurrences."""

    def __init__(
        self,
        *,
        contact_emails: Mapping[str, tuple[int, int]],
        account_domains: Mapping[str, int],
        company_domains: Iterable[str],
    ) -> None:
        self.company_domains = normalise_domains(company_domains)
        self.contacts = {email.strip().lower(): ids for email, ids in contact_emails.items()}
        self.domains = {
            domain: account_id
            for raw, account_id in account_domains.items()
            for domain in normalise_domains([raw])
            if domain not in self.company_domains
        }

    def _is_company(self, domain: str) -> bool:
        return any(suffix in self.company_domains for suffix in _suffixes(domain))

    def person(self, email: str, name: str = "") -> MatchedPerson | None:
        """The customer an address belongs to, or None."""
        domain = domain_of(email)
        if not domain or self._is_company(domain):
            return None
        if email in self.contacts:
            contact_id, account_id = self.contacts[email]
            return MatchedPerson(email=email, name=name, account_id=account_id, contact_id=contact_id)
        for suffix in _suffixes(domain):
            if suffix in self.domains:
                return MatchedPerson(email=email, name=name, account_id=self.domains[suffix], contact_id=None)
        return None

    def match(self, occurrences: Iterable[Occurrence]) -> list[MatchedEvent]:
        matched = []
        for occurrence in occurrences:
            if not _could_be_a_meeting(occurrence):
                continue
            people = tuple(
                person
                for attendee in occurrence.attendees
                if not attendee.declined and (person := self.person(attendee.email, attendee.name))
            )
            if people:
                matched.append(_matched_event(occurrence, people))
        return matched


def _could_be_a_meeting(occurrence: Occurrence) -> bool:
    return not (
        occurrence.cancelled or occurrence.owner_declined or occurrence.all_day or occurrence.length > LONGEST_MEETING
    )


def _matched_event(occurrence: Occurrence, people: tuple[MatchedPerson, ...]) -> MatchedEvent:
    counts = Counter(person.account_id for person in people)
    first_seen = {account_id: index for index, account_id in reversed(list(enumerate(p.account_id for p in people)))}
    accounts = sorted(counts, key=lambda account_id: (-counts[account_id], first_seen[account_id]))
    return MatchedEvent(
        uid=occurrence.uid,
        recurrence_key=occurrence.recurrence_key,
        title=occurrence.title,
        start=occurrence.start,
        end=occurrence.end,
        location=occurrence.location,
        people=people,
        account_ids=tuple(accounts),
    )


def match_events(
    occurrences: Iterable[Occurrence],
    *,
    contact_emails: Mapping[str, tuple[int, int]],
    account_domains: Mapping[str, int],
    company_domains: Iterable[str],
) -> list[MatchedEvent]:
    """The customer meetings among ``occurrences``. ``contact_emails`` maps a
    contact's address to (contact id, account id); ``account_domains`` maps a
    domain to its account's id."""
    matcher = Matcher(contact_emails=contact_emails, account_domains=account_domains, company_domains=company_domains)
    return matcher.match(occurrences)
