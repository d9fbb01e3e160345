"""A database created by the previous `main` (before the layout change) migrates to this code and keeps every case,
party (still decryptable), event and audit row; the timeline's Chinese labels become codes.

The old state is built with the migration executor: the database is migrated back to the last migrations of that
`main`, rows are written through the historical models exactly as the old code wrote them, then it is migrated
forward again. Runs on SQLite and PostgreSQL.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.conftest import VILLAGE_A, restore_database

# The leaf migrations of every app on the previous main (commit 6080104).
PREVIOUS_MAIN = [
    ("org", "0002_membership_password_state"),
    ("audit", "0002_append_only_trigger"),
    ("cases", "0008_county_list_index"),
    ("meetings", "0001_meetings_reviews_attendance"),
]
ID_NUMBER = "370829198001010012"

# (field, old, new, note) as the old services wrote them -> what this code stores.
OLD_EVENTS = [
    (("状态", "已登记", "调处中", ""), ("status", "logged", "in_progress", "")),
    (("层级", "村·刘山村（已提请）", "镇街·嘉祥街道", "签收"),
     ("tier", "village", "town", "村·刘山村（已提请） → 镇街·嘉祥街道；签收")),
    (("风险等级", "蓝·轻微", "红·重大", "多人聚集"), ("risk", "blue", "red", "多人聚集")),
    (("预警", "", "红色预警", "情形：集体访"), ("warning", "", "red", "情形：集体访")),
    (("包反馈", "", "2026-11-30", "已反馈"), ("duty", "", "feedback", "2026-11-30：已反馈")),
    (("督办状态", "督办中", "已办结", "已约谈"), ("supervision", "open", "done", "已约谈")),
    (("纠纷类别", "邻里", "房屋宅基地", ""), ("category", "neighbour", "housing", "")),
    (("附件", "", "现场.png", "现场照片"), ("attachment", "", "现场.png", "现场照片")),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def back_to_previous_main(transactional_db, db_snapshot):
    apps = _migrate(PREVIOUS_MAIN)
    yield apps
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    restore_database(db_snapshot)


@pytest.mark.django_db(transaction=True)
def test_a_previous_main_database_keeps_its_data(back_to_previous_main):
    apps = back_to_previous_main
    User = apps.get_model("auth", "User")
    Dispute, Party = apps.get_model("cases", "Dispute"), apps.get_model("cases", "Party")
    CaseEvent, Warning = apps.get_model("cases", "CaseEvent"), apps.get_model("cases", "Warning")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    user = User.objects.create(username="old_sec", first_name="刘书记")
    case = Dispute.objects.create(
        number="JX-2026-000777", title="旧库里的纠纷", category="neighbour", source="screening", risk="red",
        arose_on=timezone.localdate(), village_id=VILLAGE_A, holder_division_id=VILLAGE_A, description="旧数据",
        created_by=user, status="in_progress", tier="town",
    )
    Party.objects.create(dispute=case, name="张三", sex="M", id_number=ID_NUMBER, phone="13812345678",
                         address="刘山村1号")
    for (field, old, new, note), _ in OLD_EVENTS:
        CaseEvent.objects.create(dispute=case, actor=user, kind="edited", field=field, old_value=old,
                                 new_value=new, note=note)
    Warning.objects.create(dispute=case, level="red", triggers=["group_petition"], reasons="集体访风险",
                           submitted_to="county", reassess_on=timezone.localdate(), tier="town",
                           division_id="370829001000", raised_by=user)
    AuditEntry.objects.create(action="case_write", detail="旧审计行", username="old_sec", object_label=case.number)

    apps = _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    from audit.models import AuditEntry as NewAudit
    from cases.models import CaseEvent as NewEvent
    from cases.models import Dispute as NewDispute
    from cases.models import EarlyWarning

    kept = NewDispute.objects.get(number="JX-2026-000777")
    party = kept.parties.get()
    assert (party.name, party.id_number, party.phone, party.address) == ("张三", ID_NUMBER, "13812345678", "刘山村1号")
    converted = list(NewEvent.objects.filter(dispute=kept).order_by("id").values_list(
        "field", "old_value", "new_value", "note"))
    assert converted == [new for _, new in OLD_EVENTS]
    labels = [(e.field_label, e.old_display, e.new_display) for e in NewEvent.objects.filter(dispute=kept)[:3]]
    assert labels == [("状态", "已登记", "调处中"), ("层级", "村", "镇街"), ("风险等级", "蓝·轻微", "红·重大")]
    assert EarlyWarning.objects.get(dispute=kept).reasons == "集体访风险"
    assert NewAudit.objects.filter(detail="旧审计行").count() == 1
