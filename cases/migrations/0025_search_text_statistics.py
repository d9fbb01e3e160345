"""A larger statistics sample for Dispute.search_text (PostgreSQL).

With the default sample (100), the planner's guess of how many cases a one-character keyword such as 王 matches
swings with each ANALYZE between a handful and thousands: at a handful it reads and sorts the whole town instead of
walking the town's index to the first page (measured at 1,000,000 cases: 226 ms instead of 19 ms for the page's
query; docs/performance.md). A histogram of 1,000 entries keeps the guess within the right order of magnitude.
"""

from django.db import migrations

STATISTICS = 1000


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE cases_dispute ALTER COLUMN search_text SET STATISTICS {STATISTICS}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cases_dispute ALTER COLUMN search_text SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("cases", "0024_agenda_holder_index")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
