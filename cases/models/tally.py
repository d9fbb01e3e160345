"""CaseTally: how many cases each village has in each status and risk, kept exact by database triggers.

The home page's cards and the ledger's "共 N 条" read these few rows instead of counting cases (issue 14): a town
sums about 700 rows, the county about 11,000, whatever the number of cases. Triggers on cases_dispute
(cases/migrations/0022_ledger_scale.py) adjust the rows on every insert, delete and change of village, status or
risk, so no code path can forget to; `cases.tally.rebuild()` recounts from the cases.
"""

from django.db import models

from org.models import Division


class CaseTally(models.Model):
    village = models.ForeignKey(Division, verbose_name="村/社区", on_delete=models.CASCADE, related_name="+",
                                db_index=False)
    status = models.CharField("状态", max_length=12)
    risk = models.CharField("风险等级", max_length=10)
    n = models.IntegerField("案件数", default=0)

    class Meta:
        verbose_name = "案件计数"
        verbose_name_plural = "案件计数"
        constraints = [
            models.UniqueConstraint(fields=["village", "status", "risk"], name="casetally_key"),
        ]

    def __str__(self):
        return f"{self.village_id} {self.status} {self.risk}: {self.n}"
