#!/bin/sh
# Create or update the owner and application roles of 平安周例会 on one database (deploy/db_roles.md).
#
#   deploy/db_roles.sh DATABASE [psql options …]      e.g.  deploy/db_roles.sh jiaxiang -h 127.0.0.1 -U postgres
#
# Run as a PostgreSQL superuser. OWNER_ROLE and APP_ROLE (environment) change the role names (defaults
# jiaxiang_owner, jiaxiang_app). Idempotent: run it again whenever you like.
set -eu
if [ $# -lt 1 ]; then
    echo "用法：deploy/db_roles.sh 数据库名 [psql 参数…]（以 PostgreSQL 超级用户身份运行）" >&2
    exit 2
fi
database=$1
shift
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
psql -X -q -v ON_ERROR_STOP=1 -d "$database" \
    -v owner_role="${OWNER_ROLE:-jiaxiang_owner}" -v app_role="${APP_ROLE:-jiaxiang_app}" \
    "$@" -f "$here/db_roles.sql"
echo "已在数据库 $database 上设置角色 ${OWNER_ROLE:-jiaxiang_owner}（所有者）与 ${APP_ROLE:-jiaxiang_app}（应用）。"
