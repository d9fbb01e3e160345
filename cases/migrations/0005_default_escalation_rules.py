"""Seed the default escalation rules (DESIGN.md §6). Editable afterwards in the admin (提级与预警规则)."""

from django.db import migrations

DEFAULT_RULES = [
    {
        "name": "村级红色风险提请镇街",
        "tier": "village", "risk_levels": ["red"],
        "action": "refer_up", "target_tier": "town", "within_workdays": 1,
        "basis": "重大（红色）风险矛盾纠纷村级不压案，1个工作日内提请镇街矛盾纠纷分析研判例会研判、落实四定。",
    },
    {
        "name": "红色风险发出预警",
        "risk_levels": ["red"],
        "action": "raise_warning", "warning_trigger": "intensify", "within_workdays": 1,
        "basis": "可能激化的重大矛盾纠纷，1个工作日内向镇街党政联席会议发出预警。",
    },
    {
        "name": "涉及5人以上提请镇街",
        "min_people": 5,
        "action": "refer_up", "target_tier": "town", "within_workdays": 1,
        "basis": "涉及人数多、可能引发集体访的纠纷，1个工作日内提请镇街研判。",
    },
    {
        "name": "涉及5人以上发出集体访预警",
        "min_people": 5,
        "action": "raise_warning", "warning_trigger": "group_petition", "within_workdays": 1,
        "basis": "涉及5人以上的纠纷存在集体访风险，1个工作日内发出预警（经人工确认）。",
    },
    {
        "name": "当事人跨镇街提请县",
        "cross_town": True,
        "action": "refer_up", "target_tier": "county", "within_workdays": 3,
        "basis": "当事人分属两个以上镇街的纠纷，由县社会治理协调中心统筹协调，3个工作日内提请到县。",
    },
    {
        "name": "村级逾期未化解提请镇街",
        "tier": "village", "overdue": True,
        "action": "refer_up", "target_tier": "town", "within_workdays": 1,
        "basis": "村级时限内（7日）化解不了的，逾期后1个工作日内提请镇街。",
    },
    {
        "name": "信访来源报县协调中心",
        "petition_source": True,
        "action": "notify_county", "within_workdays": 3,
        "basis": "信访转办案件按《信访工作条例》办理，3个工作日内报县社会治理协调中心跟踪。",
    },
    {
        "name": "镇街30日未化解提请县",
        "tier": "town", "min_days_open": 30,
        "action": "refer_up", "target_tier": "county", "within_workdays": 5,
        "basis": "镇街化解不了的纠纷提请县综治联席会议；登记满30日仍未化解的，5个工作日内提请到县。",
    },
]


def seed(apps, schema_editor):
    EscalationRule = apps.get_model("cases", "EscalationRule")
    for row in DEFAULT_RULES:
        fields = {k: v for k, v in row.items() if k != "name"}
        EscalationRule.objects.update_or_create(name=row["name"], defaults=fields)


def unseed(apps, schema_editor):
    EscalationRule = apps.get_model("cases", "EscalationRule")
    EscalationRule.objects.filter(name__in=[row["name"] for row in DEFAULT_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_default_deadline_rules")]

    operations = [migrations.RunPython(seed, unseed)]
