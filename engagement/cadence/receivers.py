"""Keep each executive's copy of their cadence right (``Executive.cadence_days``
and its siblings) whatever changes it: a program's settings, a program's
existence, a membership, or the executive's own override.

These changes come from the Django admin and the invitation flow, which save
models rather than call a service, so the copy is refreshed on the model
signals; ``executive_cadences_refresh`` is the one writer.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from engagement.cadence.ledger import executive_cadences_refresh
from engagement.cadence.models import Program
from engagement.people.models import Executive


@receiver(post_save, sender=Program, dispatch_uid="engagement.program_saved")
@receiver(post_delete, sender=Program, dispatch_uid="engagement.program_deleted")
def _program_changed(sender: type[Program], **kwargs: Any) -> None:
    # Any program can be the strictest, or the default, of any executive.
    executive_cadences_refresh()


@receiver(post_save, sender=Executive, dispatch_uid="engagement.executive_saved")
def _executive_saved(sender: type[Executive], instance: Executive, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        executive_cadences_refresh(executive_ids=[instance.pk])


@receiver(m2m_changed, sender=Executive.programs.through, dispatch_uid="engagement.memberships_changed")
def _memberships_changed(
    sender: type, instance: Executive | Program, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if isinstance(instance, Executive):
        executive_cadences_refresh(executive_ids=[instance.pk])
    else:
        # From the program's side: the executives added or removed, or all of
        # them when a clear does not say which.
        executive_cadences_refresh(executive_ids=pk_set if action != "post_clear" else None)
