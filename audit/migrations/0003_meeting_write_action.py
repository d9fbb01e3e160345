from django.db import migrations, models


class Migration(migrations.Migration):
    """Meeting services write audit rows too (open, edit, attendance, review, override, close)."""

    dependencies = [
        ("audit", "0002_append_only_trigger"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("login", "登录成功"), ("login_failed", "登录失败"), ("logout", "退出登录"), ("lockout", "账号锁定"),
                    ("unlock", "解除锁定"), ("access_denied", "越权或不存在的访问"), ("case_write", "案件写入"),
                    ("meeting_write", "例会记录"), ("pii_view", "查看个人信息明文"), ("export", "导出"),
                    ("account_change", "账号变更"), ("role_change", "角色变更"), ("duty_conflict", "职责分离冲突"),
                    ("password_change", "修改密码"), ("password_reset", "管理员重置密码"), ("otp_setup", "绑定双因素认证"),
                    ("otp_verify", "双因素认证通过"), ("otp_failed", "双因素认证失败"), ("otp_reset", "重置双因素认证"),
                ],
                max_length=20, verbose_name="操作",
            ),
        ),
    ]
