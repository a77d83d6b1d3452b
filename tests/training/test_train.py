"""The fit loop: determinism, exact resume, callbacks, the NaN guard, bad settings."""

from __future__ import annotations

import io
import signal

import numpy as np
import pytest

import chainrule as cr
from chainrule.errors import CheckpointError, ConfigError, TrainingError
from chainrule.train import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    TrainingInterrupted,
    fit,
)


def _blobs(n=120, d=6, c=3, seed=0):
    """Three Gaussian blobs: separable enough to learn in a few epochs."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(c, d))
    y = rng.integers(0, c, size=n)
    X = (centers[y] + rng.normal(size=(n, d))).astype(np.float32)
    return X, y


def _setup(seed=0, hidden=8, opt="adam", lr=0.01, dtype=np.float32):
    model = cr.Sequential(
        [cr.Linear(6, hidden), cr.ReLU(), cr.Linear(hidden, 3)], dtype=dtype, seed=seed
    )
    optimizer = cr.optim.make_optimizer(opt, model, lr=lr)
    return model, cr.SoftmaxCrossEntropy(), optimizer


def _weights(model):
    return {k: p.value.copy() for k, p in model.named_parameters()}


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


_X, _y = _blobs(n=160)
DATA, VAL = (_X[:120], _y[:120]), (_X[120:], _y[120:])


def test_fit_learns_and_reports_history():
    model, loss, opt = _setup()
    h = fit(model, loss, opt, DATA, epochs=8, batch_size=16, validation=VAL, l2=1e-3, verbose=0)
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 8 for v in h.history.values()) and h.epoch == list(range(1, 9))
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]
    assert h.history["val_accuracy"][-1] >= 0.9
    assert h.history["lr"] == [0.01] * 8
    assert all(p.value.dtype == np.float32 for p in model.parameters())


def test_reported_loss_is_data_loss_plus_l2_penalty():
    model, loss, opt = _setup(opt="sgd", lr=1e-12)  # weights barely move: one value to check
    h = fit(model, loss, opt, DATA, epochs=1, batch_size=len(DATA[0]), l2=0.1, verbose=0)
    expected = loss.forward(model.forward(DATA[0]), DATA[1]) + cr.L2(0.1).forward(model)
    assert h.history["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_regression_history_has_no_accuracy():
    model = cr.Sequential([cr.Linear(6, 4), cr.Tanh(), cr.Linear(4, 1)], dtype=np.float64, seed=0)
    X = DATA[0].astype(np.float64)
    y = X[:, :1] * 0.5
    h = fit(model, cr.HalfSquaredError(), cr.SGD(model, 0.05), (X, y), 3, 32, verbose=0)
    assert set(h.history) == {"loss", "lr"}


def test_same_seed_same_run_other_seed_other_run():
    runs = []
    for seed in (0, 0, 1):
        model, loss, opt = _setup()
        fit(model, loss, opt, DATA, epochs=2, batch_size=16, seed=seed, verbose=0)
        runs.append(_weights(model))
    _same(runs[0], runs[1])
    assert not np.array_equal(runs[0]["W1"], runs[2]["W1"])


def test_backward_skips_the_input_gradient(monkeypatch):
    model, loss, opt = _setup()
    seen = []
    real = type(model).backward

    def spy(self, grad, input_grad=True):
        seen.append(input_grad)
        return real(self, grad, input_grad=input_grad)

    monkeypatch.setattr(type(model), "backward", spy)
    fit(model, loss, opt, DATA, epochs=1, batch_size=40, verbose=0)
    assert seen == [False, False, False]


def test_resume_is_bit_identical(tmp_path):
    """4 epochs straight == 2 epochs, save, load, resume, 2 more."""
    kwargs = dict(batch_size=16, validation=VAL, l2=1e-3, seed=3, verbose=0)
    model, loss, opt = _setup(opt="adam")
    straight = fit(model, loss, opt, DATA, epochs=4, **kwargs)
    expected, expected_opt = _weights(model), opt.state_dict()

    model, loss, opt = _setup(opt="adam")
    path = tmp_path / "run.chainrule"
    fit(model, loss, opt, DATA, epochs=2, callbacks=[ModelCheckpoint(path, every=2)], **kwargs)
    ck = cr.load(path)
    assert ck.extra["training"]["epoch"] == 2
    model2, opt2 = ck.model, ck.make_optimizer()
    resumed = fit(model2, ck.loss, opt2, DATA, epochs=4, resume=ck, **kwargs)
    _same(_weights(model2), expected)
    assert opt2.t == expected_opt["step"]
    for b, per in expected_opt["buffers"].items():
        _same(opt2.buffers[b], per)
    assert resumed.history == straight.history


class _CtrlC(Callback):
    """Press Ctrl-C (a real SIGINT to this process) after a given step of the run."""

    def __init__(self, at_step):
        self.at_step = at_step

    def on_batch_end(self, run, loss):
        if run.step == self.at_step:
            signal.raise_signal(signal.SIGINT)


def test_ctrl_c_saves_a_checkpoint_that_resumes_exactly(tmp_path):
    kwargs = dict(batch_size=16, seed=5, verbose=0)
    model, loss, opt = _setup(opt="momentum")
    fit(model, loss, opt, DATA, epochs=3, **kwargs)
    expected = _weights(model)

    model, loss, opt = _setup(opt="momentum")
    path = tmp_path / "interrupted.chainrule"
    with pytest.raises(TrainingInterrupted) as info:  # mid-epoch 2: step 12 of 8 a epoch
        fit(
            model,
            loss,
            opt,
            DATA,
            epochs=3,
            callbacks=[_CtrlC(12)],
            interrupt_checkpoint=path,
            **kwargs,
        )
    assert isinstance(info.value, KeyboardInterrupt) and info.value.checkpoint == path
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    ck = cr.load(path)
    assert (ck.extra["training"]["epoch"], ck.extra["training"]["position"]) == (1, 4)
    model2 = ck.model
    fit(model2, ck.loss, ck.make_optimizer(), DATA, epochs=3, resume=path, **kwargs)
    _same(_weights(model2), expected)


def test_resume_refuses_another_architecture(tmp_path):
    model, loss, opt = _setup(hidden=8)
    path = tmp_path / "a.chainrule"
    fit(
        model,
        loss,
        opt,
        DATA,
        epochs=1,
        batch_size=32,
        verbose=0,
        callbacks=[ModelCheckpoint(path)],
    )
    other, loss, opt = _setup(hidden=9)
    with pytest.raises(
        CheckpointError, match=r"another architecture.*Linear\(6->8\).*Linear\(6->9\)"
    ):
        fit(other, loss, opt, DATA, epochs=2, batch_size=32, verbose=0, resume=path)


def test_nan_guard_on_a_diverging_learning_rate_names_epoch_step_and_layer():
    model, loss, opt = _setup(opt="sgd", lr=1e30)
    with pytest.raises(TrainingError) as info:
        fit(model, loss, opt, DATA, epochs=3, batch_size=16, verbose=0)
    message = str(info.value)
    # the first step makes W huge but finite in float32; on the second the logits overflow
    assert "diverged at epoch 1, step 2 (step 2 of the run): the loss became nan" in message
    assert "first non-finite value: the output of Linear 2 holds NaN/Inf" in message
    assert "learning rate is 1e+30" in message


class _Poison(Callback):
    """Put a NaN into a parameter after a given step, as a bad update would."""

    def __init__(self, name, at_step):
        self.name, self.at_step = name, at_step

    def on_batch_end(self, run, loss):
        if run.step == self.at_step:
            dict(run.model.named_parameters())[self.name].value.flat[0] = np.nan


def test_nan_guard_names_the_first_parameter_that_holds_a_nan():
    model, loss, opt = _setup()
    with pytest.raises(TrainingError, match=r"epoch 1, step 4 .* parameter W2 of Linear 2 holds"):
        fit(model, loss, opt, DATA, 3, 16, callbacks=[_Poison("W2", 3)], verbose=0)


def test_nan_guard_checks_weights_after_the_last_step_of_an_epoch():
    model, loss, opt = _setup()
    with pytest.raises(
        TrainingError, match=r"epoch 1, step 1 .*parameter b2 of Linear 2 holds NaN/Inf"
    ):
        fit(model, loss, opt, DATA, 1, len(DATA[0]), callbacks=[_Poison("b2", 1)], verbose=0)


def test_batch_larger_than_data_trains_on_all_and_says_so(monkeypatch):
    import chainrule.progress as progress

    model, loss, opt = _setup()
    stream = io.StringIO()
    real = progress.EpochProgress.__init__

    def to_stream(self, *args, **kwargs):
        real(self, *args, **{**kwargs, "stream": stream})

    monkeypatch.setattr(progress.EpochProgress, "__init__", to_stream)
    h = fit(model, loss, opt, DATA, epochs=2, batch_size=1000, verbose=2)
    note = "batch size 1000 is larger than the 120 training examples: training on all 120 at once"
    assert h.notes == [note]
    lines = stream.getvalue().splitlines()
    assert lines[0] == note and len(lines) == 3 and lines[2].startswith("epoch 2/2  loss")
    assert opt.t == 2  # one step an epoch


def test_verbose_zero_is_silent_and_two_prints_a_line_an_epoch(capsys):
    model, loss, opt = _setup()
    fit(model, loss, opt, DATA, epochs=2, batch_size=1000, verbose=0)
    assert capsys.readouterr().err == ""
    fit(model, loss, opt, DATA, epochs=2, batch_size=64, verbose=2)
    err = capsys.readouterr().err.splitlines()
    assert [line.split()[:2] for line in err] == [["epoch", "1/2"], ["epoch", "2/2"]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be a whole number >= 1, got 0"),
        ({"epochs": 2.5}, "epochs must be a whole number"),
        ({"batch_size": 0}, "batch_size must be >= 1, got 0"),
        ({"l2": -1.0}, "l2 must be a number >= 0"),
    ],
)
def test_bad_settings_are_config_errors(kwargs, message):
    model, loss, opt = _setup()
    args = {"epochs": 1, "batch_size": 8, **kwargs}
    with pytest.raises(ConfigError, match=message):
        fit(model, loss, opt, DATA, verbose=0, **args)


def test_early_stopping_restores_the_best_weights():
    model, loss, opt = _setup()
    after_epoch = {}

    class Record(Callback):
        def on_epoch_end(self, run, logs):
            after_epoch[run.epoch] = _weights(run.model)

    # "max" on a falling loss: epoch 1 stays the best, so patience 2 (epochs without
    # improvement, as Keras and Lightning count) stops the run after epoch 1 + 2
    stop = EarlyStopping(monitor="loss", patience=2, mode="max")
    h = fit(model, loss, opt, DATA, epochs=10, batch_size=16, callbacks=[Record(), stop], verbose=0)
    assert h.stopped_early and h.epoch == [1, 2, 3]
    assert "has not improved for 2 epochs" in h.notes[0]
    _same(_weights(model), after_epoch[1])
    assert any("restored the weights of epoch 1" in n for n in h.notes)


def test_early_stopping_on_val_loss_without_validation_is_a_config_error():
    model, loss, opt = _setup()
    with pytest.raises(ConfigError, match="val_loss"):
        fit(model, loss, opt, DATA, 2, 16, callbacks=[EarlyStopping()], verbose=0)


def test_learning_rate_schedule_and_checkpoint_every(tmp_path):
    model, loss, opt = _setup(lr=0.1)
    path = tmp_path / "m.chainrule"
    sched = LearningRateScheduler({"name": "step", "step_size": 2, "gamma": 0.5})
    h = fit(
        model, loss, opt, DATA, 5, 32, callbacks=[sched, ModelCheckpoint(path, every=2)], verbose=0
    )
    assert h.history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert cr.load(path).extra["training"]["epoch"] == 5  # saved at the end as well
    assert cr.load(tmp_path / "m.chainrule.prev").extra["training"]["epoch"] == 4
