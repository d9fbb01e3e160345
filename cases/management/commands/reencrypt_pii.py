"""Re-encrypt parties' ID numbers, phones and addresses in the current format (docs/pii.md):

    manage.py reencrypt_pii [--batch 500]

Every value not yet bound to its row (token version 1, written before row binding or by `bulk_update()`/`update()`)
or encrypted with an old key (after a key rotation) is decrypted and encrypted again, bound to its row, under
FIELD_ENCRYPTION_KEY. Walks the table in primary-key batches, one transaction per batch, with the batch's rows
locked (PostgreSQL) so a concurrent edit is never overwritten by an older value. Every row is decrypted, so the run
is also an integrity check; idempotent: a second run writes nothing. A value that does not decrypt (wrong key, or
altered / moved to another row) is left untouched and reported by row id; the command then ends with an error so
the operator looks into it.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from cases.models import Party
from core import crypto
from core.fields import bind_rows, encrypted_fields

DEFAULT_BATCH = 500
MAX_BATCH = 10_000


class Command(BaseCommand):
    help = "把当事人的身份证号、电话、住址重新加密为绑定数据行的新格式（并换用当前密钥）。分批进行，可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                            help=f"每批行数，每批一个事务（1–{MAX_BATCH}，默认{DEFAULT_BATCH}）")

    def handle(self, *args, batch, verbosity=1, **options):
        if not 1 <= batch <= MAX_BATCH:
            raise CommandError(f"--batch 应在 1 到 {MAX_BATCH} 之间（收到 {batch}）。")
        crypto.keyring()  # no key: stop here with the Chinese configuration message, before reading anything
        fields = encrypted_fields(Party)
        checked = converted = 0
        failed = []
        last = 0
        while True:
            raw = self.raw_batch(fields, after=last, size=batch)
            if not raw:
                break
            last = raw[-1][0]
            checked += len(raw)
            stale = {pk for pk, *tokens in raw if any(t and not crypto.is_current(t) for t in tokens)}
            done, bad = self.convert([pk for pk, *_ in raw], stale, fields)
            converted += done
            failed += bad
            if verbosity >= 2:
                self.stdout.write(f"  已检查至第 {last} 行：共检查 {checked} 行，重新加密 {converted} 行")
        current = checked - converted - len(failed)
        self.stdout.write(
            f"当事人共 {checked} 行：重新加密 {converted} 行，已是新格式 {current} 行，无法解密 {len(failed)} 行。")
        if failed:
            shown = "、".join(map(str, failed[:50])) + (f" 等{len(failed)}行" if len(failed) > 50 else "")
            raise CommandError(
                f"以下当事人记录无法解密，未作改动（密钥不对，或密文被篡改、被移到其他行）：id {shown}。"
                "请核对 FIELD_ENCRYPTION_KEY / FIELD_ENCRYPTION_OLD_KEYS，并从备份核查这些记录。")
        self.stdout.write(self.style.SUCCESS("重新加密完成。" if converted else "无需重新加密：全部已是新格式。"))

    @staticmethod
    def raw_batch(fields, *, after, size):
        """(pk, token, …) of the next rows, read as stored (the tokens, not the decrypted values)."""
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in fields)
        pk = qn(Party._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {pk}, {columns} FROM {qn(Party._meta.db_table)} WHERE {pk} > %s ORDER BY {pk} LIMIT %s",
                [after, size],
            )
            return cursor.fetchall()

    @staticmethod
    def convert(pks, stale, fields):
        """Decrypt every row of the batch (locked: an integrity check of the current ones too) and re-encrypt the
        stale ones bound; returns (rows written, ids that do not decrypt)."""
        names = ["pk", *(f.name for f in fields)]
        bad = []
        with transaction.atomic():
            locked = Party.objects.select_for_update().filter(pk__in=pks).order_by("pk").only(*names)
            try:
                rows = list(locked)
            except crypto.DecryptionError:  # find the culprits one by one; convert the others
                rows = []
                for pk in pks:
                    try:
                        rows.append(Party.objects.only(*names).get(pk=pk))
                    except crypto.DecryptionError:
                        bad.append(pk)
                    except Party.DoesNotExist:
                        continue
            return bind_rows([row for row in rows if row.pk in stale]), bad
