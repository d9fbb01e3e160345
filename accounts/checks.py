"""Deployment checks of our own security settings, run by `manage.py check --deploy`."""

import ipaddress

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def second_factor_on_in_production(app_configs, **kwargs):
    if not settings.DEBUG and not settings.REQUIRE_2FA:
        return [Warning(
            "生产环境（DEBUG 关闭）未启用双因素认证：REQUIRE_2FA=false。",
            hint="等保三级要求管理类用户采用两种或以上组合的鉴别技术；删除 REQUIRE_2FA=false。",
            id="jiaxiang.W001",
        )]
    return []


@register(Tags.security)
def trusted_proxies_are_addresses(app_configs, **kwargs):
    errors = []
    for value in settings.TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            errors.append(Error(
                f"TRUSTED_PROXIES 中的“{value}”不是 IP 地址或网段。", id="jiaxiang.E001",
                hint="只列出本系统前面的反向代理的地址，例如 10.0.0.5 或 10.0.0.0/29。",
            ))
    return errors


@register(Tags.security, deploy=True)
def password_age_rule_on(app_configs, **kwargs):
    if not settings.DEBUG and not settings.PASSWORD_MAX_AGE_DAYS:
        return [Warning("生产环境关闭了密码定期更换（PASSWORD_MAX_AGE_DAYS=0）。", id="jiaxiang.W002")]
    return []


@register(Tags.security, deploy=True)
def tls_proxy_is_a_trusted_proxy(app_configs, **kwargs):
    """BEHIND_TLS_PROXY believes X-Forwarded-Proto: only right when the proxy that sets it is known (docs/deploy.md)."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not settings.TRUSTED_PROXIES:
        return [Warning(
            "BEHIND_TLS_PROXY=true，但 TRUSTED_PROXIES 为空：任何客户端都能伪造 X-Forwarded-Proto。",
            hint="把终结 TLS 的反向代理地址写进 TRUSTED_PROXIES（同机 nginx：127.0.0.1,::1），并只让它连接 gunicorn。",
            id="jiaxiang.W003",
        )]
    return []
