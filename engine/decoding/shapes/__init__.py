"""Envelopes around CloudTrail records: each module recognises one and unwraps it.

Lists of records (`Records`, LookupEvents `Events`, bare arrays) are walked by `dispatch`; the
modules here handle what wraps a single record or a batch of JSON strings."""
