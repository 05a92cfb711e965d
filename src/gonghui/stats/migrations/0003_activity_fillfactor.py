"""Activity rows are updated in place (HOT) on PostgreSQL: pages keep 30 % free for new row versions.

A day's rows are inserted by its first event and then updated by every later one (the pricing
engine adds to the same rows once per chunk). ``n`` and ``amount`` are in no index, so an update
with room on its page writes no index entry; with full pages each one added three.
"""

from django.db import migrations


def fillfactor(percent):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE stats_activity SET (fillfactor = {percent})")
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("stats", "0002_activity"),
    ]

    operations = [
        migrations.RunPython(fillfactor(70), fillfactor(100)),
    ]
