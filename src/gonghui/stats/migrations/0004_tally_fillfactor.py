"""Tally rows are updated in place (HOT) on PostgreSQL: pages keep 30 % free for new row versions.

Every member change adds to a handful of tally rows, and a roster import to hundreds of thousands
at once. ``n`` is in no index, so an update with room on its page writes no index entry. The
setting applies to pages written from now on: ``gonghui stats rebuild`` (or the demo) rewrites
the rows of an existing database.
"""

from django.db import migrations


def fillfactor(percent):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE stats_tally SET (fillfactor = {percent})")
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("stats", "0003_activity_fillfactor"),
    ]

    operations = [
        migrations.RunPython(fillfactor(70), fillfactor(100)),
    ]
