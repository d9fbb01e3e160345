"""The Django admin speaks Chinese (issue 13 #5): every page the 系统管理员 reaches — index, each registered model's
list, add, change and history pages — shows no English sentence. Django 5.2's zh_Hans catalogue lacks a few
(our locale/zh_Hans/LC_MESSAGES/django.po words them), permissions are English rows (accounts.admin labels them
from their codenames), and the search icon's alt text is hard-coded (templates/admin/search_form.html)."""

import re
from html.parser import HTMLParser

from django.contrib import admin
from django.urls import NoReverseMatch, reverse

# Words that are data or proper names, not sentences: user names of the fixtures, product and format names, the
# keys of a Mac keyboard in Django's own Chinese help text, and the parts of a password hash summary.
ALLOWED = re.compile(r"sysadmin|sec_a|TOTP|Excel|Webhook|Markdown|key=|\.docx|docs/[\w.]+\.md|hotline\d*|api-|LDAP|Control|Command|Mac|md5|pbkdf2_sha256|[0-9a-f]{6}\*+")


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        self.texts += [v for k, v in attrs if k in ("title", "placeholder", "aria-label") and v]
        self.texts += [v for k, v in attrs if tag == "input" and k == "value" and ("type", "submit") in attrs and v]

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def _admin_urls():
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        base = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{base}_changelist"), reverse("admin:app_list", args=[model._meta.app_label])]
        try:
            urls.append(reverse(f"{base}_add"))
        except NoReverseMatch:
            pass
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            urls += [reverse(f"{base}_change", args=[obj.pk]),
                     reverse(f"{base}_history", args=[obj.pk])]
    return list(dict.fromkeys(urls))


def test_no_admin_page_shows_an_english_sentence(client, sysadmin, secretary_a, make_case):
    make_case(secretary_a, "370829001209")
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    client.force_login(sysadmin)
    english = {}
    for url in _admin_urls():
        response = client.get(url)
        if response.status_code == 403:  # read-only models have no add page
            continue
        assert response.status_code == 200, url
        parser = VisibleText()
        parser.feed(response.content.decode())
        for text in parser.texts:
            if re.search(r"[A-Za-z]{3,}", ALLOWED.sub("", text)):
                english.setdefault(text, url)
    assert english == {}


def test_the_permission_pickers_and_the_search_icon_are_chinese(client, sysadmin):
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    client.force_login(sysadmin)
    text = client.get(reverse("admin:auth_group_add")).content.decode()
    assert "认证和授权 | 用户 | 可增加用户" in text and "双因素认证 | TOTP 验证器 | 可查看TOTP 验证器" in text
    assert "登录锁定 | 登录尝试 | 可删除登录尝试" in text and "Can add" not in text
    assert "可修改用户" in client.get(reverse("admin:auth_user_change", args=[sysadmin.pk])).content.decode()
    assert 'alt="搜索"' in client.get(reverse("admin:auth_user_changelist")).content.decode()
    index = client.get(reverse("admin:index")).content.decode()
    assert "模型名称" in index and "Model name" not in index
