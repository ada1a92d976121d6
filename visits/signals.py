"""What this app tells the apps built on it.

``engagement_held`` is sent, inside the transaction, when an engagement is
marked held or logged as held; ``engagement`` is the held engagement. A
receiver that starts work outside the database queues it on commit.
"""

from __future__ import annotations

from django.dispatch import Signal

engagement_held = Signal()
