"""The official JMESPath compliance suite, case by case, against the compiled evaluator.

Every ``result`` case gives the suite's answer and exactly the library's result (same Python
types); every ``error`` case raises the kind of error it names, in the same phase as the library.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jmespath import exceptions

from .equivalence import assert_equivalent, compiled_outcome

COMPLIANCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "jmespath-compliance"

# The kind of error each compliance case names, as the library raises it, and when.
EXPECTED_ERRORS: dict[str, tuple[str, type[BaseException]]] = {
    "syntax": ("compile", exceptions.ParseError),
    "invalid-type": ("search", exceptions.JMESPathTypeError),
    "invalid-arity": ("search", exceptions.ArityError),
    "unknown-function": ("search", exceptions.UnknownFunctionError),
    "invalid-value": ("search", ValueError),
}


def _compliance_cases() -> list[Any]:
    cases = []
    for path in sorted([*COMPLIANCE.glob("*.json"), *COMPLIANCE.glob("legacy/*.json")]):
        name = path.relative_to(COMPLIANCE).with_suffix("").as_posix()
        for group_number, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            for case_number, case in enumerate(group["cases"]):
                if "result" not in case and "error" not in case:
                    continue  # benchmarks.json: timing cases without an expected answer
                case_id = f"{name}-{group_number}.{case_number}: {case['expression']}"
                cases.append(pytest.param(group["given"], case, id=case_id))
    return cases


if not COMPLIANCE.is_dir():
    pytest.skip(
        f"JMESPath compliance suite not found at {COMPLIANCE} (../shared is absent)", allow_module_level=True
    )

COMPLIANCE_CASES = _compliance_cases()


@pytest.mark.shared
@pytest.mark.parametrize(("given", "case"), COMPLIANCE_CASES)
def test_compliance_case(given: Any, case: dict[str, Any]) -> None:
    """Each compliance case: the suite's answer, and exactly the library's result types and errors."""
    expression = case["expression"]
    actual, _ = compiled_outcome(expression, given)
    if "error" in case:
        phase, error_class = EXPECTED_ERRORS[case["error"]]
        assert actual.phase == phase, actual.describe()
        assert isinstance(actual.error, error_class), actual.describe()
    else:
        assert actual.phase == "result", actual.describe()
        assert actual.value == case["result"]
    assert_equivalent(expression, given)


def test_compliance_suite_is_complete() -> None:
    """Every case with an answer is collected: 900+ from the suite and its legacy folder."""
    assert len(COMPLIANCE_CASES) > 900
