from django.db import migrations

# The kinds the Ningbo unions count (docs/activities.md); cadres add more in the admin.
KINDS = [
    ("talk", "宣讲", False), ("party_history", "党史学习教育", False), ("sports_culture", "文体活动", False),
    ("job_fair", "春风行动招聘会", False), ("summer_care", "暑期托管班", False), ("training", "职工培训", False),
    ("mental_health", "心理健康讲座", False), ("legal_service", "法律服务", False), ("reading", "职工阅读", False),
    ("recuperation", "疗休养", True), ("health_check", "健康体检", True), ("benefit", "普惠活动", True),
]


def seed(apps, schema_editor):
    Kind = apps.get_model("activities", "ActivityKind")
    for order, (code, name, benefit) in enumerate(KINDS, start=1):
        Kind.objects.get_or_create(code=code, defaults={"name": name, "is_benefit": benefit, "order": order * 10})


def unseed(apps, schema_editor):
    apps.get_model("activities", "ActivityKind").objects.filter(code__in=[k[0] for k in KINDS],
                                                                 activities__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
