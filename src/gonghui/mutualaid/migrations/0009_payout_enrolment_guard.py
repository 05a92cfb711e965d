"""``Payout.enrolment`` is checked per statement too (see 0008), extending its two triggers.

The payout's member and plan are the enrolment's, so this key is what ties a payout to who was
covered; as a foreign key it ran a checking query (and a row lock on the enrolment) per payout.
PostgreSQL: after an INSERT or COPY of payouts every named enrolment must exist; after a DELETE of
enrolments none of them may have a payout. The index on ``enrolment_id`` stays (the delete check
and the lookups read it).
"""

import django.db.models.deletion
from django.db import migrations, models

EXIST = """
CREATE OR REPLACE FUNCTION mutualaid_payout_sources_exist() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_payouts n WHERE n.settlement_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM mutualaid_settlementrecord r WHERE r.id = n.settlement_id))
       OR EXISTS (SELECT 1 FROM new_payouts n WHERE n.claim_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM mutualaid_claim c WHERE c.id = n.claim_id))
       {enrolment} THEN
        RAISE EXCEPTION 'a payout names a settlement record{what} that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
ENROLMENT = """OR EXISTS (SELECT 1 FROM new_payouts n
                  WHERE NOT EXISTS (SELECT 1 FROM mutualaid_enrolment e WHERE e.id = n.enrolment_id))"""
KEPT = """
CREATE OR REPLACE FUNCTION mutualaid_payout_source_kept() RETURNS trigger AS $$
BEGIN
    IF (TG_TABLE_NAME = 'mutualaid_settlementrecord'
        AND EXISTS (SELECT 1 FROM gone g JOIN mutualaid_payout p ON p.settlement_id = g.id))
       OR (TG_TABLE_NAME = 'mutualaid_claim'
           AND EXISTS (SELECT 1 FROM gone g JOIN mutualaid_payout p ON p.claim_id = g.id))
       {enrolment} THEN
        RAISE EXCEPTION 'a % with a payout cannot be deleted', TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
ENROLMENT_KEPT = """OR (TG_TABLE_NAME = 'mutualaid_enrolment'
           AND EXISTS (SELECT 1 FROM gone g JOIN mutualaid_payout p ON p.enrolment_id = g.id))"""
CREATE = (EXIST.format(enrolment=ENROLMENT, what=", claim or enrolment") + KEPT.format(enrolment=ENROLMENT_KEPT) + """
CREATE TRIGGER mutualaid_payout_source_kept AFTER DELETE ON mutualaid_enrolment
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION mutualaid_payout_source_kept();
""")
DROP = (EXIST.format(enrolment="", what=" or claim") + KEPT.format(enrolment="") + """
DROP TRIGGER IF EXISTS mutualaid_payout_source_kept ON mutualaid_enrolment;
""")


def sql(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statements, params=None)  # no placeholders: RAISE uses %
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ('mutualaid', '0008_payout_source_guards'),
    ]

    operations = [
        migrations.AlterField(
            model_name='payout',
            name='enrolment',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='mutualaid.enrolment'),
        ),
        migrations.RunPython(sql(CREATE), sql(DROP)),
    ]
