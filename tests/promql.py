"""PromQL for the observability tests: Grafana's variables, its ``label_values``
queries, and the vector selectors inside an expression.

Why a hand-written selector finder: there is no PromQL parser for Python, and
Debian's Prometheus (2.42) has no ``/api/v1/parse_query``. The finder only has
to cope with the expressions in ``deploy/`` (checked by
``tests/unit/test_promql_helpers.py``); it refuses what it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# what Grafana puts in for its built-in variables when the tests evaluate a panel
BUILTINS = {"$__rate_interval": "1m", "$__range": "10m"}
LABEL_VALUES = re.compile(
    r"label_values\((?:(?P<selector>.+),\s*)?(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\)"
)
# clauses whose parenthesised list holds label names, not series
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
# braces of a selector; a quoted matcher value may hold braces of its own
BRACES = r"""\{(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^}"'])*\}"""
TOKEN = re.compile(
    r"""
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<range>\[[^\]]*\])
    | (?P<duration>(?:\d+(?:ms|[smhdwy]))+\b)
    | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?P<matchers>BRACES)?
    | (?P<bare>BRACES)
    | (?P<other>\S)
    """.replace("BRACES", BRACES),
    re.VERBOSE,
)


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """``expr`` with Grafana's built-ins and the dashboard variables filled in.

    Every ``$variable`` must be given: one left over means a panel uses a
    variable the test does not know about.
    """
    for var, value in BUILTINS.items():
        expr = expr.replace(var, value)
    for name in sorted(values, key=len, reverse=True):  # $part before $p
        value = values[name]
        if value != ".*" and not re.fullmatch(r"[\w-]+", value):
            raise ValueError(f"{name}={value!r} would need regex escaping")
        expr = expr.replace(f"${name}", value)
    if left := re.search(r"\$\{?\w+", expr):
        raise ValueError(f"{expr}: {left.group()} is not set")
    return expr


def label_values(query: str) -> tuple[str | None, str]:
    """``label_values(<selector>, <label>)`` -> (selector or None, label)."""
    found = LABEL_VALUES.fullmatch(query.strip())
    if found is None:
        raise ValueError(f"not a label_values query: {query}")
    return found.group("selector"), found.group("label")


def selectors(expr: str) -> list[str]:
    """The vector selectors in ``expr`` (metric name and matchers, range dropped),
    in order of appearance, each once."""
    out: list[str] = []
    tokens = list(TOKEN.finditer(GROUPING.sub(" ", expr)))
    for i, tok in enumerate(tokens):
        if tok.group("bare"):
            found = tok.group("bare")
        elif tok.group("name"):
            name = tok.group("name")
            following = tokens[i + 1].group() if i + 1 < len(tokens) else ""
            if name.lower() in KEYWORDS or (following == "(" and not tok.group("matchers")):
                continue  # an operator, or a function / aggregation being called
            found = name + (tok.group("matchers") or "")
        else:
            continue
        if found not in out:
            out.append(found)
    return out
