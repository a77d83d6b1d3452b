"""A last layer that the loss applies again (Softmax before SoftmaxCrossEntropy): found,
said once by fit and by derive, never for a pairing that is right."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.losses.pairing import squashed_twice


def _net(*last):
    return cr.Sequential([cr.Linear(4, 3), *last], dtype=np.float64, seed=0)


@pytest.mark.parametrize(
    ("last", "loss", "words"),
    [
        ((cr.Softmax(),), cr.SoftmaxCrossEntropy(), "softmax(softmax(z))"),
        ((cr.Sigmoid(),), cr.BinaryCrossEntropy(from_logits=True), "sigmoid(sigmoid(z))"),
    ],
)
def test_the_function_applied_twice_is_named_with_its_layer_and_the_mend(last, loss, words):
    message = squashed_twice(_net(*last), loss)
    assert message is not None
    assert words in message
    assert message.startswith(f"{last[0].kind} 1 ends the network")
    assert "Drop the last" in message


@pytest.mark.parametrize(
    ("last", "loss"),
    [
        ((), cr.SoftmaxCrossEntropy()),
        ((cr.Sigmoid(),), cr.BinaryCrossEntropy()),
        ((), cr.BinaryCrossEntropy(from_logits=True)),
        ((cr.Softmax(),), cr.MeanSquaredError()),
        ((cr.Softmax(), cr.Linear(3, 3)), cr.SoftmaxCrossEntropy()),
    ],
)
def test_a_right_pairing_says_nothing(last, loss):
    assert squashed_twice(_net(*last), loss) is None


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((12, 4)), np.arange(12) % 3


def test_fit_warns_once_and_keeps_the_note():
    model = _net(cr.Softmax())
    with pytest.warns(UserWarning, match=r"softmax\(softmax\(z\)\)"):
        history = cr.fit(model, cr.SoftmaxCrossEntropy(), cr.Adam(model), _data(), epochs=2,
                         batch_size=4, verbose=0)  # fmt: skip
    assert sum("softmax(softmax(z))" in note for note in history.notes) == 1


def test_fit_of_a_right_pairing_warns_nothing():
    model = _net()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = cr.fit(model, cr.SoftmaxCrossEntropy(), cr.Adam(model), _data(), epochs=1,
                         batch_size=4, verbose=0)  # fmt: skip
    assert not history.notes


def test_derive_states_it_among_its_conventions():
    model = _net(cr.Softmax())
    d = cr.derive(model, cr.SoftmaxCrossEntropy())
    assert "Warning: Softmax 1 ends the network" in d.to_text()
    assert "Warning:" not in cr.derive("seed002-two-layer-softmax").to_text()
