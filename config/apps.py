from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class GroundworkAdminConfig(AdminConfig):
    """The Django admin, with Groundwork's own site (config.admin)."""

    default_site = "config.admin.GroundworkAdminSite"
