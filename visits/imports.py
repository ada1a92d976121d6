"""CSV import and export of past engagements, as CRMs export their activities: a kind of file registered with
``engagement.imports`` (which cannot import this app).

Engagements are matched by their Groundwork id, else their CRM id, so a file imported twice makes nothing the second
time. Imported engagements count toward the cadence like any other: once written, the contacts of every executive and
account they touch are recounted in a few set-based queries. They send no ``engagement_held`` signal: a survey about
last year's meeting would only puzzle.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import asdict
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower

from engagement.accounts.models import Contact
from engagement.bounds import LONG_TEXT
from engagement.cadence.rule import ContactState
from engagement.cadence.selectors import last_contacts_if
from engagement.imports.exports import text_list, text_list_values
from engagement.imports.framework import (
    ACCOUNT_REFERENCE_KEYS,
    ACCOUNT_REFERENCES,
    GROUNDWORK_ID,
    AccountReferences,
    Column,
    ImportKind,
    ImportPlan,
    Item,
    Known,
    PeopleReferences,
    Person,
    Progress,
    Row,
    bulk_create,
    chunks,
    import_kind,
    links_replace,
    records_found,
    records_write,
)
from engagement.imports.models import ImportJob
from engagement.imports.values import (
    CellError,
    choice_reader,
    normalized,
    parse_emails,
    parse_minutes,
    parse_moment,
    parse_people,
    parse_time,
)
from engagement.reminders.contact import reminders_caused_by
from visits.models import Engagement, EngagementExecutive, EngagementType
from visits.services import engagement_contacts_sync

Status = Engagement.Status
# A held engagement with a date but no time took place at noon in the lead executive's time zone, as the quick log has
# it for an earlier day.
NOON = dt.time(12)
# What a file may say happened; an engagement still open (requested, scheduled) is changed in Groundwork itself, where
# its people are told.
OUTCOMES = (Status.COMPLETED, Status.NOT_HELD, Status.CANCELLED, Status.DECLINED)
_HELD = {**dict.fromkeys(("Completed", "Done", "Occurred", "Took place"), Status.COMPLETED), "No show": Status.NOT_HELD}
_read_status = choice_reader(
    Status,
    "a status of a past engagement",
    {**_HELD, **dict.fromkeys(("Canceled", "Rescheduled"), Status.CANCELLED)},
    ["Held", "Not held", "Cancelled", "Declined"],
)
_read_purpose = choice_reader(Engagement.Purpose, "a purpose", {"Escalation": Engagement.Purpose.ESCALATION})
_TEXTS = ("objective", "location", "notes")
FIELDS = ("crm_id", "account_id", "type_id", "status", "purpose", "starts_at", "ends_at", "duration_minutes", *_TEXTS)
_NEW: dict[str, Any] = dict.fromkeys(("crm_id", "duration_minutes", "ends_at")) | dict.fromkeys(_TEXTS, "")
_NEW["purpose"] = Engagement.Purpose.RELATIONSHIP
# Headings as CRMs export them: Salesforce (Data Loader's field names, whatever their case, and report columns),
# HubSpot (its interface's labels and its internal property names) and Gainsight's Timeline; docs/importing.md lists
# them. Where a file has several, the one earlier in a list wins: a start with its time before a date alone.
STARTS_AT = (
    "Start Date Time, Start Date/Time, Start Datetime, ActivityDateTime, Meeting start time, hs_meeting_start_time, "
    "hs_timestamp, Date/Time, Date, Start Date, Activity Date, Meeting Date, Event Date, Start"
)
ENDS_AT = "ends_at, Ends at, End Date Time, End Date/Time, End Datetime, Meeting end time, hs_meeting_end_time, End"
EXECUTIVES = (
    "Executives, Executive, Executive Email, Attendees, Attendee Emails, Assigned To Email, Owner Email, Owner.Email, "
    "User Email, Assigned, Assigned To, Activity assigned to, hubspot_owner_id, Owner, Owner Name, OwnerName, "
    "Author, Created by, Internal Attendees"
)


def _minutes(text: str) -> int:
    minutes = parse_minutes(text)
    if not 0 < minutes <= 24 * 60:
        raise CellError(f"{minutes} minutes is not the length of a meeting: give between 1 and 1440.")
    return minutes


def _executive_emails(engagement: Engagement) -> str:
    others = [email for email in text_list_values(engagement.executive_list) if email != engagement.lead_email]
    return "; ".join([engagement.lead_email, *others] if engagement.lead_email else others)


@import_kind
class EngagementImport(ImportKind):
    kind = ImportJob.Kind.ENGAGEMENTS
    label = "Past engagements"
    columns = (
        GROUNDWORK_ID,
        Column(
            "crm_id, CRM id, Activity ID, Engagement ID, Meeting ID, Event ID, Task ID, Record ID, ID, External ID, "
            "hs_object_id, Gsid",
            "the activity's id in the CRM; a file imported twice makes nothing the second time",
            limit=64,
            out="crm_id",
        ),
        *ACCOUNT_REFERENCES,
        Column(
            "type, Type, Engagement Type, Activity Type, Meeting Type, Event Type, Call and meeting type, "
            "hs_activity_type, ActivityTypeName",
            "the name of an engagement type in Groundwork (Administration → Engagement types)",
            out="type.name",
            required=True,
        ),
        Column(
            "status, Status, Outcome, Meeting Outcome, Activity Status, hs_meeting_outcome",
            "Held (when empty), Not held, Cancelled or Declined; Scheduled, for a meeting before the import, is read "
            "as held",
            _read_status,
            out="status",
        ),
        Column("purpose, Purpose", ", ".join(Engagement.Purpose.labels), _read_purpose, out="purpose"),
        Column(
            f"starts_at, Starts at, {STARTS_AT}",
            "a date, with or without a time; without an offset from UTC it is the lead executive's local time, "
            "and without a time, noon",
            out="starts_at",
            required=True,
        ),
        Column("time, Time, Start Time, Meeting Time", "14:30 or 2:30 PM, when the date has none", parse_time),
        Column(ENDS_AT, "when it ended, with a time: gives its length when the file has none"),
        Column(
            "duration_minutes, Duration minutes, Duration, Duration (minutes), Duration In Minutes, "
            "Duration (in Mins), Minutes, Length",
            "minutes (90), or hours and minutes (1:30); when empty, from the end, else the type's usual length",
            _minutes,
            out="duration_minutes",
        ),
        Column(
            f"executive_emails, Executive emails, {EXECUTIVES}",
            "the executives who took part, by email or full name, separated by semicolons; the first led it",
            parse_people,
            out=_executive_emails,
            required=True,
        ),
        Column(
            "contact_emails, Contact emails, Contacts, Contact Email, Customer Contacts, Customer Attendees, "
            "Who.Email, Associated Contacts, External Attendees",
            "the emails of the account's contacts who took part, separated by semicolons",
            parse_emails,
            out=lambda e: "; ".join(text_list_values(e.contact_list)),
        ),
        Column(
            "objective, Objective, Subject, Meeting Name, Activity Name, hs_meeting_title", limit=300, out="objective"
        ),
        Column("location, Location, Meeting location, hs_meeting_location", limit=200, out="location"),
        Column(
            "notes, Notes, Description, Full Comments, Comments, Meeting Notes, Meeting description, hs_meeting_body, "
            "Body, Internal meeting notes, hs_internal_meeting_notes",
            limit=LONG_TEXT,
            out="notes",
            multi_line=True,
        ),
    )
    required_any = (("groundwork_id", "crm_id"), ACCOUNT_REFERENCE_KEYS)
    matching = (
        "By Groundwork id, else by CRM id, which every row needs; the account is named by its Groundwork id, "
        "CRM id or name, the executives and contacts by email. Import accounts, executives and contacts first."
    )
    shown = ("CRM id", "Account", "Type", "Status", "Starts at", "Minutes", "Executives", "Contacts")

    def export_rows(self, **filters: Any) -> QuerySet[Engagement]:
        """The engagements ``filters`` choose, who took part included: one query."""
        lead = EngagementExecutive.objects.filter(engagement=OuterRef("pk"), role=EngagementExecutive.Role.LEAD)
        attending = EngagementExecutive.objects.filter(engagement=OuterRef("pk"))
        met = Engagement.contacts.through.objects.filter(engagement_id=OuterRef("pk")).exclude(contact__email="")
        return (
            Engagement.objects.filter(**filters)
            .select_related("account", "type")
            .annotate(
                lead_email=Subquery(lead.values("executive__user__email")[:1]),
                executive_list=text_list(attending, group_by="engagement_id", field="executive__user__email"),
                contact_list=text_list(met, group_by="engagement_id", field="contact__email"),
            )
            .order_by("starts_at", "pk")
        )

    def plan(self, *, rows: list[tuple[Row, dict[str, Any]]], plan: ImportPlan, progress: Progress) -> None:
        accounts = AccountReferences(rows)
        types = {normalized(text): kind for kind in EngagementType.objects.all() for text in (kind.slug, kind.name)}
        for row, values in rows:
            self._check(plan, row, values, types)
            values["account_id"] = accounts.find(plan, row, values)
        good = [values for row, values in rows if not plan.failed(row)]
        people = PeopleReferences(text for values in good for text in values["executive_emails"])
        known = Known("engagement", _engagements_found(good))
        contacts = _account_contacts([values["account_id"] for values in good if values["contact_emails"]])
        for row, values in rows:
            progress.advance(1)
            if plan.failed(row):
                continue
            executives = [_executive(plan, row, people, text) for text in values["executive_emails"]]
            values["contact_ids"] = [contacts.get((values["account_id"], e)) for e in values["contact_emails"] or []]
            for email, contact_id in zip(values["contact_emails"] or [], values["contact_ids"], strict=True):
                if contact_id is None:
                    plan.error(row, "contact_emails", f"{email} is not a contact of this account in Groundwork.")
            engagement = known.match(plan, row, values)
            if not plan.failed(row) and known.claim(plan, row, engagement, (values["crm_id"], "crm_id")):
                self._outcome(plan, row, values, engagement, executives, accounts)
        if read_as_held := plan.state.get("read_as_held"):
            meetings = f"{read_as_held} meeting{'s' if read_as_held != 1 else ''}"
            plan.notes.append(f"{meetings} the file still calls Scheduled took place before today: read as held.")
        _standing_impact(plan)

    @staticmethod
    def _check(plan: ImportPlan, row: Row, values: dict[str, Any], types: dict[str, EngagementType]) -> None:
        values["moment"] = plan.value(row, "starts_at", lambda text: parse_moment(text, order=plan.options.date_order))
        values["end"] = plan.value(row, "ends_at", lambda text: parse_moment(text, order=plan.options.date_order))
        if values["groundwork_id"] is None and values["crm_id"] is None and not plan.failed(row):
            plan.error(row, "crm_id", "Give the activity's CRM id: it is how a second import finds it again.")
        if not row.get("type"):
            plan.error(row, "type", "Give the type of engagement.")
        elif (engagement_type := types.get(normalized(row.get("type")))) is None:
            names = ", ".join(sorted({kind.name for kind in types.values()}))
            plan.error(row, "type", f"“{row.get('type')}” is not an engagement type: write one of {names}.")
        else:
            values["type"] = engagement_type
        if values["moment"] is None and not plan.failed(row):
            plan.error(row, "starts_at", "Give the date it took place.")
        if not values["executive_emails"] and not plan.failed(row):
            plan.error(row, "executive_emails", "Give the email of each executive who took part.")

    @staticmethod
    def _when(values: dict[str, Any], engagement: dict[str, Any] | None, zone: dt.tzinfo) -> dt.datetime:
        """When the row's engagement started: a day alone keeps the time Groundwork has for that day, else noon."""
        day, time, offset = values["moment"]
        time = values["time"] or time
        if time is None and engagement is not None and engagement["starts_at"].astimezone(zone).date() == day:
            return engagement["starts_at"].replace(microsecond=0)
        return dt.datetime.combine(day, time or NOON, tzinfo=offset or zone).astimezone(dt.UTC).replace(microsecond=0)

    @staticmethod
    def _status(plan: ImportPlan, row: Row, values: dict[str, Any], current: str | None, starts_at: dt.datetime) -> str:
        """What the row says happened; empty after an error."""
        status = values["status"] or current or Status.COMPLETED
        if status == Status.SCHEDULED and current not in Engagement.OPEN_STATUSES and starts_at <= plan.options.now:
            # HubSpot leaves a meeting Scheduled unless someone records its outcome.
            status = Status.COMPLETED
            plan.state["read_as_held"] = plan.state.get("read_as_held", 0) + 1
        if current == Status.DEBRIEFED and status == Status.COMPLETED:
            status = current  # held, and debriefed since: the file knows only the first
        if status != current and current is not None and current not in OUTCOMES:
            where = "change it there, where the people taking part are told."
            plan.error(row, "status", f"This engagement is {Status(current).label.lower()} in Groundwork: {where}")
        elif status != current and status not in OUTCOMES:
            plan.error(row, "status", "A file brings engagements that are over: Held, Not held, Cancelled or Declined.")
        elif status == Status.COMPLETED and starts_at > plan.options.now:
            plan.error(row, "starts_at", "A held engagement cannot be in the future: Groundwork imports past ones.")
        return "" if plan.failed(row) else status

    def _outcome(
        self,
        plan: ImportPlan,
        row: Row,
        values: dict[str, Any],
        engagement: dict[str, Any] | None,
        executives: list[Person],
        accounts: AccountReferences,
    ) -> None:
        """Decide what ``row`` does to ``engagement`` (None: it makes a new one)."""
        zone = zoneinfo.ZoneInfo(plan.options.time_zone or executives[0].time_zone)
        starts_at = self._when(values, engagement, zone)
        if not (status := self._status(plan, row, values, engagement and engagement["status"], starts_at)):
            return
        if values["duration_minutes"] is None and values["end"] and (ends := _end(values["end"], zone)) is not None:
            values["duration_minutes"] = int((ends - starts_at).total_seconds() // 60)
            if not 0 < values["duration_minutes"] <= 24 * 60:
                plan.error(row, "ends_at", "It ends before it starts, or more than a day later: check both.")
                return
        given = {**values, "type_id": values["type"].pk, "status": status, "starts_at": starts_at}
        given = {key: value for key, value in given.items() if value is not None}
        before = {**engagement, "starts_at": engagement["starts_at"].replace(microsecond=0)} if engagement else _NEW
        now = {**before, **given}
        span = before.get("ends_at") and int((before["ends_at"] - before["starts_at"]).total_seconds() // 60)
        length = now["duration_minutes"] or before["duration_minutes"] or max(span or 0, 0)
        now["ends_at"] = now["starts_at"] + dt.timedelta(minutes=length or values["type"].default_duration_minutes)
        if engagement is not None and all(now[key] == before[key] for key in ("starts_at", "duration_minutes")):
            now["ends_at"] = before["ends_at"]  # a file has no end: it moves only with the start or the length
        item = Item(
            engagement and engagement["pk"],
            {key: now[key] for key in FIELDS if not engagement or now[key] != before[key]},
        )
        if engagement is None:
            item.fields["status_changed_at"] = now["ends_at"]  # held then, not when imported
        elif item.fields:
            item.fields |= {"status_changed_at": plan.options.now} if "status" in item.fields else {}
            item.fields["updated_at"] = plan.options.now
        wanted = list(dict.fromkeys(person.executive_id for person in executives))
        if (
            not engagement
            or set(wanted) != set(engagement["executives"])
            or engagement["lead"] not in (None, wanted[0])
        ):
            item.links["executives"] = wanted
        # Contacts without an email cannot be listed in a file: they stay.
        contacts = sorted({*values["contact_ids"], *(engagement["contacts_without_email"] if engagement else [])})
        if values["contact_emails"] is not None and (not engagement or set(contacts) != set(engagement["contacts"])):
            item.links["contacts"] = contacts
        if engagement is None or item.fields or item.links:
            held = status in Engagement.HELD_STATUSES and values["type"].counts_toward_cadence
            before_executives = engagement["executives"] if engagement else []
            after = item.links.get("executives", before_executives) if held else []
            plan.state.setdefault("contacts", []).append((item.pk, before_executives, after, now["starts_at"]))
        shown = [now["crm_id"], accounts.names.get(now["account_id"], ""), values["type"].name, Status(status).label]
        shown += [f"{now['starts_at'].astimezone(zone):%-d %b %Y %H:%M} ({zone})", now["duration_minutes"]]
        shown += ["; ".join(person.email for person in executives), "; ".join(values["contact_emails"] or [])]
        plan.outcome(row, engagement is None, item, shown)

    def apply(self, *, plan: ImportPlan, job: ImportJob, progress: Progress) -> None:
        written = records_write(Engagement, plan, progress, import_job_id=job.pk)
        attending = {o.item.pk: o.item.links["executives"] for o in written if "executives" in o.item.links}
        for batch in chunks(attending):
            EngagementExecutive.objects.filter(engagement_id__in=batch).delete()
        Role = EngagementExecutive.Role
        attendances = [
            EngagementExecutive(engagement_id=pk, executive_id=executive_id, role=Role.ATTENDEE if n else Role.LEAD)
            for pk, executive_ids in attending.items()
            for n, executive_id in enumerate(executive_ids)
        ]
        bulk_create(EngagementExecutive, attendances)
        meeting = {o.item.pk: o.item.links["contacts"] for o in written if "contacts" in o.item.links}
        links_replace(Engagement.contacts.through, "engagement_id", "contact_id", meeting)
        if written:
            # Every executive's and account's contacts and last contact, recounted at once.
            engagement_contacts_sync(engagement_ids=Engagement.objects.filter(import_job=job).values("pk"))


def _executive(plan: ImportPlan, row: Row, people: PeopleReferences, text: str) -> Person | None:
    """The executive ``text`` names, by email or full name; None, with the row's error, for anyone else."""
    person = people.by_email.get(text) if "@" in text else people.person(plan, row, "executive_emails", text)
    if (person is None and "@" in text) or (person is not None and person.executive_id is None):
        plan.error(row, "executive_emails", f"{text} is not an executive in Groundwork.")
    return person


def _end(moment: tuple[dt.date, dt.time | None, dt.tzinfo | None], zone: dt.tzinfo) -> dt.datetime | None:
    """When a meeting ended, from a cell that gives a time (a day alone says nothing of its length)."""
    day, time, offset = moment
    return None if time is None else dt.datetime.combine(day, time, tzinfo=offset or zone)


def _standing_impact(plan: ImportPlan) -> None:
    """Say on the preview what importing would do to where executives stand: whose state changes, and the reminders
    and escalations that would follow."""
    touched = plan.state.get("contacts", [])
    if not touched or plan.errors:
        return
    last = last_contacts_if(
        executive_ids={pk for _id, before, after, _at in touched for pk in [*before, *after]},
        replaced_engagement_ids=[engagement_id for engagement_id, *_rest in touched if engagement_id],
        contacts=[(pk, starts_at) for _id, _before, after, starts_at in touched for pk in after],
    )
    impact = reminders_caused_by(last_contacts=last, now=plan.options.now)
    into = [[state.label.lower(), impact.into[state.value]] for state in ContactState if state.value in impact.into]
    plan.impact = {**asdict(impact), "into": into}


def _engagements_found(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The engagements ``rows`` name by Groundwork id or CRM id, with who took part."""
    pks, crm_ids = [row["groundwork_id"] for row in rows], [row["crm_id"] for row in rows]
    found = records_found(Engagement.objects, FIELDS, pk__in=filter(None, pks), crm_id__in=filter(None, crm_ids))
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
    return found


def _account_contacts(account_ids: list[int]) -> dict[tuple[int, str], int]:
    """The contacts of ``account_ids`` by (account, email in lowercase)."""
    found: dict[tuple[int, str], int] = {}
    for batch in chunks(set(account_ids)):
        contacts = Contact.objects.filter(account_id__in=batch).exclude(email="").annotate(email_lower=Lower("email"))
        for pk, account_id, email in contacts.values_list("pk", "account_id", "email_lower").order_by("pk"):
            found.setdefault((account_id, email), pk)
    return found
