"""Run by cron every five minutes (docs/deadlines.md):

    */5 * * * * cd /srv/jiaxiang && .venv/bin/python manage.py sweep_deadlines

Idempotent and safe to run twice at once; see cases/supervision.py. With more than one app server, only one node
sweeps at a time (a PostgreSQL advisory lock, core/locks.py): a second run that finds it held says so and exits 0.
"""

from django.core.management.base import BaseCommand

from cases.services.supervision import sweep
from core.locks import single_node


class Command(BaseCommand):
    help = "检查办结时限：临期记黄牌、逾期记红牌并开启纪委督办、督办逾期提级到县。可重复执行，多份同时运行也只记录一次。"

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        django_error = parser.error  # prints usage and exits 2 on the command line; raises CommandError otherwise

        def error(message):
            django_error(f"参数错误（{message}）。用法：manage.py sweep_deadlines [-v 0|1|2]，本命令无需其他参数。")

        parser.error = error
        return parser

    def handle(self, *args, verbosity=1, **options):
        with single_node("sweep_deadlines") as mine:
            if not mine:
                if verbosity:
                    self.stdout.write("另一节点正在执行时限检查，本次跳过（下次定时再查）。")
                return
            report = sweep()
        if verbosity == 0:
            return
        lines = [
            ("临期提醒（黄牌）", report.due_soon),
            ("逾期（红牌）", report.overdue),
            ("开启纪委督办", report.supervisions_opened),
            ("督办逾期、提级到县", report.escalated),
            ("预警回复逾期", report.warnings_overdue),
            ("回访到期、司法确认提醒", report.mediation_reminders),
        ]
        for label, numbers in lines:
            if numbers:
                shown = "、".join(numbers[:50]) + (f" 等{len(numbers)}件" if len(numbers) > 50 else "")
                self.stdout.write(f"{label} {len(numbers)} 件：{shown}")
        summary = "，".join(f"{label} {len(numbers)} 件" for label, numbers in lines)
        style = self.style.WARNING if report.total else self.style.SUCCESS
        self.stdout.write(style(f"时限检查完成：{summary}。" if report.total else "时限检查完成：没有需要记录的事项。"))
