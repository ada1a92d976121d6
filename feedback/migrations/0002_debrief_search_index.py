"""A full-text index of submitted debriefs, on PostgreSQL only.

Its expression must be the one ``feedback.selectors.debrief_search`` queries
(the same fields, in the same order, with the same configuration), or
PostgreSQL reads every debrief instead; a test checks the plan. SQLite has no
such index and searches with a simpler match.
"""

from __future__ import annotations

from django.db import migrations

FIELDS = ("heard", "insights", "surprised", "disagreed", "issues_raised")
NAME = "debrief_search"


def _index():
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    return GinIndex(SearchVector(*FIELDS, config="english"), name=NAME)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("feedback", "Debrief"), _index())


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("feedback", "Debrief"), _index())


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
