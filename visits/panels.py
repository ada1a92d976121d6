"""Panels other apps add to the engagement page (its debriefs and the
customer's answers, from feedback), so that this app imports none of them.
A source takes the request, the engagement and the viewer's rights."""

from __future__ import annotations

from engagement.panels import PanelRegistry

ENGAGEMENT_PANELS = PanelRegistry()
engagement_panel = ENGAGEMENT_PANELS.register
