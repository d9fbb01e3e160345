from django.apps import AppConfig


class PerfConfig(AppConfig):
    """The benchmark's seed and measuring commands (docs/performance.md). At the top of the layers: they seed and
    time every app's pages (cases, meetings, notify, stats)."""

    name = "perf"
    verbose_name = "性能基准"
