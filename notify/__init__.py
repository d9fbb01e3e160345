"""待办: the notification records of everything that lands in someone's queue (DESIGN.md §7, §10).

Kept in step with the case records by `queue.sync_case`, which runs in the transaction of every recorded change
(`core.changes`), so an item appears when the work lands and is done when the work is done. These records are what
SMS / WeCom / e-mail delivery will send later.
"""
