"""What mentoring asks of an executive now, on their home's list of needs
(``engagement.dashboards.needs``): sponsorships proposed to them, to accept
or decline. One query, however many there are."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from engagement.dashboards.needs import Need, Urgency, ago_text, need_source, needs_of, plural, with_total
from engagement.people.models import User
from engagement.people.roles import Role
from mentoring.models import Pairing


@need_source(Role.EXECUTIVE)
def sponsorships_proposed(*, user: User, now: dt.datetime) -> list[Need]:
    """Pairings proposed to the executive, the oldest first; each is answered
    on their sponsorships page, where the proposals come first."""
    rows = with_total(
        Pairing.objects.filter(executive__user=user, executive__active=True, status=Pairing.Status.PROPOSED)
        .select_related("account")
        .order_by("status_changed_at", "pk")
    )
    answer_at = f"{reverse('mentoring:my_sponsorships')}#proposed-heading"

    def each(pairing: Pairing) -> Need:
        return Need(
            kind="sponsorship",
            text=f"Sponsor {pairing.account.name}?",
            url=f"{reverse('mentoring:my_sponsorships')}#proposal-{pairing.pk}",
            urgency=Urgency.WAITING,
            at=pairing.status_changed_at,
            note=f"proposed {ago_text((now - pairing.status_changed_at).days)}",
        )

    def group(oldest: Pairing, total: int) -> Need:
        return Need(
            kind="sponsorship",
            text=f"{plural(total, 'sponsorship', 'sponsorships')} proposed",
            url=answer_at,
            urgency=Urgency.WAITING,
            at=oldest.status_changed_at,
            note=f"oldest {ago_text((now - oldest.status_changed_at).days)}",
            count=total,
        )

    return needs_of(rows, each=each, group=group)
