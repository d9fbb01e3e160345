"""The timeline stores facts, not labels: `field` is a code ("status"), old/new are codes ("in_progress") or ISO
datetimes, and values are no longer cut to 200 characters. Existing rows written with Chinese labels are converted.

Self-contained on purpose (STYLE.md §11): the label tables below are copies of the choices as they were when the
rows were written; the migration imports no app code.
"""

import datetime
import zoneinfo

from django.db import migrations, models

LOCAL = zoneinfo.ZoneInfo("Asia/Shanghai")

STATUS = {"已登记": "logged", "调处中": "in_progress", "已提请": "referred", "已化解": "resolved", "已结案": "closed",
          "不予受理": "rejected"}
TIER = {"村": "village", "镇街": "town", "县": "county"}
RISK = {"红·重大": "red", "橙·较大": "orange", "黄·一般": "yellow", "蓝·轻微": "blue"}
WARNING_LEVEL = {"红色预警": "red", "橙色预警": "orange", "黄色预警": "yellow"}
SUPERVISION = {"督办中": "open", "已办结": "done", "逾期提级": "escalated"}
DUTY = {"包调处": "handle", "包跟踪": "track", "包反馈": "feedback"}
SATISFACTION = {"满意": "satisfied", "基本满意": "basic", "不满意": "unsatisfied"}
CATEGORY = {"婚姻家庭": "marriage_family", "邻里": "neighbour", "房屋宅基地": "housing", "合同": "contract",
            "生产经营": "business", "损害赔偿": "damages", "山林土地": "land", "征地拆迁": "expropriation",
            "环境污染": "environment", "劳动争议": "labour", "消费": "consumer", "医疗": "medical",
            "道路交通事故": "traffic", "物业": "property_mgmt", "其他": "other"}
SOURCE = {"当事人申请": "application", "排查发现（网格员/信息员）": "screening", "群众来访": "visit",
          "12345热线/网格事项流转": "hotline", "信访转办": "petition", "公安/法院移送": "police_court", "其他": "other"}

# old field label -> (code, value table or a converter)
PLAIN = {"附件": "attachment", "规则提示": "rule", "承办单位": "holder", "纠纷标题": "title",
         "本地细分类别": "subcategory", "涉及人数": "people_involved", "发生日期": "arose_on", "具体地点": "place",
         "纠纷简要情况": "description"}
TABLES = {"状态": ("status", STATUS), "风险等级": ("risk", RISK), "预警等级": ("warning_level", WARNING_LEVEL),
          "督办状态": ("supervision", SUPERVISION), "纠纷类别": ("category", CATEGORY), "来源": ("source", SOURCE)}
DATETIMES = {"办结时限": "deadline", "督办时限": "due_at"}


def _tier(value):
    """'镇街·嘉祥街道（已提请）' -> 'town' (the holder's name goes to the note)."""
    return TIER.get(value.split("·", 1)[0], value)


def _iso(value):
    try:
        return datetime.datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=LOCAL).isoformat()
    except ValueError:
        return value


def convert(field, old, new, note):
    """One old row's (field, old, new, note) in the new form; unknown rows come back unchanged."""
    if field in TABLES:
        code, table = TABLES[field]
        return code, table.get(old, old), table.get(new, new), note
    if field in ("层级", "当前层级"):
        moved = f"{old} → {new}"
        return "tier", _tier(old), _tier(new), f"{moved}；{note}" if note else moved
    if field == "预警":
        if new == "已解除":
            return "warning_status", "open", "closed", f"{old}：{note}" if note else old
        return "warning", WARNING_LEVEL.get(old, old), WARNING_LEVEL.get(new, new), note
    if field in DUTY:
        return "duty", "", DUTY[field], f"{new}：{note}" if new else note
    if field == "回访":
        return "visit", "", SATISFACTION.get(new, new), note
    if field in DATETIMES:
        return DATETIMES[field], _iso(old) if old else "", _iso(new) if new else "", note
    if field in PLAIN:
        return PLAIN[field], old, new, note
    return field, old, new, note


def labels_to_codes(apps, schema_editor):
    CaseEvent = apps.get_model("cases", "CaseEvent")
    batch = []
    for event in CaseEvent.objects.exclude(field="").only("id", "field", "old_value", "new_value", "note").iterator(
            chunk_size=2000):
        converted = convert(event.field, event.old_value, event.new_value, event.note)
        if converted != (event.field, event.old_value, event.new_value, event.note):
            event.field, event.old_value, event.new_value, event.note = converted
            batch.append(event)
        if len(batch) >= 2000:
            CaseEvent.objects.bulk_update(batch, ["field", "old_value", "new_value", "note"])
            batch = []
    if batch:
        CaseEvent.objects.bulk_update(batch, ["field", "old_value", "new_value", "note"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_warning_class_renamed_earlywarning"),
    ]

    operations = [
        migrations.AlterField(
            model_name="caseevent", name="old_value", field=models.TextField(blank=True, verbose_name="原值"),
        ),
        migrations.AlterField(
            model_name="caseevent", name="new_value", field=models.TextField(blank=True, verbose_name="新值"),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("logged", "登记"), ("edited", "修改"), ("risk_changed", "调整风险等级"), ("party_added", "增加当事人"),
                    ("party_changed", "修改当事人"), ("status_changed", "状态变更"), ("started", "开始调处"),
                    ("assigned", "落实四定"), ("duty", "三包记录"), ("referred", "提请上级"), ("accepted", "签收"),
                    ("returned", "退回"), ("transferred", "移交单位"), ("warning_raised", "发出预警"),
                    ("warning_reassessed", "预警重新评估"), ("warning_closed", "解除预警"), ("resolved", "化解"),
                    ("visited", "回访"), ("closed", "结案"), ("rejected", "不予受理"), ("reopened", "纠纷反复，重新办理"),
                    ("deadline_set", "设定时限"), ("deadline_extended", "延长时限"), ("due_soon", "临期提醒（黄牌）"),
                    ("overdue", "逾期（红牌）"), ("supervision_opened", "纪委督办"), ("supervision_closed", "督办办结"),
                    ("supervision_overdue", "督办逾期，提级到县"), ("flag_overridden", "规则提示不予处理（已说明理由）"),
                    ("edit_conflict", "修改冲突（未保存的修改已留存）"), ("attached", "上传附件"),
                    ("pii_viewed", "查看当事人完整信息"),
                ],
                max_length=24, verbose_name="事项",
            ),
        ),
        migrations.RunPython(labels_to_codes, migrations.RunPython.noop, elidable=False),
    ]
