"""A payout's source (settlement record or claim) is checked once per statement, not once per row.

As foreign keys, ``Payout.settlement`` and ``Payout.claim`` ran a checking query for each payout
written (a pricing run writes a million), and ``Ledger.plan`` one for each new ledger. On
PostgreSQL, statement-level triggers keep what the two payout keys promised, set-based:

- ``mutualaid_payout_sources_exist``: after an INSERT (or COPY) into the payouts, every
  settlement and claim they name exists, else the statement fails (foreign_key_violation);
- ``mutualaid_payout_source_kept``: after a DELETE of settlement records or claims, none of them
  had a payout, else the statement fails (restrict_violation), as PROTECT does in the ORM.

(The engine and the claim review write a payout while holding its source's row lock, so a
concurrent delete waits for them and then sees the payout.) The ledger's plan needs no trigger: a
ledger belongs to a plan someone is enrolled in, and the enrolments' key keeps that plan.
"""

import django.db.models.deletion
from django.db import migrations, models

CREATE = """
CREATE FUNCTION mutualaid_payout_sources_exist() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_payouts n WHERE n.settlement_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM mutualaid_settlementrecord r WHERE r.id = n.settlement_id))
       OR EXISTS (SELECT 1 FROM new_payouts n WHERE n.claim_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM mutualaid_claim c WHERE c.id = n.claim_id)) THEN
        RAISE EXCEPTION 'a payout names a settlement record or claim that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER mutualaid_payout_sources_exist AFTER INSERT ON mutualaid_payout
    REFERENCING NEW TABLE AS new_payouts FOR EACH STATEMENT EXECUTE FUNCTION mutualaid_payout_sources_exist();

CREATE FUNCTION mutualaid_payout_source_kept() RETURNS trigger AS $$
BEGIN
    IF (TG_TABLE_NAME = 'mutualaid_settlementrecord'
        AND EXISTS (SELECT 1 FROM gone g JOIN mutualaid_payout p ON p.settlement_id = g.id))
       OR (TG_TABLE_NAME = 'mutualaid_claim'
           AND EXISTS (SELECT 1 FROM gone g JOIN mutualaid_payout p ON p.claim_id = g.id)) THEN
        RAISE EXCEPTION 'a % with a payout cannot be deleted', TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER mutualaid_payout_source_kept AFTER DELETE ON mutualaid_settlementrecord
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION mutualaid_payout_source_kept();
CREATE TRIGGER mutualaid_payout_source_kept AFTER DELETE ON mutualaid_claim
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION mutualaid_payout_source_kept();
"""
DROP = """
DROP TRIGGER IF EXISTS mutualaid_payout_sources_exist ON mutualaid_payout;
DROP TRIGGER IF EXISTS mutualaid_payout_source_kept ON mutualaid_settlementrecord;
DROP TRIGGER IF EXISTS mutualaid_payout_source_kept ON mutualaid_claim;
DROP FUNCTION IF EXISTS mutualaid_payout_sources_exist();
DROP FUNCTION IF EXISTS mutualaid_payout_source_kept();
"""


def sql(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statements, params=None)  # no placeholders: RAISE uses %
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ('mutualaid', '0007_hot_pricing'),
    ]

    operations = [
        migrations.AlterField(
            model_name='ledger',
            name='plan',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='mutualaid.plan'),
        ),
        migrations.AlterField(
            model_name='payout',
            name='claim',
            field=models.OneToOneField(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payout', to='mutualaid.claim'),
        ),
        migrations.AlterField(
            model_name='payout',
            name='settlement',
            field=models.OneToOneField(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payout', to='mutualaid.settlementrecord'),
        ),
        migrations.RunPython(sql(CREATE), sql(DROP)),
    ]
