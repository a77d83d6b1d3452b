"""Each bad input of issue 2 gets a ChainruleError a student understands."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def _model():
    return cr.Sequential([cr.Linear(4, 3), cr.ReLU(), cr.Linear(3, 2)], dtype=np.float64, seed=0)


def test_width_mismatch_names_the_layer_and_both_shapes():
    with pytest.raises(
        cr.ShapeError, match=r"Linear 1: input has shape \(5, 3\), expected \(n, 4\)"
    ):
        _model().forward(np.zeros((5, 3)))


def test_transposed_input_gets_a_hint():
    with pytest.raises(cr.ShapeError, match=r"looks transposed: use X\.T"):
        _model().forward(np.zeros((4, 7)))


def test_single_example_as_1d_gets_a_hint():
    with pytest.raises(cr.ShapeError, match=r"reshape\(1, -1\)"):
        _model().forward(np.zeros(4))


def test_nan_and_inf_inputs_are_refused_with_their_position():
    X = np.zeros((3, 4))
    X[2, 1] = np.nan
    with pytest.raises(cr.DataError, match="row 2, column 1"):
        _model().forward(X)
    X[2, 1] = np.inf
    with pytest.raises(cr.DataError, match="NaN or Inf"):
        _model().forward(X)


def test_empty_batch():
    with pytest.raises(cr.DataError, match="empty"):
        _model().forward(np.zeros((0, 4)))
    with pytest.raises(cr.DataError, match="empty"):
        cr.HalfSquaredError().forward(np.zeros((0, 1)), np.zeros((0, 1)))


def test_labels_out_of_range_and_starting_at_one():
    out = np.zeros((3, 3))
    with pytest.raises(cr.DataError, match=r"0\.\.2 for 3 classes, got values from 0 to 5"):
        cr.SoftmaxCrossEntropy().forward(out, np.array([0, 5, 1]))
    with pytest.raises(cr.DataError, match="start at 1"):
        cr.SoftmaxCrossEntropy().forward(out, np.array([1, 2, 3]))
    with pytest.raises(cr.DataError, match="from -1"):
        cr.SoftmaxCrossEntropy().forward(out, np.array([0, -1, 1]))


def test_labels_of_the_wrong_dtype_or_shape():
    out = np.zeros((3, 3))
    with pytest.raises(cr.DataError, match=r"integers, got dtype float64\. They are whole numbers"):
        cr.SoftmaxCrossEntropy().forward(out, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(cr.ShapeError, match=r"y\.ravel\(\)"):
        cr.SoftmaxCrossEntropy().forward(out, np.array([[0], [1], [2]]))
    with pytest.raises(cr.ShapeError, match="one-hot"):
        cr.SoftmaxCrossEntropy().forward(out, np.eye(3))
    with pytest.raises(cr.DataError, match=r"labels must lie in \[0, 1\]"):
        cr.BinaryCrossEntropy(from_logits=True).forward(np.zeros((2, 1)), np.array([[0.0], [2.0]]))


def test_targets_n_where_n1_is_needed_and_the_reverse():
    with pytest.raises(cr.ShapeError, match=r"\(n,\) need to be \(n, 1\).*reshape\(-1, 1\)"):
        cr.HalfSquaredError().forward(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(cr.ShapeError, match=r"labels have shape \(4, 1\); expected \(4,\)"):
        cr.SoftmaxCrossEntropy().forward(np.zeros((4, 3)), np.zeros((4, 1), dtype=int))
    with pytest.raises(cr.ShapeError, match="look transposed"):
        cr.MeanSquaredError().forward(np.zeros((4, 2)), np.zeros((2, 4)))


def test_backward_before_forward():
    with pytest.raises(cr.StateError, match="backward called before forward"):
        _model().backward(np.zeros((2, 2)))
    with pytest.raises(cr.StateError, match="before forward"):
        cr.HalfSquaredError().backward()
    m = _model()
    m.predict(np.zeros((2, 4)))  # predict keeps nothing for a backward
    with pytest.raises(cr.StateError):
        m.backward(np.zeros((2, 2)))


def test_gradient_of_the_wrong_shape_for_backward():
    m = _model()
    m.forward(np.zeros((5, 4)))
    with pytest.raises(
        cr.ShapeError, match=r"gradient has shape \(2, 5\), the last output had shape \(5, 2\)"
    ):
        m.backward(np.zeros((2, 5)))


def test_bce_needs_probabilities_unless_from_logits():
    with pytest.raises(cr.DataError, match="from_logits=True"):
        cr.BinaryCrossEntropy().forward(np.array([[2.0]]), np.array([[1.0]]))


def test_bad_configuration():
    with pytest.raises(cr.ConfigError, match="d_out must be a positive integer"):
        cr.Linear(3, 0)
    with pytest.raises(cr.ConfigError, match="unknown init"):
        cr.Linear(3, 2, init="xavier")
    with pytest.raises(cr.ConfigError, match="takes 4 inputs but the layer before"):
        cr.Sequential([cr.Linear(3, 5), cr.ReLU(), cr.Linear(4, 1)])
    with pytest.raises(cr.ConfigError, match="reduction"):
        cr.HalfSquaredError(reduction="avg")
    with pytest.raises(cr.ConfigError, match="float32 or float64"):
        cr.Sequential([cr.Linear(2, 1)], dtype=np.int32)
    shared = cr.Linear(2, 2)
    cr.Sequential([shared])
    with pytest.raises(cr.ConfigError, match="already belongs"):
        cr.Sequential([shared])
    with pytest.raises(cr.ConfigError, match="unknown layer type 'Conv2d'"):
        cr.Sequential.from_spec([{"type": "Conv2d"}])
    with pytest.raises(cr.ConfigError, match="does not take"):
        cr.Sequential.from_spec([{"type": "ReLU", "inplace": True}])


def test_errors_are_one_family():
    for cls in (
        cr.ShapeError,
        cr.DataError,
        cr.ConfigError,
        cr.CheckpointError,
        cr.ExpressionError,
        cr.StateError,
    ):
        assert issubclass(cls, cr.ChainruleError)
