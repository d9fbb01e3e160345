"""Encrypt parties' ID number, phone and address at rest; add the ID-number keyed hash, the reveal log and
case attachments (docs/pii.md).

Order: the three columns become plain TEXT (ciphertext is longer than the old varchar limits), existing plaintext
is encrypted in place and its id_hash filled, then the fields become `EncryptedTextField` (no schema change).
The crypto comes from `core.crypto`, a pure-crypto module that imports no models (STYLE.md §11 bars app model
code here). A database with parties needs FIELD_ENCRYPTION_KEY to migrate; an empty one does not.
Reversible: backwards decrypts to plaintext before the columns become varchar again.
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

import core.fields
from core import crypto

PII_FIELDS = ("id_number", "phone", "address")
BATCH = 500  # rows per UPDATE: 2,500 parameters, under SQLite's and PostgreSQL's limits


def _rewrite(apps, schema_editor, convert):
    """Read every party in pk batches, convert its three values and write each batch back with one
    UPDATE … FROM (VALUES …) statement (PostgreSQL, and SQLite ≥ 3.33): a few statements per thousand rows."""
    Party = apps.get_model("cases", "Party")
    connection = schema_editor.connection
    qn = schema_editor.quote_name
    table, pk = qn(Party._meta.db_table), qn(Party._meta.pk.column)
    columns = (*PII_FIELDS, "id_hash")
    assignments = ", ".join(f"{qn(c)} = v.column{i}" for i, c in enumerate(columns, start=2))
    pks = list(Party.objects.using(connection.alias).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        rows = Party.objects.using(connection.alias).filter(pk__in=pks[start:start + BATCH]).values_list(
            "pk", *columns)
        params = []
        for row_pk, *values, id_hash in rows:
            params += [row_pk, *convert(dict(zip(PII_FIELDS, values, strict=True)), id_hash, row_pk)]
        if not params:
            continue
        placeholders = ", ".join(["(%s, %s, %s, %s, %s)"] * (len(params) // 5))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {placeholders}) AS v WHERE {table}.{pk} = v.column1",
                params,
            )


def _open(value, field, row_pk):
    """A field-bound token (this migration's own) or a row-bound one (written later, core.fields.row_aad)."""
    return crypto.decrypt(value, aad=field, bound_aad=f"cases.Party.{field}:{row_pk}")


def _encrypt_row(values, id_hash, row_pk):
    plain_id = ""
    out = []
    for field in PII_FIELDS:
        value = values[field]
        if value and crypto.looks_encrypted(value):  # idempotent: already ciphertext (decrypting proves the key)
            plain = _open(value, field, row_pk)
        else:
            plain = value
            value = crypto.encrypt(value, aad=field) if value else value
        if field == "id_number":
            plain_id = plain
        out.append(value)
    return (*out, crypto.id_hash(plain_id))


def _decrypt_row(values, id_hash, row_pk):
    out = [_open(v, f, row_pk) if v and crypto.looks_encrypted(v) else v for f, v in values.items()]
    return (*out, id_hash)


def encrypt_existing(apps, schema_editor):
    _rewrite(apps, schema_editor, _encrypt_row)


def decrypt_existing(apps, schema_editor):
    _rewrite(apps, schema_editor, _decrypt_row)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_default_escalation_rules"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # 1. Room for ciphertext, still read and written as plain text by the historical model.
        migrations.AlterField(
            model_name="party", name="id_number", field=models.TextField(blank=True, verbose_name="身份证号"),
        ),
        migrations.AlterField(
            model_name="party", name="phone", field=models.TextField(blank=True, verbose_name="联系电话"),
        ),
        migrations.AlterField(
            model_name="party", name="address", field=models.TextField(blank=True, verbose_name="住址"),
        ),
        migrations.AddField(
            model_name="party",
            name="id_hash",
            field=core.fields.BlindIndexField(
                blank=True, editable=False, help_text="身份证号的带密钥哈希，仅用于按身份证号精确查找。", max_length=64,
                source="id_number", verbose_name="身份证号检索码",
            ),
        ),
        # 2. Encrypt what is there.
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=False),
        # 3. From now on the model encrypts and decrypts (TEXT either way: no schema change).
        migrations.AlterField(
            model_name="party",
            name="id_number",
            field=core.fields.EncryptedTextField(blank=True, max_length=18, verbose_name="身份证号"),
        ),
        migrations.AlterField(
            model_name="party",
            name="phone",
            field=core.fields.EncryptedTextField(blank=True, max_length=20, verbose_name="联系电话"),
        ),
        migrations.AlterField(
            model_name="party",
            name="address",
            field=core.fields.EncryptedTextField(blank=True, max_length=100, verbose_name="住址"),
        ),
        migrations.AddIndex(
            model_name="party",
            index=models.Index(condition=models.Q(("id_hash", ""), _negated=True), fields=["id_hash"],
                               name="party_id_hash"),
        ),
        # 4. Timeline entry for uploads.
        migrations.AlterField(
            model_name="caseevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("logged", "登记"), ("edited", "修改"), ("risk_changed", "调整风险等级"),
                    ("party_added", "增加当事人"), ("party_changed", "修改当事人"), ("status_changed", "状态变更"),
                    ("started", "开始调处"), ("assigned", "落实四定"), ("duty", "三包记录"), ("referred", "提请上级"),
                    ("accepted", "签收"), ("returned", "退回"), ("transferred", "移交单位"),
                    ("warning_raised", "发出预警"), ("warning_reassessed", "预警重新评估"),
                    ("warning_closed", "解除预警"), ("resolved", "化解"), ("visited", "回访"), ("closed", "结案"),
                    ("rejected", "不予受理"), ("reopened", "纠纷反复，重新办理"), ("deadline_set", "设定时限"),
                    ("deadline_extended", "延长时限"), ("due_soon", "临期提醒（黄牌）"), ("overdue", "逾期（红牌）"),
                    ("supervision_opened", "纪委督办"), ("supervision_closed", "督办办结"),
                    ("supervision_overdue", "督办逾期，提级到县"),
                    ("flag_overridden", "规则提示不予处理（已说明理由）"),
                    ("attached", "上传附件"),
                ],
                max_length=24,
                verbose_name="事项",
            ),
        ),
        # 5. The reveal log (evidence and rate limit) and attachments.
        migrations.CreateModel(
            name="PiiReveal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("reason", models.CharField(max_length=200, verbose_name="查看理由")),
                ("at", models.DateTimeField(auto_now_add=True, verbose_name="查看时间")),
                ("party", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="reveals",
                                            to="cases.party", verbose_name="当事人")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                           to=settings.AUTH_USER_MODEL, verbose_name="查看人")),
            ],
            options={
                "verbose_name": "完整信息查看记录",
                "verbose_name_plural": "完整信息查看记录",
                "ordering": ["-at", "-id"],
                "indexes": [models.Index(fields=["user", "at"], name="piireveal_user_at")],
                "constraints": [
                    models.CheckConstraint(
                        condition=django.db.models.lookups.GreaterThanOrEqual(
                            django.db.models.functions.text.Length("reason"), 4
                        ),
                        name="piireveal_reason_at_least_4_chars",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Attachment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("photo", "现场照片"), ("agreement", "调解协议扫描件"),
                                                   ("other", "其他材料")], max_length=12, verbose_name="类别")),
                ("original_name", models.CharField(
                    help_text="上传时的文件名（已去除路径），仅用于显示。", max_length=100, verbose_name="文件名")),
                ("stored_name", models.CharField(editable=False, max_length=32, unique=True, verbose_name="存储名")),
                ("content_type", models.CharField(choices=[("image/jpeg", "JPEG 图片"), ("image/png", "PNG 图片"),
                                                           ("application/pdf", "PDF 文档")],
                                                  max_length=32, verbose_name="文件类型")),
                ("size", models.PositiveIntegerField(verbose_name="大小（字节）")),
                ("sha256", models.CharField(
                    help_text="所存文件（图片为去除EXIF后重新编码的文件）的摘要。", max_length=64,
                    verbose_name="SHA-256")),
                ("uploaded_at", models.DateTimeField(auto_now_add=True, verbose_name="上传时间")),
                ("dispute", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="attachments",
                                              to="cases.dispute", verbose_name="纠纷")),
                ("uploaded_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                  to=settings.AUTH_USER_MODEL, verbose_name="上传人")),
            ],
            options={
                "verbose_name": "案件附件",
                "verbose_name_plural": "案件附件",
                "ordering": ["uploaded_at", "id"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("stored_name__regex", "^[0-9a-f]{32}$")),
                                           name="attachment_stored_name_random_hex"),
                    models.CheckConstraint(
                        condition=models.Q(("content_type__in", ["image/jpeg", "image/png", "application/pdf"])),
                        name="attachment_content_type_allowed",
                    ),
                    models.CheckConstraint(condition=models.Q(("size__gte", 1)), name="attachment_not_empty"),
                ],
            },
        ),
    ]
