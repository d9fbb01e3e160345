# 平安周例会 — two commands on a fresh machine:
#   make run    create .venv, install, migrate SQLite, load divisions + demo data, serve on 127.0.0.1:8000
#   make test   create .venv, install, run the whole suite (browser tests need Debian's chromium; installed here
#               with apt when running as root, otherwise they skip loudly)
PY ?= python3
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
	@printf 'DEBUG=true\nSECRET_KEY=dev-%s\n' "$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(40))')" > .env
	@echo "已创建本地开发用 .env（DEBUG=true，随机 SECRET_KEY）。生产环境请按 .env.example 配置。"

migrate: $(STAMP) .env
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_divisions
	$(BIN)/python manage.py seed_demo

run: demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "安装浏览器测试依赖 chromium fonts-wqy-microhei …"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei) >/tmp/jiaxiang-apt.log 2>&1 \
		|| echo "!!! 无法安装 chromium（见 /tmp/jiaxiang-apt.log），浏览器测试将跳过"; \
	else echo "!!! 不是 root 或没有 apt-get：浏览器测试将跳过"; fi

test: $(STAMP) .env browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP) .env
	$(BIN)/python manage.py seed_benchmark
	$(BIN)/python manage.py benchmark

clean:
	rm -rf $(VENV) .pytest_cache
