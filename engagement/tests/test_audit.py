"""The audit trail of people, program settings, accounts and contacts, and
its page: who changed what and when, for program admins."""

from __future__ import annotations

import ast
import datetime as dt
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.conf import settings as django_settings
from django.contrib.auth.models import update_last_login
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from engagement.accounts.models import Account
from engagement.audit.trail import audit_change, audit_entries_prune
from engagement.people.models import Executive, Level
from engagement.people.roles import Role
from engagement.tasks import prune_audit_trail
from engagement.tests.audit_page import audit_entries
from engagement.tests.factories import (
    AccountFactory,
    ContactFactory,
    ExecutiveFactory,
    ProgramFactory,
    SkillFactory,
    UserFactory,
    contact_record,
)
from engagement.tests.test_admin import admin_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return UserFactory(full_name="Morgan Admin", email="morgan@groundwork.example", roles=[Role.PROGRAM_ADMIN])


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def entries_of(instance) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(instance).order_by("pk"))


def aged(entry: LogEntry, *, days: float) -> None:
    LogEntry.objects.filter(pk=entry.pk).update(timestamp=timezone.now() - dt.timedelta(days=days))


def admin_change(client, instance, **changes):
    """Change ``instance`` through its admin page, as a program admin does."""
    url = reverse(f"admin:{instance._meta.app_label}_{instance._meta.model_name}_change", args=[instance.pk])
    response = client.post(url, admin_form_data(client.get(url).content.decode(), **changes))
    assert response.status_code == 302, response.content.decode()[:2000]


# --- What is recorded ----------------------------------------------------------------------


def test_an_executive_record_changed_in_the_admin_shows_who_changed_each_field(admin_client):
    executive = ExecutiveFactory(user=UserFactory(full_name="Jordan Ellis"), title="VP Sales", level=Level.VP)

    admin_change(admin_client, executive, title="SVP Sales", level=str(Level.SVP))

    latest = audit_entries(admin_client, object=f"engagement.executive:{executive.pk}")[0]
    assert latest.startswith("Morgan Admin changed executive Jordan Ellis")
    assert "Title: VP Sales → SVP Sales" in latest
    assert "Level: VP → SVP" in latest


def test_talents_given_and_taken_are_named(admin_client):
    pricing, logistics = SkillFactory(name="Pricing"), SkillFactory(name="Logistics")
    executive = ExecutiveFactory(user=UserFactory(full_name="Jordan Ellis"))
    executive.talents.add(logistics)

    admin_change(admin_client, executive, talents=[str(pricing.pk)])

    entries = audit_entries(admin_client, object=f"engagement.executive:{executive.pk}")
    assert any("Morgan Admin changed executive Jordan Ellis" in e and "Talents: added Pricing" in e for e in entries)
    assert any(
        "Morgan Admin changed executive Jordan Ellis" in e and "Talents: removed Logistics" in e for e in entries
    )


def test_a_skill_given_from_its_own_side_is_recorded_on_the_executive():
    executive = ExecutiveFactory(user=UserFactory(full_name="Jordan Ellis"))
    skill = SkillFactory(name="Negotiation")

    skill.executives.add(executive)

    entry = entries_of(executive)[-1]
    assert entry.object_repr == "Jordan Ellis"
    assert entry.changes == {"talents": {"type": "m2m", "operation": "add", "objects": ["Negotiation"]}}


def test_talents_cleared_name_only_those_taken():
    executive = ExecutiveFactory(user=UserFactory(full_name="Jordan Ellis"))
    executive.talents.add(SkillFactory(name="Negotiation"), SkillFactory(name="Pricing"))
    SkillFactory(name="Logistics")  # never given: not taken

    executive.talents.clear()

    entry = entries_of(executive)[-1]
    assert entry.changes == {"talents": {"type": "m2m", "operation": "delete", "objects": ["Negotiation", "Pricing"]}}


def test_program_cadence_changed_in_the_admin_is_a_program_setting(admin_client):
    program = ProgramFactory(name="Executive program", cadence_days=42)

    admin_change(admin_client, program, cadence_days="28")

    settings_changes = audit_entries(admin_client, kind="settings")
    assert "Cadence days: 42 → 28" in settings_changes[0]
    assert settings_changes[0].startswith("Morgan Admin changed program Executive program")
    assert not any("Cadence days" in entry for entry in audit_entries(admin_client, kind="people"))


def test_passwords_and_sign_ins_are_not_recorded():
    user = UserFactory()
    before = len(entries_of(user))

    user.set_password("another-long-passphrase")
    user.save()
    update_last_login(None, user)

    assert len(entries_of(user)) == before


def test_contact_dates_and_counts_kept_by_the_program_are_not_recorded():
    executive = ExecutiveFactory()
    account = AccountFactory()
    executive_entries, account_entries = len(entries_of(executive)), len(entries_of(account))

    contact_record(executive=executive, account=account, occurred_at=timezone.now() - dt.timedelta(days=3))
    executive.refresh_from_db()

    assert executive.last_contact_on is not None
    assert len(entries_of(executive)) == executive_entries
    assert len(entries_of(account)) == account_entries


def test_a_change_made_by_a_job_is_by_system(admin_client):
    account = AccountFactory(name="Northwind")

    audit_change(instance=account, changes={"status": (Account.Status.ACTIVE, Account.Status.AT_RISK)})

    assert audit_entries(admin_client, object=f"engagement.account:{account.pk}")[0].startswith(
        "System changed account Northwind"
    )
    assert "Status: Active → At risk" in audit_entries(admin_client, object=f"engagement.account:{account.pk}")[0]


def test_a_change_that_changes_nothing_is_not_recorded():
    account = AccountFactory()
    before = len(entries_of(account))

    assert audit_change(instance=account, changes={"status": (account.status, account.status)}) is None
    assert len(entries_of(account)) == before


def test_a_deleted_contact_keeps_its_name_and_loses_its_link(admin_client):
    contact = ContactFactory(name="Ada Byrne", account=AccountFactory(name="Northwind"))
    pk = contact.pk

    contact.delete()

    assert audit_entries(admin_client, kind="accounts")[0].startswith("System deleted contact Ada Byrne (Northwind)")
    page = admin_client.get(reverse("engagement:audit"), {"object": f"engagement.contact:{pk}"}).content.decode()
    assert reverse("admin:engagement_contact_change", args=[pk]) not in page


def test_contacts_deleted_with_their_account_are_each_recorded_by_name(admin_client):
    account = AccountFactory(name="Northwind")
    ContactFactory(name="Ada Byrne", account=account)
    ContactFactory(name="Sam Okafor", account=account)

    Account.objects.get(pk=account.pk).delete()

    deleted = [entry for entry in audit_entries(admin_client, kind="accounts") if " deleted " in entry]
    assert any(entry.startswith("System deleted contact Ada Byrne (Northwind)") for entry in deleted)
    assert any(entry.startswith("System deleted contact Sam Okafor (Northwind)") for entry in deleted)
    assert any(entry.startswith("System deleted account Northwind") for entry in deleted)
    assert LogEntry.objects.filter(action=LogEntry.Action.DELETE).count() == 3


def test_a_change_of_an_object_holding_what_names_it_costs_one_insert(django_assert_num_queries):
    contact = ContactFactory(name="Ada Byrne", account=AccountFactory(name="Northwind"))
    ContentType.objects.get_for_model(LogEntry)  # the content types, read once a process

    with django_assert_num_queries(1):
        entry = audit_change(instance=contact, changes={"title": ("Head of Operations", "COO")})

    assert entry.object_repr == "Ada Byrne (Northwind)"
    assert entry.changes == {"title": ["Head of Operations", "COO"]}


def test_seed_demo_writes_no_entries():
    call_command("seed_demo", scale=0.05, today=dt.date(2026, 3, 2), stdout=StringIO())

    assert Executive.objects.exists()
    assert LogEntry.objects.count() == 0


# --- The page ----------------------------------------------------------------------------------


def test_the_page_says_who_when_what_and_links_to_the_object(admin_client, admin):
    admin.time_zone = "Asia/Tokyo"
    admin.save(update_fields=["time_zone"])
    account = AccountFactory(name="Northwind")
    entry = audit_change(instance=account, changes={"tier": (Account.Tier.KEY, Account.Tier.STRATEGIC)}, actor=admin)
    LogEntry.objects.filter(pk=entry.pk).update(timestamp=dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC))

    response = admin_client.get(reverse("engagement:audit"), {"object": f"engagement.account:{account.pk}"})
    page = response.content.decode()

    changed = [e for e in audit_entries(admin_client, object=f"engagement.account:{account.pk}") if "→" in e]
    assert changed[0].startswith("Morgan Admin changed account Northwind")
    assert "Tier: Key → Strategic" in changed[0]
    # 23:30 UTC is the next morning in Tokyo, where the viewer is.
    assert "3 Mar 2026, 08:30" in changed[0]
    assert f'href="{reverse("visits:account_engagements", args=[account.pk])}"' in page


def test_a_page_shows_50_entries_newest_first(admin_client):
    account = AccountFactory(name="Northwind")
    aged(entries_of(account)[0], days=100)  # its creation
    for number in range(51):
        entry = audit_change(instance=account, changes={"region": (f"Region {number}", f"Region {number + 1}")})
        aged(entry, days=60 - number)

    first = audit_entries(admin_client, object=f"engagement.account:{account.pk}")
    second = audit_entries(admin_client, object=f"engagement.account:{account.pk}", page=2)

    assert len(first) == 50
    assert "Region: Region 50 → Region 51" in first[0]
    # The account's creation, then the oldest change.
    assert len(second) == 2
    assert "Region: Region 0 → Region 1" in second[0]


def test_filters_by_kind_who_and_dates(admin_client, admin):
    other = UserFactory(full_name="Riley Ops", email="riley@groundwork.example", roles=[Role.PROGRAM_ADMIN])
    account = AccountFactory(name="Northwind")
    program = ProgramFactory(name="Executive program")
    by_admin = audit_change(instance=account, changes={"region": ("EMEA", "APAC")}, actor=admin)
    by_other = audit_change(instance=program, changes={"warning_days": (7, 10)}, actor=other)
    old = audit_change(instance=account, changes={"industry": ("Retail", "Logistics")}, actor=other)
    aged(by_admin, days=1)
    aged(by_other, days=1)
    aged(old, days=40)
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()

    accounts = audit_entries(admin_client, kind="accounts", date_from=yesterday, date_to=yesterday)
    by_riley = audit_entries(admin_client, who="riley@", date_from=yesterday, date_to=yesterday)
    long_ago = audit_entries(admin_client, date_to=(timezone.localdate() - dt.timedelta(days=30)).isoformat())

    assert len(accounts) == 1 and "Region: EMEA → APAC" in accounts[0]
    assert len(by_riley) == 1 and "Warning days: 7 → 10" in by_riley[0]
    assert len(long_ago) == 1 and "Industry: Retail → Logistics" in long_ago[0]


def test_bad_filters_are_named_on_the_page_and_left_out(admin_client):
    account = AccountFactory(name="Northwind")
    audit_change(instance=account, changes={"region": ("EMEA", "APAC")})

    bad = {
        "kind": "meetings",
        "date_from": "2026-13-45",
        "object": "visits.nothing:1",
        "page": "last",
        "who": "x" * 101,
    }

    response = admin_client.get(reverse("engagement:audit"), bad)
    page = response.content.decode()

    assert response.status_code == 200
    assert "“meetings” is not a kind of thing listed. This filter was left out." in page
    assert "Give the date as YYYY-MM-DD. This filter was left out." in page
    assert "“visits.nothing:1” is not a record the audit trail keeps. Every record is shown." in page
    assert "at most 100 characters" in page
    # Left out, not applied: every entry is still there.
    assert any("Region: EMEA → APAC" in entry for entry in audit_entries(admin_client, **bad))


def test_a_date_range_that_ends_before_it_starts_is_named(admin_client):
    response = admin_client.get(reverse("engagement:audit"), {"date_from": "2026-03-02", "date_to": "2026-03-01"})

    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


def test_an_objects_history_shows_it_alone_under_its_name(admin_client):
    northwind, contoso = AccountFactory(name="Northwind"), AccountFactory(name="Contoso")
    audit_change(instance=northwind, changes={"region": ("EMEA", "APAC")})
    audit_change(instance=contoso, changes={"region": ("EMEA", "AMER")})

    response = admin_client.get(reverse("engagement:audit"), {"object": f"engagement.account:{northwind.pk}"})
    entries = audit_entries(admin_client, object=f"engagement.account:{northwind.pk}")

    assert "History of account" in response.content.decode()
    assert all("Northwind" in entry for entry in entries)
    assert not any("Contoso" in entry for entry in entries)


def test_an_empty_trail_says_so(admin_client):
    LogEntry.objects.all().delete()

    page = admin_client.get(reverse("engagement:audit")).content.decode()

    assert "No change has been recorded yet." in page


def test_nothing_matching_the_filters_says_so_with_a_way_back(admin_client):
    page = admin_client.get(reverse("engagement:audit"), {"who": "nobody-at-all"}).content.decode()

    assert "No change matches these filters." in page
    assert f'href="{reverse("engagement:audit")}"' in page


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ACCOUNT_MANAGER])
def test_executives_and_account_managers_may_not_open_the_audit_trail(client, role):
    client.force_login(ExecutiveFactory().user if role == Role.EXECUTIVE else UserFactory(roles=[role]))

    assert client.get(reverse("engagement:audit")).status_code == 403


def test_the_program_menu_offers_the_audit_trail_to_program_admins_only(admin_client):
    link = f'href="{reverse("engagement:audit")}"'
    executive_client = Client()
    executive_client.force_login(ExecutiveFactory().user)

    assert link in admin_client.get(reverse("engagement:program_home")).content.decode()
    assert link not in executive_client.get(reverse("engagement:executive_home")).content.decode()


def test_the_executive_admin_page_links_to_the_executives_history(admin_client):
    executive = ExecutiveFactory()

    page = admin_client.get(reverse("admin:engagement_executive_change", args=[executive.pk])).content.decode()

    assert f"{reverse('engagement:audit')}?object=engagement.executive%3A{executive.pk}" in page


# --- Built on django-auditlog ------------------------------------------------------------------


def _auditlog_private_names(path) -> list[str]:
    """The ``_``-prefixed names of django-auditlog that the module at ``path``
    imports or reads (``auditlog._dispatch_uid``), Django's ``_meta`` aside."""
    tree = ast.parse(path.read_text(), filename=str(path))
    bound, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "auditlog":
            for alias in node.names:
                bound.add(alias.asname or alias.name)
                if alias.name.startswith("_"):
                    found.append(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("auditlog"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            names, root = [node.attr], node.value
            while isinstance(root, ast.Attribute):
                names.append(root.attr)
                root = root.value
            if isinstance(root, ast.Name) and root.id in bound:
                found += [
                    f"{root.id}.{name}"
                    for name in names
                    if name.startswith("_") and name != "_meta" and not name.startswith("__")
                ]
    return found


def test_the_program_uses_only_django_auditlogs_public_names():
    """So that an upgrade of django-auditlog cannot silently change what the
    trail records: its private names may change in any release."""
    base = django_settings.BASE_DIR
    modules = [
        path
        for app in ("config", "engagement", "visits", "feedback", "mentoring")
        for path in (base / app).rglob("*.py")
        if "tests" not in path.relative_to(base).parts
    ]

    private = {str(path.relative_to(base)): names for path in modules if (names := _auditlog_private_names(path))}

    assert len(modules) > 50
    assert private == {}


# --- Retention ---------------------------------------------------------------------------------


def test_entries_older_than_the_retention_are_deleted_in_batches(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    account = AccountFactory()
    LogEntry.objects.all().delete()
    old = [audit_change(instance=account, changes={"region": (str(n), str(n + 1))}) for n in range(5)]
    kept = audit_change(instance=account, changes={"region": ("5", "6")})
    for entry in old:
        aged(entry, days=31)
    aged(kept, days=29)

    deleted = audit_entries_prune(batch_size=2)

    assert deleted == 5
    assert list(LogEntry.objects.values_list("pk", flat=True)) == [kept.pk]


def test_a_retention_of_0_keeps_every_entry(settings):
    settings.AUDIT_RETENTION_DAYS = 0
    entry = audit_change(instance=AccountFactory(), changes={"region": ("EMEA", "APAC")})
    aged(entry, days=10_000)

    assert prune_audit_trail() == 0
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_the_retention_runs_each_night():
    schedule = [job for job in celery_app.conf.beat_schedule.values() if job["task"] == prune_audit_trail.name]

    assert len(schedule) == 1
    assert schedule[0]["schedule"].hour == {3}


def test_an_operator_purges_the_entries_before_a_day_with_auditlogflush():
    account = AccountFactory()
    LogEntry.objects.all().delete()
    old, kept = [audit_change(instance=account, changes={"region": (str(n), str(n + 1))}) for n in range(2)]
    aged(old, days=10)
    aged(kept, days=2)

    call_command("auditlogflush", yes=True, before_date=timezone.localdate() - dt.timedelta(days=5), stdout=StringIO())

    assert list(LogEntry.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_nightly_job_deletes_what_is_past_the_retention(settings):
    settings.AUDIT_RETENTION_DAYS = 730
    entry = audit_change(instance=AccountFactory(), changes={"region": ("EMEA", "APAC")})
    aged(entry, days=731)

    assert prune_audit_trail() >= 1
    assert not LogEntry.objects.filter(pk=entry.pk).exists()


def test_a_superuser_searches_the_admins_log_by_name(client):
    client.force_login(UserFactory(full_name="Root Person", is_superuser=True, is_staff=True))
    audit_change(instance=AccountFactory(name="Northwind"), changes={"region": ("EMEA", "APAC")})

    response = client.get(reverse("admin:auditlog_logentry_changelist"), {"q": "Northwind"})

    assert response.status_code == 200
    assert "Northwind" in response.content.decode()
