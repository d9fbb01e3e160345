#!/bin/sh
# 平安周例会 — restore a dump of deploy/backup.sh into a FRESH database (docs/deploy.md, "备份与恢复").
#
#   deploy/restore.sh DUMP DATABASE      DATABASE: the name or postgres:// URL of an existing, EMPTY database
#
# Run as a role that may create objects there (the DBA, or the owner role). Objects are restored without their
# recorded owners and grants (--no-owner --no-privileges), in one transaction: it succeeds completely or changes
# nothing. Afterwards run `deploy/db_roles.sh DATABASE` (owner and application roles, grants) and, if this database
# replaces the old one, point DATABASE_URL at it and restart the services. The party data can only be read with the
# FIELD_ENCRYPTION_KEY that was in use when the dump was made (its fingerprint is in the dump's .key-id file).
set -eu
if [ $# -ne 2 ]; then
    echo "用法：deploy/restore.sh 备份文件 空数据库名或连接串" >&2
    exit 2
fi
dump=$1
target=$2
[ -r "$dump" ] || { echo "找不到或无法读取备份文件：$dump" >&2; exit 2; }
pg_restore --list "$dump" > /dev/null || { echo "不是有效的 pg_dump 备份：$dump" >&2; exit 2; }

tables=$(psql -X -q -At --no-password -d "$target" -c \
    "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')")
if [ "$tables" != "0" ]; then
    echo "已停止：目标数据库中已有 $tables 张表。请恢复到新建的空数据库（createdb 新库名），核对后再切换。" >&2
    exit 1
fi

key_id="${dump%.dump}.key-id"
if [ -r "$key_id" ] && [ -n "${FIELD_ENCRYPTION_KEY:-}" ]; then
    if [ "$(printf '%s' "$FIELD_ENCRYPTION_KEY" | sha256sum | cut -c1-16)" != "$(cat "$key_id")" ]; then
        echo "提醒：当前 FIELD_ENCRYPTION_KEY 与备份时的密钥不同（见 $key_id）。恢复后须使用备份时的密钥才能解密当事人信息。" >&2
    fi
fi

pg_restore --no-owner --no-privileges --single-transaction --exit-on-error --no-password --dbname="$target" "$dump"
echo "已把 $dump 恢复到目标数据库。下一步：deploy/db_roles.sh（角色与授权），然后核对 manage.py showmigrations。"
