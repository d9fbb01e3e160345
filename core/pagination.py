"""A bounded page-number pager: no COUNT over the whole table, OFFSET never deeper than max_pages."""

from dataclasses import dataclass

from django.conf import settings


@dataclass
class Page:
    rows: list
    number: int
    has_next: bool
    total: int  # capped count
    capped: bool  # True when there are more than `total` rows
    too_deep: bool  # the requested page was beyond the limit and was clamped
    max_pages: int

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def previous_number(self):
        return self.number - 1

    @property
    def next_number(self):
        return self.number + 1

    @property
    def num_pages(self):
        size = settings.CASE_LIST_PAGE_SIZE
        return min(self.max_pages, max(1, -(-self.total // size)))


def paginate(queryset, page_param, *, per_page=None, max_pages=None, total=None, count_cap=None) -> Page:
    """One page of `queryset`. `total`, when the caller knows it exactly (a kept tally), saves the count; else the
    rows are counted up to `count_cap` (default: every page that may be browsed) and the page says "N+" beyond."""
    per_page = per_page or settings.CASE_LIST_PAGE_SIZE
    max_pages = max_pages or settings.CASE_LIST_MAX_PAGES
    try:
        number = max(1, int(page_param or 1))
    except (TypeError, ValueError):
        number = 1
    too_deep = number > max_pages
    number = min(number, max_pages)
    if total is not None:
        capped = False
    else:
        cap = count_cap or per_page * max_pages
        # COUNT over a LIMITed subquery: cost bounded by `cap` rows whatever the table size.
        total = queryset.order_by().values("pk")[: cap + 1].count()
        capped = total > cap
        total = min(total, cap)
    offset = (number - 1) * per_page
    ids = queryset.values("pk")[offset : offset + per_page + 1]
    rows = list(queryset.filter(pk__in=ids))
    has_next = len(rows) > per_page and number < max_pages
    return Page(rows[:per_page], number, has_next, total, capped, too_deep, max_pages)
