"""Bad input to the RBM: each mistake is a ChainruleError that names what was seen and
what was expected."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.checkpoint import write_checkpoint
from chainrule.errors import CheckpointError, ConfigError, DataError, ShapeError
from chainrule.rbm import RBM


@pytest.fixture
def rbm() -> RBM:
    return RBM(6, 3)


def test_raw_digit_pixels_are_not_binary(rbm):
    V = np.zeros((2, 6))
    V[1, 4] = 16
    with pytest.raises(
        DataError, match=r"V\[1, 4\] is 16 .*expected binary values 0 or 1; binarise"
    ):
        rbm.log_likelihood(V)


@pytest.mark.parametrize("method", ["energy_v", "free_energy", "log_likelihood", "exact_gradient"])
def test_probabilities_are_not_states(rbm, method):
    V = np.full((1, 6), 0.5)
    call = (
        (lambda: rbm.energy(V, np.zeros((1, 3))))
        if method == "energy_v"
        else (lambda: getattr(rbm, method)(V))
    )
    with pytest.raises(DataError, match=r"V\[0, 0\] is 0.5 \(6 such entries\); expected binary"):
        call()


def test_conditionals_accept_probabilities_but_not_beyond_the_unit_interval(rbm):
    assert rbm.prob_hidden(np.full((1, 6), 0.5)).shape == (1, 3)
    with pytest.raises(DataError, match=r"H\[0, 2\] is 1.5 .*expected values in \[0, 1\]"):
        rbm.prob_visible(np.array([[0.0, 1.0, 1.5]]))


def test_nan_is_reported_with_its_place(rbm):
    V = np.zeros((3, 6))
    V[2, 1] = np.nan
    with pytest.raises(DataError, match=r"RBM.free_energy: V\[2, 1\] is nan; expected finite"):
        rbm.free_energy(V)


def test_wrong_width(rbm):
    with pytest.raises(
        ShapeError, match=r"V has shape \(4, 5\); expected \(n, 6\) with one column"
    ):
        rbm.log_likelihood(np.zeros((4, 5)))


def test_transposed_input_gets_a_hint(rbm):
    with pytest.raises(ShapeError, match=r"shape \(6, 4\).*looks transposed, try V.T"):
        rbm.exact_gradient(np.zeros((6, 4)))


def test_single_vector_gets_a_hint(rbm):
    with pytest.raises(ShapeError, match=r"shape \(6,\).*V.reshape\(1, -1\)"):
        rbm.prob_hidden(np.zeros(6))


def test_empty_batch_and_non_numbers(rbm):
    with pytest.raises(DataError, match="V has no rows"):
        rbm.log_likelihood(np.zeros((0, 6)))
    with pytest.raises(DataError, match="dtype <U1; expected numbers"):
        rbm.log_likelihood(np.array([list("010101")]))


def test_energy_needs_one_h_per_v(rbm):
    with pytest.raises(ShapeError, match="V has 2 rows and H has 3"):
        rbm.energy(np.zeros((2, 6)), np.zeros((3, 3)))


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((0, 3), {}, "n_visible is 0"),
        ((4, 2.5), {}, "n_hidden is 2.5"),
        ((4, True), {}, "n_hidden is True"),
        ((4, 2), {"dtype": np.int64}, "dtype is int64"),
        ((4, 2), {"dtype": "float16"}, "dtype is float16"),
        ((4, 2), {"weight_scale": -1}, "weight_scale is -1"),
    ],
)
def test_bad_construction(args, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        RBM(*args, **kwargs)


def test_bool_input_is_accepted_as_binary(rbm):
    V = np.array([[True, False, True, False, False, True]])
    assert rbm.log_likelihood(V) == pytest.approx(rbm.log_likelihood(V.astype(float)))


def test_load_refuses_other_checkpoints(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        RBM.load(tmp_path / "missing.chainrule")
    other = write_checkpoint(
        tmp_path / "other.chainrule", {"W1": np.zeros((2, 2))}, {"kind": "model"}
    )
    with pytest.raises(CheckpointError, match="holds 'model' data; expected an RBM"):
        RBM.load(other)
    bad = write_checkpoint(
        tmp_path / "bad.chainrule",
        {"W": np.zeros((4, 2)), "b": np.zeros(3), "c": np.zeros(2)},
        {"kind": "rbm", "rbm": {}},
    )
    with pytest.raises(CheckpointError, match=r"W \(4, 2\), b \(3,\), c \(2,\) do not fit"):
        RBM.load(bad)
    missing = write_checkpoint(
        tmp_path / "missing_c.chainrule",
        {"W": np.zeros((4, 2)), "b": np.zeros(4)},
        {"kind": "rbm", "rbm": {}},
    )
    with pytest.raises(
        CheckpointError, match=r"has arrays \['W', 'b'\]; expected \['W', 'b', 'c'\]"
    ):
        RBM.load(missing)
