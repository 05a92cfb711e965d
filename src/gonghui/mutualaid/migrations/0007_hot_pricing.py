"""Pricing a settlement record becomes an in-place (HOT) update on PostgreSQL.

A record's ``status`` leaves the work index ((feed, status, id_hash) → (feed, id_hash)): an update
that changes no indexed column, on a page with room for the new row version, writes no index entry
(four before, one per index of the table). The table keeps 10 % of each page free for that
(fillfactor 90; pages written from now on). The ledger loses its two single-column indexes: it is
found by its unique (plan, person_hash) key only.
"""

import django.db.models.deletion
from django.db import migrations, models


def fillfactor(percent):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE mutualaid_settlementrecord SET (fillfactor = {percent})")
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0006_exportjob'),
        ('mutualaid', '0006_payout_ledger_implied_keys'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='settlementrecord',
            name='aid_settle_work_idx',
        ),
        migrations.AlterField(
            model_name='ledger',
            name='member',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='members.member'),
        ),
        migrations.AlterField(
            model_name='ledger',
            name='plan',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='mutualaid.plan'),
        ),
        migrations.AddIndex(
            model_name='settlementrecord',
            index=models.Index(fields=['feed', 'id_hash'], name='aid_settle_feed_idx'),
        ),
        migrations.RunPython(fillfactor(90), fillfactor(100)),
    ]
