"""Exact log Z, log-likelihood and gradient of small RBMs (seed 003, question 2)."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.errors import ConfigError
from chainrule.rbm import MAX_EXACT_UNITS, RBM
from chainrule.rbm import exact as exact_module

from .helpers import all_states, brute_force_joint, random_rbm

# Random small RBMs, both enumeration directions: more visible than hidden units and fewer.
SHAPES = [(2, 5), (3, 3), (4, 2), (5, 4), (6, 1), (1, 6), (6, 5), (3, 7)]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def central_difference_gradient(rbm: RBM, V: np.ndarray, eps: float) -> dict[str, np.ndarray]:
    """(L(theta + eps e_i) - L(theta - eps e_i)) / 2 eps for every entry of W, b, c."""
    grads = {}
    for name, param in rbm.parameters().items():
        grad = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + eps
            plus = rbm.log_likelihood(V)
            param[index] = saved - eps
            minus = rbm.log_likelihood(V)
            param[index] = saved
            grad[index] = (plus - minus) / (2 * eps)
        grads[name] = grad
    return grads


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / (||a|| + ||b||), the measure of chainrule.gradient_check: it stays meaningful
    when single entries are near 0."""
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


@pytest.mark.parametrize("shape", SHAPES)
def test_log_partition_equals_brute_force_over_all_pairs(shape):
    rbm = random_rbm(*shape, seed=sum(shape))
    vs, hs, _ = brute_force_joint(rbm)
    W, b, c = rbm.W, rbm.b, rbm.c
    energy = -(vs @ b)[:, None] - (hs @ c)[None, :] - vs @ W @ hs.T
    assert rbm.log_partition() == pytest.approx(np.logaddexp.reduce(-energy.ravel()), rel=1e-13)


@pytest.mark.parametrize("shape", [(3, 4), (4, 3)])
def test_probabilities_sum_to_one_and_match_the_joint(shape):
    rbm = random_rbm(*shape, seed=11)
    vs, _, joint = brute_force_joint(rbm)
    p = rbm.probability(vs)
    assert p.sum() == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(p, joint.sum(axis=1), rtol=1e-12)
    assert rbm.log_likelihood(vs[[1, 2, 2]]) == pytest.approx(np.log(p[[1, 2, 2]]).sum())


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, None])
def test_chunked_enumeration_does_not_change_the_result(chunk):
    rbm = random_rbm(9, 7, seed=2, scale=2.0)
    reference = exact_module.model_moments(rbm.W, rbm.b, rbm.c, chunk_states=1 << 7)
    moments = exact_module.model_moments(rbm.W, rbm.b, rbm.c, chunk_states=chunk)
    assert moments.log_partition == pytest.approx(reference.log_partition, rel=1e-14)
    for name in ("visible", "hidden", "outer"):
        np.testing.assert_allclose(getattr(moments, name), getattr(reference, name), rtol=1e-12)


def test_large_weights_do_not_overflow():
    # log-weights of several hundred: exp() alone would overflow float64 past about 709.
    rbm = random_rbm(12, 4, seed=0, scale=40.0)
    vs, _, joint = brute_force_joint(rbm)
    assert np.isfinite(rbm.log_partition()) and rbm.log_partition() > 709
    model = exact_module.model_moments(rbm.W, rbm.b, rbm.c, chunk_states=5)
    np.testing.assert_allclose(model.visible, joint.sum(axis=1) @ vs, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_exact_gradient_matches_central_differences(shape):
    rbm = random_rbm(*shape, seed=100 + sum(shape))
    V = np.random.default_rng(sum(shape)).integers(0, 2, (7, shape[0]))
    analytic = rbm.exact_gradient(V)
    numeric = central_difference_gradient(rbm, V, eps=1e-5)
    for name in ("W", "b", "c"):
        assert analytic[name].shape == rbm.parameters()[name].shape
        assert relative_error(analytic[name], numeric[name]) < 1e-7, name


def test_exact_gradient_matches_brute_force_expectations():
    rbm = random_rbm(4, 3, seed=8)
    vs, hs, joint = brute_force_joint(rbm)
    V = vs[[0, 5, 5, 9, 15]]
    n = len(V)
    hidden = sigmoid(V @ rbm.W + rbm.c)
    grads = rbm.exact_gradient(V)
    np.testing.assert_allclose(grads["W"], V.T @ hidden - n * vs.T @ joint @ hs, atol=1e-12)
    np.testing.assert_allclose(grads["b"], V.sum(0) - n * joint.sum(1) @ vs, atol=1e-12)
    np.testing.assert_allclose(grads["c"], hidden.sum(0) - n * joint.sum(0) @ hs, atol=1e-12)


def seed_c_gradient(rbm: RBM, V: np.ndarray, *, factor_n: bool) -> np.ndarray:
    """Seed 003's formula for d log p / d c_z, summed over the data set, written out entry by
    entry: sum_i sigma(c_z + v_i^T W[:, z]) - [n] sum_v p(v) sigma(c_z + v^T W[:, z])."""
    vs = all_states(rbm.n_visible)
    p_v = rbm.probability(vs)
    n = len(V) if factor_n else 1
    out = np.zeros(rbm.n_hidden)
    for z in range(rbm.n_hidden):
        data_term = sum(sigmoid(rbm.c[z] + v @ rbm.W[:, z]) for v in V)
        model_term = sum(
            p * sigmoid(rbm.c[z] + v @ rbm.W[:, z]) for p, v in zip(p_v, vs, strict=True)
        )
        out[z] = data_term - n * model_term
    return out


def test_c_gradient_needs_the_factor_n_on_the_model_term():
    rbm = random_rbm(5, 3, seed=21)
    V = np.random.default_rng(0).integers(0, 2, (6, 5)).astype(float)
    exact_c = rbm.exact_gradient(V)["c"]
    numeric_c = central_difference_gradient(rbm, V, eps=1e-5)["c"]
    with_n = seed_c_gradient(rbm, V, factor_n=True)
    as_written = seed_c_gradient(rbm, V, factor_n=False)
    np.testing.assert_allclose(exact_c, with_n, rtol=1e-12)
    assert relative_error(with_n, numeric_c) < 1e-7
    # The seed's formula is off by exactly (n - 1) E_model[sigma(c + W^T v)] in every entry.
    model_hidden = exact_module.model_moments(rbm.W, rbm.b, rbm.c).hidden
    np.testing.assert_allclose(as_written - with_n, (len(V) - 1) * model_hidden, rtol=1e-12)
    assert np.all(np.abs(as_written - exact_c) > 0.5)


def test_seed_c_formula_is_right_for_a_single_vector():
    rbm = random_rbm(5, 3, seed=22)
    v = np.array([[1.0, 0.0, 1.0, 1.0, 0.0]])
    np.testing.assert_allclose(
        seed_c_gradient(rbm, v, factor_n=False), rbm.exact_gradient(v)["c"], rtol=1e-12
    )


def test_enumeration_limit_is_refused_clearly():
    rbm = RBM(MAX_EXACT_UNITS + 2, MAX_EXACT_UNITS + 1)
    V = np.zeros((1, MAX_EXACT_UNITS + 2))
    for call in (rbm.log_partition, lambda: rbm.log_likelihood(V), lambda: rbm.exact_gradient(V)):
        with pytest.raises(ConfigError, match=r"2\^23 states; the limit is 2\^22"):
            call()
    # A big visible layer is fine when the hidden layer is small: only the smaller is walked.
    assert np.isfinite(RBM(200, 3).log_partition())
