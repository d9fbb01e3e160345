"""四定 names people of the people directory (org.Person) instead of accounts; 三包 duties per person.

The old columns held user ids: each becomes the id of that account's directory row (org 0004 created one for every
membership; an account without one gets a row here, placed in the case's village)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def users_to_people(apps, schema_editor):
    Assignment = apps.get_model("cases", "Assignment")
    Person = apps.get_model("org", "Person")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    people = dict(Person.objects.filter(user__isnull=False).values_list("user_id", "id"))

    def person_of(user_id, assignment):
        if user_id not in people:
            u = User.objects.get(pk=user_id)
            people[user_id] = Person.objects.create(
                user_id=user_id, name=(f"{u.last_name}{u.first_name}".strip() or u.username)[:32],
                division_id=assignment.dispute.holder_division_id, active=u.is_active).pk
        return people[user_id]

    for a in Assignment.objects.select_related("dispute").iterator():
        a.lead_person_id = person_of(a.lead_leader_id, a)
        a.responsible_person_new_id = person_of(a.responsible_person_id, a)
        a.save(update_fields=["lead_person", "responsible_person_new"])


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0017_supervision_work"),
        ("org", "0004_people_directory"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="assignment", name="assignment_active_leader"),
        migrations.RemoveIndex(model_name="assignment", name="assignment_active_person"),
        migrations.AddField(
            model_name="assignment", name="lead_person",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="org.person"),
        ),
        migrations.AddField(
            model_name="assignment", name="responsible_person_new",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="org.person"),
        ),
        migrations.RunPython(users_to_people, migrations.RunPython.noop),
        migrations.RemoveField(model_name="assignment", name="lead_leader"),
        migrations.RemoveField(model_name="assignment", name="responsible_person"),
        migrations.RenameField(model_name="assignment", old_name="lead_person", new_name="lead_leader"),
        migrations.RenameField(model_name="assignment", old_name="responsible_person_new", new_name="responsible_person"),
        migrations.AlterField(
            model_name="assignment", name="lead_leader",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="led_assignments",
                                    to="org.person", verbose_name="包案领导"),
        ),
        migrations.AlterField(
            model_name="assignment", name="responsible_person",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                    related_name="responsible_assignments", to="org.person", verbose_name="责任人"),
        ),
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(condition=models.Q(("active", True)), fields=["lead_leader"],
                               name="assignment_active_leader"),
        ),
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(condition=models.Q(("active", True)), fields=["responsible_person"],
                               name="assignment_active_person"),
        ),
        migrations.CreateModel(
            name="Duty",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("handle", "包调处"), ("track", "包跟踪"), ("feedback", "包反馈")],
                                          max_length=10, verbose_name="类别")),
                ("due_on", models.DateField(verbose_name="完成期限")),
                ("done_at", models.DateTimeField(blank=True, null=True, verbose_name="完成时间")),
                ("assignment", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="duties",
                                                 to="cases.assignment", verbose_name="四定")),
                ("person", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="duties",
                                             to="org.person", verbose_name="负责人")),
            ],
            options={
                "verbose_name": "三包责任", "verbose_name_plural": "三包责任", "ordering": ["assignment_id", "kind"],
                "constraints": [models.UniqueConstraint(fields=("assignment", "kind"), name="duty_one_per_kind")],
            },
        ),
    ]
