"""The citizen's side (issue 13 #4, docs/citizen.md): a case's 查询码 (encrypted, looked up by its keyed hash) and
the citizen's rating after 结案.

On PostgreSQL, like every case record (0013): neither table may be emptied (TRUNCATE, superusers exempt) or have rows
deleted; a rating is never changed either (it feeds 群众评价满意率). A code row is updated when the holder replaces
the code. Cases registered before this migration get their code when the holder first opens the receipt page
(cases.services.citizen.issue_code), so nothing is computed here.
"""

import core.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CODE, RATING = "cases_citizencode", "cases_citizenrating"


def add_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in (CODE, RATING):
        schema_editor.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                              f"FOR EACH STATEMENT EXECUTE FUNCTION cases_refuse_truncate()")
        schema_editor.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                              f"FOR EACH ROW EXECUTE FUNCTION cases_refuse_delete()")
    schema_editor.execute(f"CREATE TRIGGER {RATING}_no_update BEFORE UPDATE ON {RATING} "
                          f"FOR EACH ROW EXECUTE FUNCTION cases_refuse_update()")


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {RATING}_no_update ON {RATING}")
    for table in (CODE, RATING):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0018_assignment_people'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CitizenCode',
            fields=[
                ('dispute', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, primary_key=True, related_name='citizen_code', serialize=False, to='cases.dispute', verbose_name='纠纷')),
                ('code', core.fields.EncryptedTextField(max_length=16, verbose_name='查询码')),
                ('code_hash', models.CharField(editable=False, help_text='查询码的带密钥哈希（HMAC-SHA256），公开查询页只按它查找。', max_length=64, unique=True, verbose_name='查询码检索码')),
                ('issued_at', models.DateTimeField(verbose_name='生成时间')),
                ('replaced', models.PositiveSmallIntegerField(default=0, verbose_name='重新生成次数')),
                ('issued_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='生成人')),
            ],
            options={
                'verbose_name': '查询码',
                'verbose_name_plural': '查询码',
            },
        ),
        migrations.CreateModel(
            name='CitizenRating',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('satisfaction', models.CharField(choices=[('satisfied', '满意'), ('basic', '基本满意'), ('unsatisfied', '不满意')], max_length=12, verbose_name='评价')),
                ('comment', models.TextField(blank=True, max_length=300, verbose_name='意见建议')),
                ('rated_at', models.DateTimeField(auto_now_add=True, verbose_name='评价时间')),
                ('dispute', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='citizen_ratings', to='cases.dispute', verbose_name='纠纷')),
            ],
            options={
                'verbose_name': '群众评价',
                'verbose_name_plural': '群众评价',
                'ordering': ['-rated_at', '-id'],
                'constraints': [models.UniqueConstraint(fields=('dispute',), name='citizen_rating_once_per_case'), models.CheckConstraint(condition=models.Q(('satisfaction__in', ['satisfied', 'basic', 'unsatisfied'])), name='citizen_rating_satisfaction_valid')],
            },
        ),
        migrations.RunPython(add_guards, drop_guards, elidable=False),
    ]
