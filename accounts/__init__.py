"""Login, passwords, lockout, the second factor and sessions (docs/security.md). No models of its own: the
password state lives on `org.Membership`, devices in django-otp."""
