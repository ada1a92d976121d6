"""CSV import and export of past engagements, as CRMs export their
activities: registered with the program's imports (``engagement.imports``),
which cannot import this app.

Engagements are matched by their CRM id (or, in a file exported from
Groundwork, their Groundwork id), so a file imported twice makes nothing the
second time. Imported engagements count toward the cadence like any other:
after the rows are written, every executive's contacts and last-contact dates
and every account's are recounted in a few set-based queries. They send no
``engagement_held`` signal: a customer survey about a meeting of last year,
or of two years ago, would only puzzle the customer.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower

from engagement.accounts.models import Contact
from engagement.bounds import LONG_TEXT
from engagement.cadence.rule import ContactState
from engagement.cadence.selectors import last_contacts_if
from engagement.imports.exports import CsvColumn, text_list, text_list_values
from engagement.imports.framework import (
    ACCOUNT_REFERENCE_KEYS,
    ACCOUNT_REFERENCES,
    BATCH,
    CREATE,
    GROUNDWORK_ID,
    UNCHANGED,
    UPDATE,
    AccountReferences,
    Column,
    ImportKind,
    ImportPlan,
    Progress,
    RecordsOfFile,
    Row,
    bulk_update_fields,
    chunks,
    import_kind,
    people_by_email,
    read_groundwork_id,
)
from engagement.imports.models import ImportJob
from engagement.imports.values import (
    CellError,
    choice_reader,
    normalized,
    parse_emails,
    parse_minutes,
    parse_moment,
    parse_time,
)
from engagement.reminders.contact import reminders_caused_by
from visits.models import Engagement, EngagementExecutive, EngagementType
from visits.services import engagement_contacts_sync

# A held engagement with a date but no time took place at noon in the lead
# executive's time zone, as the quick log has it for an earlier day.
NOON = dt.time(12)
# What a file may say happened; an engagement still open (requested,
# scheduled) is changed in Groundwork itself, where its people are told.
OUTCOMES = (
    Engagement.Status.COMPLETED,
    Engagement.Status.NOT_HELD,
    Engagement.Status.CANCELLED,
    Engagement.Status.DECLINED,
)
_read_status = choice_reader(
    {
        **{status.label: status.value for status in Engagement.Status},
        **{status.value: status.value for status in Engagement.Status},
        "Completed": Engagement.Status.COMPLETED,
        "Done": Engagement.Status.COMPLETED,
        "Occurred": Engagement.Status.COMPLETED,
        "Took place": Engagement.Status.COMPLETED,
        "No show": Engagement.Status.NOT_HELD,
        "Canceled": Engagement.Status.CANCELLED,
        "Rescheduled": Engagement.Status.CANCELLED,
    },
    what="a status of a past engagement",
    accepted=["Held", "Not held", "Cancelled", "Declined"],
)
_read_purpose = choice_reader(
    {
        **{purpose.label: purpose.value for purpose in Engagement.Purpose},
        **{purpose.value: purpose.value for purpose in Engagement.Purpose},
        "Escalation": Engagement.Purpose.ESCALATION,
    },
    what="a purpose",
    accepted=[purpose.label for purpose in Engagement.Purpose],
)
FIELDS = (
    "crm_id",
    "account_id",
    "type_id",
    "status",
    "purpose",
    "starts_at",
    "ends_at",
    "duration_minutes",
    "objective",
    "location",
    "notes",
)


def _minutes(text: str) -> int:
    minutes = parse_minutes(text)
    if not 0 < minutes <= 24 * 60:
        raise CellError(f"{minutes} minutes is not the length of a meeting: give between 1 and 1440.")
    return minutes


@dataclass
class EngagementItem:
    engagement_id: int | None  # None: a new engagement
    fields: dict[str, Any]  # what changes (everything, for a new one)
    executives: list[int] | None  # lead first; None: as they are
    contacts: list[int] | None  # None: as they are


@import_kind
class EngagementImport(ImportKind):
    kind = ImportJob.Kind.ENGAGEMENTS
    label = "Past engagements"
    columns = (
        GROUNDWORK_ID,
        Column(
            "crm_id",
            "CRM id",
            ("Activity ID", "Engagement ID", "Meeting ID", "Event ID", "Task ID", "Record ID", "ID", "External ID"),
            format="the activity's id in the CRM; a file imported twice makes nothing the second time",
        ),
        *ACCOUNT_REFERENCES,
        Column(
            "type",
            "Type",
            ("Engagement Type", "Activity Type", "Meeting Type", "Event Type"),
            required=True,
            format="the name of an engagement type in Groundwork (Administration → Engagement types)",
        ),
        Column(
            "status",
            "Status",
            ("Outcome", "Meeting Outcome", "Activity Status"),
            format="Held (when empty), Not held, Cancelled or Declined",
        ),
        Column("purpose", "Purpose", (), format=", ".join(purpose.label for purpose in Engagement.Purpose)),
        Column(
            "starts_at",
            "Starts at",
            (
                "Date",
                "Start Date",
                "Activity Date",
                "Meeting Date",
                "Event Date",
                "Start",
                "Start Date Time",
                "Start Date/Time",
                "Start Datetime",
                "Date/Time",
            ),
            required=True,
            format="a date, with or without a time; without an offset from UTC it is the lead "
            "executive's local time, and without a time, noon",
        ),
        Column("time", "Time", ("Start Time", "Meeting Time"), format="14:30 or 2:30 PM, when the date has none"),
        Column(
            "duration_minutes",
            "Duration minutes",
            ("Duration", "Duration (minutes)", "Duration In Minutes", "Minutes", "Length"),
            format="minutes (90), or hours and minutes (1:30); when empty, the type's usual length",
        ),
        Column(
            "executive_emails",
            "Executive emails",
            (
                "Executives",
                "Executive",
                "Executive Email",
                "Attendees",
                "Attendee Emails",
                "Assigned To Email",
                "Owner Email",
            ),
            required=True,
            format="the emails of the executives who took part, separated by semicolons; the first led it",
        ),
        Column(
            "contact_emails",
            "Contact emails",
            ("Contacts", "Contact Email", "Customer Contacts", "Customer Attendees"),
            format="the emails of the account's contacts who took part, separated by semicolons",
        ),
        Column("objective", "Objective", ("Subject", "Meeting Name", "Activity Name"), format="text"),
        Column("location", "Location", (), format="text"),
        Column("notes", "Notes", ("Description", "Comments", "Meeting Notes", "Body"), format="text", multi_line=True),
    )
    required_any = (("groundwork_id", "crm_id"), ACCOUNT_REFERENCE_KEYS)
    matching = (
        "By Groundwork id, else by CRM id, which every row needs; the account is named by its Groundwork id, "
        "CRM id or name, the executives and contacts by email. Import accounts, executives and contacts first."
    )
    shown = ("CRM id", "Account", "Type", "Status", "Starts at", "Minutes", "Executives", "Contacts")

    def plan(self, *, rows: list[Row], plan: ImportPlan, progress: Progress) -> None:
        options = plan.options
        accounts = AccountReferences(plan, rows)
        types = {}
        for engagement_type in EngagementType.objects.all():
            types[normalized(engagement_type.slug)] = engagement_type
            types[normalized(engagement_type.name)] = engagement_type
        type_names = ", ".join(sorted({t.name for t in types.values()}))
        parsed = []
        for row in rows:
            values = {
                "groundwork_id": plan.value(row, "groundwork_id", read_groundwork_id),
                "crm_id": plan.value(row, "crm_id"),
                "status": plan.value(row, "status", _read_status),
                "purpose": plan.value(row, "purpose", _read_purpose),
                "moment": plan.value(row, "starts_at", lambda text: parse_moment(text, order=options.date_order)),
                "time": plan.value(row, "time", parse_time),
                "duration_minutes": plan.value(row, "duration_minutes", _minutes),
                "executives": plan.value(row, "executive_emails", parse_emails),
                "contacts": plan.value(row, "contact_emails", parse_emails),
                "objective": plan.value(row, "objective"),
                "location": plan.value(row, "location"),
                "notes": plan.value(row, "notes"),
            }
            for key, limit in (("crm_id", 64), ("objective", 300), ("location", 200), ("notes", LONG_TEXT)):
                if values[key] is not None and len(values[key]) > limit:
                    plan.error(row, key, f"At most {limit} characters.")
            if values["groundwork_id"] is None and values["crm_id"] is None and not plan.failed(row):
                plan.error(row, "crm_id", "Give the activity's CRM id: it is how a second import finds it again.")
            if row.get("type"):
                engagement_type = types.get(normalized(row.get("type")))
                if engagement_type is None:
                    plan.error(
                        row, "type", f"“{row.get('type')}” is not an engagement type: write one of {type_names}."
                    )
                values["type"] = engagement_type
            else:
                plan.error(row, "type", "Give the type of engagement.")
            if values["moment"] is None and not plan.failed(row):
                plan.error(row, "starts_at", "Give the date it took place.")
            if not values["executives"] and not plan.failed(row):
                plan.error(row, "executive_emails", "Give the email of each executive who took part.")
            values["account_id"] = accounts.find(plan, row)
            parsed.append((row, values))
        good = [(row, values) for row, values in parsed if not plan.failed(row)]
        people = people_by_email(email for _, values in good for email in values["executives"])
        known = _KnownEngagements(
            pks=[values["groundwork_id"] for _, values in good if values["groundwork_id"]],
            crm_ids=[values["crm_id"] for _, values in good if values["crm_id"]],
        )
        contacts = _account_contacts([values["account_id"] for _, values in good if values["contacts"]])
        records = RecordsOfFile("engagement")
        for row, values in parsed:
            progress.advance(1)
            if plan.failed(row):
                continue
            executives = []
            for email in values["executives"]:
                person = people.get(email)
                if person is None or person.executive_id is None:
                    plan.error(row, "executive_emails", f"{email} is not an executive in Groundwork.")
                else:
                    executives.append(person)
            contact_ids = []
            for email in values["contacts"] or []:
                contact_id = contacts.get((values["account_id"], email))
                if contact_id is None:
                    plan.error(row, "contact_emails", f"{email} is not a contact of this account in Groundwork.")
                contact_ids.append(contact_id)
            engagement = known.match(plan, row, values)
            if plan.failed(row) or not records.claim(plan, row, engagement, values["crm_id"]):
                continue
            self._outcome(plan, row, values, engagement, executives, contact_ids, accounts)
        _standing_impact(plan)

    def _outcome(
        self,
        plan: ImportPlan,
        row: Row,
        values: dict[str, Any],
        engagement: dict[str, Any] | None,
        executives: list[Any],
        contact_ids: list[int],
        accounts: AccountReferences,
    ) -> None:
        """Decide what ``row`` does to ``engagement`` (None: it makes a new one)."""
        lead = executives[0]
        zone = zoneinfo.ZoneInfo(lead.time_zone)
        day, time, offset = values["moment"]
        time = values["time"] or time
        before_start = engagement["starts_at"].astimezone(zone) if engagement else None
        if time is None and before_start is not None and before_start.date() == day:
            starts_at = engagement["starts_at"]  # the file has the day only: the time stays
        else:
            starts_at = dt.datetime.combine(day, time or NOON, tzinfo=offset or zone).astimezone(dt.UTC)
        starts_at = starts_at.replace(microsecond=0)
        current = engagement["status"] if engagement else None
        status = values["status"] or current or Engagement.Status.COMPLETED
        if current == Engagement.Status.DEBRIEFED and status == Engagement.Status.COMPLETED:
            status = current  # held, and debriefed since: the file knows only the first
        if status != current and current is not None and current not in OUTCOMES:
            plan.error(
                row,
                "status",
                f"This engagement is {Engagement.Status(current).label.lower()} in Groundwork: change it there, "
                "where the people taking part are told.",
            )
            return
        if status != current and status not in OUTCOMES:
            plan.error(row, "status", "A file brings engagements that are over: Held, Not held, Cancelled or Declined.")
            return
        if status == Engagement.Status.COMPLETED and starts_at > plan.options.now:
            plan.error(row, "starts_at", "A held engagement cannot be in the future: Groundwork imports past ones.")
            return
        given = {
            "crm_id": values["crm_id"],
            "account_id": values["account_id"],
            "type_id": values["type"].pk,
            "status": status,
            "purpose": values["purpose"],
            "starts_at": starts_at,
            "duration_minutes": values["duration_minutes"],
            "objective": values["objective"],
            "location": values["location"],
            "notes": values["notes"],
        }
        given = {key: value for key, value in given.items() if value is not None}
        before = engagement or {
            "crm_id": None,
            "purpose": Engagement.Purpose.RELATIONSHIP,
            "duration_minutes": None,
            "objective": "",
            "location": "",
            "notes": "",
            "ends_at": None,
        }
        if engagement is not None:
            before = {**before, "starts_at": before["starts_at"].replace(microsecond=0)}
        now = {**before, **given}
        length = now["duration_minutes"] or _length(before) or values["type"].default_duration_minutes
        now["ends_at"] = now["starts_at"] + dt.timedelta(minutes=length)
        if engagement is not None and all(now[key] == before[key] for key in ("starts_at", "duration_minutes")):
            now["ends_at"] = before["ends_at"]  # a file has no end: it moves only with the start or the length
        fields = {key: now[key] for key in FIELDS if engagement is None or now[key] != before[key]}
        if engagement is None:
            fields["status_changed_at"] = now["ends_at"]  # held then, not when imported
        else:
            if "status" in fields:
                fields["status_changed_at"] = plan.options.now
            if fields:
                fields["updated_at"] = plan.options.now
        wanted = [person.executive_id for person in executives]
        attendees = None
        if engagement is None or (
            set(wanted) != set(engagement["executives"])
            or (engagement["lead"] is not None and engagement["lead"] != wanted[0])
        ):
            attendees = list(dict.fromkeys(wanted))
        people_contacts = None
        if values["contacts"] is not None:
            # Contacts without an email cannot be listed in a file: they stay.
            kept = set(engagement["contacts_without_email"]) if engagement else set()
            chosen = set(contact_ids) | kept
            if engagement is None or chosen != set(engagement["contacts"]):
                people_contacts = sorted(chosen)
        elif engagement is None:
            people_contacts = []
        changed = fields or attendees is not None or people_contacts is not None
        action = CREATE if engagement is None else (UPDATE if changed else UNCHANGED)
        if action != UNCHANGED:
            counts = status in Engagement.HELD_STATUSES and values["type"].counts_toward_cadence
            plan.state.setdefault("contacts", []).append(
                (
                    engagement["pk"] if engagement else None,
                    list(engagement["executives"]) if engagement else [],
                    (attendees if attendees is not None else engagement["executives"]) if counts else [],
                    now["starts_at"],
                )
            )
        plan.add(
            row,
            action,
            EngagementItem(
                engagement_id=engagement["pk"] if engagement else None,
                fields=fields,
                executives=attendees,
                contacts=people_contacts,
            ),
            [
                now["crm_id"],
                accounts.names.get(now["account_id"], ""),
                values["type"].name,
                Engagement.Status(status).label,
                f"{now['starts_at'].astimezone(zone):%-d %b %Y %H:%M} ({lead.time_zone})",
                now["duration_minutes"],
                "; ".join(person.email for person in executives),
                "; ".join(values["contacts"] or []),
            ],
        )

    def apply(self, *, plan: ImportPlan, job: ImportJob, progress: Progress) -> None:
        created, updated = plan.of(CREATE), plan.of(UPDATE)
        for batch in chunks(created, BATCH):
            engagements = [Engagement(import_job=job, **outcome.item.fields) for outcome in batch]
            Engagement.objects.bulk_create(engagements)
            for outcome, engagement in zip(batch, engagements, strict=True):
                outcome.item.engagement_id = engagement.pk
            _people_write([outcome.item for outcome in batch], replace=False)
            progress.advance(len(batch))
        for batch in chunks(updated, BATCH):
            bulk_update_fields(
                Engagement, [(o.item.engagement_id, {**o.item.fields, "import_job_id": job.pk}) for o in batch]
            )
            _people_write([outcome.item for outcome in batch], replace=True)
            progress.advance(len(batch))
        if created or updated:
            # Every executive's and account's contacts and last contact, recounted at once.
            engagement_contacts_sync(engagement_ids=Engagement.objects.filter(import_job=job).values("pk"))

    def export_columns(self) -> list[CsvColumn]:
        return [
            CsvColumn("groundwork_id", lambda e: e.pk),
            CsvColumn("crm_id", lambda e: e.crm_id),
            CsvColumn("account_groundwork_id", lambda e: e.account_id),
            CsvColumn("account_crm_id", lambda e: e.account.crm_id),
            CsvColumn("account_name", lambda e: e.account.name),
            CsvColumn("type", lambda e: e.type.name),
            CsvColumn("status", lambda e: e.status),
            CsvColumn("purpose", lambda e: e.purpose),
            CsvColumn("starts_at", lambda e: e.starts_at),
            CsvColumn("duration_minutes", lambda e: e.duration_minutes),
            CsvColumn("executive_emails", _executive_emails),
            CsvColumn("contact_emails", lambda e: "; ".join(text_list_values(e.contact_list))),
            CsvColumn("objective", lambda e: e.objective),
            CsvColumn("location", lambda e: e.location),
            CsvColumn("notes", lambda e: e.notes, multi_line=True),
        ]


def _standing_impact(plan: ImportPlan) -> None:
    """Say on the preview what importing would do to where executives stand:
    whose state changes, and the reminders and escalations that would follow."""
    touched = plan.state.get("contacts", [])
    if not touched or plan.errors:
        return
    executive_ids = {pk for _id, before, after, _at in touched for pk in [*before, *after]}
    last = last_contacts_if(
        executive_ids=executive_ids,
        replaced_engagement_ids=[engagement_id for engagement_id, *_rest in touched if engagement_id],
        contacts=[(pk, starts_at) for _id, _before, after, starts_at in touched for pk in after],
    )
    impact = reminders_caused_by(last_contacts=last, now=plan.options.now)
    plan.impact = {
        **asdict(impact),
        "into": [
            [state.label.lower(), impact.into[state.value]] for state in ContactState if state.value in impact.into
        ],
    }


def _length(engagement: dict[str, Any]) -> int | None:
    if engagement.get("duration_minutes"):
        return engagement["duration_minutes"]
    if engagement.get("ends_at") and engagement["ends_at"] > engagement["starts_at"]:
        return int((engagement["ends_at"] - engagement["starts_at"]).total_seconds() // 60)
    return None


def _executive_emails(engagement: Engagement) -> str:
    others = [email for email in text_list_values(engagement.executive_list) if email != engagement.lead_email]
    return "; ".join([engagement.lead_email, *others] if engagement.lead_email else others)


def _people_write(items: list[EngagementItem], *, replace: bool) -> None:
    """Who took part in each engagement of ``items``, as the file says."""
    attending = [item for item in items if item.executives is not None]
    meeting = [item for item in items if item.contacts is not None]
    if replace:
        EngagementExecutive.objects.filter(engagement_id__in=[item.engagement_id for item in attending]).delete()
        Engagement.contacts.through.objects.filter(engagement_id__in=[item.engagement_id for item in meeting]).delete()
    EngagementExecutive.objects.bulk_create(
        [
            EngagementExecutive(
                engagement_id=item.engagement_id,
                executive_id=executive_id,
                role=EngagementExecutive.Role.LEAD if index == 0 else EngagementExecutive.Role.ATTENDEE,
            )
            for item in attending
            for index, executive_id in enumerate(item.executives)
        ],
        batch_size=BATCH,
    )
    Engagement.contacts.through.objects.bulk_create(
        [
            Engagement.contacts.through(engagement_id=item.engagement_id, contact_id=contact_id)
            for item in meeting
            for contact_id in item.contacts
        ],
        batch_size=BATCH,
    )


class _KnownEngagements:
    """The engagements a file's rows may update, with who took part."""

    def __init__(self, *, pks: list[int], crm_ids: list[str]) -> None:
        found: dict[int, dict[str, Any]] = {}
        fields = ("pk", *FIELDS)
        for batch in chunks(set(pks)):
            found.update((e["pk"], e) for e in Engagement.objects.filter(pk__in=batch).values(*fields))
        for batch in chunks(set(crm_ids)):
            found.update((e["pk"], e) for e in Engagement.objects.filter(crm_id__in=batch).values(*fields))
        for engagement in found.values():
            engagement.update(lead=None, executives=[], contacts=[], contacts_without_email=[])
        for batch in chunks(found):
            attendances = EngagementExecutive.objects.filter(engagement_id__in=batch)
            for engagement_id, executive_id, role in attendances.values_list("engagement_id", "executive_id", "role"):
                found[engagement_id]["executives"].append(executive_id)
                if role == EngagementExecutive.Role.LEAD:
                    found[engagement_id]["lead"] = executive_id
            links = Engagement.contacts.through.objects.filter(engagement_id__in=batch)
            for engagement_id, contact_id, email in links.values_list("engagement_id", "contact_id", "contact__email"):
                found[engagement_id]["contacts"].append(contact_id)
                if not email:
                    found[engagement_id]["contacts_without_email"].append(contact_id)
        self.by_pk = found
        self.by_crm_id = {e["crm_id"]: e for e in found.values() if e["crm_id"]}

    def match(self, plan: ImportPlan, row: Row, values: dict[str, Any]) -> dict[str, Any] | None:
        crm_id = values["crm_id"]
        if values["groundwork_id"] is not None:
            engagement = self.by_pk.get(values["groundwork_id"])
            if engagement is None:
                plan.error(row, "groundwork_id", f"No engagement has the Groundwork id {values['groundwork_id']}.")
                return None
            other = self.by_crm_id.get(crm_id) if crm_id else None
            if other is not None and other["pk"] != engagement["pk"]:
                plan.error(row, "crm_id", f"The CRM id {crm_id} belongs to another engagement.")
                return None
            return engagement
        return self.by_crm_id.get(crm_id)


def _account_contacts(account_ids: list[int]) -> dict[tuple[int, str], int]:
    """The contacts of ``account_ids`` by (account, email in lowercase)."""
    found: dict[tuple[int, str], int] = {}
    for batch in chunks(set(account_ids)):
        contacts = Contact.objects.filter(account_id__in=batch).exclude(email="").annotate(email_lower=Lower("email"))
        for pk, account_id, email in contacts.values_list("pk", "account_id", "email_lower").order_by("pk"):
            found.setdefault((account_id, email), pk)
    return found


def engagements_export_rows(*, since: dt.datetime, until: dt.datetime) -> QuerySet[Engagement]:
    """The engagements that start from ``since`` to before ``until``, as the
    engagements export writes them, who took part included: one query."""
    lead = EngagementExecutive.objects.filter(engagement=OuterRef("pk"), role=EngagementExecutive.Role.LEAD)
    return (
        Engagement.objects.filter(starts_at__gte=since, starts_at__lt=until)
        .select_related("account", "type")
        .annotate(
            lead_email=Subquery(lead.values("executive__user__email")[:1]),
            executive_list=text_list(
                EngagementExecutive.objects.filter(engagement=OuterRef("pk")),
                group_by="engagement_id",
                field="executive__user__email",
            ),
            contact_list=text_list(
                Engagement.contacts.through.objects.filter(engagement_id=OuterRef("pk")).exclude(contact__email=""),
                group_by="engagement_id",
                field="contact__email",
            ),
        )
        .order_by("starts_at", "pk")
    )
