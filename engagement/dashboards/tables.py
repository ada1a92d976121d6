"""How the executives table and its CSV export present each executive: the
columns, their sort links and their exported values."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from urllib.parse import urlencode

from engagement.cadence.directness import unfiltered_percent
from engagement.cadence.rule import NO_CONTACT_YET, ContactState
from engagement.dashboards.standing import hours
from engagement.imports.exports import CsvColumn
from engagement.people.models import Executive
from engagement.reminders.models import Reminder


def executive_state_choices() -> list[tuple[str, str]]:
    """The state filter's choices: the states, then those with no contact yet."""
    return [
        (ContactState.ON_TRACK.value, ContactState.ON_TRACK.label),
        (ContactState.DUE_SOON.value, ContactState.DUE_SOON.label),
        (ContactState.OVERDUE.value, ContactState.OVERDUE.label),
        (ContactState.ESCALATED.value, ContactState.ESCALATED.label),
        (NO_CONTACT_YET, "No contact yet"),
    ]


@dataclass(frozen=True)
class Column:
    """A column of the executives table; ``sort`` names its sort, if any.
    Columns side by side with the same ``group`` share a heading above
    theirs, which the first of them carries as ``group_span`` (how many)."""

    label: str
    sort: str | None = None
    numeric: bool = False
    url: str = ""
    direction: str = ""  # "ascending" or "descending" when the table is sorted by it
    group: str = ""
    group_span: int = 0


CAPTURE_GROUP = "Contacts in window, by how they came in"
DIRECTNESS_GROUP = "Unfiltered contact"


def executive_table_columns(*, filters: str, sort: str) -> list[Column]:
    """The table's columns, each sortable one with the link that sorts by it
    (again to reverse it), keeping ``filters`` (the query string less the
    sort and the page)."""
    columns = [
        Column("Executive", "name"),
        Column("Function", "function"),
        Column("Level", "level"),
        Column("State", "state"),
        Column("Days since contact", "days", numeric=True),
        # Beside the days since any contact, so that a wide table shows them without scrolling.
        Column("Share of hours, 6 months", "unfiltered_6m", numeric=True, group=DIRECTNESS_GROUP, group_span=2),
        Column("Days since", "days_unfiltered", numeric=True, group=DIRECTNESS_GROUP),
        Column("Contacts, 6 weeks", "contacts_6w", numeric=True),
        Column("Hours in window", "hours_window", numeric=True),
        Column("Captured", "captured", numeric=True, group=CAPTURE_GROUP, group_span=3),
        Column("Confirmed", "confirmed", numeric=True, group=CAPTURE_GROUP),
        Column("Typed", "typed", numeric=True, group=CAPTURE_GROUP),
        Column("Contacts, 12 months", "contacts_12m", numeric=True),
        Column("Hours, 12 months", "hours_12m", numeric=True),
        Column("Contacts by month"),
        Column("Last reminder", "reminded"),
    ]
    current, descending = sort.removeprefix("-"), sort.startswith("-")
    linked = []
    for column in columns:
        if column.sort is None:
            linked.append(column)
            continue
        active = column.sort == current
        target = f"-{column.sort}" if active and not descending else column.sort
        direction = ("descending" if descending else "ascending") if active else ""
        url = "?" + "&".join(part for part in (filters, urlencode({"sort": target})) if part)
        linked.append(replace(column, url=url, direction=direction))
    return linked


@dataclass(frozen=True)
class ExecutiveRow:
    """One executive of ``dashboards.standing.executive_table`` as the table and the
    export show them; ``months`` are their contacts by month, oldest first."""

    executive: Executive
    months: tuple[int, ...] = ()

    @property
    def state_label(self) -> str:
        return ContactState(self.executive.state).label

    @property
    def window_hours(self) -> Decimal:
        return hours(self.executive.window_minutes)

    @property
    def target_hours(self) -> Decimal:
        return hours(self.executive.exposure_target_minutes)

    @property
    def hours_6w(self) -> Decimal:
        return hours(self.executive.minutes_6w)

    @property
    def hours_12m(self) -> Decimal:
        return hours(self.executive.minutes_12m)

    @property
    def unfiltered_share_6m(self) -> int | None:
        """The share of the six months' exposure hours that was unfiltered, in percent."""
        return unfiltered_percent(self.executive.unfiltered_minutes_6mo, self.executive.minutes_6mo)

    @property
    def unfiltered_share_12m(self) -> int | None:
        return unfiltered_percent(self.executive.unfiltered_minutes_12m, self.executive.minutes_12m)

    @property
    def window_closed(self) -> bool:
        return self.executive.window_closes_on < self.executive.today

    @property
    def reminder_kind(self) -> str:
        kind = self.executive.last_reminder_kind
        return Reminder.Kind(kind).label if kind else ""


# The executives export, in this order; docs/architecture.md lists them.
# New columns go at the end, so that a sheet built on the file keeps working.
EXECUTIVE_CSV_COLUMNS = [
    CsvColumn("email", lambda row: row.executive.user.email),
    CsvColumn("name", lambda row: row.executive.user.full_name),
    CsvColumn("title", lambda row: row.executive.title),
    CsvColumn("function", lambda row: row.executive.function.name if row.executive.function else ""),
    CsvColumn("level", lambda row: row.executive.get_level_display()),
    CsvColumn("manager_email", lambda row: row.executive.manager.user.email if row.executive.manager else ""),
    CsvColumn("last_contact_date", lambda row: row.executive.last_contact_on),
    CsvColumn("days_since_contact", lambda row: row.executive.days_since),
    CsvColumn("state", lambda row: row.executive.state),
    CsvColumn("window_closes_on", lambda row: row.executive.window_closes_on),
    CsvColumn("contacts_6w", lambda row: row.executive.contacts_6w),
    CsvColumn("exposure_hours_6w", lambda row: row.hours_6w),
    CsvColumn("exposure_hours_window", lambda row: row.window_hours),
    CsvColumn("exposure_hours_target", lambda row: row.target_hours),
    CsvColumn("contacts_12m", lambda row: row.executive.contacts_12m),
    CsvColumn("exposure_hours_12m", lambda row: row.hours_12m),
    CsvColumn("last_reminder_sent_at", lambda row: row.executive.last_reminder_at),
    CsvColumn("last_reminder_kind", lambda row: row.reminder_kind),
    CsvColumn("contacts_window_captured", lambda row: row.executive.captured),
    CsvColumn("contacts_window_confirmed", lambda row: row.executive.confirmed),
    CsvColumn("contacts_window_typed", lambda row: row.executive.typed),
    CsvColumn("unfiltered_share_6m_percent", lambda row: row.unfiltered_share_6m),
    CsvColumn("unfiltered_share_12m_percent", lambda row: row.unfiltered_share_12m),
    CsvColumn("days_since_unfiltered_contact", lambda row: row.executive.days_since_unfiltered),
    CsvColumn("only_filtered_contact_lately", lambda row: "yes" if row.executive.ivory_tower else "no"),
]
