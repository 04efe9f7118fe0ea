"""JMESPath conditions: trailwarden's extra functions and the compiler that runs conditions fast."""

from engine.conditions.compiler import Compiled, compile_expression, is_truthy
from engine.conditions.functions import (
    FUNCTIONS,
    KNOWN_FUNCTIONS,
    OPTIONS,
    check_cidr,
    check_regex,
    unknown_functions,
)

__all__ = [
    "FUNCTIONS",
    "KNOWN_FUNCTIONS",
    "OPTIONS",
    "Compiled",
    "check_cidr",
    "check_regex",
    "compile_expression",
    "is_truthy",
    "unknown_functions",
]
