"""The model class `Warning` shadowed Python's builtin: it is `EarlyWarning` now. The table keeps its name
(cases_warning), so this migration changes Django's state only and touches no data."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_county_list_index"),
        ("meetings", "0001_meetings_reviews_attendance"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameModel("Warning", "EarlyWarning"),
                migrations.AlterModelTable("earlywarning", "cases_warning"),
            ],
            database_operations=[],
        ),
    ]
