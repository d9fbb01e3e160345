#!/bin/sh
# 平安周例会 — nightly database backup (docs/deploy.md, "备份与恢复").
#
#   deploy/backup.sh [DATABASE]        DATABASE: a database name or a postgres:// URL; default $BACKUP_DATABASE_URL,
#                                      then $DATABASE_URL (e.g. from /etc/jiaxiang/jiaxiang.env)
#
#   BACKUP_DIR   where dumps go (default /var/backups/jiaxiang; created mode 0700)
#   BACKUP_KEEP  how many dumps to keep, newest first (default 14); older ones are deleted after a good dump
#
# Writes BACKUP_DIR/jiaxiang-YYYYMMDDTHHMMSS.dump (pg_dump custom format, compressed, mode 0600), checks that
# pg_restore can read it, and only then removes the oldest dumps beyond BACKUP_KEEP.
#
# The dump holds the party data ENCRYPTED (AES-GCM): without FIELD_ENCRYPTION_KEY it cannot be read, and the key is
# deliberately NOT in it and NOT copied next to it. Back the key up separately, once and at every rotation (offline,
# sealed, with the security administrator: docs/deploy.md). Beside each dump this script writes a .key-id file with a
# fingerprint of the key in use (SHA-256, first 16 hex digits) so that a restore knows which key it needs; the
# fingerprint does not reveal the key.
set -eu
umask 077

target=${1:-${BACKUP_DATABASE_URL:-${DATABASE_URL:-}}}
if [ -z "$target" ]; then
    echo "用法：deploy/backup.sh 数据库名或连接串（或设置 DATABASE_URL）" >&2
    exit 2
fi
dir=${BACKUP_DIR:-/var/backups/jiaxiang}
keep=${BACKUP_KEEP:-14}
case $keep in ''|*[!0-9]*) echo "BACKUP_KEEP 必须是正整数：$keep" >&2; exit 2 ;; esac
[ "$keep" -ge 1 ] || { echo "BACKUP_KEEP 至少为 1" >&2; exit 2; }

mkdir -p "$dir"
chmod 700 "$dir"
stamp=$(date -u +%Y%m%dT%H%M%S%N | cut -c1-18)
name="jiaxiang-$stamp"
partial="$dir/.$name.dump.partial"
trap 'rm -f "$partial"' EXIT INT TERM

pg_dump --format=custom --compress=6 --no-password --file="$partial" --dbname="$target"
pg_restore --list "$partial" > /dev/null          # a dump that cannot be read is no backup
mv "$partial" "$dir/$name.dump"
trap - EXIT INT TERM

if [ -n "${FIELD_ENCRYPTION_KEY:-}" ]; then
    printf '%s' "$FIELD_ENCRYPTION_KEY" | sha256sum | cut -c1-16 > "$dir/$name.key-id"
fi

# Rotation: keep the newest $keep dumps (names sort by time), with their .key-id files.
ls -1 "$dir" | grep -E '^jiaxiang-[0-9T]+\.dump$' | sort -r | tail -n +"$((keep + 1))" | while read -r old; do
    rm -f "$dir/$old" "$dir/${old%.dump}.key-id"
done

echo "已备份到 $dir/$name.dump（$(du -h "$dir/$name.dump" | cut -f1)）。加密密钥不在备份中，须另行保管。"
