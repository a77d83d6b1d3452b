"""The LaTeX reader's larger constructs: matrix environments, ``\\sum_{i=1}^{n}`` and
derivatives written as fractions, ``\\frac{\\partial L}{\\partial W}``.

Each one reads pieces of the formula again (a limit, a numerator) with the builder's
``sub_parse``, so an error in a piece points into the whole formula.
"""

from __future__ import annotations

import re
from typing import Any

from chainrule.errors import ExpressionError
from chainrule.expr import tree as T
from chainrule.expr.grammar import MAX_MATRIX_ENTRIES
from chainrule.expr.latex_pieces import MATRIX_ENVS, SUM_FROM, ReaderPart, is_token
from chainrule.expr.symbols import canonical

__all__ = ["StructureReader"]


class StructureReader(ReaderPart):
    """The rules of matrices, indexed sums and written derivatives, mixed into the reader."""

    def _partial_frac(self, t: Any) -> T.Expr:
        name = canonical(self.b.slice(t))
        found = self.table.lookup(name)
        if found is not None:
            return self.b.symbol(found)
        kids = t.children
        num_end = next(i for i, c in enumerate(kids) if is_token(c, "RBRACE"))
        of = canonical(self.text[self.b.end(kids[2]) : self.b.start(kids[num_end])])
        wrt_start, wrt_end = self.b.end(kids[num_end + 2]), self.b.start(kids[-1])
        of_entry = self.table.lookup(of)
        if of_entry is None:
            num_start = self.b.end(kids[2])
            raw = self.text[num_start : self.b.start(kids[num_end])]
            try:
                of_entry = (of, self.b.sub_parse(raw, num_start, "start", self).shape)
            except ExpressionError:
                of_entry = None
        if of_entry is None or of_entry[1] != ():
            why = "is not in the symbol table" if of_entry is None else "is not a scalar"
            raise self.b.error(
                f"the derivative {name} is not in the symbol table, and its shape cannot be "
                f"inferred because {of} {why}; known names: {self.table.known()}",
                t,
            )
        wrt = self.b.sub_parse(self.text[wrt_start:wrt_end], wrt_start, "start", self)
        return T.Symbol(name, wrt.shape)

    def _matrix(self, t: Any) -> T.Expr:
        begin, rows, end = t.children
        env = re.sub(r"\\begin\s*\{\s*|\s*\}", "", str(begin))
        if env not in MATRIX_ENVS:
            what = "a case analysis" if env == "cases" else f"the environment {env}"
            raise self.b.error(f"{what} (\\begin{{{env}}}) is not a formula this reads", t)
        if env != re.sub(r"\\end\s*\{\s*|\s*\}", "", str(end)):
            raise self.b.error(f"\\begin{{{env}}} is closed by {end}", t)
        cells = [[c for c in row.children if not is_token(c, "AMP")] for row in rows.children[::2]]
        count = sum(map(len, cells))
        if count > MAX_MATRIX_ENTRIES:
            raise self.b.error(
                f"the matrix has {count} entries; at most {MAX_MATRIX_ENTRIES} are allowed", t
            )
        values = tuple(tuple(self.value(c) for c in row) for row in cells)
        return self.b.make(T.MatrixLiteral, t, values)

    def _bigsum(self, t: Any) -> T.Expr:
        scripts = [c for c in t.children[1:-1]]
        sub = sup = None
        for s in scripts:
            if s.data == "sub_script" and sub is None:
                sub = self.script(s)
            elif s.data == "sup_script" and sup is None:
                sup = self.script(s)
            else:
                raise self.b.error("\\sum takes one lower and one upper limit", t)
        m = SUM_FROM.match(sub.text) if sub else None
        if sub is None or sup is None or m is None:
            raise self.b.error(
                "a sum needs an index and its range, written \\sum_{i=1}^{n} or \\sum_i^n", t
            )
        index = m.group(1)
        if m.group(2) is None:
            lower: T.Expr = T.Constant(1)
        else:
            lower = self.b.sub_parse(m.group(2), sub.pos + m.start(2), "start", self)
        upper = self.b.sub_parse(sup.text, sup.pos, "start", self)
        with self.b.bound(index):
            body = self.value(t.children[-1])
        return self.b.make(T.IndexSum, t, index, lower, upper, body)
