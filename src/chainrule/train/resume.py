"""Resume: put a saved run's weights, optimizer state, generator state, position and history
back into a new :class:`~chainrule.train.state.Run`, after checking that they fit it."""

from __future__ import annotations

from typing import Any

from chainrule.errors import CheckpointError, ConfigError
from chainrule.train.history import History
from chainrule.train.state import Run

__all__ = ["restore"]


def restore(run: Run, checkpoint: Any, epochs: int) -> None:
    from chainrule.checkpoint import Checkpoint, load

    ckpt = checkpoint if isinstance(checkpoint, Checkpoint) else load(checkpoint)
    where = f"checkpoint {ckpt.path}"
    if ckpt.model.spec() != run.model.spec():
        raise CheckpointError(
            f"{where} is of another architecture: it holds {ckpt.model.describe()}, "
            f"the model being trained is {run.model.describe()}"
        )
    info = ckpt.extra.get("training")
    if not isinstance(info, dict) or ckpt.optimizer is None:
        raise CheckpointError(f"{where} holds no training state to resume (no optimizer/epoch)")
    if info["n_train"] != run.n_train:
        raise CheckpointError(
            f"{where} was trained on {info['n_train']} examples, this data has {run.n_train}"
        )
    if info["position"] and info["batch_size"] != run.batch_size:
        raise ConfigError(
            f"{where} stopped mid-epoch with batch size {info['batch_size']}; resume it with "
            f"the same batch size (got {run.batch_size})"
        )
    if info["epoch"] >= epochs:
        raise ConfigError(
            f"{where} has already done {info['epoch']} epochs; ask for more than that "
            f"(epochs counts the whole run, got {epochs})"
        )
    run.model.load_state_dict({n: p.value for n, p in ckpt.model.named_parameters()})
    run.optimizer.load_state_dict(ckpt.optimizer)
    run.epoch, run.position, run.step = info["epoch"], info["position"], info["step"]
    run.partial = dict(info["partial"])
    run.epoch_rng_state = info["rng_state"]
    try:
        run.rng.bit_generator.state = info["rng_state"]
    except (TypeError, ValueError, KeyError) as err:
        raise CheckpointError(f"{where}: its random generator state is unusable: {err}") from err
    run.history = History.from_dict(ckpt.extra.get("history", {}))
