# 平安周例会 — two commands on a fresh machine:
#   make run    create .venv, install, migrate SQLite, load divisions + demo data, serve on 127.0.0.1:8000
#               (another port: PORT=8010 make run)
#   make test   create .venv, install, run the whole suite (browser tests need Debian's chromium; installed here
#               with apt when running as root, otherwise they skip loudly)
PY ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test browser-deps migrate demo bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

.env:
	@printf 'DEBUG=true\nSECRET_KEY=dev-%s\nFIELD_ENCRYPTION_KEY=%s\n' \
		"$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(40))')" \
		"$$($(PY) -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')" > .env
	@echo "已创建本地开发用 .env（DEBUG=true，随机 SECRET_KEY，随机当事人信息加密密钥 FIELD_ENCRYPTION_KEY，均写在 .env 中）。生产环境请按 .env.example 配置。"

# An .env from before encryption gets its development key added once (the key must then stay: it decrypts the data).
.PHONY: field-key
field-key: .env
	@grep -q '^FIELD_ENCRYPTION_KEY=' .env || { \
		printf 'FIELD_ENCRYPTION_KEY=%s\n' "$$($(PY) -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')" >> .env; \
		echo "已在 .env 中写入本地开发用 FIELD_ENCRYPTION_KEY（当事人信息加密密钥）。丢失此密钥，本地库中的身份证号、电话、住址将无法解密。"; }

migrate: $(STAMP) field-key
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_divisions
	$(BIN)/python manage.py seed_demo

# One worker of the job queue (docs/jobs.md) runs beside the server and is stopped when the server stops.
run: demo
	@$(BIN)/python manage.py db_worker --queue-name '*' --no-reload --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	echo "后台任务进程已启动（db_worker，进程号 $$worker），随服务器一起停止。"; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "安装浏览器测试依赖 chromium fonts-wqy-microhei …"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei) >/tmp/jiaxiang-apt.log 2>&1 \
		|| echo "!!! 无法安装 chromium（见 /tmp/jiaxiang-apt.log），浏览器测试将跳过"; \
	else echo "!!! 不是 root 或没有 apt-get：浏览器测试将跳过"; fi

test: $(STAMP) field-key browser-deps
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

bench: $(STAMP) field-key
	$(BIN)/python manage.py seed_benchmark
	$(BIN)/python manage.py benchmark

clean:
	rm -rf $(VENV) .pytest_cache
