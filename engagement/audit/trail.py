"""The audit trail: who changed what, and when.

django-auditlog records every save and delete of the models each app
registers in its ``AppConfig.ready`` through ``audit_register``. What it
does not record the way the trail needs, this module records through
auditlog's own public writers (``LogEntry.objects.log_create`` and
``log_m2m_changes``), so that every entry has one shape:

- a change made by one conditional UPDATE (a status moved only if it still
  was what the service expected) sends no signal, so the service that made it
  records it with ``audit_change``, inside its transaction, once the UPDATE has
  touched its row. The old values it records are those the person acted on:
  the UPDATE's condition makes the status exact, and the other fields are as
  that request read them;
- additions to and removals from many-to-many fields, by name, also when made
  from the other side or by a ``clear()``, which auditlog's own ``m2m_fields``
  gets wrong (it writes them on the wrong object, or names every row of the
  other table).

Program admins read the trail on the audit page (``engagement.audit.views``),
which ``audit_trail`` and ``audit_rows`` below serve in a fixed number of
queries; ``audit_entries_prune`` keeps it to ``AUDIT_RETENTION_DAYS``.

The apps that build on ``engagement`` register their own models here, so
this module, like the rest of the core, imports none of them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditlog.context import auditlog_disabled, auditlog_value
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import pre_log
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models import Expression, F, QuerySet, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.db.models.signals import m2m_changed, pre_delete
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.encoding import smart_str
from django.utils.text import Truncator, capfirst

# What the audit page's "kind of thing" filter offers, in its order.
KINDS: dict[str, str] = {
    "engagements": "Engagements",
    "debriefs": "Debriefs and actions",
    "pairings": "Pairings",
    "settings": "Program settings",
    "people": "People",
    "accounts": "Accounts and contacts",
}

# Left out of every model's trail: when a row was made, last touched or
# entered its status is the entry's own time, and a form's double-submit key
# (with the digest of the request that sent it) is nobody's change; saying
# them in every entry would bury what people changed.
NOISE_FIELDS = ("created_at", "updated_at", "status_changed_at", "submission_key", "submission_digest")

# How much of a long text an entry shows; the whole text stays in the entry.
SHOWN_CHARACTERS = 160


@dataclass(frozen=True)
class Described:
    """How the audit page speaks of one model: its name in SQL (for the
    objects a change points at), and the page an entry links to."""

    label: Expression | None = None
    kind: str | None = None
    url_name: str | None = None
    # The field whose value the page's URL takes: a debrief's page is its engagement's.
    url_field: str = "pk"


_DESCRIBED: dict[type[models.Model], Described] = {}


def audit_describe(
    model: type[models.Model],
    *,
    label: Expression | None = None,
    kind: str | None = None,
    url_name: str | None = None,
    url_field: str = "pk",
) -> None:
    """Say how the audit page names ``model``'s objects and where they are
    shown (a URL name taking one id, read from ``url_field``). What is not
    given is kept from an earlier call, so that the app owning a page can add
    its link to another app's model."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"{kind!r} is not one of the audit trail's kinds: {', '.join(KINDS)}")
    known = _DESCRIBED.get(model, Described())
    _DESCRIBED[model] = Described(
        label=label if label is not None else known.label,
        kind=kind or known.kind,
        url_name=url_name or known.url_name,
        url_field=url_field if url_name else known.url_field,
    )


def audit_register(
    model: type[models.Model],
    *,
    kind: str,
    label: Expression,
    exclude: Iterable[str] = (),
    m2m: Iterable[str] = (),
    url_name: str | None = None,
    url_field: str = "pk",
) -> None:
    """Record every change to ``model`` in the audit trail, but for the
    fields in ``exclude`` (derived copies and counters: the trail shows what
    people changed) and those in ``NOISE_FIELDS``. ``m2m`` names the
    many-to-many fields whose additions and removals are recorded too."""
    left_out = {*NOISE_FIELDS, *exclude}
    # Named rather than left to django-auditlog, which would write every
    # reverse relation ("engagement.Reminder.None") into each creation.
    fields = [f.name for f in model._meta.concrete_fields if not f.primary_key and f.name not in left_out]
    auditlog.register(
        model, include_fields=fields, exclude_fields=sorted(left_out & {f.name for f in model._meta.fields})
    )
    # django-auditlog records the deletion; this loads what its name reads first.
    pre_delete.connect(
        _deleting, sender=model, dispatch_uid=f"engagement.audit.trail.deleting.{model._meta.label_lower}"
    )
    audit_describe(model, label=label, kind=kind, url_name=url_name, url_field=url_field)
    # Not auditlog's own ``m2m_fields``, whose receiver writes a change made
    # from the other side on the wrong object and under the wrong field, a
    # clear() as the removal of every row of the other table, and loads each
    # object it names on its own (an N+1 for a contact, named with its account).
    for name in m2m:
        through = model._meta.get_field(name).remote_field.through
        m2m_changed.connect(
            functools.partial(_m2m_changed, audited=model, field_name=name),
            sender=through,
            weak=False,
            dispatch_uid=f"engagement.audit.{model._meta.label_lower}.{name}",
        )


def audit_models(kind: str | None = None) -> list[type[models.Model]]:
    """The models the trail records, all or those of one kind."""
    return [
        model for model, described in _DESCRIBED.items() if auditlog.contains(model) and kind in (None, described.kind)
    ]


def audit_disabled() -> bool:
    """Whether recording is switched off here (``auditlog.context.disable_auditlog``)."""
    return auditlog_disabled.get()


# --- Writing ---------------------------------------------------------------------------------


def audit_snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` as ``instance`` holds them now, read without a
    query (a foreign key as its id): what a service saw before it changed them."""
    values = {}
    for name in fields:
        model_field = instance._meta.get_field(name)
        values[model_field.name] = getattr(instance, model_field.attname)
    return values


def audit_diff(before: Mapping[str, Any], instance: models.Model) -> dict[str, tuple[Any, Any]]:
    """Each field of ``before`` with its old value and the one ``instance`` holds now."""
    after = audit_snapshot(instance, before)
    return {name: (old, after[name]) for name, old in before.items()}


def audit_change(
    *,
    instance: models.Model,
    changes: Mapping[str, tuple[Any, Any]],
    actor: Any = None,
    action: int = LogEntry.Action.UPDATE,
) -> LogEntry | None:
    """Record that ``actor`` changed ``instance``: each field's old and new
    value, stored as django-auditlog stores those it sees itself (so the
    admin and the audit page read both alike). Fields the model's trail
    leaves out, and values that did not change, are dropped; a change with
    nothing left is not recorded. Without an ``actor`` the entry names who
    made the request, or nobody for a job ("System" on the page)."""
    if audit_disabled():
        return None
    left_out = _excluded(type(instance))
    stored: dict[str, Any] = {}
    for name, (old, new) in changes.items():
        # An expression (``F("sequence") + 1``) is the database's to work out: not a value to show.
        if name in left_out or isinstance(old, Combinable) or isinstance(new, Combinable):
            continue
        old_text, new_text = _stored(instance, name, old), _stored(instance, name, new)
        if old_text != new_text:
            stored[name] = [old_text, new_text]
    if not stored and action == LogEntry.Action.UPDATE:
        return None
    actor = actor if getattr(actor, "is_authenticated", False) else None
    _load_name(instance)
    _content_type(type(instance))
    # Without an actor the audit middleware names whoever made the request.
    return LogEntry.objects.log_create(
        instance, action=action, changes=stored, actor=actor, actor_email=getattr(actor, "email", None)
    )


def audit_actor_set(user: Any) -> None:
    """Make ``user`` the author of what the rest of this request changes.

    The audit middleware reads the signed-in user when the request arrives;
    an API call is only authenticated later, by its token."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return
    context["actor"] = user


def _excluded(model: type[models.Model]) -> set[str]:
    if not auditlog.contains(model):
        return set(NOISE_FIELDS)
    return set(auditlog.get_model_fields(model)["exclude_fields"])


def _stored(instance: models.Model, name: str, value: Any) -> str:
    """``value`` of field ``name`` as text, as django-auditlog writes it:
    a related object by its id, a moment as naive UTC."""
    if value is None:
        return "None"
    try:
        model_field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        return smart_str(value)
    if isinstance(value, models.Model):
        return smart_str(value.pk)
    if isinstance(model_field, models.DateTimeField) and isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.make_naive(value, dt.UTC)
    return smart_str(value)


def _m2m_changed(
    sender: type,
    *,
    audited: type[models.Model],
    field_name: str,
    instance: models.Model,
    action: str,
    reverse: bool,
    model: type[models.Model],
    pk_set: set[Any] | None,
    **kwargs: Any,
) -> None:
    """Record who was added to or removed from a many-to-many field, by
    name: one entry on the object changed (or on each, when the change was
    made from the other side), written by django-auditlog's own
    ``log_m2m_changes``."""
    if audit_disabled():
        return
    cleared = instance.__dict__.setdefault("_audit_cleared", {})
    if action == "pre_clear":
        # A clear does not say what it removes: read it while it is there.
        if reverse:
            cleared[field_name] = set(
                audited._default_manager.filter(**{field_name: instance}).values_list("pk", flat=True)
            )
        else:
            cleared[field_name] = set(getattr(instance, field_name).values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    pks = cleared.pop(field_name, set()) if action == "post_clear" else set(pk_set or ())
    if not pks:
        return
    operation = "add" if action == "post_add" else "delete"
    # log_m2m_changes writes each object it is given as its text: given the
    # names, read in one query, rather than objects whose str() would each
    # load their related rows.
    if not reverse:
        _load_name(instance)
        _content_type(type(instance))
        LogEntry.objects.log_m2m_changes(sorted(audit_names(model, pks).values()), instance, operation, field_name)
        return
    # From the other side (a skill given to executives): one entry on each.
    name = list(audit_names(type(instance), [instance.pk]).values())
    _content_type(audited)
    for changed in _named_objects(audited, pks):
        LogEntry.objects.log_m2m_changes(name, changed, operation, field_name)


def _deleting(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    # While the rows it names are all there.
    if not audit_disabled():
        _load_name(instance)


def _load_name(instance: models.Model) -> None:
    """Load the related rows that name ``instance`` (an engagement's type and
    account) and that it does not hold yet, in one query: django-auditlog
    names an object by its str(), which would load them one at a time, for
    every object a delete takes."""
    missing = [path.split("__") for path in _label_relations(type(instance)) if not _holds(instance, path)]
    if not missing or instance.pk is None:
        return
    loaded = _named_objects(type(instance), [instance.pk]).first()
    for names in missing:
        _fill(instance, loaded, names)


def _holds(instance: models.Model | None, path: str) -> bool:
    """Whether ``instance`` holds the related objects along ``path`` (``engagement__type``)."""
    for name in path.split("__"):
        if instance is None:
            return True
        if not instance._meta.get_field(name).is_cached(instance):
            return False
        instance = getattr(instance, name)
    return True


def _fill(held: models.Model | None, loaded: models.Model | None, names: list[str]) -> None:
    """Give ``held`` the first related object along ``names`` that it lacks,
    from ``loaded``, a copy of it read with them; what it holds is kept."""
    for name in names:
        if held is None or loaded is None:
            return
        if not held._meta.get_field(name).is_cached(held):
            setattr(held, name, getattr(loaded, name))
            return
        held, loaded = getattr(held, name), getattr(loaded, name)


def _named_objects(model: type[models.Model], pks: Iterable[Any]) -> QuerySet[Any]:
    """``model``'s objects ``pks`` with the related rows their names read."""
    return model._default_manager.filter(pk__in=list(pks)).select_related(*_label_relations(model)).order_by("pk")


def _label_relations(model: type[models.Model]) -> list[str]:
    """The relations ``model``'s label reads (``account`` for
    ``F("account__name")``): those its str(), which the label says in SQL, loads."""
    label = _DESCRIBED.get(model, Described()).label
    return sorted(set(_relations(label))) if label is not None else []


def _relations(expression: Any) -> Iterator[str]:
    if isinstance(expression, F):
        path = expression.name.rpartition("__")[0]
        if path:
            yield path
        return
    for source in getattr(expression, "get_source_expressions", list)():
        yield from _relations(source)


def _content_type(model: type[models.Model]) -> ContentType:
    """``model``'s content type, from the cache that the first entry of a
    process fills for every audited model at once (in one query, where one per
    model would be read as the trail's rows are written)."""
    return ContentType.objects.get_for_models(model, *_DESCRIBED)[model]


def _warm(sender: type[models.Model], **kwargs: Any) -> None:
    # Before django-auditlog writes an entry of its own, which reads its
    # model's content type alone.
    _content_type(sender)


pre_log.connect(_warm, dispatch_uid="engagement.audit.trail.content_types")


def audit_names(model: type[models.Model], pks: Iterable[Any]) -> dict[Any, str]:
    """The names of ``model``'s objects ``pks`` as the trail writes them, in one query."""
    pks = list(pks)
    if not pks:
        return {}
    label = _DESCRIBED.get(model, Described()).label
    objects = model._default_manager.filter(pk__in=pks).order_by()
    if label is None:
        return {obj.pk: str(obj) for obj in objects}
    return dict(objects.annotate(_label=label).values_list("pk", "_label"))


# --- Keeping it to its retention ------------------------------------------------------------


def audit_entries_prune(*, now: dt.datetime | None = None, batch_size: int = 5000) -> int:
    """Delete the entries older than ``AUDIT_RETENTION_DAYS`` (none when it
    is 0), a batch per transaction so that a long trail never holds one
    long lock. Safe to repeat or to run twice at once. Returns how many went.

    django-auditlog's ``auditlogflush --before-date`` is for an operator's
    one-off purge, not for this: it deletes everything before a day in one
    statement, whose condition (each entry's date) no index serves, so each
    night it would read the whole trail, and a backlog (a lowered retention)
    would go in one long transaction."""
    days = settings.AUDIT_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                LogEntry.objects.filter(timestamp__lt=cutoff).order_by("pk").values_list("pk", flat=True)[:batch_size]
            )
            if not batch:
                return deleted
            deleted += LogEntry.objects.filter(pk__in=batch).delete()[0]


# --- Reading ----------------------------------------------------------------------------------


def audit_object_key(instance: models.Model) -> str:
    """How the audit page's ``object`` filter names ``instance``: ``app.model:id``."""
    return f"{instance._meta.label_lower}:{instance.pk}"


def audit_object_of(key: str) -> tuple[type[models.Model], int] | None:
    """The audited model and id a ``app.model:id`` key names, or None."""
    label, _, pk = key.strip().partition(":")
    model = next((model for model in audit_models() if model._meta.label_lower == label.lower()), None)
    if model is None or not (pk.isascii() and pk.isdigit()) or len(pk) > 18:
        return None
    return model, int(pk)


def audit_trail() -> QuerySet[LogEntry]:
    """Every entry, newest first, with who made it and what it is about in
    the same query (``audit.filters.AuditFilter`` narrows them)."""
    return LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")


@dataclass(frozen=True)
class AuditChange:
    """One field of an entry, as the page says it."""

    field: str
    old: str | None  # None: the object was created, or something was added or removed
    new: str


@dataclass(frozen=True)
class AuditRow:
    """One entry of the trail, as the page shows it."""

    entry: LogEntry
    who: str
    verb: str
    kind: str
    name: str
    url: str | None
    history_key: str | None
    changes: list[AuditChange] = field(default_factory=list)


VERBS = {
    LogEntry.Action.CREATE: "created",
    LogEntry.Action.UPDATE: "changed",
    LogEntry.Action.DELETE: "deleted",
    LogEntry.Action.ACCESS: "viewed",
}


def audit_rows(entries: Iterable[LogEntry]) -> list[AuditRow]:
    """A page of entries as the audit page shows them: who, what, which
    object (linked to its page while it exists) and each field's old and new
    value by its label. The names of the objects the changes point at and
    the links are read in one query, whatever the entries hold."""
    entries = list(entries)
    wanted: dict[type[models.Model], set[Any]] = {}
    for entry in entries:
        model = entry.content_type.model_class()
        if model is None:
            continue
        if entry.object_id is not None and _DESCRIBED.get(model, Described()).url_name:
            wanted.setdefault(model, set()).add(entry.object_id)
        for name, values in (entry.changes or {}).items():
            related = _related_model(model, name)
            if related is not None and isinstance(values, list):
                wanted.setdefault(related, set()).update(_ids(related, values))
    found = _lookup(wanted)
    return [_row(entry, found) for entry in entries]


def _related_model(model: type[models.Model], name: str) -> type[models.Model] | None:
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if model_field.many_to_one or model_field.one_to_one:
        return model_field.related_model
    return None


def _ids(model: type[models.Model], values: list[Any]) -> set[Any]:
    ids = set()
    for value in values:
        try:
            ids.add(model._meta.pk.to_python(value))
        except (ValidationError, TypeError, ValueError):  # written before the field pointed here: shown as it is
            continue
    return ids - {None}


def _lookup(wanted: dict[type[models.Model], set[Any]]) -> dict[tuple[type[models.Model], Any], tuple[str, Any]]:
    """(model, id) -> (name, the value its page's URL takes), for each wanted
    object that still exists: one UNION ALL query over the models."""
    queries = []
    order = []
    for model, ids in wanted.items():
        described = _DESCRIBED.get(model, Described())
        if not ids or described.label is None:
            continue
        order.append(model)
        queries.append(
            model._default_manager.filter(pk__in=list(ids))
            .order_by()
            .annotate(
                _model=Value(len(order) - 1, output_field=models.IntegerField()),
                _key=Cast("pk", models.BigIntegerField()),
                _label=Cast(described.label, models.TextField()),
                _link=Cast(F(described.url_field), models.BigIntegerField()),
            )
            .values_list("_model", "_key", "_label", "_link")
        )
    if not queries:
        return {}
    rows = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    return {(order[index], key): (label, link) for index, key, label, link in rows}


def _row(entry: LogEntry, found: dict[tuple[type[models.Model], Any], tuple[str, Any]]) -> AuditRow:
    model = entry.content_type.model_class()
    described = _DESCRIBED.get(model, Described()) if model is not None else Described()
    url = None
    if model is not None and described.url_name and (model, entry.object_id) in found:
        try:
            url = reverse(described.url_name, args=[found[model, entry.object_id][1]])
        except NoReverseMatch:
            url = None
    actor = entry.actor
    who = (actor.get_full_name() if actor is not None else entry.actor_email) or "System"
    return AuditRow(
        entry=entry,
        who=who,
        verb=VERBS.get(entry.action, "changed"),
        kind=capfirst(model._meta.verbose_name) if model is not None else entry.content_type.name,
        name=entry.object_repr,
        url=url,
        history_key=f"{model._meta.label_lower}:{entry.object_id}"
        if model is not None and entry.object_id is not None and auditlog.contains(model)
        else None,
        changes=_changes(entry, model, found) if entry.action != LogEntry.Action.DELETE else [],
    )


def _changes(
    entry: LogEntry, model: type[models.Model] | None, found: dict[tuple[type[models.Model], Any], tuple[str, Any]]
) -> list[AuditChange]:
    changes = []
    created = entry.action == LogEntry.Action.CREATE
    for name, values in (entry.changes or {}).items():
        model_field = _field(model, name)
        if model_field is not None and not (model_field.concrete or model_field.many_to_many):
            continue  # a reverse relation, written by an older django-auditlog: nothing anyone changed
        label = capfirst(str(getattr(model_field, "verbose_name", name.replace("_", " "))))
        if isinstance(values, dict) and values.get("type") == "m2m":
            names = ", ".join(str(value) for value in values.get("objects", []))
            verb = "added" if values.get("operation") == "add" else "removed"
            changes.append(AuditChange(field=label, old=None, new=f"{verb} {names}"))
            continue
        if not isinstance(values, list) or len(values) != 2:
            continue
        old, new = (_shown(model_field, value, found) for value in values)
        if created:
            if new != "—":
                changes.append(AuditChange(field=label, old=None, new=new))
        else:
            changes.append(AuditChange(field=label, old=old, new=new))
    return sorted(changes, key=lambda change: change.field) if created else changes


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _shown(
    model_field: models.Field | None, value: Any, found: dict[tuple[type[models.Model], Any], tuple[str, Any]]
) -> str:
    """A stored value as a person reads it: a choice by its label, a related
    object by its name, a moment in the viewer's time zone, a long text cut."""
    if value is None or value in ("None", ""):
        return "—"
    text = smart_str(value)
    if model_field is None:
        return Truncator(text).chars(SHOWN_CHARACTERS)
    if model_field.many_to_one or model_field.one_to_one:
        related = model_field.related_model
        if _DESCRIBED.get(related, Described()).label is None:
            return f"#{text}"
        ids = _ids(related, [text])
        key = (related, next(iter(ids))) if ids else None
        if key in found:
            return found[key][0]
        return f"#{text} (no longer exists)" if ids else text
    choices = _choices(model_field)
    if text in choices:
        return str(choices[text])
    if isinstance(model_field, models.BooleanField):
        return {"True": "Yes", "False": "No"}.get(text, text)
    if isinstance(model_field, models.DateTimeField):
        moment = _moment(text)
        return f"{timezone.localtime(moment):%-d %b %Y, %H:%M}" if moment else text
    if isinstance(model_field, models.DateField):
        try:
            return f"{dt.date.fromisoformat(text[:10]):%-d %b %Y}"
        except ValueError:
            return text
    return Truncator(" ".join(text.split())).chars(SHOWN_CHARACTERS)


@functools.cache
def _choices(model_field: models.Field) -> dict[str, str]:
    """A field's choices by their stored text (a level is stored as "4")."""
    if not getattr(model_field, "choices", None):
        return {}
    return {str(key): str(label) for key, label in model_field.flatchoices}


def _moment(text: str) -> dt.datetime | None:
    """A moment stored as django-auditlog does (naive UTC), or with its offset."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.UTC) if timezone.is_naive(moment) else moment


# --- The core's own models -----------------------------------------------------------------------


def user_label(prefix: str = "") -> Expression:
    """A person's name in SQL, their email when they have none (``User.__str__``)."""
    return Coalesce(NullIf(F(f"{prefix}full_name"), Value("")), F(f"{prefix}email"), output_field=models.CharField())


def audit_register_core() -> None:
    """Register the core's models: people, program settings, accounts and
    contacts. Called from ``EngagementConfig.ready``."""
    # Local: the models are ready only once the app registry is.
    from engagement.accounts.models import Account, AccountDomain, Contact
    from engagement.api.models import ApiToken
    from engagement.cadence.models import Program
    from engagement.imports.models import ImportJob
    from engagement.people.models import Executive, Function, Skill, User

    audit_register(
        User,
        kind="people",
        label=user_label(),
        # The password (its hash) is nobody's business, and signing in is not a change.
        exclude=["password", "last_login"],
        m2m=["groups", "user_permissions"],
        url_name="admin:engagement_user_change",
    )
    audit_register(
        Executive,
        kind="people",
        label=user_label("user__"),
        # Kept by the program from contacts and programs, not by people.
        exclude=["last_contact_on", "cadence_days", "warning_days", "escalation_days", "exposure_target_minutes"],
        m2m=["talents", "programs"],
        url_name="admin:engagement_executive_change",
    )
    audit_register(Program, kind="settings", label=F("name"), url_name="admin:engagement_program_change")
    audit_register(Function, kind="settings", label=F("name"), url_name="admin:engagement_function_change")
    audit_register(Skill, kind="settings", label=F("name"), url_name="admin:engagement_skill_change")
    audit_register(
        Account,
        kind="accounts",
        label=F("name"),
        # Counted from the contacts each night and whenever they change.
        exclude=["last_contact_on", "contacts_12m", "key_executive", "key_executive_contacts_12m"],
        m2m=["needs", "account_team"],
        url_name="admin:engagement_account_change",
    )
    audit_register(
        Contact,
        kind="accounts",
        label=Concat(F("name"), Value(" ("), F("account__name"), Value(")"), output_field=models.TextField()),
        url_name="admin:engagement_contact_change",
    )
    audit_register(
        AccountDomain,
        kind="accounts",
        label=Concat(F("domain"), Value(" ("), F("account__name"), Value(")"), output_field=models.TextField()),
        url_name="admin:engagement_account_change",
        url_field="account_id",
    )
    # Named in the changes of people's roles and permissions, never audited themselves.
    audit_describe(Group, label=F("name"))
    audit_describe(Permission, label=F("name"))
    # An import writes its rows in bulk and records one entry on its job; an
    # API key records its revocation.
    audit_describe(ImportJob, label=F("filename"), url_name="engagement:import_detail")
    audit_describe(ApiToken, label=F("name"))
