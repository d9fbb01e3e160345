"""Delivery of 待办 notifications by SMS, 企业微信 group robot and e-mail (DESIGN.md §10, docs/jobs.md).

`plan.plan` runs in the transaction that creates notifications (notify.queue.sync_case): it writes one `Delivery`
per notification and channel (unique key) and enqueues its job in the same transaction. `send.deliver` is the job:
it locks the delivery, holds back a non-urgent SMS in quiet hours, hands the message to the channel, records the
attempt with the provider's answer, and on failure schedules the next try with back-off. The rules (who gets what,
quiet hours, back-off) are in `rules.py`; the channels are `sms.py` (provider interface, 阿里云 adapter, log
adapter), `wecom.py` and `mail.py`.
"""
