"""Pretrained word vectors: the file formats users have, what they cover, and the embedding they start."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from pipelines import train
from pipelines.common import compose_config
from pipelines.task import task_of

import keras
import numpy as np
import pytest

from tests.conftest import tokenized_config
from textrnn import models
from textrnn.errors import TextrnnError
from textrnn.tokenized import token_ids, vocabulary
from textrnn.vectors import dimension, embedding_matrix

VOCABULARY = ["", "[UNK]", "film", "fine", "dull", "zyzzyva"]
ROWS = "film 0.5 -1.0 2.0\nfine 1.5 0.0 -0.5\nunseen 9 9 9\ndull -2.0 1.0 0.25\nfilm 7 7 7\n"


@pytest.mark.parametrize(
    ("name", "text", "compress"),
    [
        ("glove.txt", ROWS, False),  # GloVe: word v1 … vN
        ("word2vec.txt", "5 3\n" + ROWS, False),  # word2vec's text format: a `count dim` header
        ("wiki.vec", "5 3\n" + ROWS.replace("\n", " \n"), False),  # fastText: header, a space before each newline
        ("glove.txt.gz", ROWS, True),
        ("vectors.bin.gz.txt", "5 3\n" + ROWS, True),  # gzip by its bytes, whatever the name says
    ],
)
def test_every_format_gives_the_files_vectors_and_coverage_counted_by_hand(tmp_path, name, text, compress):
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()) if compress else text.encode())
    pretrained = embedding_matrix(path, VOCABULARY, seed=0)
    assert dimension(path) == 3 and pretrained.matrix.shape == (6, 3) and pretrained.matrix.dtype == np.float32
    np.testing.assert_array_equal(pretrained.matrix[2:5], [[0.5, -1.0, 2.0], [1.5, 0.0, -0.5], [-2.0, 1.0, 0.25]])
    assert not pretrained.matrix[0].any()  # padding
    assert pretrained.found.tolist() == [2, 3, 4]  # film (its first vector), fine, dull; not zyzzyva
    # 3 of the 4 words; of the tokens [film film zyzzyva [UNK] dull | padding]: film, film and dull
    coverage = pretrained.coverage(np.array([[2, 2, 5, 1, 4, 0, 0]]))
    assert coverage == {"vocabulary_coverage": 0.75, "token_coverage": 0.6}


def test_words_without_a_vector_start_random_at_the_vectors_scale(tmp_path):
    path = tmp_path / "big.txt"
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(500)]
    path.write_text("".join(f"{w} {' '.join(f'{v:.4f}' for v in rng.normal(3.0, 0.5, 20))}\n" for w in words))
    vocabulary = ["", "[UNK]", *words[:300], *(f"new{i}" for i in range(300))]
    first = embedding_matrix(path, vocabulary, seed=7)
    unseen = first.matrix[302:]
    assert abs(unseen.mean() - 3.0) < 0.05 and abs(unseen.std() - 0.5) < 0.05
    np.testing.assert_array_equal(first.matrix, embedding_matrix(path, vocabulary, seed=7).matrix)  # seeded
    assert not np.array_equal(unseen, embedding_matrix(path, vocabulary, seed=8).matrix[302:])


def test_a_word_missing_from_the_vectors_takes_its_lower_case_spelling(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("paris 1 2\nParis 3 4\nfilm 5 6\n")  # GloVe's words are lower-case; some files are not
    pretrained = embedding_matrix(path, ["", "[UNK]", "Paris", "Film", "film", "FILMS"], seed=0)
    np.testing.assert_array_equal(pretrained.matrix[2:5], [[3, 4], [5, 6], [5, 6]])  # its own spelling first
    assert pretrained.found.tolist() == [2, 3, 4]  # FILMS: no vector under any spelling


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"film 1 2 3\nfine 1 2\n", "{path}:2: 2 numbers where line 1 has 3; every vector must have the same length"),
        (b"\xff\xfe\x00\x01 binary\n", "{path}: not UTF-8 text (invalid start byte); give a GloVe, word2vec or"),
        (b"", "{path}: holds no vectors; give a GloVe, word2vec or fastText .vec text file"),
        (b"film 1 two 3\n", "{path}:1: the vector of 'film' is not numbers"),
    ],
)
def test_a_broken_vectors_file_is_one_line_naming_file_and_line(tmp_path, content, error):
    path = tmp_path / "vectors.txt"
    path.write_bytes(content)
    with pytest.raises(TextrnnError) as raised:
        embedding_matrix(path, VOCABULARY, seed=0)
    assert str(raised.value).startswith(error.format(path=path))
    with pytest.raises(TextrnnError, match="no such file"):
        dimension(tmp_path / "missing.txt")


def _vectors_for(tokenized_dir: Path, path: Path, size: int, every: int = 2) -> dict[str, np.ndarray]:
    """A vectors file holding every ``every``-th word of the vocabulary, and what it holds."""
    rng = np.random.default_rng(0)
    held = {word: rng.normal(0, 1, size).astype(np.float32) for word in vocabulary(tokenized_dir)[2::every]}
    path.write_text("".join(f"{word} {' '.join(map(str, vector.tolist()))}\n" for word, vector in held.items()))
    return held


@pytest.mark.parametrize("freeze", [False, True])
def test_the_trained_embedding_starts_from_the_vectors_and_frozen_stays_there(tokenized, tmp_path, freeze):
    vectors_file = tmp_path / "vectors.txt"
    held = _vectors_for(tokenized / "tokenized", vectors_file, size=6)
    cfg = tokenized_config(tmp_path, tokenized, f"model.freeze_vectors={str(freeze).lower()}", "trainer.epochs=1")
    # after composing: the tiny config's embedding_dim=8 would contradict the file's 6; null takes the file's
    cfg.model.pretrained_vectors, cfg.model.embedding_dim = str(vectors_file), None
    words = vocabulary(cfg.paths.tokenized)
    rows = [words.index(word) for word in held]
    pretrained = train.pretrained_vectors(cfg)
    model = train.build_model(cfg, task_of(cfg), steps_per_epoch=10, pretrained=pretrained)
    before = model.get_layer("embedding").get_weights()[0]
    np.testing.assert_array_equal(before[rows], np.stack(list(held.values())))  # before any training
    train.main(cfg)
    after = models.load(Path(cfg.paths.models) / "model.keras").get_layer("embedding").get_weights()[0]
    assert np.array_equal(after, before) == freeze  # fine-tuned, it moved; frozen, not a bit
    coverage = json.loads((Path(cfg.paths.metrics) / "vectors.json").read_text())
    train_ids = token_ids(cfg.paths.tokenized, "train")
    assert coverage["vocabulary_coverage"] == pytest.approx(len(held) / (len(words) - 2))
    assert coverage["token_coverage"] == pytest.approx(np.isin(train_ids[train_ids > 0], rows).mean())


def test_an_embedding_size_that_contradicts_the_vectors_is_refused_before_any_work(tokenized, tmp_path):
    vectors_file = tmp_path / "vectors.txt"
    _vectors_for(tokenized / "tokenized", vectors_file, size=6)
    with pytest.raises(TextrnnError) as raised:  # composing the config: before any stage runs
        tokenized_config(tmp_path, tokenized, f"model.pretrained_vectors={vectors_file}", "model.embedding_dim=8")
    assert str(raised.value) == (
        f"model.embedding_dim = 8: model.pretrained_vectors = '{vectors_file}' holds 6-dimensional vectors; set "
        "model.embedding_dim=6, or null to take the file's"
    )
    with pytest.raises(TextrnnError, match=r"^model.embedding_dim = None: give the embedding a size, or set model"):
        compose_config(["model.embedding_dim=null"])
    with pytest.raises(TextrnnError, match=rf"^{tmp_path / 'nowhere.txt'}: no such file; give a GloVe"):
        tokenized_config(tmp_path, tokenized, f"model.pretrained_vectors={tmp_path / 'nowhere.txt'}")


def test_the_model_refuses_weights_of_another_shape():
    with pytest.raises(ValueError, match=r"embedding_weights must be \[vocab_size, embedding_dim\] = \[10, 4\]"):
        models.build_classifier(vocab_size=10, num_classes=2, embedding_dim=4, embedding_weights=np.zeros((10, 5)))
    model = models.build_classifier(vocab_size=10, num_classes=2, embedding_dim=4, embedding_weights=np.ones((10, 4)))
    assert isinstance(model.get_layer("embedding"), keras.layers.Embedding)
    assert model.get_layer("embedding").get_weights()[0].sum() == 40


def test_the_vocabulary_can_take_the_vectors_most_frequent_words(tmp_path):
    from pipelines import tokenize_text

    from textrnn import vectorize

    path = tmp_path / "glove.txt"
    path.write_text("the 1 1\n, 2 2\nfilm 3 3\nsuperb 4 4\ndull 5 5\nmagnificent 6 6\n")
    spec = vectorize.TokenizerSpec(split="whitespace", standardize="lower_and_strip_punctuation", max_tokens=5)
    layer = spec.layer(["", "[UNK]", "film", "dull", "the"])
    extended, vectorizer = tokenize_text.with_vector_words(spec, layer, str(path), 4)
    # the file's first 4 words that are words (not ","), less those the train split already gave
    assert vectorizer.get_vocabulary() == ["", "[UNK]", "film", "dull", "the", "superb"]
    assert extended.max_tokens == 6 and extended.layer(vectorizer.get_vocabulary()).vocabulary_size() == 6
    assert vectorizer(["a superb film"]).to_list() == [[1, 5, 2]]  # superb: unseen in training, not [UNK]
