"""`esc`: Django's conditional_escape, for the markup the pages write in Python (core.form_renderer, {% case_rows %},
{% agenda_item %}).

The same characters come out; what it skips is the lazy-string check `escape` carries (keep_lazy inspects every
argument on every call). The ledger escapes about 900 values per page: 2.3 ms through Django's function, 0.4 ms
here (docs/performance.md). tests/core/test_html.py compares the two on every kind of value.
"""

import html

from django.utils.functional import Promise


def esc(value) -> str:
    """A value with __html__ (SafeString, a rendered widget …) as it renders itself; anything else as str(), with
    & < > " ' escaped. Returns a plain str: callers mark the finished markup safe once."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))
