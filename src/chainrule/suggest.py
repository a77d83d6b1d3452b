"""The "did you mean" hint of every error about an unknown name.

>>> did_you_mean("adma", ["sgd", "adam", "adamw"])
"; did you mean 'adam'?"
>>> did_you_mean("adma", ["sgd", "adam"], sentence=True)
" Did you mean 'adam'?"
>>> did_you_mean("seed002", ["seed001-4-3-2-1", "seed002-two-layer-softmax"])
"; did you mean 'seed002-two-layer-softmax'?"
>>> did_you_mean("zzz", ["sgd", "adam"])
''
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(word: str, choices: Iterable[str], *, sentence: bool = False) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices`` to ``word``, or ``""`` when
    none is close (``difflib``'s ratio of at least 0.6), to end an error message with;
    ``sentence=True`` gives ``" Did you mean 'x'?"``, to follow a full stop. A choice that
    ``word`` begins (``seed002`` of ``seed002-two-layer-softmax``) comes first: an
    abbreviation is the likeliest mistake."""
    choices = list(choices)
    start = word.strip().lower() if isinstance(word, str) else ""
    close = [c for c in choices if start and c.lower().startswith(start)][:1]
    close = close or difflib.get_close_matches(word, choices, n=1)
    if not close:
        return ""
    return f" Did you mean {close[0]!r}?" if sentence else f"; did you mean {close[0]!r}?"
