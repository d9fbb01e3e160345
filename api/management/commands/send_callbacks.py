"""Send the result callbacks that are due (first tries that were never enqueued, retries after their back-off).

Idempotent and safe to run twice at once: each attempt claims its callback with a guarded update
(api.callbacks.send). Run it every minute when the job backend cannot defer (the immediate backend), and after a
receiver's outage to catch up at once."""

from django.core.management.base import BaseCommand

from api import callbacks


class Command(BaseCommand):
    help = "发送到期的外部系统结果回调（含失败后的重试）。"

    def handle(self, *args, **options):
        results = [callbacks.send(pk) for pk in callbacks.due().order_by("next_attempt_at").values_list("pk", flat=True)]
        sent = sum(r == "delivered" for r in results)
        self.stdout.write(f"到期回调 {len(results)} 条，送达 {sent} 条。")
