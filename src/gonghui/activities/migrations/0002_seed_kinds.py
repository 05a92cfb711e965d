from django.db import migrations

from gonghui.activities.kinds import DEFAULT_KINDS, ensure_default_kinds

KINDS = DEFAULT_KINDS


def seed(apps, schema_editor):
    ensure_default_kinds(apps.get_model("activities", "ActivityKind"))


def unseed(apps, schema_editor):
    apps.get_model("activities", "ActivityKind").objects.filter(code__in=[k[0] for k in KINDS],
                                                                 activities__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
