"""待办: the notification records of everything that lands in someone's queue (DESIGN.md §7, §10).

Kept in step with the case records by `queue.sync_case`, which runs in the transaction of every recorded change
(`core.changes`), so an item appears when the work lands and is done when the work is done. Each new record is
also sent by SMS / WeCom / e-mail through the job queue (`delivery/`, `jobs.py`; docs/jobs.md).
"""
