# AuditEntry is deliberately not registered: administrators neither read nor change the audit log (separation of
# duties, docs/security.md); auditors read it at audit:list.
