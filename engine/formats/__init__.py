"""Formats: how a finding is written. Native JSON, OCSF, ECS, ASFF, CEF and Splunk HEC envelopes,
each a mapping of the native finding (schemas/finding.schema.json), looked up by name."""

from engine.formats.base import Finding, Format, FormatError, dump_json
from engine.formats.registry import FORMATS, format_names, get_format, register_format

__all__ = [
    "FORMATS",
    "Finding",
    "Format",
    "FormatError",
    "dump_json",
    "format_names",
    "get_format",
    "register_format",
]
