"""The files in deploy/ are used, not just kept: gunicorn loads its config and the application, every systemd unit
passes `systemd-analyze verify`, the nginx site passes `nginx -t`, and the limits and paths in them agree with the
settings they must match (attachment size, STATIC_ROOT, the client-address rule of audit/ip.py)."""

import multiprocessing
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from cases import imports
from core import uploads

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent
GUNICORN = VENV_BIN / "gunicorn"
SITE = (DEPLOY / "nginx" / "jiaxiang.conf").read_text(encoding="utf-8")


def gunicorn(*args, **env):
    return subprocess.run(
        [str(GUNICORN), *args, "--config", str(DEPLOY / "gunicorn.conf.py"), "jiaxiang.wsgi:application"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False, env={**os.environ, **env},
    )


def printed_config(**env) -> dict:
    result = gunicorn("--print-config", **env)
    assert result.returncode == 0, result.stderr
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^(\w+)\s+= (.*)$", result.stdout, re.M)}


# --- gunicorn ---------------------------------------------------------------------------------------------------------

def test_gunicorn_config_and_application_load():
    result = gunicorn("--check-config")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_application_path_fails_the_check():
    """The check really imports the application: a config check that could not fail would prove nothing."""
    result = subprocess.run([str(GUNICORN), "--check-config", "--config", str(DEPLOY / "gunicorn.conf.py"),
                             "jiaxiang.no_such_module:application"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode != 0


def test_gunicorn_workers_follow_the_cores_and_the_environment():
    config = printed_config()
    assert int(config["workers"]) == multiprocessing.cpu_count() * 2 + 1
    assert config["timeout"] == "60" and config["graceful_timeout"] == "30"
    assert config["bind"] == "['127.0.0.1:8000']"
    assert config["preload_app"] == "False"  # SIGHUP (systemctl reload) then really loads the new code
    changed = printed_config(GUNICORN_WORKERS="3", GUNICORN_BIND="127.0.0.1:8161")
    assert changed["workers"] == "3" and changed["bind"] == "['127.0.0.1:8161']"


def test_access_log_names_the_forwarded_client_and_never_the_query_string():
    fmt = printed_config()["access_log_format"]
    assert "%({x-forwarded-for}i)s" in fmt and "%(h)s" in fmt
    assert "%(U)s" in fmt  # the path
    assert "%(r)s" not in fmt and "%(q)s" not in fmt  # request line / query string: ?q=姓名 would be logged


# --- systemd ----------------------------------------------------------------------------------------------------------

def unit_files():
    return sorted(p for p in (DEPLOY / "systemd").iterdir() if p.suffix in (".service", ".timer", ".socket"))


def test_the_web_unit_exists_and_is_hardened():
    text = (DEPLOY / "systemd" / "jiaxiang-web.service").read_text(encoding="utf-8")
    assert "EnvironmentFile=/etc/jiaxiang/jiaxiang.env" in text
    assert "--config /srv/jiaxiang/deploy/gunicorn.conf.py" in text
    assert "ExecReload=/bin/kill -s HUP $MAINPID" in text
    for option in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                   "CapabilityBoundingSet=", "SystemCallFilter=@system-service", "ReadWritePaths=/srv/jiaxiang/var"):
        assert re.search(rf"^{re.escape(option)}$", text, re.M), option
    assert re.search(r"^User=jiaxiang$", text, re.M)


def test_systemd_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze 不可用（不是 systemd 系统）：未校验 deploy/systemd/ 中的单元文件")
    # The units name /srv/jiaxiang; verify checks that ExecStart's program exists, so lay out that tree here.
    srv = tmp_path / "srv" / "jiaxiang"
    (srv / ".venv" / "bin").mkdir(parents=True)
    (srv / "var").mkdir()
    for tool in ("gunicorn", "python"):
        (srv / ".venv" / "bin" / tool).symlink_to(VENV_BIN / tool if (VENV_BIN / tool).exists() else sys.executable)
    units = tmp_path / "units"
    units.mkdir()
    names = []
    for unit in unit_files():
        name = unit.name.replace("@.", "@verify.")  # a template is verified as one of its instances
        (units / name).write_text(unit.read_text(encoding="utf-8").replace("/srv/jiaxiang", str(srv)),
                                  encoding="utf-8")
        names.append(name)
    assert "jiaxiang-web.service" in names
    result = subprocess.run([analyze, "verify", *[str(units / n) for n in names]], capture_output=True, text=True,
                            timeout=120, check=False)
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if any(n.split("@")[0].split(".")[0] in line for n in names)]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr


def test_systemd_verify_would_catch_a_broken_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze 不可用")
    broken = tmp_path / "jiaxiang-web.service"
    broken.write_text((DEPLOY / "systemd" / "jiaxiang-web.service").read_text(encoding="utf-8")
                      .replace("ProtectSystem=strict", "ProtectSystem=sometimes"), encoding="utf-8")
    result = subprocess.run([analyze, "verify", str(broken)], capture_output=True, text=True, timeout=120,
                            check=False)
    assert "jiaxiang-web.service" in result.stdout + result.stderr


# --- nginx ------------------------------------------------------------------------------------------------------------

def nginx_test_tree(tmp_path, site=SITE):
    """The site inside a minimal nginx.conf, with its paths moved under tmp_path and a throw-away certificate."""
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", str(tls / "privkey.pem"), "-out", str(tls / "fullchain.pem")],
                   capture_output=True, check=True, timeout=60)
    (tmp_path / "logs").mkdir()
    (tmp_path / "tmp").mkdir()
    site = (site.replace("/etc/jiaxiang/tls", str(tls)).replace("/var/log/nginx", str(tmp_path / "logs"))
            .replace("/srv/jiaxiang", str(tmp_path / "srv")).replace("/var/www/acme", str(tmp_path / "acme")))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    t = tmp_path
    (tmp_path / "nginx.conf").write_text(
        f"pid {t}/nginx.pid;\nerror_log {t}/logs/error.log;\nevents {{}}\n"
        f"http {{\n include /etc/nginx/mime.types;\n access_log {t}/logs/access.log;\n"
        f" client_body_temp_path {t}/tmp/body; proxy_temp_path {t}/tmp/proxy; fastcgi_temp_path {t}/tmp/fcgi;\n"
        f" uwsgi_temp_path {t}/tmp/uwsgi; scgi_temp_path {t}/tmp/scgi;\n include {t}/site.conf;\n}}\n",
        encoding="utf-8")
    return tmp_path / "nginx.conf"


def nginx_binary():
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not binary:
        pytest.skip("nginx 未安装（apt-get install nginx-light）：未用 nginx -t 校验 deploy/nginx/jiaxiang.conf")
    return binary


def test_nginx_site_passes_nginx_t(tmp_path):
    conf = nginx_test_tree(tmp_path)
    result = subprocess.run([nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def test_nginx_t_would_catch_a_broken_site(tmp_path):
    conf = nginx_test_tree(tmp_path, SITE.replace("client_max_body_size 12m;", "client_max_body_size twelve;"))
    result = subprocess.run([nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode != 0


def test_nginx_body_limit_lets_the_largest_allowed_upload_reach_django():
    limit = re.search(r"client_max_body_size (\d+)m;", SITE)
    assert limit, "client_max_body_size missing"
    nginx_bytes = int(limit.group(1)) * 1024 * 1024
    largest = max(settings.ATTACHMENT_MAX_BYTES, imports.MAX_BYTES) + uploads.MULTIPART_SLACK
    assert largest <= nginx_bytes <= largest + 4 * 1024 * 1024  # Django answers oversize in Chinese, nginx beyond


def test_nginx_static_alias_is_static_root_and_redirects_http():
    static_root = Path(settings.STATIC_ROOT).name
    assert re.search(rf"location /static/ \{{\s*alias /srv/jiaxiang/{static_root}/;", SITE)
    assert f"/{settings.STATIC_URL.strip('/')}/" == "/static/"
    assert "return 301 https://$host$request_uri;" in SITE
    assert re.search(r"listen 443 ssl", SITE) and "ssl_protocols TLSv1.2 TLSv1.3;" in SITE


def test_nginx_sends_one_forwarded_address_and_trusts_forwarded_for_only_from_listed_proxies():
    """audit/ip.py takes the right-most X-Forwarded-For entry that is not a trusted proxy: nginx must overwrite the
    header with the client it saw (never append the client's own), and believe X-Forwarded-For only from the
    set_real_ip_from addresses."""
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in SITE
    assert "$proxy_add_x_forwarded_for" not in SITE
    assert "real_ip_header X-Forwarded-For;" in SITE
    assert set(re.findall(r"set_real_ip_from (\S+);", SITE)) == {"127.0.0.1", "::1"}
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in SITE


def test_nginx_adds_no_security_header_to_the_applications_pages():
    """The application sends its own CSP (no 'unsafe-inline'), HSTS and frame rules; a second CSP header from nginx
    would be combined by browsers (the stricter wins) and break pages. Only the static location adds headers."""
    proxied = SITE[SITE.index("location / {\n        proxy_pass"):]
    assert "add_header" not in proxied
    static = SITE[SITE.index("location /static/"):SITE.index("location / {\n        proxy_pass")]
    assert "Content-Security-Policy" in static and "unsafe-inline" not in static
