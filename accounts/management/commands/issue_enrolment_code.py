"""Issue a one-time 2FA enrolment code from the server's command line — for the first accounts of a new installation
(the first 系统管理员 and 安全管理员), before any 安全管理员 can issue one on 账号安全. Audited like the page's."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts import security
from core.errors import Refused


class Command(BaseCommand):
    help = "为指定账号签发一次性双因素绑定码（24 小时内有效，只能使用一次；只显示这一次，记入审计日志）。"

    def add_arguments(self, parser):
        parser.add_argument("username", help="账号的用户名")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户名为“{username}”的账号。")
        try:
            code = security.issue_enrolment_code(None, user=user)
        except Refused as refused:
            raise CommandError(refused.message) from None
        self.stdout.write(f"“{username}”的双因素绑定码（只显示这一次，{security.ENROLMENT_CODE_HOURS} 小时内有效，"
                          f"只能使用一次）：{code}")
