"""`manage.py grant_app_role`: re-apply the application role's table privileges after `migrate` (deploy/db_roles.md).

Runs block 5 of deploy/db_roles.sql (the lines between `-- grants:begin` and `-- grants:end`), so the lists of
append-only and deletable tables exist once. Run it as the owner role (the one that ran the migrations) or as a
superuser; idempotent. SQLite has no roles: nothing to do there.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

BEGIN, END = "-- grants:begin", "-- grants:end"


def grants_file() -> Path:
    return Path(settings.BASE_DIR) / "deploy" / "db_roles.sql"


def grants_block() -> str:
    text = grants_file().read_text(encoding="utf-8")
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise CommandError(f"{grants_file()} 中找不到唯一的“{BEGIN}”…“{END}”授权段。")
    return text.split(BEGIN, 1)[1].split(END, 1)[0]


class Command(BaseCommand):
    help = "迁移之后为应用数据库角色重新授权（只读写、不可清空、不可改表结构；见 deploy/db_roles.md）。"

    def add_arguments(self, parser):
        parser.add_argument("--role", default="jiaxiang_app", help="应用使用的数据库角色（默认 jiaxiang_app）")

    def handle(self, *args, role, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("当前数据库不是 PostgreSQL，没有数据库角色需要授权。")
            return
        block = grants_block()
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT set_config('jiaxiang.app_role', %s, true), current_user", [role])
                granted_by = cursor.fetchone()[1]
                cursor.execute(block, None)  # None: the % of format() in the block are not placeholders
        except DatabaseError as exc:
            message = str(exc).strip().splitlines()[0]
            raised_by_block = getattr(exc.__cause__, "pgcode", None) == "P0001"  # its own RAISE says what to do
            hint = "" if raised_by_block else "（请以表的所有者角色或超级用户连接数据库运行本命令）"
            raise CommandError(f"授权失败：{message}{hint}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"已为应用角色 {role} 重新授权：所有表可查询、新增、修改（审计日志、案件动态与查看记录除外），"
            f"只可删除会话、锁定记录等必要的表；不可清空、不可改表结构（授权人：{granted_by}）。"
        ))
