"""Translate a CP-SAT model into a MIP (``MPModelProto``) for another solver.

The benchmark checks the planner's bound with a solver that shares none of
CP-SAT's reasoning, so the translation is generic over the proto rather than
over the planner's rules: whatever the model says, the MIP says too.

Supported constraint kinds, each written as linear rows:

* ``linear`` with any domain: one row per interval; a domain with holes gets
  one selector binary per interval (exactly one chosen) and big-M rows;
* ``bool_or``, ``bool_and``, ``at_most_one``, ``exactly_one``;
* enforcement literals on any of them, as big-M slack ``sum(1 - e)``.

Variable domains with holes are encoded like a holey linear domain. Anything
else (``bool_xor``, ``no_overlap``, ``lin_max`` ...) raises
``UnsupportedModel`` naming the constraint: a silently dropped constraint
would make the "bound" too high and the benchmark's gap meaningless.
Big-M needs finite bounds; an enforced row over an unbounded variable raises
too.

The objective keeps CP-SAT's meaning: ``scaling_factor * (sum + offset)``,
maximised when the factor is negative (that is how ``CpModel.maximize``
stores it), so the MIP's objective value is the CP-SAT objective value.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from ortools.linear_solver import linear_solver_pb2 as mp
from ortools.sat import cp_model_pb2 as cp
from ortools.sat.python import cp_model
from ortools.sat.python import cp_model_helper as cmh

INT_MIN, INT_MAX = -(2**63), 2**63 - 1
INF = float("inf")


class UnsupportedModel(ValueError):
    """The CP-SAT model uses something the MIP translation does not encode."""


def as_pb2(model: Any) -> cp.CpModelProto:
    """A ``cp_model_pb2.CpModelProto`` from a CpModel, its ``.proto``, or a pb2 proto.

    ortools 9.15 exposes ``CpModel.proto`` as a C++ object without
    ``SerializeToString``; writing it with the helper and reading it back is
    fast (a 150k-variable model takes about 0.1 s) and exact.
    """
    if isinstance(model, cp.CpModelProto):
        return model
    proto = model.proto if isinstance(model, cp_model.CpModel) else model
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.pb")
        if not cmh.CpSatHelper.write_model_to_file(proto, path):
            raise UnsupportedModel(f"cannot serialise {type(model).__name__}")
        with open(path, "rb") as fh:
            parsed: cp.CpModelProto = cp.CpModelProto.FromString(fh.read())
    return parsed


Expr = tuple[dict[int, float], float]  # coefficients by MIP column, constant


@dataclass
class _Builder:
    integer: bool
    out: mp.MPModelProto = field(default_factory=mp.MPModelProto)
    lo: list[float] = field(default_factory=list)
    hi: list[float] = field(default_factory=list)

    def column(self, lo: float, hi: float, integer: bool, name: str = "") -> int:
        self.out.variable.add(lower_bound=lo, upper_bound=hi, is_integer=integer, name=name)
        self.lo.append(lo)
        self.hi.append(hi)
        return len(self.lo) - 1

    def row(self, expr: Expr, lo: float, hi: float) -> None:
        terms, const = expr
        row = self.out.constraint.add(lower_bound=lo - const, upper_bound=hi - const)
        row.var_index.extend(terms)
        row.coefficient.extend(terms.values())

    def span(self, expr: Expr) -> tuple[float, float]:
        """Smallest and largest value of ``expr`` over the column bounds."""
        terms, low = expr
        high = low
        for j, a in terms.items():
            low += a * (self.lo[j] if a > 0 else self.hi[j])
            high += a * (self.hi[j] if a > 0 else self.lo[j])
        return low, high


def _bound(value: int) -> float:
    return -INF if value <= INT_MIN else INF if value >= INT_MAX else float(value)


def _intervals(domain: Any) -> list[tuple[float, float]]:
    values = list(domain)
    return [(_bound(values[i]), _bound(values[i + 1])) for i in range(0, len(values), 2)]


def _literal(lit: int) -> Expr:
    """A CP-SAT literal as 0/1 expression: ``x`` or, negated (``-x-1``), ``1 - x``."""
    return ({lit: 1.0}, 0.0) if lit >= 0 else ({-lit - 1: -1.0}, 1.0)


def _add(*parts: tuple[float, Expr]) -> Expr:
    terms: dict[int, float] = {}
    const = 0.0
    for scale, (t, c) in parts:
        const += scale * c
        for j, a in t.items():
            terms[j] = terms.get(j, 0.0) + scale * a
    return {j: a for j, a in terms.items() if a != 0.0}, const


def _slack(enforcement: Any) -> Expr:
    """``sum(1 - e)``: 0 when every enforcement literal holds, >= 1 otherwise."""
    return _add(*((1.0, _add((1.0, ({}, 1.0)), (-1.0, _literal(e)))) for e in enforcement))


def _in_domain(b: _Builder, expr: Expr, domain: list[tuple[float, float]], slack: Expr) -> None:
    """``expr`` lies in the union ``domain`` whenever ``slack`` is 0."""
    if not domain:
        b.row(slack, 1.0, INF)  # empty domain: the enforcement must fail
        return
    relaxed = bool(slack[0]) or slack[1] != 0.0
    if len(domain) == 1 and not relaxed:
        b.row(expr, *domain[0])
        return
    low, high = b.span(expr)
    pick: list[int] = []
    if len(domain) > 1:
        pick = [b.column(0.0, 1.0, b.integer) for _ in domain]
        b.row(({j: 1.0 for j in pick}, 0.0), 1.0, 1.0)
    for i, (lo, hi) in enumerate(domain):
        off = _add((1.0, slack), (1.0, ({pick[i]: -1.0}, 1.0))) if pick else slack
        if hi < high:
            if high == INF:
                raise UnsupportedModel("an enforced or holey row needs a finite upper bound")
            b.row(_add((1.0, expr), (-(high - hi), off)), -INF, hi)
        if lo > low:
            if low == -INF:
                raise UnsupportedModel("an enforced or holey row needs a finite lower bound")
            b.row(_add((1.0, expr), ((lo - low), off)), lo, INF)


def _constraint(b: _Builder, ct: cp.ConstraintProto) -> None:
    kind = ct.WhichOneof("constraint")
    slack = _slack(ct.enforcement_literal)
    if kind == "linear":
        pairs = zip(ct.linear.vars, ct.linear.coeffs, strict=True)
        expr = _add(*((float(a), ({v: 1.0}, 0.0)) for v, a in pairs))
        _in_domain(b, expr, _intervals(ct.linear.domain), slack)
    elif kind in ("bool_or", "bool_and", "at_most_one", "exactly_one"):
        lits = list(getattr(ct, kind).literals)
        total = _add(*((1.0, _literal(lit)) for lit in lits))
        if kind == "bool_or":
            b.row(_add((1.0, total), (1.0, slack)), 1.0, INF)
        elif kind == "bool_and":
            for lit in lits:
                b.row(_add((1.0, _literal(lit)), (1.0, slack)), 1.0, INF)
        else:
            b.row(_add((1.0, total), (-max(len(lits) - 1, 0), slack)), -INF, 1.0)
            if kind == "exactly_one":
                b.row(_add((1.0, total), (1.0, slack)), 1.0, INF)
    elif kind is None:
        return  # an empty constraint constrains nothing
    else:
        raise UnsupportedModel(f"constraint {ct.name or '#'}: kind {kind!r} is not translated")


def _objective(b: _Builder, model: cp.CpModelProto) -> None:
    if model.HasField("floating_point_objective"):
        fo = model.floating_point_objective
        b.out.maximize = fo.maximize
        b.out.objective_offset = fo.offset
        for v, a in zip(fo.vars, fo.coeffs, strict=True):
            b.out.variable[v].objective_coefficient += a
        return
    if not model.HasField("objective"):
        return
    obj = model.objective
    scale = obj.scaling_factor or 1.0
    b.out.maximize = scale < 0
    b.out.objective_offset = scale * obj.offset
    inner = _add(*((float(a), ({v: 1.0}, 0.0)) for v, a in zip(obj.vars, obj.coeffs, strict=True)))
    for v, a in inner[0].items():
        b.out.variable[v].objective_coefficient += scale * a
    if obj.domain:  # the unscaled sum is restricted, e.g. by a solution bound
        _in_domain(b, inner, _intervals(obj.domain), ({}, 0.0))


def to_mip(model: Any, *, integer: bool = True) -> mp.MPModelProto:
    """The model as an ``MPModelProto``; ``integer=False`` gives its LP relaxation.

    Columns ``0..n-1`` are the CP-SAT variables in order; selector binaries
    for holey domains follow.
    """
    proto = as_pb2(model)
    b = _Builder(integer)
    for var in proto.variables:
        domain = _intervals(var.domain)
        if not domain:
            raise UnsupportedModel(f"variable {var.name!r} has an empty domain")
        b.column(domain[0][0], domain[-1][1], integer, var.name)
    for j, var in enumerate(proto.variables):
        domain = _intervals(var.domain)
        if len(domain) > 1:
            _in_domain(b, ({j: 1.0}, 0.0), domain, ({}, 0.0))
    for ct in proto.constraints:
        _constraint(b, ct)
    _objective(b, proto)
    return b.out
