"""Energies, conditionals and sampling of chainrule.rbm.RBM, checked against brute force."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.rbm import RBM

from .helpers import all_states, brute_force_joint, random_rbm


def test_api_shapes_and_initialisation():
    rbm = cr.rbm.RBM(64, 16, seed=0)
    assert rbm.W.shape == (64, 16) and rbm.b.shape == (64,) and rbm.c.shape == (16,)
    assert rbm.W.dtype == np.float64
    assert np.all(rbm.b == 0) and np.all(rbm.c == 0)
    assert 0.005 < rbm.W.std() < 0.02  # N(0, 0.01^2)
    np.testing.assert_array_equal(rbm.W, RBM(64, 16, seed=0).W)
    assert not np.array_equal(rbm.W, RBM(64, 16, seed=1).W)


def test_energy_of_a_hand_computed_example():
    rbm = RBM(2, 1)
    rbm.W[:] = [[2.0], [-1.0]]
    rbm.b[:] = [0.5, 0.25]
    rbm.c[:] = [-3.0]
    V = np.array([[1, 1], [1, 0]])
    H = np.array([[1], [0]])
    # E = -(0.5 + 0.25) - (-3) - (2 - 1) = 1.25 ; E = -0.5 - 0 - 0 = -0.5
    np.testing.assert_allclose(rbm.energy(V, H), [1.25, -0.5])


@pytest.mark.parametrize("shape", [(3, 4), (5, 2)])
def test_free_energy_sums_out_the_hidden_layer(shape):
    rbm = random_rbm(*shape, seed=3)
    vs, hs = all_states(rbm.n_visible), all_states(rbm.n_hidden)
    energies = np.stack([rbm.energy(np.repeat(v[None], len(hs), 0), hs) for v in vs])
    np.testing.assert_allclose(rbm.free_energy(vs), -np.logaddexp.reduce(-energies, axis=1))


def test_conditionals_match_the_joint_distribution():
    rbm = random_rbm(3, 4, seed=5)
    vs, hs, joint = brute_force_joint(rbm)
    p_h_given_v = joint / joint.sum(axis=1, keepdims=True)  # (2^3, 2^4)
    np.testing.assert_allclose(rbm.prob_hidden(vs), p_h_given_v @ hs, rtol=1e-12)
    p_v_given_h = joint / joint.sum(axis=0, keepdims=True)
    np.testing.assert_allclose(rbm.prob_visible(hs), p_v_given_h.T @ vs, rtol=1e-12)


def test_gibbs_chain_samples_the_model_distribution():
    rbm = random_rbm(3, 2, seed=7, scale=0.8)
    vs, _, joint = brute_force_joint(rbm)
    p_v = joint.sum(axis=1)
    # 4000 independent chains, 30 steps each: the chains have long forgotten their start.
    V = rbm.gibbs(np.zeros((4000, 3)), steps=30, rng=np.random.default_rng(0))
    codes = V @ (2.0 ** np.arange(3)[::-1])  # the row index of each state in `vs`
    empirical = np.bincount(codes.astype(int), minlength=len(vs)) / len(V)
    total_variation = 0.5 * np.abs(empirical - p_v).sum()
    assert total_variation < 0.03  # sampling noise alone gives about 0.01


def test_sampling_shapes_values_and_reproducibility():
    rbm = random_rbm(6, 3, seed=0)
    V = np.random.default_rng(0).integers(0, 2, (5, 6))
    H = rbm.sample_hidden(V, rng=np.random.default_rng(1))
    assert H.shape == (5, 3) and set(np.unique(H)) <= {0.0, 1.0}
    assert rbm.sample_visible(H).shape == (5, 6)
    a = rbm.sample(7, steps=5, rng=np.random.default_rng(2))
    b = rbm.sample(7, steps=5, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (7, 6) and set(np.unique(a)) <= {0.0, 1.0}


def test_reconstruction_is_the_mean_field_pass():
    rbm = random_rbm(6, 3, seed=2)
    V = np.random.default_rng(0).integers(0, 2, (4, 6))
    expected = rbm.prob_visible(rbm.prob_hidden(V))
    np.testing.assert_allclose(rbm.reconstruct(V), expected)
    assert np.all((expected > 0) & (expected < 1))


def test_float32_model_stays_float32_and_agrees_with_float64():
    r64 = random_rbm(6, 4, seed=9)
    r32 = RBM(6, 4, dtype=np.float32)
    for name, value in r64.parameters().items():
        r32.parameters()[name][...] = value
    V = np.random.default_rng(0).integers(0, 2, (5, 6))
    for method in ("free_energy", "prob_hidden", "reconstruct"):
        out32, out64 = getattr(r32, method)(V), getattr(r64, method)(V)
        assert out32.dtype == np.float32, method
        np.testing.assert_allclose(out32, out64, rtol=1e-5, atol=1e-6)
    assert r32.gibbs(V, steps=2).dtype == np.float32
    np.testing.assert_allclose(r32.log_likelihood(V), r64.log_likelihood(V), rtol=1e-6)
    grads32 = r32.exact_gradient(V)
    assert all(g.dtype == np.float32 for g in grads32.values())
    for name, g64 in r64.exact_gradient(V).items():
        np.testing.assert_allclose(grads32[name], g64, rtol=1e-4, atol=1e-5)


def test_checkpoint_round_trip(tmp_path):
    rbm = random_rbm(6, 4, seed=4)
    rbm.rng.random(3)
    path = rbm.save(tmp_path / "rbm.chainrule", note="test")
    loaded = RBM.load(path)
    for name, value in rbm.parameters().items():
        np.testing.assert_array_equal(loaded.parameters()[name], value)
        assert loaded.parameters()[name].dtype == value.dtype
    assert loaded.rng.random() == rbm.rng.random()  # the generator goes on where it stopped
    r32 = RBM(3, 2, dtype=np.float32)
    assert RBM.load(r32.save(tmp_path / "r32.chainrule")).dtype == np.float32
