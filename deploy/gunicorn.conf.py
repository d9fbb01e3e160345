"""Gunicorn settings for 平安周例会 (docs/deploy.md). Loaded by deploy/systemd/jiaxiang-web.service:

    gunicorn --config deploy/gunicorn.conf.py jiaxiang.wsgi:application

Every knob can be changed by an environment variable of the unit's EnvironmentFile (/etc/jiaxiang/jiaxiang.env)
without editing this file; `gunicorn --check-config` is run on it by tests/deploy/test_deploy_files.py.

Graceful reload (new code or settings, no dropped request): `systemctl reload jiaxiang-web` sends SIGHUP; the master
re-reads this file, starts new workers with the new code (preload_app is off, so they import it afresh) and lets the
old ones finish their requests within graceful_timeout.
"""

import multiprocessing
import os


def _int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# nginx on the same host talks to this address; never bind a public interface (nginx terminates TLS, buffers slow
# clients and serves static files).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers behind a buffering proxy: each request is short (pages are a handful of indexed queries) and nginx
# absorbs slow phone connections, so 2 × cores + 1 keeps the CPUs busy while some workers wait on PostgreSQL. On the
# 2–4-core servers this is 5–9 workers, i.e. 5–9 database connections (CONN_MAX_AGE keeps one per worker).
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"

# The slowest legitimate request is the 50,000-row ledger export (≤ 15 s) or a 月报 .docx; 60 s leaves room and still
# kills a stuck worker. A SIGHUP/SIGTERM gives running requests 30 s to finish before the worker is killed.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# nginx keeps upstream connections alive (deploy/nginx/jiaxiang.conf, keepalive 16): a little longer than its idle.
keepalive = 75

# Recycle a worker after about this many requests (jitter so they do not all restart together): bounds the memory
# any slow leak in a dependency could take.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Heartbeat files in memory, not on the (possibly slow or read-only) disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Request line and header limits: gunicorn's defaults, written down so nobody raises them by accident.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# X-Forwarded-Proto / X-Forwarded-For are believed only from nginx on this host. (Django's own view of the client
# address is audit/ip.py with TRUSTED_PROXIES; of https, SECURE_PROXY_SSL_HEADER with BEHIND_TLS_PROXY.)
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to stdout/stderr, i.e. the journal (journalctl -u jiaxiang-web). The access line names the client as nginx
# saw it (X-Forwarded-For, written by nginx from the real_ip module) and the peer, and logs the PATH ONLY, never the
# query string: ledger searches (?q=姓名) would otherwise put party names into the log (docs/pii.md). %(L)s is the
# request time in seconds.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = '%({x-forwarded-for}i)s %(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)s "%(a)s"'

proc_name = "jiaxiang"
# Import the application in each worker, not in the master: SIGHUP then really loads new code, and no database
# connection opened at import time is ever shared between forked workers.
preload_app = False
