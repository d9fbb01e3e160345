"""Load the 嘉祥县 divisions from the CSV the project ships (org/data/jiaxiang_divisions.csv).

Idempotent: existing codes are updated, nothing is duplicated. All-or-nothing: any bad row aborts with a report.
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from org.models import Division, Level

DEFAULT_CSV = Path(__file__).resolve().parents[2] / "data" / "jiaxiang_divisions.csv"
PARENT_LEVEL = {"city": "province", "county": "city", "township": "county", "village": "township"}


def read_rows(path: Path) -> tuple[list[dict], list[str]]:
    """Parse and check the CSV; returns (rows in parent-first order, errors)."""
    errors, rows, seen = [], [], {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != ["code", "name", "level", "parent_code"]:
            return [], [f"表头应为 code,name,level,parent_code，实际为 {reader.fieldnames}"]
        for lineno, row in enumerate(reader, start=2):
            code, name, level, parent = (row[k].strip() for k in ("code", "name", "level", "parent_code"))
            if code in seen:
                if seen[code] != (name, level, parent):
                    errors.append(f"第{lineno}行：代码 {code} 重复且内容不同")
                continue  # a verbatim duplicate row is harmless
            problems = []
            if not (len(code) == 12 and code.isdigit()):
                problems.append("代码必须是12位数字")
            if level not in Level.values:
                problems.append(f"级别“{level}”无效")
            if not name or len(name) > 64:
                problems.append("名称为空或超过64字")
            if level != "province" and parent not in seen:
                problems.append(f"上级代码 {parent or '（空）'} 不存在或出现在本行之后")
            elif level != "province" and seen[parent][1] != PARENT_LEVEL.get(level):
                problems.append(f"上级 {parent} 的级别与本行不匹配")
            if problems:
                errors.append(f"第{lineno}行（{code} {name}）：" + "；".join(problems))
                continue
            seen[code] = (name, level, parent)
            rows.append({"code": code, "name": name, "level": level, "parent_id": parent or None})
    return rows, errors


class Command(BaseCommand):
    help = "导入嘉祥县行政区划（国家统计局2023年统计用区划代码）。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--csv", dest="path", type=Path, default=DEFAULT_CSV, help="CSV 路径（默认使用项目自带文件）")

    def handle(self, *args, path, **options):
        path = Path(path)
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        try:
            rows, errors = read_rows(path)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"无法读取 {path}：{exc}") from exc
        if errors:
            for e in errors:
                self.stderr.write(e)
            raise CommandError(f"区划文件有 {len(errors)} 处错误，未导入任何数据。")
        with transaction.atomic():
            existing = set(Division.objects.values_list("code", flat=True))
            new = [Division(**r) for r in rows if r["code"] not in existing]
            Division.objects.bulk_create(new)
            old = [Division(**r) for r in rows if r["code"] in existing]
            Division.objects.bulk_update(old, ["name", "level", "parent_id"], batch_size=500)
        counts = {lv: sum(1 for r in rows if r["level"] == lv) for lv in ("township", "village")}
        self.stdout.write(self.style.SUCCESS(
            f"区划已导入：新增 {len(new)}，更新 {len(old)}；镇街 {counts['township']} 个，村/社区 {counts['village']} 个。"
        ))

