"""Every zoo network's example batch and initial weights give every parameter a nonzero
gradient, so that a gradient check of the zoo tests every parameter."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.engine.helpers import four_three_two_one


def _gradients(net):
    model = net.model
    net.loss.forward(model.forward(net.X), net.y)
    model.backward(net.loss.backward())
    return {name: p.grad.copy() for name, p in model.named_parameters()}


@pytest.mark.parametrize("seed", [0, 1, 2, 7])
@pytest.mark.parametrize("name", cr.zoo.names())
def test_every_parameter_of_every_zoo_network_gets_a_gradient(name, seed):
    net = cr.zoo.build(name, seed=seed)
    grads = _gradients(net)
    silent = [k for k, g in grads.items() if not np.any(g)]
    assert silent == [], f"{name} at seed {seed}: no gradient reaches {silent}"


def test_the_dead_seed_is_redrawn_and_says_which_seed_it_used():
    # at seed 0 the 4-3-2-1 network's second ReLU layer is inactive on every input the
    # example batch could hold: build draws again and records the seed it used
    net = cr.zoo.build("seed001-4-3-2-1", seed=0)
    assert net.seed != 0
    direct = four_three_two_one(seed=0)
    assert cr.zoo.silent_parameters(direct, net.loss, net.X, net.y) == ["W1", "W2", "W3"]
    again = cr.zoo.build("seed001-4-3-2-1", seed=net.seed)
    np.testing.assert_array_equal(again.model.state_dict()["W1"], net.model.state_dict()["W1"])


def test_a_live_seed_keeps_its_own_weights():
    net = cr.zoo.build("seed001-4-3-2-1", seed=3)
    assert net.seed == 3
    direct = four_three_two_one(seed=3)
    np.testing.assert_array_equal(direct.state_dict()["W1"], net.model.state_dict()["W1"])
