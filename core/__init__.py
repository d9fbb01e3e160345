"""What every app may use; imports none of ours (checked by import-linter, `.importlinter`).

Encrypted fields and the crypto under them, ID-number/phone validators and masks, pagination, the one
"refused" error type, upload checks, deadline clocks, and the template tags that show them.
"""
