"""Demo data for the program's core: people, functions, skills and accounts.

``manage.py seed_demo`` runs the ``demo.seed`` of every installed app that has
one, in INSTALLED_APPS order, passing one ``DemoContext`` along so that later
apps build on what earlier ones made. Everything is drawn from one seeded
random generator, so the same scale and seed give the same data.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from faker import Faker

from engagement.accounts.models import Account, AccountDomain, Contact
from engagement.cadence.ledger import executive_cadences_refresh
from engagement.cadence.models import Program
from engagement.people.models import Executive, Function, Level, Skill, User
from engagement.people.roles import Role
from engagement.people.services import role_groups_ensure, user_set_roles

DEMO_PASSWORD = "groundwork-demo"
DEMO_ADMIN_EMAIL = "admin@groundwork.example"
DEMO_EXECUTIVE_EMAIL = "exec@groundwork.example"
DEMO_ACCOUNT_MANAGER_EMAIL = "am@groundwork.example"
DEMO_LOGINS = [
    (DEMO_ADMIN_EMAIL, "program admin"),
    (DEMO_EXECUTIVE_EMAIL, "executive"),
    (DEMO_ACCOUNT_MANAGER_EMAIL, "account manager"),
]

BATCH = 5000


def demo_data(module_file: str, name: str) -> dict[str, Any]:
    """The demo's words and lists of one app: ``demo_data/<name>.toml``
    beside ``module_file`` (the app's ``demo.py``), so that prose is edited
    as data and the code only draws from it."""
    return tomllib.loads((Path(module_file).with_name("demo_data") / f"{name}.toml").read_text(encoding="utf-8"))


# The program's vocabulary: skills, functions, places, titles (demo_data/program.toml).
WORDS = demo_data(__file__, "program")
LOGINS = WORDS["logins"]
# Share of executives by level, top down.
LEVEL_SHARES = [(Level.C_SUITE, 0.08), (Level.SVP, 0.15), (Level.VP, 0.35), (Level.DIRECTOR, 0.42)]
# How executives meet customers: a third comfortably on track, some drifting
# over months, a few who attend briefings only or never met a customer.
PROFILES = [(profile["name"], profile["share"], profile) for profile in WORDS["profile"]]
# An account manager looks after this many accounts.
PORTFOLIO = (15, 40)


@dataclass
class DemoExecutive:
    """An executive as the demo plans their customer contact: ``rate``
    contacts a month while they keep it up, the last ``days_since_contact``
    days ago (None: never), fading to none over ``fade_months`` before it,
    at engagements of ``types`` only when there are some."""

    pk: int
    time_zone: str
    level: int
    profile: str
    days_since_contact: int | None
    rate: float
    fade_months: int = 0
    types: tuple[str, ...] = ()
    # Nobody has more than four customer contacts in a month; the demo
    # executive's story adds one to the month it is in.
    max_a_month: int = 4
    account_ids: list[int] = field(default_factory=list)


@dataclass
class DemoAccount:
    pk: int
    manager_id: int
    contact_ids: list[int]


@dataclass
class DemoContext:
    """What the apps' seeders share while they build the demo."""

    scale: float
    rng: random.Random
    faker: Faker
    today: dt.date
    out: TextIO
    executives: list[DemoExecutive] = field(default_factory=list)
    accounts: dict[int, DemoAccount] = field(default_factory=dict)
    staff_ids: list[int] = field(default_factory=list)

    def count(self, base: int, minimum: int = 1) -> int:
        return max(minimum, round(base * self.scale))

    def say(self, message: str) -> None:
        self.out.write(message + "\n")


def demo_loaded() -> bool:
    return User.objects.filter(email=DEMO_ADMIN_EMAIL).exists()


def _pick_share(rng: random.Random, shares: list[tuple]) -> tuple:
    roll, total = rng.random(), 0.0
    for entry in shares:
        total += entry[1]
        if roll < total:
            return entry
    return shares[-1]


def person_name(faker: Faker) -> str:
    """A first and a last name: no title or suffix ("Dr.", "Jr.") to carry
    into an email address."""
    return f"{faker.first_name()} {faker.last_name()}"


def domain_label(name: str, number: int) -> str:
    """A company's name as the first label of its own demo domain: its words joined by hyphens, numbered so that
    no two companies share one."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return f"{'-'.join(re.findall(r'[a-z0-9]+', ascii_name))[:50] or 'company'}-{number}"


def email_local_part(name: str) -> str:
    """``name`` as an email address's local part: its words in ASCII letters,
    joined by dots (never two in a row, none at either end)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return ".".join(re.findall(r"[a-z]+", ascii_name)) or "person"


def _unique_emails(names: list[str], taken: set[str]) -> list[str]:
    emails = []
    for name in names:
        base = email_local_part(name)
        email, n = f"{base}@groundwork.example", 1
        while email in taken:
            n += 1
            email = f"{base}{n}@groundwork.example"
        taken.add(email)
        emails.append(email)
    return emails


def seed(ctx: DemoContext) -> None:
    """Skills, functions, the program, people with their roles, accounts and contacts."""
    role_groups_ensure()
    rng, faker = ctx.rng, ctx.faker
    Skill.objects.bulk_create([Skill(name=name) for name in WORDS["skills"]], ignore_conflicts=True)
    Function.objects.bulk_create([Function(name=name) for name in WORDS["functions"]], ignore_conflicts=True)
    skills_by_name = Skill.objects.in_bulk(WORDS["skills"], field_name="name")
    functions_by_name = Function.objects.in_bulk(WORDS["functions"], field_name="name")
    skills = [skills_by_name[name] for name in WORDS["skills"]]
    functions = [functions_by_name[name] for name in WORDS["functions"]]
    program = Program.objects.filter(active=True).order_by("pk").first() or Program.objects.create(
        name="Executive customer engagement", company_domains="groundwork.example"
    )
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow by design
    taken = set(User.objects.values_list("email", flat=True))

    # People: the demo logins first, then executives and account managers.
    n_executives = ctx.count(40, minimum=5)
    n_accounts = ctx.count(300, minimum=10)
    # Each account manager looks after 15 to 40 accounts, 25 on average.
    n_managers = max(2, round(n_accounts / 25))
    executive_names = [person_name(faker) for _ in range(n_executives - 1)]
    manager_names = [person_name(faker) for _ in range(n_managers - 1)]

    def person(email: str, name: str, time_zone: str) -> User:
        return User(email=email, full_name=name, time_zone=time_zone, password=password)

    taken.update(email for email, _ in DEMO_LOGINS)
    admin = person(DEMO_ADMIN_EMAIL, LOGINS["admin"]["name"], LOGINS["admin"]["time_zone"])
    login = LOGINS["executive"]
    executive_users = [person(DEMO_EXECUTIVE_EMAIL, login["name"], login["time_zone"])] + [
        person(email, name, rng.choice(WORDS["time_zones"]))
        for name, email in zip(executive_names, _unique_emails(executive_names, taken), strict=True)
    ]
    login = LOGINS["account_manager"]
    manager_users = [person(DEMO_ACCOUNT_MANAGER_EMAIL, login["name"], login["time_zone"])] + [
        person(email, name, rng.choice(WORDS["time_zones"]))
        for name, email in zip(manager_names, _unique_emails(manager_names, taken), strict=True)
    ]
    # bulk_create sets primary keys on PostgreSQL and SQLite alike.
    people = [admin, *executive_users, *manager_users]
    User.objects.bulk_create(people, batch_size=BATCH)
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=user, email=user.email, primary=True, verified=True) for user in people], batch_size=BATCH
    )
    user_set_roles(user=admin, roles=[Role.PROGRAM_ADMIN])
    _add_to_groups({Role.EXECUTIVE: executive_users, Role.ACCOUNT_MANAGER: manager_users})
    ctx.staff_ids = [user.pk for user in manager_users]

    # Executives: levels top down, each managed by someone a level above.
    executives = []
    levels = []
    for index, user in enumerate(executive_users):
        level = Level.SVP if user.email == DEMO_EXECUTIVE_EMAIL else _pick_share(rng, LEVEL_SHARES)[0]
        if index == 1:
            level = Level.C_SUITE  # the chief executive heads the chain
        levels.append(level)
    for user, level in zip(executive_users, levels, strict=True):
        function = rng.choice(functions)
        executives.append(
            Executive(
                user=user,
                title=f"Chief {function.name} Officer"
                if level == Level.C_SUITE
                else f"{Level(level).label} {function.name}",
                level=level,
                function=function,
                joined_on=ctx.today - dt.timedelta(days=rng.randint(760, 1100)),
            )
        )
    Executive.objects.bulk_create(executives, batch_size=BATCH)
    _build_management_chain(ctx, executives)
    Executive.programs.through.objects.bulk_create(
        [Executive.programs.through(executive_id=e.pk, program_id=program.pk) for e in executives], batch_size=BATCH
    )
    executive_cadences_refresh(executive_ids=[e.pk for e in executives])  # bulk_create sends no signals
    Executive.talents.through.objects.bulk_create(
        [
            Executive.talents.through(executive_id=e.pk, skill_id=skill.pk)
            for e in executives
            for skill in rng.sample(skills, rng.randint(2, 4))
        ],
        batch_size=BATCH,
    )
    for function in functions:
        leads = sorted((e for e in executives if e.function_id == function.pk), key=lambda e: (-e.level, e.pk))
        if leads:
            Function.objects.filter(pk=function.pk).update(lead=leads[0])

    profiles = _profiles(ctx, len(executives))
    for executive in executives:
        ctx.executives.append(_plan_contact(ctx, executive, profiles))

    _seed_accounts(ctx, n_accounts, skills, manager_users)
    ctx.say(
        f"  {len(executives)} executives, {len(manager_users)} account managers, "
        f"{len(ctx.accounts)} accounts with contacts"
    )


def _profiles(ctx: DemoContext, count: int) -> list[dict[str, Any]]:
    """The profiles of ``count`` executives in their shares, as near as whole
    executives allow (largest remainders first), the demo executive's taken
    out of them and the rest in a random order: a small demo has the same
    mix as a large one."""
    quotas = [(share * count, profile) for _, share, profile in PROFILES]
    counts = [int(quota) for quota, _ in quotas]
    by_remainder = sorted(range(len(quotas)), key=lambda index: int(quotas[index][0]) - quotas[index][0])
    for index in by_remainder[: count - sum(counts)]:
        counts[index] += 1
    profiles = [profile for (_, profile), n in zip(quotas, counts, strict=True) for _ in range(n)]
    demo = next(profile for profile in profiles if profile["name"] == LOGINS["executive"]["profile"])
    profiles.remove(demo)
    ctx.rng.shuffle(profiles)
    return profiles


def _plan_contact(ctx: DemoContext, executive: Executive, profiles: list[dict[str, Any]]) -> DemoExecutive:
    """How ``executive`` meets customers: the next of ``profiles`` (the demo
    executive's is fixed), and its particulars."""
    rng = ctx.rng
    login = LOGINS["executive"]
    if executive.user.email == DEMO_EXECUTIVE_EMAIL:
        profile = next(profile for name, _, profile in PROFILES if name == login["profile"])
    else:
        profile = profiles.pop()
    plan = DemoExecutive(
        pk=executive.pk,
        time_zone=executive.user.time_zone,
        level=executive.level,
        profile=profile["name"],
        days_since_contact=None,
        rate=rng.uniform(*profile["rate"]) if "rate" in profile else 0.0,
        fade_months=rng.randint(*profile["fade_months"]) if "fade_months" in profile else 0,
        types=tuple(profile.get("types", ())),
    )
    if executive.user.email == DEMO_EXECUTIVE_EMAIL:
        plan.days_since_contact, plan.max_a_month = login["last_contact_days"], 3
    elif "last_contact_days" in profile:
        plan.days_since_contact = rng.randint(*profile["last_contact_days"])
    if "joined_days" in profile:
        # Never met a customer since they joined the program.
        joined_on = ctx.today - dt.timedelta(days=rng.randint(*profile["joined_days"]))
        Executive.objects.filter(pk=executive.pk).update(joined_on=joined_on)
    return plan


def _add_to_groups(members: dict[Role, list[User]]) -> None:
    from django.contrib.auth.models import Group

    group_ids = dict(Group.objects.filter(name__in=[role.value for role in members]).values_list("name", "pk"))
    through = User.groups.through
    through.objects.bulk_create(
        [through(user_id=user.pk, group_id=group_ids[role.value]) for role, users in members.items() for user in users],
        batch_size=BATCH,
    )


def _build_management_chain(ctx: DemoContext, executives: list[Executive]) -> None:
    by_level: dict[int, list[Executive]] = {}
    for executive in executives:
        by_level.setdefault(executive.level, []).append(executive)
    chief = by_level[Level.C_SUITE][0]
    for executive in executives:
        if executive.pk == chief.pk:
            continue
        above = [e for level, group in by_level.items() if level > executive.level for e in group]
        if executive.level == Level.C_SUITE:
            above = [chief]
        executive.manager = ctx.rng.choice(above) if above else chief
    Executive.objects.bulk_update([e for e in executives if e.pk != chief.pk], ["manager"], batch_size=BATCH)


def _portfolios(ctx: DemoContext, n_accounts: int, manager_users: list[User]) -> list[User]:
    """The account manager of each account: the demo account manager's
    portfolio first, then the others' of 15 to 40 accounts each."""
    rng = ctx.rng
    first = min(n_accounts, LOGINS["account_manager"]["accounts"])
    others = manager_users[1:] or manager_users
    sizes = [(n_accounts - first) // len(others)] * len(others)
    for index in range((n_accounts - first) % len(others)):
        sizes[index] += 1
    low, high = PORTFOLIO
    for _ in range(len(others) * 3):
        # Some look after more than others: move a few accounts across.
        give, take = rng.randrange(len(others)), rng.randrange(len(others))
        moved = rng.randint(1, 8)
        if give != take and sizes[give] - moved >= low and sizes[take] + moved <= high:
            sizes[give] -= moved
            sizes[take] += moved
    owners = [manager for manager, size in zip(others, sizes, strict=True) for _ in range(size)]
    rng.shuffle(owners)
    return [manager_users[0]] * first + owners


# What an account of each tier brings in a year, in thousands: the demo's range.
ANNUAL_VALUE_THOUSANDS = {
    Account.Tier.STRATEGIC: (1000, 5000),
    Account.Tier.KEY: (300, 1500),
    Account.Tier.GROWTH: (80, 400),
    Account.Tier.STANDARD: (10, 120),
}


def _values_and_renewals(ctx: DemoContext, accounts: list[Account]) -> None:
    """Customers' annual values, by tier, and a yearly renewal: most of those
    due in the last year renewed, a churned one did not, a few not known yet.
    Drawn apart from ``ctx.rng``, so that the rest of the demo stays as it was."""
    rng = random.Random(f"values-{ctx.today.isoformat()}-{len(accounts)}")
    for account in accounts:
        if account.kind != Account.Kind.CUSTOMER or account.status == Account.Status.PROSPECT:
            continue
        low, high = ANNUAL_VALUE_THOUSANDS[Account.Tier(account.tier)]
        account.annual_value = Decimal(rng.randint(low, high) * 1000)
        account.renewal_on = ctx.today + dt.timedelta(days=rng.randint(-330, 30))
        if account.renewal_on <= ctx.today and rng.random() < 0.9:
            account.renewed = account.status != Account.Status.CHURNED and rng.random() < 0.85


def _seed_accounts(ctx: DemoContext, n_accounts: int, skills: list[Skill], manager_users: list[User]) -> None:
    rng, faker = ctx.rng, ctx.faker
    owners = _portfolios(ctx, n_accounts, manager_users)
    names: set[str] = set()
    accounts = []
    for index in range(n_accounts):
        name = faker.company()
        while name in names:
            name = f"{faker.company()} {rng.choice(['Group', 'Holdings', 'International', 'Systems'])}"
        names.add(name)
        manager = owners[index]
        accounts.append(
            Account(
                name=name,
                kind=Account.Kind.PARTNER if rng.random() < 0.2 else Account.Kind.CUSTOMER,
                tier=rng.choices(list(Account.Tier), weights=[1, 2, 3, 4])[0],
                industry=rng.choice(WORDS["industries"]),
                region=rng.choice(WORDS["regions"]),
                account_manager=manager,
                crm_id=f"CRM-{index + 1:07d}",
                status=rng.choices(list(Account.Status), weights=[85, 5, 7, 3])[0],
            )
        )
    _values_and_renewals(ctx, accounts)
    Account.objects.bulk_create(accounts, batch_size=BATCH)
    Account.needs.through.objects.bulk_create(
        [
            Account.needs.through(account_id=account.pk, skill_id=skill.pk)
            for account in accounts
            for skill in rng.sample(skills, rng.randint(1, 3))
        ],
        batch_size=BATCH,
    )
    Account.account_team.through.objects.bulk_create(
        [
            Account.account_team.through(account_id=account.pk, user_id=rng.choice(manager_users).pk)
            for account in accounts
            if rng.random() < 0.3
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    domains = {account.pk: f"{domain_label(account.name, account.pk)}.example" for account in accounts}
    AccountDomain.objects.bulk_create(
        [AccountDomain(account_id=pk, domain=domain) for pk, domain in domains.items()], batch_size=BATCH
    )
    contacts = []
    for account in accounts:
        for _ in range(rng.randint(2, 4)):
            level = rng.choices(list(Level), weights=[2, 4, 4, 3, 1, 1])[0]
            name = person_name(faker)
            contacts.append(
                Contact(
                    account=account,
                    name=name,
                    title=rng.choice(WORDS["contact_titles"][str(int(level))]),
                    level=level,
                    email=f"{email_local_part(name)}@{domains[account.pk]}",
                )
            )
    Contact.objects.bulk_create(contacts, batch_size=BATCH)
    contact_ids: dict[int, list[int]] = {}
    first, last = accounts[0].pk, accounts[-1].pk
    for contact_id, account_id in Contact.objects.filter(account__pk__range=(first, last)).values_list(
        "pk", "account_id"
    ):
        contact_ids.setdefault(account_id, []).append(contact_id)
    for account in accounts:
        ctx.accounts[account.pk] = DemoAccount(
            pk=account.pk, manager_id=account.account_manager_id, contact_ids=contact_ids.get(account.pk, [])
        )
    # Each executive keeps a circle of accounts; some accounts share executives.
    account_ids = list(ctx.accounts)
    for executive in ctx.executives:
        executive.account_ids = rng.sample(account_ids, min(len(account_ids), rng.randint(6, 16)))
