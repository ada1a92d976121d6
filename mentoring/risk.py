"""Key-person risk: accounts whose relationship hangs on one executive.

An account is at risk when, of its executive contact in the last twelve
months, 80% or more comes from one executive, or when every sponsor it has
(an active or paused pairing) is an executive no longer in the program. Each
comes with a suggested second executive (``mentoring.suggestions``), the
one-executive ones leaving that executive out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from engagement.accounts.models import Account
from engagement.dashboards.coverage import account_csv_columns, accounts_served
from engagement.imports.exports import CsvColumn
from engagement.people.models import Executive
from mentoring.models import Pairing
from mentoring.suggestions import CARRIER_SHARE, PairingSuggestion, suggestions_for_accounts

SPONSORING = (Pairing.Status.ACTIVE, Pairing.Status.PAUSED)


def _in_program(prefix: str = "") -> Q:
    return Q(**{f"{prefix}executive__active": True, f"{prefix}executive__user__is_active": True})


def key_person_risk_list() -> QuerySet[Account]:
    """Accounts not churned at key-person risk, most important tier first,
    with ``sponsor_gone`` (every sponsor has left). The executive contact of
    the twelve months is each account's own count (``Account.contacts_12m``,
    ``key_executive``, ``key_executive_contacts_12m``): worked out here from
    the contacts, the list took 1.5 s at 30,000 accounts. One query a page,
    and one to count them. ``dashboards.filters.KeyPersonRiskFilter`` narrows
    it to customers or partners, and to a tier."""
    sponsors = Pairing.objects.filter(account=OuterRef("pk"), status__in=SPONSORING)
    return (
        accounts_served()
        .annotate(sponsor_gone=Exists(sponsors.exclude(_in_program())) & ~Exists(sponsors.filter(_in_program())))
        .filter(
            Q(contacts_12m__gt=0, key_executive_contacts_12m__gte=F("contacts_12m") * CARRIER_SHARE / 100.0)
            | Q(sponsor_gone=True)
        )
        .select_related("account_manager")
        .order_by("tier", "name", "pk")
    )


@dataclass(frozen=True)
class KeyPersonRisk:
    """An account at risk: the executive it rests on, its gone sponsors, and
    who would make a second relationship."""

    account: Account
    executive: Executive | None  # the one with 80% or more, if that is the risk
    gone_sponsors: tuple[Executive, ...]
    suggestion: PairingSuggestion | None

    @property
    def share(self) -> int | None:
        if not self.account.contacts_12m or self.account.key_executive_contacts_12m * 100 < (
            CARRIER_SHARE * self.account.contacts_12m
        ):
            return None
        return round(100 * self.account.key_executive_contacts_12m / self.account.contacts_12m)


def key_person_risks(accounts: Iterable[Account], *, suggest: bool = True) -> Iterator[KeyPersonRisk]:
    """Each of ``accounts`` (from ``key_person_risk_list``) with its executives
    and, with ``suggest``, a second executive. Two queries, and eight for the
    suggestions, however many accounts."""
    accounts = list(accounts)
    ids = [account.pk for account in accounts]
    gone: dict[int, list[int]] = {}
    for account_id, executive_id in (
        Pairing.objects.filter(account_id__in=ids, status__in=SPONSORING)
        .exclude(_in_program())
        .values_list("account_id", "executive_id")
    ):
        gone.setdefault(account_id, []).append(executive_id)
    carriers = {
        account.pk: account.key_executive_id
        for account in accounts
        if account.contacts_12m and account.key_executive_contacts_12m * 100 >= CARRIER_SHARE * account.contacts_12m
    }
    executives = Executive.objects.select_related("user").in_bulk(
        set(carriers.values()) | {pk for pks in gone.values() for pk in pks}
    )
    suggestions = (
        suggestions_for_accounts(
            accounts=accounts, exclude={pk: [carrier] for pk, carrier in carriers.items()}, limit=1
        )
        if suggest and accounts
        else {}
    )
    for account in accounts:
        yield KeyPersonRisk(
            account=account,
            executive=executives.get(carriers.get(account.pk)),
            gone_sponsors=tuple(executives[pk] for pk in gone.get(account.pk, [])) if account.sponsor_gone else (),
            suggestion=(suggestions.get(account.pk) or [None])[0],
        )


KEY_PERSON_RISK_CSV_COLUMNS = [
    *account_csv_columns(lambda row: row.account, manager=True),
    CsvColumn("executive", lambda row: row.executive.name if row.executive else ""),
    CsvColumn("executive_email", lambda row: row.executive.user.email if row.executive else ""),
    CsvColumn("executive_contacts_12m", lambda row: row.account.key_executive_contacts_12m if row.executive else ""),
    CsvColumn("last_executive_contact_date", lambda row: row.account.last_contact_on),
    CsvColumn("executive_share_12m_percent", lambda row: row.share),
    CsvColumn("all_executive_contacts_12m", lambda row: row.account.contacts_12m),
    CsvColumn("sponsors_left", lambda row: "; ".join(executive.name for executive in row.gone_sponsors)),
]
