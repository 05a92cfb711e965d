"""All-time totals beside the per-day activity rows, filled from the rows already there.

Updated in place by every event like the per-day rows (fillfactor 70 on PostgreSQL, as 0003).
"""

from django.db import migrations, models


def fill(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO stats_activitytotal (path, metric, dim, key, n, amount) "
        "SELECT path, metric, dim, key, SUM(n), SUM(amount) FROM stats_activity "
        "GROUP BY path, metric, dim, key ORDER BY path, metric, dim, key"
    )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE stats_activitytotal SET (fillfactor = 70)")


class Migration(migrations.Migration):

    dependencies = [
        ("stats", "0004_tally_fillfactor"),
    ]

    operations = [
        migrations.CreateModel(
            name="ActivityTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("path", models.CharField(max_length=255)),
                ("metric", models.CharField(max_length=32)),
                ("dim", models.CharField(blank=True, max_length=16)),
                ("key", models.CharField(blank=True, max_length=32)),
                ("n", models.BigIntegerField(default=0)),
                ("amount", models.DecimalField(decimal_places=2, default=0, max_digits=18)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("path", "metric", "dim", "key"),
                                                        name="activity_total_unique")],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
