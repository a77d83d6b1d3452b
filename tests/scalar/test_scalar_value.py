"""The scalar engine: seed 004's worked examples, every operation's local derivative,
the tie and kink conventions, node reuse, repeated backward and a very long chain."""

from __future__ import annotations

import math
import sys
import time

import numpy as np
import pytest

from chainrule.errors import ChainruleError, ExpressionError
from chainrule.scalar import FLOW_RULES, Value, maximum, minimum, topological_order


def sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


# ---------------------------------------------------------------- seed 004 examples


def test_seed_004_sum_times_z_gives_the_textbook_values():
    # L = (x + y) z at x = -2, y = 5, z = -4: q = 3, L = -12,
    # dL/dz = q = 3, dL/dq = z = -4, and "+" distributes -4 to x and y unchanged.
    x, y, z = Value(-2.0, name="x"), Value(5.0, name="y"), Value(-4.0, name="z")
    q = x + y
    L = q * z
    L.backward()
    assert (q.data, L.data) == (3.0, -12.0)
    assert (L.grad, q.grad, z.grad) == (1.0, -4.0, 3.0)
    assert (x.grad, y.grad) == (-4.0, -4.0)
    assert (q.flow, L.flow) == ("distribute", "split & scale")


def seed_004_neuron() -> tuple[Value, list[Value], list[Value], Value]:
    """L = sigma(w^T x + b) with x, w in R^3, written out in scalars as seed 004 does."""
    w = [Value(v, name=f"w{i}") for i, v in enumerate([2.0, -3.0, 2.0])]
    x = [Value(v, name=f"x{i}") for i, v in enumerate([-1.0, -2.0, 0.5])]
    b = Value(-4.0, name="b")
    z = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + b  # = -2 + 6 + 1 - 4 = 1
    L = z.sigmoid()
    L.name = "L"
    return L, w, x, b


def test_seed_004_sigmoid_neuron_gives_the_textbook_values():
    L, w, x, b = seed_004_neuron()
    L.backward()
    # By hand: z = 1, L = sigma(1) = 0.7311, dL/dz = L (1 - L) = 0.1966,
    # dL/dw_i = 0.1966 x_i, dL/dx_i = 0.1966 w_i, dL/db = 0.1966.
    s = sigmoid(1.0)
    ds = s * (1 - s)
    assert L.data == pytest.approx(s, rel=1e-15)
    assert round(L.data, 4) == 0.7311 and round(ds, 4) == 0.1966
    assert [wi.grad for wi in w] == pytest.approx([ds * xi.data for xi in x], rel=1e-15)
    assert [xi.grad for xi in x] == pytest.approx([ds * wi.data for wi in w], rel=1e-15)
    assert b.grad == pytest.approx(ds, rel=1e-15)
    assert [round(wi.grad, 4) for wi in w] == [-0.1966, -0.3932, 0.0983]
    assert [round(xi.grad, 4) for xi in x] == [0.3932, -0.5898, 0.3932]
    assert L.flow == "attenuate"


def test_cs231n_two_input_neuron_matches_the_printed_numbers():
    # CS231n "Backpropagation, Intuitions": f = sigma(w0 x0 + w1 x1 + w2).
    w0, w1, w2 = Value(2.0), Value(-3.0), Value(-3.0)
    x0, x1 = Value(-1.0), Value(-2.0)
    f = (w0 * x0 + w1 * x1 + w2).sigmoid()
    f.backward()
    assert round(f.data, 2) == 0.73
    assert [round(v.grad, 2) for v in (x0, x1)] == [0.39, -0.59]
    assert [round(v.grad, 2) for v in (w0, w1, w2)] == [-0.2, -0.39, 0.2]


# ---------------------------------------------------------------- every operation

A, B = 1.5, -0.75

CASES = [
    # name, build, value, local derivatives (by hand)
    ("add", lambda a, b: a + b, A + B, (1.0, 1.0)),
    ("sub", lambda a, b: a - b, A - B, (1.0, -1.0)),
    ("mul", lambda a, b: a * b, A * B, (B, A)),
    ("div", lambda a, b: a / b, A / B, (1 / B, -A / B**2)),
    ("neg", lambda a, b: -a, -A, (-1.0,)),
    ("pow number", lambda a, b: a**3, A**3, (3 * A**2,)),
    ("pow negative base, integer exponent", lambda a, b: b**3, B**3, (3 * B**2,)),
    ("pow fraction", lambda a, b: a**0.5, math.sqrt(A), (0.5 / math.sqrt(A),)),
    ("pow zero", lambda a, b: b**0, 1.0, (0.0,)),
    ("pow Value", lambda a, b: a**b, A**B, (B * A ** (B - 1), A**B * math.log(A))),
    ("rpow", lambda a, b: 2.0**b, 2.0**B, (B * 2.0 ** (B - 1), 2.0**B * math.log(2.0))),
    ("exp", lambda a, b: a.exp(), math.exp(A), (math.exp(A),)),
    ("log", lambda a, b: a.log(), math.log(A), (1 / A,)),
    ("sigmoid", lambda a, b: b.sigmoid(), sigmoid(B), (sigmoid(B) * (1 - sigmoid(B)),)),
    ("tanh", lambda a, b: b.tanh(), math.tanh(B), (1 - math.tanh(B) ** 2,)),
    ("relu positive", lambda a, b: a.relu(), A, (1.0,)),
    ("relu negative", lambda a, b: b.relu(), 0.0, (0.0,)),
    ("abs negative", lambda a, b: abs(b), -B, (-1.0,)),
    ("max", lambda a, b: maximum(b, a, 0.0), A, (0.0, 1.0, 0.0)),
    ("min", lambda a, b: minimum(b, a, 0.0), B, (1.0, 0.0, 0.0)),
    ("method max", lambda a, b: b.max(a), A, (0.0, 1.0)),
    ("method min", lambda a, b: a.min(b), B, (0.0, 1.0)),
]


@pytest.mark.parametrize(("name", "build", "value", "local"), CASES, ids=[c[0] for c in CASES])
def test_each_operation_computes_its_value_and_local_derivatives(name, build, value, local):
    a, b = Value(A, name="a"), Value(B, name="b")
    z = build(a, b)
    assert z.data == pytest.approx(value, rel=1e-15)
    assert z.local_grads == pytest.approx(local, rel=1e-15)
    assert z.op in FLOW_RULES and z.flow == FLOW_RULES[z.op].name and z.flow_words
    z.backward()  # the chain rule for one node: each input gets its local derivative
    got = {id(v): 0.0 for v in z.inputs}
    for v in z.inputs:
        got[id(v)] = v.grad
    expected: dict[int, float] = {}
    for v, d in zip(z.inputs, local, strict=True):
        expected[id(v)] = expected.get(id(v), 0.0) + d
    assert got == pytest.approx(expected, rel=1e-15)


def test_numbers_mix_with_values_on_either_side():
    x = Value(3.0, name="x")
    for z, value, grad in [
        (2 + x, 5.0, 1.0),
        (2 - x, -1.0, -1.0),
        (2 * x, 6.0, 2.0),
        (6 / x, 2.0, -6 / 9),
        (np.float64(2.0) * x, 6.0, 2.0),
        (x * np.float32(0.5), 1.5, 0.5),
        (x + np.int64(1), 4.0, 1.0),
    ]:
        assert isinstance(z, Value)
        z.backward()
        assert (z.data, x.grad) == pytest.approx((value, grad))


def test_sigmoid_is_stable_far_from_zero():
    assert Value(-800.0).sigmoid().data == 0.0
    assert Value(800.0).sigmoid().data == 1.0
    assert Value(-40.0).sigmoid().data == pytest.approx(math.exp(-40.0), rel=1e-12)


# ---------------------------------------------------------------- ties and kinks


def test_max_and_min_ties_send_the_whole_gradient_to_the_first_winner():
    a, b, c = Value(2.0, name="a"), Value(2.0, name="b"), Value(-1.0, name="c")
    z = maximum(c, a, b)
    z.backward()
    assert (a.grad, b.grad, c.grad) == (1.0, 0.0, 0.0)
    lo = minimum(a, c, Value(-1.0))
    lo.backward()
    assert (c.grad, a.grad) == (1.0, 0.0)
    assert lo.inputs[2].grad == 0.0


def test_relu_and_abs_have_derivative_zero_at_zero():
    for make in (lambda v: v.relu(), abs):
        x = Value(0.0)
        z = make(x)
        z.backward()
        assert (z.data, x.grad) == (0.0, 0.0)


def test_relu_is_max_with_zero_first_under_the_tie_rule():
    for t in (-1.0, 0.0, 2.5):
        x1, x2 = Value(t), Value(t)
        r, m = x1.relu(), maximum(0.0, x2)
        r.backward()
        m.backward()
        assert (r.data, x1.grad) == (m.data, x2.grad)


# ---------------------------------------------------------------- graph behaviour


def test_a_reused_node_gets_the_sum_of_its_paths():
    x = Value(3.0, name="x")
    L = x * x + x  # dL/dx = 2x + 1
    L.backward()
    assert x.grad == 7.0
    y = Value(2.0, name="y")
    q = x + y
    M = q * q + q.sigmoid()  # dM/dq = 2q + s(q)(1 - s(q)), shared by x and y
    M.backward()
    s = sigmoid(5.0)
    assert q.grad == pytest.approx(10 + s * (1 - s), rel=1e-15)
    assert x.grad == y.grad == q.grad


def test_backward_twice_gives_the_same_gradients():
    L, _, _, b = seed_004_neuron()
    L.backward()
    first = [v.grad for v in topological_order(L)]
    L.backward()
    assert [v.grad for v in topological_order(L)] == first
    s = sigmoid(1.0)
    assert b.grad == pytest.approx(s * (1 - s), rel=1e-15)  # set, not doubled


def test_backward_resets_gradients_left_by_another_output():
    x = Value(2.0, name="x")
    (x * 10).backward()
    assert x.grad == 10.0
    (x * x).backward()
    assert x.grad == 4.0


def test_backward_of_a_leaf_is_one():
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0


def test_topological_order_puts_inputs_first_and_visits_each_node_once():
    x, y = Value(1.0, name="x"), Value(2.0, name="y")
    q = x + y
    L = q * q * y
    order = topological_order(L)
    assert order[-1] is L and len(order) == len({id(n) for n in order}) == 5
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(position[id(a)] < position[id(node)] for a in node.inputs)


def test_a_chain_of_200000_nodes_needs_no_recursion():
    assert sys.getrecursionlimit() < 200_000  # the default limit, so recursion would fail
    x = Value(0.5, name="x")
    start = time.perf_counter()
    node = x
    for _ in range(200_000):
        node = node + 1.0
    built = time.perf_counter()
    node.backward()
    done = time.perf_counter()
    assert node.data == 200_000.5 and x.grad == 1.0
    assert len(topological_order(node)) == 400_001  # 200,000 sums and their constants
    del node  # freeing a deep chain must not overflow the C stack either
    print(f"200,000-node chain: build {built - start:.2f} s, backward {done - built:.2f} s")
    assert done - built < 20.0


def test_a_long_chain_of_unary_operations():
    x = Value(0.3, name="x")
    node = x
    for _ in range(50_000):
        node = -node
    node.backward()
    assert (node.data, x.grad) == (0.3, 1.0)


# ---------------------------------------------------------------- errors a student can read


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: Value(-8.0) ** (1 / 3), "negative number has no real power"),
        (lambda: Value(-2.0) ** Value(2.0), "defined only for a > 0"),
        (lambda: Value(0.0) ** -1, "division by zero"),
        (lambda: Value(0.0) ** 0.5, "infinite derivative"),
        (lambda: Value(0.0).log(), "log needs a positive input"),
        (lambda: Value(-1.0).log(), "log needs a positive input"),
        (lambda: Value(1.0) / 0, "division by zero"),
        (lambda: Value(1000.0).exp(), "overflows"),
        (lambda: Value(1e200) * 1e200, "float64 cannot hold"),
        (lambda: Value(10.0) ** 400, "overflows"),
        (lambda: Value(float("nan")), "finite number"),
        (lambda: Value("3"), "real number"),
        (lambda: maximum(), "at least one input"),
    ],
)
def test_undefined_operations_raise_a_clear_chainrule_error(make, words):
    with pytest.raises(ExpressionError, match=words) as info:
        make()
    assert isinstance(info.value, ChainruleError)


def test_gradient_overflow_is_reported():
    x = Value(1e-300)
    z = x.log() * 1e10  # value -6.9e12 is fine, but dz/dx = 1e10 / 1e-300 is not
    with pytest.raises(ExpressionError, match="overflowed"):
        z.backward()


def test_unsupported_operand_types_are_a_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "2"


def test_repr_shows_value_gradient_name_and_operation():
    x = Value(2.0, name="x")
    z = x * 3
    z.backward()
    assert repr(x) == "Value(2.0, grad=3.0, name='x')"
    assert repr(z) == "Value(6.0, grad=1.0, op='*')"
    assert float(z) == 6.0 and z.value == z.data
