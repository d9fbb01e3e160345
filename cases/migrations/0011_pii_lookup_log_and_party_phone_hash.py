"""按身份证号/电话查找 (issue 8, defect 1): the look-up log `PiiLookup` and the parties' phone keyed hash.

The ledger's `?q=` no longer matches ID numbers; a look-up by ID number or phone is a POST with a reason, counted
against the reveal's hourly budget and logged (cases/services/pii.py). Exact search by phone needs a keyed hash of
it, like `id_hash`: `phone_hash` is added, filled for existing rows, then indexed (partial: parties with a phone).

The fill reads each phone through the historical model (its `EncryptedTextField` decrypts with the key from the
environment, so a database with parties needs FIELD_ENCRYPTION_KEY to migrate; an empty one does not) and hashes it
with `core.crypto`, a pure-crypto module that imports no models (STYLE.md §11 bars app model code here), after
`core.validators.normalize_phone` (pure too). Reversible: backwards the column and the table are dropped.
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

import core.fields
from core import crypto
from core.validators import normalize_phone

BATCH = 500


def fill_phone_hash(apps, schema_editor):
    Party = apps.get_model("cases", "Party")
    db = schema_editor.connection.alias
    # Every party (an encrypted column allows no equality lookup, so blank phones cannot be filtered out here).
    pks = list(Party.objects.using(db).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        batch = list(Party.objects.using(db).filter(pk__in=pks[start:start + BATCH]).only("pk", "phone"))
        for party in batch:
            party.phone_hash = crypto.id_hash(normalize_phone(party.phone or ""))  # "" for no phone
        # bulk_update writes the attribute as set (BlindIndexField.pre_save is not called), and only this column.
        Party.objects.using(db).bulk_update(batch, ["phone_hash"])


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0010_timeline_stores_codes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PiiLookup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("id", "身份证号"), ("phone", "电话")], max_length=8,
                                          verbose_name="查找方式")),
                ("reason", models.CharField(max_length=200, verbose_name="查找理由")),
                ("hits", models.PositiveIntegerField(verbose_name="命中案件数")),
                ("at", models.DateTimeField(auto_now_add=True, verbose_name="查找时间")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                           to=settings.AUTH_USER_MODEL, verbose_name="查找人")),
            ],
            options={
                "verbose_name": "按身份证号/电话查找记录",
                "verbose_name_plural": "按身份证号/电话查找记录",
                "ordering": ["-at", "-id"],
                "indexes": [models.Index(fields=["user", "at"], name="piilookup_user_at")],
                "constraints": [
                    models.CheckConstraint(
                        condition=django.db.models.lookups.GreaterThanOrEqual(
                            django.db.models.functions.text.Length("reason"), 4),
                        name="piilookup_reason_at_least_4_chars",
                    ),
                ],
            },
        ),
        migrations.AddField(
            model_name="party",
            name="phone_hash",
            field=core.fields.BlindIndexField(
                blank=True, editable=False, help_text="联系电话的带密钥哈希，仅用于按电话精确查找。", max_length=64,
                source="phone", verbose_name="电话检索码",
            ),
        ),
        migrations.RunPython(fill_phone_hash, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="party",
            index=models.Index(condition=models.Q(("phone_hash", ""), _negated=True), fields=["phone_hash"],
                               name="party_phone_hash"),
        ),
    ]
