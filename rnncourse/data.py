"""Datasets, vocabulary, splits and padded minibatches.

Conventions used by all three assignments (makemore's):

- index 0 of every vocabulary is the end token ``"\\n"``. A name is read as
  ``END c1 c2 ... cn`` and the model must predict ``c1 c2 ... cn END``: the same token
  starts and ends a name, so a model learns where names end;
- padding uses ``PAD = -1`` in id matrices and is always paired with a mask, so padded
  positions can never be mistaken for a real character.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "datasets"  # shipped with the package
END = "\n"
PAD = -1


def data_path(name: str) -> Path:
    """Path of a dataset: ``name`` itself if it exists, else the package's dataset of that name (``"names.txt"``...)."""
    path = Path(name)
    return path if path.is_absolute() or path.exists() else DATA_DIR / name


def load_lines(name: str = "names.txt") -> list[str]:
    """Non-empty lines of a text file, stripped: one item (a name) per line.

    Any text file with one item per line works as a dataset, e.g. a list of surnames.
    """
    text = data_path(name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def load_text(name: str = "sonnets.txt") -> str:
    """A whole text file as one string (for the sonnets)."""
    return data_path(name).read_text(encoding="utf-8")


class Vocabulary:
    """Maps characters to ids and back. Id 0 is always the end token ``END``.

    ``Vocabulary(chars)`` takes the characters in the order you want (ids 1, 2, ...); it does
    not decide that order for you.
    """

    def __init__(self, chars: Iterable[str], end: str = END):
        chars = list(chars)
        if end in chars:
            raise ValueError(f"the end token {end!r} must not be one of the characters")
        if len(set(chars)) != len(chars):
            raise ValueError("characters must be unique")
        self.end = end
        self.itos = [end] + chars
        self.stoi = {c: i for i, c in enumerate(self.itos)}

    @property
    def end_id(self) -> int:
        return 0

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens: END + {''.join(self.itos[1:])!r})"

    def encode(self, text: str, add_end: bool = True) -> list[int]:
        """Ids of the characters of ``text``, followed by the end id when ``add_end``."""
        try:
            ids = [self.stoi[c] for c in text]
        except KeyError as err:
            raise ValueError(f"character {err.args[0]!r} of {text!r} is not in the vocabulary") from None
        return ids + [self.end_id] if add_end else ids

    def decode(self, ids: Iterable[int]) -> str:
        """Characters of ``ids``, stopping at the first end id (padding ids are skipped)."""
        out = []
        for i in ids:
            i = int(i)
            if i == self.end_id:
                break
            if i >= 0:
                out.append(self.itos[i])
        return "".join(out)


def train_val_split(items: Sequence[str], val_fraction: float = 0.1, seed: int = 0) -> tuple[list[str], list[str]]:
    """Deterministic shuffle-and-split: the same items and seed always give the same split."""
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError("val_fraction must be in [0, 1)")
    order = np.random.default_rng(seed).permutation(len(items))
    n_val = int(round(len(items) * val_fraction))
    val = [items[i] for i in order[:n_val]]
    train = [items[i] for i in order[n_val:]]
    return train, val


def pad_batch(names: Sequence[str], vocab: Vocabulary, max_len: int | None = None):
    """Inputs, targets and mask for a batch of names, each of shape ``(m, T)``.

    Row ``j`` is ``END c1 ... cn`` (inputs) and ``c1 ... cn END`` (targets), padded with
    ``PAD`` to ``T = max_len`` or to the longest name + 1. Names longer than ``max_len - 1``
    are cut (their end token is then not seen). ``mask[j, t]`` is 1.0 where ``targets[j, t]``
    is real, 0.0 on padding.
    """
    return _pad_encoded([vocab.encode(name) for name in names], vocab, max_len)


def _pad_encoded(encoded: Sequence[Sequence[int]], vocab: Vocabulary, max_len: int | None = None):
    T = max_len if max_len is not None else max(len(e) for e in encoded)
    m = len(encoded)
    inputs = np.full((m, T), PAD, dtype=np.int64)
    targets = np.full((m, T), PAD, dtype=np.int64)
    for j, ids in enumerate(encoded):
        ids = ids[:T]
        targets[j, : len(ids)] = ids
        seq_in = [vocab.end_id] + ids[:-1]
        inputs[j, : len(seq_in)] = seq_in
    mask = (targets != PAD).astype(np.float64)
    return inputs, targets, mask


def minibatches(names: Sequence[str], vocab: Vocabulary, batch_size: int, rng: np.random.Generator,
                max_len: int | None = None, bucket: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Endless stream of shuffled padded minibatches ``(inputs, targets, mask)``.

    Every epoch visits every name once in a new order drawn from ``rng``. With ``bucket=k``,
    each run of ``k`` batches is sorted by length before it is cut into batches (whose order
    is then shuffled): names of similar length share a batch, so far less time is spent on
    padding, at the price of slightly less random batches.
    """
    encoded = [vocab.encode(name) for name in names]
    if not encoded:
        raise ValueError("no names to batch")
    # Every name is encoded and padded once; a batch is then a selection of rows, cut to its
    # longest name (or to max_len), which is what _pad_encoded would give for those names.
    all_inputs, all_targets, all_mask = _pad_encoded(encoded, vocab, max_len)
    lengths = np.array([len(ids) for ids in encoded])

    def batch(rows):
        T = max_len if max_len is not None else int(lengths[rows].max())
        return all_inputs[rows, :T], all_targets[rows, :T], all_mask[rows, :T]

    while True:
        order = rng.permutation(len(encoded))
        if bucket > 1:
            batches = []
            for start in range(0, len(encoded), batch_size * bucket):
                chunk = order[start:start + batch_size * bucket]
                chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
                batches += [chunk[k:k + batch_size] for k in range(0, len(chunk), batch_size)]
            for b in rng.permutation(len(batches)):
                yield batch(batches[b])
        else:
            for start in range(0, len(encoded), batch_size):
                yield batch(order[start:start + batch_size])


def one_hot(ids: np.ndarray, depth: int, dtype=np.float64) -> np.ndarray:
    """One-hot encoding with the class axis first: ids ``(m, T)`` -> ``(depth, m, T)``.

    This is the layout of the NumPy assignment (column ``j`` is example ``j``). ``PAD`` ids
    become all-zero columns. In memory the id axes are stored in reverse order (time before
    examples), so that all steps side by side, ``out.transpose(0, 2, 1).reshape(depth, T * m)``,
    are one matrix without a copy, and each step ``out[:, :, t]`` has contiguous rows.
    """
    ids = np.asarray(ids)
    out = np.zeros((depth,) + ids.shape[::-1], dtype=dtype).transpose(0, *range(ids.ndim, 0, -1))
    valid = ids >= 0
    idx = np.nonzero(valid)
    out[(ids[valid],) + idx] = 1
    return out


def split_sonnets(text: str) -> list[str]:
    """The sonnets of ``sonnets.txt``, each as its lines joined by ``"\\n"``, without its number.

    In the file every sonnet follows a line holding only its Roman numeral and a blank line;
    sonnets are separated by blank lines. Splitting by sonnet (not by character) lets a model
    be scored on whole poems it never saw.
    """
    import re
    parts = re.split(r"^\s*[IVXLC]+\s*$", text, flags=re.MULTILINE)
    return [part.strip("\n") for part in parts if part.strip()]
