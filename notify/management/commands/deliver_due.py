"""Catch up the deliveries of 待办 that are due: retries whose time has come, SMS held in quiet hours, and anything
whose job was lost. Idempotent and safe to run beside the workers (each delivery is locked while it is tried);
systemd runs it every few minutes (deploy/systemd/jiaxiang-deliveries.timer)."""

from django.core.management.base import BaseCommand

from notify.delivery.send import deliver_due


class Command(BaseCommand):
    help = "补发到期的待办通知（短信、企业微信群、电子邮件）：失败重试、免打扰顺延和遗漏的发送任务。"

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="本次最多处理的发送记录数（默认500）。")

    def handle(self, *, limit, **options):
        counts = deliver_due(limit=limit)
        labels = {"sent": "已发送", "retry": "失败待重试", "failed": "失败已停止", "held": "免打扰顺延",
                  "cancelled": "事项已办结取消", "skipped": "已由其他进程处理", "not due": "未到时间"}
        summary = "，".join(f"{labels.get(k, k)}{v}条" for k, v in sorted(counts.items())) or "没有到期的发送记录"
        self.stdout.write(f"补发通知：{summary}。")
