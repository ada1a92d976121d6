"""The panel mentoring adds to the program dashboard: how many pairings are
active and how healthy they are, and how many wait on someone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from engagement.accounts.models import Account
from engagement.dashboards.panels import Panel, account_panel, coverage_panel, program_dashboard_panel
from engagement.people.roles import Role, has_role
from mentoring.access import pairings_visible_to
from mentoring.models import Pairing
from mentoring.selectors import PairingHealth, pairings_with_health


@dataclass(frozen=True)
class PairingFigures:
    """The program's pairings by status, and its active ones by health."""

    total: int  # ended ones included: has the program ever paired anyone?
    active: int
    healthy: int
    due: int
    lapsed: int
    proposed: int
    paused: int


def program_pairing_figures(*, today: dt.date) -> PairingFigures:
    """The program's pairings counted by status, and the active ones by their
    health on ``today``: one query, with the health rule of the list of
    pairings (``pairings_with_health``), so that each figure is the length
    of the list it opens."""
    counts = pairings_with_health(Pairing.objects.order_by(), today=today).aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(status=Pairing.Status.ACTIVE)),
        # A pairing has a health only while it is active.
        healthy=Count("pk", filter=Q(health=PairingHealth.HEALTHY)),
        due=Count("pk", filter=Q(health=PairingHealth.DUE)),
        lapsed=Count("pk", filter=Q(health=PairingHealth.LAPSED)),
        proposed=Count("pk", filter=Q(status=Pairing.Status.PROPOSED)),
        paused=Count("pk", filter=Q(status=Pairing.Status.PAUSED)),
    )
    return PairingFigures(**counts)


def pairing_list_url(**filters: str) -> str:
    """The program's list of pairings, filtered by ``status`` or ``health``."""
    return f"{reverse('mentoring:pairings')}?{urlencode(filters)}"


@program_dashboard_panel
def program_pairings(request: HttpRequest) -> Panel:
    """Active pairings by health, proposals waiting for an answer, and paused
    pairings; an empty state when there are none, so that program admins
    learn that pairings exist."""
    return Panel(
        "mentoring/panels/program_pairings.html",
        {
            # The server's day, as the list of pairings the figures open counts it.
            "figures": program_pairing_figures(today=timezone.localdate()),
            "active_url": pairing_list_url(status=Pairing.Status.ACTIVE),
            "healthy_url": pairing_list_url(health=PairingHealth.HEALTHY),
            "due_url": pairing_list_url(health=PairingHealth.DUE),
            "lapsed_url": pairing_list_url(health=PairingHealth.LAPSED),
            "proposed_url": pairing_list_url(status=Pairing.Status.PROPOSED),
            "paused_url": pairing_list_url(status=Pairing.Status.PAUSED),
        },
    )


@account_panel
def account_sponsors(request: HttpRequest, *, account: Account) -> Panel:
    """The account's sponsors (live pairings) with their health, each linked
    for whoever may open it (an executive reading the page: their own);
    program admins may propose one. Shown even when there is none: the gap
    is the news."""
    pairings = (
        pairings_with_health(
            Pairing.objects.filter(account=account, status__in=Pairing.LIVE), today=timezone.localdate()
        )
        .annotate(may_open=Exists(pairings_visible_to(request.user).filter(pk=OuterRef("pk"))))
        .select_related("executive__user")
        .order_by("status", "executive__user__full_name")
    )
    return Panel(
        "mentoring/panels/account_sponsors.html",
        {"account": account, "pairings": list(pairings), "can_propose": has_role(request.user, Role.PROGRAM_ADMIN)},
    )


@coverage_panel
def coverage_key_person_risk(request: HttpRequest) -> Panel:
    """From coverage to the accounts that rest on one executive."""
    return Panel("mentoring/panels/coverage_key_person_risk.html")
