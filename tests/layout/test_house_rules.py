"""The house rules of docs/architecture.md, checked: templates decide nothing, modules stay small, layers hold."""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
APPS = ("core", "org", "accounts", "audit", "cases", "meetings", "jiaxiang")
ROLE_TEST = re.compile(r"membership\.role|\.role\s*==")


def test_no_template_compares_roles():
    """Permission decisions live in cases/policy.py; templates get booleans and the menu."""
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ROLE_TEST.search(line)
    ]
    assert offenders == [], "模板里不能判断角色，请在 cases/policy.py 中回答并把结果传给模板：\n" + "\n".join(offenders)


def test_the_role_check_itself_catches_a_role_comparison(tmp_path):
    assert ROLE_TEST.search('{% if membership.role == "discipline" %}')
    assert ROLE_TEST.search("{% if m.role == 'admin' %}")
    assert not ROLE_TEST.search("{{ membership.get_role_display }}")


def test_no_app_module_is_over_500_lines():
    big = [
        f"{path.relative_to(ROOT)} ({count} lines)"
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        and (count := len(path.read_text(encoding="utf-8").splitlines())) > 500
    ]
    assert big == [], "超过500行的模块请拆分：" + "、".join(big)


def test_import_layers_hold():
    """`.importlinter`: core <- org <- audit <- accounts <- cases <- meetings; `make test` runs it too."""
    result = subprocess.run([str(pathlib.Path(sys.executable).parent / "lint-imports")], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 kept, 0 broken" in result.stdout
