"""Stateful detection: dedup, thresholds and correlation rules over event time.

Matching events reach the operators through a reorder buffer that releases them in event-time
order once the watermark (newest event time seen minus the allowed lateness) has passed them, so
every operator sees the same sorted sequence whatever the file order or chunking. Modules:
`clock` (event time), `spec` (what a rule asks for, compiled at load time), `buffer` (the
reorder buffer), `groups` (bounded group tables), `window` (what a finding is made of), one
module per operator (`dedup`, `counting`, `temporal`, `ordered`), and `stage` (routing, the
watermark, persistence and the summary).

Kept free of imports on purpose: `engine.detection.compiled_rule` refers to `spec` and must not
pull in the operators while it is itself being imported."""
