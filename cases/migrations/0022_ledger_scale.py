"""Issue 14: the town column and its ledger index, the keyword's search column (pg_trgm on PostgreSQL) and the
per-village tally, with the triggers that keep them (cases/denorm.py), filled from the cases already there."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def install_and_fill(apps, schema_editor):
    from cases import denorm

    denorm.install(schema_editor.connection)
    denorm.rebuild(schema_editor.connection)


def uninstall(apps, schema_editor):
    from cases import denorm

    denorm.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0019_mediation_file'),
        ('org', '0004_people_directory'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(max_length=12, verbose_name='状态')),
                ('risk', models.CharField(max_length=10, verbose_name='风险等级')),
                ('n', models.IntegerField(default=0, verbose_name='案件数')),
            ],
            options={
                'verbose_name': '案件计数',
                'verbose_name_plural': '案件计数',
            },
        ),
        migrations.AddField(
            model_name='dispute',
            name='search_text',
            field=models.TextField(blank=True, default='', editable=False, verbose_name='检索文本'),
        ),
        migrations.AddField(
            model_name='dispute',
            name='town',
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.division', verbose_name='所在镇街'),
        ),
        migrations.AddIndex(
            model_name='dispute',
            index=models.Index(fields=['town', '-created_at', '-id'], name='dispute_town_created'),
        ),
        migrations.AddField(
            model_name='casetally',
            name='village',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='org.division', verbose_name='村/社区'),
        ),
        migrations.AddConstraint(
            model_name='casetally',
            constraint=models.UniqueConstraint(fields=('village', 'status', 'risk'), name='casetally_key'),
        ),
        migrations.RunPython(install_and_fill, uninstall),
    ]
