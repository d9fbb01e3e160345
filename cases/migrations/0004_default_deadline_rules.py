"""Seed the default deadline rules (DESIGN.md §6). Editable afterwards in the admin (时限规则).

Specificity decides between matching rules (`cases.rules.deadlines.pick_rule`): the rule with more non-blank
wins, ties go to the lowest id. The 信访 rule is listed FIRST on purpose: for a petition-sourced case at the village
or county tier it ties with the tier rule (one condition each) and must win — the statutory 60 days apply.
"""

from django.db import migrations

DEFAULT_RULES = [
    {
        "name": "信访转办事项办结（60日）",
        "purpose": "settle", "source": "petition",
        "days": 60, "mode": "calendar", "warn_before_days": 7, "extension_days": 30,
        "basis": "《信访工作条例》（2022）第三十四条：第三十一条第六项的信访事项自受理之日起60日内办结；"
                 "情况复杂的，经负责人批准可延长，延长不得超过30日，并告知信访人延期理由。",
    },
    {
        "name": "村级化解或提请（7日）",
        "purpose": "settle", "tier": "village",
        "days": 7, "mode": "calendar", "warn_before_days": 2, "extension_days": 0,
        "basis": "平安周例会机制：村级例会议定事项一周内化解；化解不了的提请镇街研判。",
    },
    {
        "name": "镇街四定办结（7日）",
        "purpose": "assignment", "tier": "town",
        "days": 7, "mode": "calendar", "warn_before_days": 2, "extension_days": 0,
        "basis": "镇街研判例会落实“四定”：议定事项一周内办结，逾期由纪委督办。",
    },
    {
        "name": "县级化解（15个工作日）",
        "purpose": "settle", "tier": "county",
        "days": 15, "mode": "workday", "warn_before_days": 3, "extension_days": 0,
        "basis": "县社会治理协调中心受理提请的纠纷，15个工作日内组织化解或交办。",
    },
    {
        "name": "部门移交办理（15个工作日，可延7个工作日）",
        "purpose": "transfer",
        "days": 15, "mode": "workday", "warn_before_days": 3, "extension_days": 7,
        "basis": "参照山东省12345政务服务便民热线事项办理时限：15个工作日内办结，"
                 "确需延期的经审批可延长一次，不超过7个工作日。",
    },
    {
        "name": "纪委督办（15日）",
        "purpose": "supervision",
        "days": 15, "mode": "calendar", "warn_before_days": 3, "extension_days": 0,
        "basis": "平安周例会机制：议定事项逾期的由纪委督办，15日内办结；督办逾期提级到县。",
    },
]


def seed(apps, schema_editor):
    DeadlineRule = apps.get_model("cases", "DeadlineRule")
    for row in DEFAULT_RULES:
        fields = {"tier": "", "category": "", "risk": "", "source": "", "active": True, **row}
        DeadlineRule.objects.get_or_create(name=fields.pop("name"), defaults=fields)


def unseed(apps, schema_editor):
    DeadlineRule = apps.get_model("cases", "DeadlineRule")
    DeadlineRule.objects.filter(name__in=[row["name"] for row in DEFAULT_RULES]).delete()


class Migration(migrations.Migration):

    dependencies = [("cases", "0003_outcomes_and_meeting_links")]

    operations = [migrations.RunPython(seed, unseed)]
