"""Which network a session explores: zoo networks on their own batch or on a data set,
``--layers`` networks on a made-up batch of the loss's kind, checkpoints with their weights."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import ConfigError
from chainrule.explore.network import build_setup, load_examples
from tests.explore.helpers import needs_web, session

pytestmark = needs_web


def test_the_default_is_seed003_in_its_own_notation():
    s = session()
    assert s.setup.title == "seed003-relu-sigmoid-2-2-1" and s.notation == "seed003"
    assert s.current.loss == 0.125


def test_a_zoo_network_on_digits_takes_the_data_sizes():
    setup = build_setup(model="seed002-two-layer-softmax", data=load_examples("digits", 5))
    widths = [setup.model.n_inputs] + [lin.d_out for lin in setup.model.linear_layers]
    assert widths == [64, 100, 10] and setup.l2 == 1e-3
    assert setup.X.shape == (5, 64) and setup.y.dtype.kind == "i"
    assert abs(setup.X.mean()) < 1  # standardised


@pytest.mark.parametrize(
    ("loss", "kind"),
    [("softmax-cross-entropy", "i"), ("binary-cross-entropy", "f"), ("mse", "f")],
)
def test_a_layers_network_gets_targets_of_its_losss_kind(loss, kind):
    setup = build_setup(layers="3-relu-2", loss=loss, inputs=4)
    assert setup.X.shape == (4, 4) and setup.y.dtype.kind == kind
    if kind == "i":
        assert set(setup.y) <= {0, 1}
    else:
        assert setup.y.shape == (4, 2)


def test_a_checkpoint_brings_its_weights_and_loss(tmp_path):
    model = cr.Sequential([cr.Linear(3, 2), cr.Tanh(), cr.Linear(2, 1)], dtype=np.float64, seed=3)
    path = tmp_path / "m.chainrule"
    cr.save(model, path, loss=cr.HalfSquaredError())
    setup = build_setup(checkpoint=str(path))
    for name, p in setup.model.named_parameters():
        np.testing.assert_array_equal(p.value, dict(model.named_parameters())[name].value)
    assert setup.loss.kind == "HalfSquaredError" and setup.X.shape[1] == 3


def test_two_sources_at_once_are_refused():
    with pytest.raises(ConfigError, match="one network source"):
        build_setup(model="seed001-4-3-2-1", layers="3-1")
