from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "矛盾纠纷"

    def ready(self):
        from django.urls import register_converter

        from .converters import CaseNumberConverter

        register_converter(CaseNumberConverter, "case")
