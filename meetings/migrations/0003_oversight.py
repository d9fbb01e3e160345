"""督导组 records (issue 11 #3) and the 互学互比 weights with their defaults."""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


DEFAULT_WEIGHTS = {"resolution_rate": "0.400", "on_time_rate": "0.300", "meeting_rate": "0.200",
                   "satisfaction_rate": "0.100"}


def add_default_weights(apps, schema_editor):
    ScoreWeight = apps.get_model("meetings", "ScoreWeight")
    for key, weight in DEFAULT_WEIGHTS.items():
        ScoreWeight.objects.get_or_create(key=key, defaults={"weight": Decimal(weight)})


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0015_first_resolution_kept_and_cohort_index'),
        ('meetings', '0002_minutes_recorder_and_checker'),
        ('org', '0003_security_admin_grant_requests_enrolment_codes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='OversightVisit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('iso_year', models.PositiveSmallIntegerField(verbose_name='年')),
                ('iso_week', models.PositiveSmallIntegerField(verbose_name='周')),
                ('planned_on', models.DateField(verbose_name='督导日期')),
                ('purpose', models.TextField(max_length=1000, verbose_name='督导内容')),
                ('status', models.CharField(choices=[('planned', '计划督导'), ('done', '已督导')], default='planned', max_length=8, verbose_name='状态')),
                ('findings', models.TextField(blank=True, max_length=4000, verbose_name='督导情况')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='安排时间')),
                ('recorded_at', models.DateTimeField(blank=True, null=True, verbose_name='记录时间')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='安排人')),
                ('division', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.division', verbose_name='督导的村/镇街')),
                ('meeting', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='oversight_visits', to='meetings.meeting', verbose_name='列席的例会')),
                ('members', models.ManyToManyField(related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='督导组成员')),
            ],
            options={
                'verbose_name': '督导组列席督导',
                'verbose_name_plural': '督导组列席督导',
                'ordering': ['-planned_on', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ScoreWeight',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(choices=[('resolution_rate', '化解率'), ('on_time_rate', '按时办结率'), ('meeting_rate', '例会召开率'), ('satisfaction_rate', '抽查满意率')], max_length=20, unique=True, verbose_name='指标')),
                ('weight', models.DecimalField(decimal_places=3, max_digits=4, verbose_name='权重')),
            ],
            options={
                'verbose_name': '互学互比权重',
                'verbose_name_plural': '互学互比权重',
                'ordering': ['id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('weight__gte', 0), ('weight__lte', 1)), name='scoreweight_0_to_1')],
            },
        ),
        migrations.CreateModel(
            name='SpotCheckSample',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period_start', models.DateField(verbose_name='结案日期自')),
                ('period_end', models.DateField(verbose_name='结案日期至')),
                ('size', models.PositiveSmallIntegerField(verbose_name='抽取件数')),
                ('seed', models.BigIntegerField(editable=False, verbose_name='随机种子')),
                ('candidate_ids', models.JSONField(editable=False, verbose_name='候选案件（按编号顺序）')),
                ('status', models.CharField(choices=[('open', '回访中'), ('closed', '已完成')], default='open', max_length=8, verbose_name='状态')),
                ('drawn_at', models.DateTimeField(auto_now_add=True, verbose_name='抽取时间')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                ('drawn_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='抽取人')),
                ('town', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.division', verbose_name='镇街')),
            ],
            options={
                'verbose_name': '抽查回访样本',
                'verbose_name_plural': '抽查回访样本',
                'ordering': ['-drawn_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='OversightOpinion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField(max_length=2000, verbose_name='督导意见')),
                ('at', models.DateTimeField(auto_now_add=True, verbose_name='提出时间')),
                ('answer', models.TextField(blank=True, max_length=2000, verbose_name='答复')),
                ('answered_at', models.DateTimeField(blank=True, null=True, verbose_name='答复时间')),
                ('answered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='答复人')),
                ('by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='督导组成员')),
                ('dispute', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='oversight_opinions', to='cases.dispute', verbose_name='案件')),
                ('meeting', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='oversight_opinions', to='meetings.meeting', verbose_name='例会')),
            ],
            options={
                'verbose_name': '督导意见',
                'verbose_name_plural': '督导意见',
                'ordering': ['-at', '-id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('meeting__isnull', False), ('dispute__isnull', False), _connector='OR'), name='opinion_on_meeting_or_case')],
            },
        ),
        migrations.CreateModel(
            name='SpotCheckItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(verbose_name='抽取顺序')),
                ('reached', models.BooleanField(null=True, verbose_name='电话接通')),
                ('satisfied', models.BooleanField(null=True, verbose_name='当事人满意')),
                ('agreement_kept', models.BooleanField(null=True, verbose_name='协议履行')),
                ('recurred', models.BooleanField(null=True, verbose_name='纠纷反复')),
                ('note', models.TextField(blank=True, max_length=2000, verbose_name='回访记录')),
                ('called_at', models.DateTimeField(blank=True, null=True, verbose_name='回访时间')),
                ('called_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='回访人')),
                ('dispute', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='spot_checks', to='cases.dispute', verbose_name='案件')),
                ('sample', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='items', to='meetings.spotchecksample', verbose_name='样本')),
            ],
            options={
                'verbose_name': '抽查回访结果',
                'verbose_name_plural': '抽查回访结果',
                'ordering': ['sample_id', 'position'],
                'constraints': [models.UniqueConstraint(fields=('sample', 'dispute'), name='spotcheck_case_once')],
            },
        ),
        migrations.RunPython(add_default_weights, migrations.RunPython.noop),
    ]
