"""Sigma rules, natively: pySigma parses a Sigma document; this package translates what it parsed
into trailwarden's own rule model, so the compiled engine, the index, tuning, explain, the formats
and the sinks treat a Sigma rule like any other.

- `document`: recognising a Sigma document and parsing it with pySigma, errors located;
- `detection` and `values`: a parsed detection as a condition tree and index pins;
- `rule`, `correlation`, `filters`: Sigma rules, correlations and filters as trailwarden's;
- `loading`: Sigma documents among the rule files, handed to the loader as native rules;
- `convert`: the native YAML rule a Sigma rule becomes (`trailwarden sigma convert`).

What Sigma's comparisons mean at run time is `engine.conditions.sigma_patterns`, called by the
`sigma_*` condition functions.
"""
