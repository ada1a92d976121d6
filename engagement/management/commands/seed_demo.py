"""Load the demo data: deterministic, and a no-op when it is already there."""

from __future__ import annotations

import datetime as dt
import importlib
import random
import time
from typing import Any

from auditlog.context import disable_auditlog
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule
from faker import Faker

from engagement.demo import DEMO_LOGINS, DEMO_PASSWORD, DemoContext, demo_loaded
from engagement.people.models import User


class Command(BaseCommand):
    help = (
        "Load realistic demo data: executives, accounts, contacts and two years of engagements. "
        "Does nothing when the demo data is already loaded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply the volume (1: 40 executives, 300 accounts, 1,900 engagements; 100: 4,000, 30,000, 185k).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed; the same seed gives the same data.")
        parser.add_argument("--if-empty", action="store_true", help="Load only into a database that has no users yet.")
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, help="Build the history up to this date (YYYY-MM-DD)."
        )

    def handle(
        self, *args: Any, scale: float, seed: int, today: dt.date | None, if_empty: bool, **options: Any
    ) -> None:
        if scale <= 0:
            raise CommandError("--scale must be greater than 0.")
        if demo_loaded():
            self.stdout.write("Demo data is already loaded; nothing to do.")
            self._print_logins()
            return
        if if_empty and User.objects.exists():
            self.stdout.write("The database has people of its own; demo data not loaded.")
            return
        started = time.monotonic()
        faker = Faker("en_US")
        faker.seed_instance(seed)
        ctx = DemoContext(
            scale=scale, rng=random.Random(seed), faker=faker, today=today or timezone.localdate(), out=self.stdout
        )
        # Every app that has a demo module adds its part, in INSTALLED_APPS
        # order, so that later apps build on the people and accounts made first.
        # The audit trail records what people change, not a load of made-up
        # history: an entry per row would double the writes of a million-row
        # seed and bury anything real.
        with disable_auditlog(), transaction.atomic():
            if connection.vendor == "postgresql":
                # Check foreign keys row by row as they go in: deferred to the
                # commit, millions of checks queue up and take longer than the load.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for app_config in apps.get_app_configs():
                if module_has_submodule(app_config.module, "demo"):
                    self.stdout.write(f"Seeding {app_config.verbose_name}...")
                    importlib.import_module(f"{app_config.name}.demo").seed(ctx)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {time.monotonic() - started:.0f} s."))
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for email, role in DEMO_LOGINS:
            self.stdout.write(f"  {email:<28} {role}")
