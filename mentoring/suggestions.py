"""Which executives would best sponsor an account, and why.

Each executive is scored on five measures, all shown as reasons:

- level fit: one or two levels above the account's working contact (3 points);
- talent: each of their talents the account needs, up to three (2 points each);
- load: each pairing they hold or have been asked for (minus 1 point); those at
  the program's limit are left out, since they could not take one more;
- relationship: having met the account in the last twelve months (1 point,
  2 from three meetings);
- spread: already carrying 80% or more of the account's executive contact
  (minus 3 points), since a second relationship on the same person adds no cover.

Every active executive below their limit is scored, for one account (the
propose page) or for a page of them at once (key-person risk, a handover), in
the same fixed number of queries: each reads a few numbers per executive and
the rows of the accounts asked about, and the scoring runs in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from engagement.accounts.models import Account, Contact
from engagement.accounts.selectors import fit_reasons, met_reason
from engagement.cadence.models import ExecutiveContact
from engagement.dates import twelve_months_before
from engagement.people.models import Executive
from mentoring.models import Pairing
from mentoring.selectors import default_pairing_limit, pairing_limit_expression

LEVEL_FIT_POINTS = 3
TALENT_POINTS = 2
TALENTS_COUNTED = 3
LOAD_POINTS = -1
MET_POINTS = 1
MET_OFTEN_POINTS = 2
MET_OFTEN = 3
CARRIER_POINTS = -3
# The share of an account's executive contact that makes one executive the
# relationship: the key-person risk rule.
CARRIER_SHARE = 80


@dataclass(frozen=True)
class PairingSuggestion:
    """An executive who would suit sponsoring an account: their score and its reasons."""

    executive: Executive
    levels_above: int | None  # above the working contact; None without one
    matching_talents: tuple[str, ...]
    load: int  # pairings held or proposed
    limit: int
    recent_contacts: int  # with the account in the last twelve months
    share: int | None  # of the account's executive contact in twelve months, in %; None when it had none

    @property
    def reasons(self) -> list[str]:
        reasons = fit_reasons(levels_above=self.levels_above, matching_talents=self.matching_talents)
        if self.load:
            reasons.append(f"Sponsors or has been asked for {self.load} of {self.limit} accounts")
        else:
            reasons.append(f"Sponsors no account yet (up to {self.limit})")
        if self.recent_contacts:
            reasons.append(met_reason(self.recent_contacts))
        else:
            reasons.append("Has not met this account in the last twelve months")
        if self.share is not None and self.share >= CARRIER_SHARE:
            reasons.append(f"Already carries {self.share}% of its executive contact: no second relationship")
        elif self.share is not None and not self.recent_contacts:
            reasons.append("Would spread the account's relationship to one more executive")
        return reasons


def working_contact(*, account: Account) -> Contact | None:
    """The person executives meet at ``account`` when no pairing names one:
    its most junior active contact, with whom the working relationship sits."""
    return working_contacts(account_ids=[account.pk]).get(account.pk)


def working_contacts(*, account_ids: Iterable[int]) -> dict[int, Contact]:
    """``working_contact`` of each account of ``account_ids`` that has one. One query."""
    found: dict[int, Contact] = {}
    for contact in Contact.objects.filter(account_id__in=list(account_ids), active=True).order_by(
        "account_id", "level", "name", "pk"
    ):
        found.setdefault(contact.account_id, contact)
    return found


@dataclass(frozen=True)
class _Candidate:
    pk: int
    level: int
    load: int
    limit: int


def _score(candidate: _Candidate, *, fits: tuple[int, ...], matches: int, met: int, share: int | None) -> int:
    score = (LEVEL_FIT_POINTS if candidate.level in fits else 0) + min(matches, TALENTS_COUNTED) * TALENT_POINTS
    score += candidate.load * LOAD_POINTS
    if met:
        score += MET_OFTEN_POINTS if met >= MET_OFTEN else MET_POINTS
    if share is not None and share >= CARRIER_SHARE:
        score += CARRIER_POINTS
    return score


def _candidates() -> list[_Candidate]:
    """Every active executive below their pairing limit."""
    load = Coalesce(
        Subquery(
            Pairing.objects.filter(
                executive_id=OuterRef("pk"), status__in=[Pairing.Status.PROPOSED, Pairing.Status.ACTIVE]
            )
            .values("executive_id")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )
    rows = (
        Executive.objects.filter(active=True, user__is_active=True)
        .annotate(load=load, pairing_limit=pairing_limit_expression(default_pairing_limit()))
        .filter(load__lt=F("pairing_limit"))
        .order_by()
        .values_list("pk", "level", "load", "pairing_limit")
    )
    return [_Candidate(*row) for row in rows]


def _account_needs(account_ids: list[int]) -> dict[int, set[int]]:
    """The skills each account needs, by account id. One query."""
    needs: dict[int, set[int]] = defaultdict(set)
    rows = Account.needs.through.objects.filter(account_id__in=account_ids).values_list("account_id", "skill_id")
    for account_id, skill_id in rows:
        needs[account_id].add(skill_id)
    return needs


def _talent_holders(skill_ids: set[int]) -> dict[int, list[tuple[int, str]]]:
    """Who holds each of ``skill_ids``: skill -> (executive, skill name). One query."""
    holders: dict[int, list[tuple[int, str]]] = defaultdict(list)
    rows = Executive.talents.through.objects.filter(skill_id__in=skill_ids).values_list(
        "executive_id", "skill_id", "skill__name"
    )
    for executive_id, skill_id, name in rows:
        holders[skill_id].append((executive_id, name))
    return holders


def _contacts_met(account_ids: list[int], today: dt.date) -> dict[int, dict[int, int]]:
    """Account -> executive -> their contacts in the twelve months to ``today``. One query."""
    met: dict[int, dict[int, int]] = defaultdict(dict)
    rows = (
        ExecutiveContact.objects.filter(account_id__in=account_ids, contact_on__gte=twelve_months_before(today))
        .values("account_id", "executive_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("account_id", "executive_id", "n")
    )
    for account_id, executive_id, n in rows:
        met[account_id][executive_id] = n
    return met


def _left_out(account_ids: list[int], exclude: dict[int, Iterable[int]] | None) -> dict[int, set[int]]:
    """Account -> executives not to suggest: a live pairing with it, or asked to leave out. One query."""
    left_out: dict[int, set[int]] = defaultdict(set)
    rows = Pairing.objects.filter(account_id__in=account_ids, status__in=Pairing.LIVE).values_list(
        "account_id", "executive_id"
    )
    for account_id, executive_id in rows:
        left_out[account_id].add(executive_id)
    for account_id, executive_ids in (exclude or {}).items():
        left_out[account_id].update(executive_ids)
    return left_out


Chosen = tuple[int, int | None, _Candidate, tuple[str, ...]]  # score, share, candidate, matching talents


class _Ranking:
    """Scores the candidates for one account after another. Most executives
    neither have a talent the account needs nor met it: their score is their
    level fit and load alone, the same for every account with a contact of
    the same level, so they are ranked once per level and only the first few
    looked at for each account."""

    def __init__(self, candidates: list[_Candidate], holders: dict[int, list[tuple[int, str]]]) -> None:
        self.candidates = candidates
        self.by_pk = {candidate.pk: candidate for candidate in candidates}
        self.holders = holders
        self.by_fits: dict[tuple[int, ...], list[tuple[int, int]]] = {}

    def plain(self, fits: tuple[int, ...]) -> list[tuple[int, int]]:
        if fits not in self.by_fits:
            self.by_fits[fits] = sorted(
                (-_score(candidate, fits=fits, matches=0, met=0, share=None), candidate.pk)
                for candidate in self.candidates
            )
        return self.by_fits[fits]

    def best(
        self, *, fits: tuple[int, ...], needs: set[int], met: dict[int, int], skip: set[int], limit: int
    ) -> list[Chosen]:
        """The ``limit`` best for an account whose contact ``fits``, which
        ``needs`` skills, was ``met`` by executives, leaving out ``skip``."""
        total = sum(met.values())
        matching: dict[int, list[str]] = defaultdict(list)
        for skill in needs:
            for executive_id, name in self.holders[skill]:
                matching[executive_id].append(name)
        special = (matching.keys() | met.keys()) & self.by_pk.keys()
        scored = []
        for pk in special - skip:
            share = round(100 * met.get(pk, 0) / total) if total else None
            score = _score(self.by_pk[pk], fits=fits, matches=len(matching[pk]), met=met.get(pk, 0), share=share)
            scored.append((-score, pk, share, tuple(sorted(matching[pk]))))
        # The first few plain ones suffice: stop reading the ranking there.
        taken = special | skip
        plain = islice(((negative, pk) for negative, pk in self.plain(fits) if pk not in taken), limit)
        scored += [(negative, pk, 0 if total else None, ()) for negative, pk in plain]
        scored.sort(key=lambda row: (row[0], row[1]))
        return [(-negative, share, self.by_pk[pk], names) for negative, pk, share, names in scored[:limit]]


def suggestions_for_accounts(
    *,
    accounts: Sequence[Account],
    contacts: dict[int, Contact] | None = None,
    exclude: dict[int, Iterable[int]] | None = None,
    limit: int = 5,
    today: dt.date | None = None,
) -> dict[int, list[PairingSuggestion]]:
    """The ``limit`` active executives who would best sponsor each of
    ``accounts``, best first, by account id: scored against the account's
    contact in ``contacts`` (by default its working contact), leaving out the
    account's ``exclude`` (executive ids), those with a live pairing with it
    and those at their pairing limit. Eight queries (seven with contacts),
    however many accounts and executives."""
    today = today or timezone.localdate()
    ids = [account.pk for account in accounts]
    if contacts is None:
        contacts = working_contacts(account_ids=ids)
    needs = _account_needs(ids)
    ranking = _Ranking(_candidates(), _talent_holders(set().union(*needs.values()) if needs else set()))
    met = _contacts_met(ids, today)
    left_out = _left_out(ids, exclude)
    chosen: dict[int, list[Chosen]] = {}
    for account in accounts:
        contact = contacts.get(account.pk)
        fits = (contact.level + 1, contact.level + 2) if contact else ()
        chosen[account.pk] = ranking.best(
            fits=fits, needs=needs[account.pk], met=met[account.pk], skip=left_out[account.pk], limit=limit
        )
    executives = Executive.objects.select_related("user", "function").in_bulk(
        {candidate.pk for rows in chosen.values() for _, _, candidate, _ in rows}
    )
    suggestions: dict[int, list[PairingSuggestion]] = {}
    for account in accounts:
        contact = contacts.get(account.pk)
        suggestions[account.pk] = [
            PairingSuggestion(
                executive=executives[candidate.pk],
                levels_above=candidate.level - contact.level if contact else None,
                matching_talents=matching,
                load=candidate.load,
                limit=candidate.limit,
                recent_contacts=met[account.pk].get(candidate.pk, 0),
                share=share,
            )
            for _, share, candidate, matching in chosen[account.pk]
        ]
    return suggestions


def pairing_suggestions(
    *,
    account: Account,
    contact: Contact | None = None,
    exclude: Iterable[int] = (),
    limit: int = 5,
    today: dt.date | None = None,
) -> list[PairingSuggestion]:
    """``suggestions_for_accounts`` for one account, against ``contact``
    (by default its working contact), leaving out ``exclude``."""
    return suggestions_for_accounts(
        accounts=[account],
        contacts={account.pk: contact} if contact else None,
        exclude={account.pk: exclude},
        limit=limit,
        today=today,
    )[account.pk]
