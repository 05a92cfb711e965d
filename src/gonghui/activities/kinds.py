"""The activity kinds the Ningbo unions count (docs/activities.md); cadres add more in the admin."""

from __future__ import annotations

# (code, name, counts as a benefit of the 5·1服务卡)
DEFAULT_KINDS = [
    ("talk", "宣讲", False), ("party_history", "党史学习教育", False), ("sports_culture", "文体活动", False),
    ("job_fair", "春风行动招聘会", False), ("summer_care", "暑期托管班", False), ("training", "职工培训", False),
    ("mental_health", "心理健康讲座", False), ("legal_service", "法律服务", False), ("reading", "职工阅读", False),
    ("recuperation", "疗休养", True), ("health_check", "健康体检", True), ("benefit", "普惠活动", True),
]


def ensure_default_kinds(Kind) -> dict:
    """Create the default kinds that are missing (the migration seeds them; a database emptied since,
    such as a test database flushed between tests, has none); return every kind by code."""
    for order, (code, name, benefit) in enumerate(DEFAULT_KINDS, start=1):
        Kind.objects.get_or_create(code=code, defaults={"name": name, "is_benefit": benefit, "order": order * 10})
    return {kind.code: kind for kind in Kind.objects.all()}
