"""Unit tests of the shared helper package."""

import math

import numpy as np
import pytest

from rnncourse import data, evaluate, gradcheck


@pytest.fixture
def vocab():
    return data.Vocabulary(sorted("abd"))


def test_vocabulary_end_is_zero_and_round_trips(vocab):
    assert vocab.itos == ["\n", "a", "b", "d"] and len(vocab) == 4 and vocab.end_id == 0
    assert vocab.encode("bad") == [2, 1, 3, 0]
    assert vocab.encode("bad", add_end=False) == [2, 1, 3]
    assert vocab.decode([2, 1, 3, 0, 1, 1]) == "bad"
    assert vocab.decode([2, data.PAD, 1]) == "ba"
    with pytest.raises(ValueError, match="'z'"):
        vocab.encode("zab")
    with pytest.raises(ValueError):
        data.Vocabulary(["a", "\n"])


def test_pad_batch_inputs_targets_mask(vocab):
    inputs, targets, mask = data.pad_batch(["ab", "d"], vocab)
    np.testing.assert_array_equal(inputs, [[0, 1, 2], [0, 3, -1]])
    np.testing.assert_array_equal(targets, [[1, 2, 0], [3, 0, -1]])
    np.testing.assert_array_equal(mask, [[1, 1, 1], [1, 1, 0]])
    inputs, targets, mask = data.pad_batch(["abdab"], vocab, max_len=3)  # cut: no end token seen
    np.testing.assert_array_equal(targets, [[1, 2, 3]])
    np.testing.assert_array_equal(inputs, [[0, 1, 2]])


def test_split_is_deterministic_and_disjoint():
    items = [f"n{i}" for i in range(100)]
    train, val = data.train_val_split(items, 0.1, seed=0)
    assert (train, val) == data.train_val_split(items, 0.1, seed=0)
    assert len(val) == 10 and not set(train) & set(val) and set(train) | set(val) == set(items)
    assert data.train_val_split(items, 0.1, seed=1)[1] != val


def test_minibatches_cover_every_name_each_epoch(vocab):
    names = ["a", "b", "d", "ab", "ba", "db", "bd"]
    stream = data.minibatches(names, vocab, 3, np.random.default_rng(0))
    seen = []
    for _ in range(3):  # 7 names in batches of 3: 3, 3, 1
        inputs, targets, mask = next(stream)
        seen += [vocab.decode(t) for t in targets]
    assert sorted(seen) == sorted(names)


def test_one_hot_layout_and_padding():
    out = data.one_hot(np.array([[1, -1], [0, 2]]), 3)
    assert out.shape == (3, 2, 2)
    np.testing.assert_array_equal(out[:, 0, 0], [0, 1, 0])
    np.testing.assert_array_equal(out[:, 0, 1], [0, 0, 0])
    np.testing.assert_array_equal(out[:, 1, 1], [0, 0, 1])


def test_mean_nll_counts_end_token_and_ignores_padding():
    log_probs = np.log(np.array([[[0.5, 0.5], [0.25, 0.75], [0.9, 0.1]]]))  # (1, 3, 2)
    nll = evaluate.mean_nll(log_probs, np.array([[1, 0, 1]]), np.array([[1.0, 1.0, 0.0]]))
    assert nll == pytest.approx((math.log(2) + math.log(4)) / 2)
    assert evaluate.perplexity(math.log(7)) == pytest.approx(7)


def test_dataset_nll_of_uniform_model_is_log_vocab(vocab):
    uniform = lambda inputs: np.full(inputs.shape + (len(vocab),), -math.log(len(vocab)))
    assert evaluate.dataset_nll(uniform, ["ab", "d", "bad"], vocab, batch_size=2) == pytest.approx(math.log(4))


def test_bigram_beats_uniform_and_novelty(vocab):
    train = ["ab", "ab", "ad", "ba"] * 5
    assert evaluate.bigram_nll(train, ["ab", "ad"], vocab) < math.log(len(vocab)) - 0.5
    assert evaluate.novelty(["ab", "zz", "", "ba"], train) == 0.25
    with pytest.raises(ValueError):
        evaluate.novelty([], train)


def test_results_roundtrip(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNCOURSE_RESULTS", str(tmp_path / "r.json"))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    evaluate.record_result("m", nll=2.0)
    assert evaluate.load_results() == {"m": {"nll": 2.0}}
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    evaluate.record_result("graded", nll=9.9)
    assert "graded" not in evaluate.load_results()


def test_relative_error():
    assert gradcheck.relative_error(np.ones(3), np.ones(3)) == 0
    assert gradcheck.relative_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
