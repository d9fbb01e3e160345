"""The intake API for external systems (12345 热线, 网格平台): token-scoped, idempotent, with signed callbacks.

See docs/api.md. Top layer beside `jiaxiang`: imports cases, audit, org and core; nothing imports it."""
