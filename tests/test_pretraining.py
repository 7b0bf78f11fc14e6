"""Language-model pretraining: the corpus as users have it, the sampled softmax, the weights the
classifier starts from, and the stage's refusals."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from pipelines import pretrain, train
from pipelines.task import task_of

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import tokenized_config
from textrnn import language_model, models, pretraining
from textrnn.errors import TextrnnError
from textrnn.tokenized import batches, vocabulary


def test_the_corpus_is_read_from_plain_text_json_lines_and_gzip(tmp_path):
    plain = tmp_path / "book.txt"
    plain.write_text("Call me Ishmael.\nSome years ago.\n")
    lines = tmp_path / "reviews.jsonl.gz"
    records = [{"text": "A fine<br />film", "id": 1}, {"text": "dull", "id": 2}]
    lines.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode()))
    assert pretraining.read_corpus([plain, lines]) == [
        "Call me Ishmael.\nSome years ago.\n",
        *(r["text"] for r in records),
    ]
    assert pretraining.read_corpus([lines], strip_html=True) == ["A fine film", "dull"]
    many = tmp_path / "many.jsonl"
    many.write_text("".join(json.dumps({"body": f"text {i}"}) + "\n" for i in range(1000)))
    sample = pretraining.read_corpus([many], text_field="body", share=0.3, seed=1)
    assert 250 < len(sample) < 350 and sample == sorted(sample, key=lambda t: int(t.split()[1]))  # in order
    assert sample == pretraining.read_corpus([many], text_field="body", share=0.3, seed=1)  # seeded
    missing = rf"^{many}:1: no field 'text' \(the record has \['body'\]\); set `text_field`$"
    with pytest.raises(TextrnnError, match=missing):
        pretraining.read_corpus([many])
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "fine"}\n{"text": \n')
    with pytest.raises(TextrnnError, match=rf"^{broken}:2: malformed JSON"):
        pretraining.read_corpus([broken])


def _language_model(vocab_size: int = 50) -> keras.Model:
    return models.build_language_model(vocab_size=vocab_size, embedding_dim=8, units=16, seed=0)


def test_validation_scores_the_full_softmax_and_sampled_training_learns(tmp_path):
    keras.utils.set_random_seed(0)
    stream = np.tile(np.arange(2, 50), 40)  # a cycle: each token predicts the next
    windows = batches(language_model.windows(stream, 16), 16)
    model = _language_model()
    trainer = pretraining.SampledSoftmaxTrainer(model, num_sampled=8)
    trainer.compile(optimizer=keras.optimizers.Adam(0.01))
    before = trainer.evaluate(windows, verbose=0)
    probabilities = model.predict(windows, verbose=0)
    labels = np.concatenate([y for _, y in windows.as_numpy_iterator()])
    full = float(keras.losses.SparseCategoricalCrossentropy()(labels, probabilities))
    assert before == pytest.approx(full, rel=1e-5) and before == pytest.approx(np.log(50), rel=0.05)
    trainer.fit(windows, epochs=20, verbose=0)
    assert trainer.evaluate(windows, verbose=0) < 0.5 * before  # trained through the shared layers


def test_the_classifier_starts_from_the_pretrained_layers_and_refuses_another_vocabulary():
    source = _language_model()
    classifier = models.build_classifier(vocab_size=50, num_classes=2, embedding_dim=8, units=16, pooling="max", seed=3)
    assert pretraining.transfer(source, classifier) == ["embedding", "lstm_0"]
    for name in ("embedding", "lstm_0"):
        for pretrained, started in zip(
            source.get_layer(name).get_weights(), classifier.get_layer(name).get_weights(), strict=True
        ):
            np.testing.assert_array_equal(started, pretrained)
    other = models.build_classifier(vocab_size=60, num_classes=2, embedding_dim=8, units=16)
    with pytest.raises(ValueError, match=r"^source's layer 'embedding' has weights of shapes \[\(50, 8\)\], target's"):
        pretraining.transfer(source, other)
    gru = models.build_classifier(vocab_size=50, num_classes=2, family="gru", units=16, embedding_dim=8)
    before = gru.get_layer("embedding").get_weights()[0]
    with pytest.raises(ValueError, match=r"^target has no layer 'lstm_0', which source has: not the architecture"):
        pretraining.transfer(source, gru)
    np.testing.assert_array_equal(gru.get_layer("embedding").get_weights()[0], before)  # nothing copied


def test_pretrain_then_train_starts_the_classifier_from_it(tokenized, tmp_path):
    cfg = tokenized_config(tmp_path, tokenized, "pretrain.train_split=true", "pretrain.num_sampled=16")
    pretrain.main(cfg)
    written = Path(cfg.paths.pretrained)
    metrics = json.loads((Path(cfg.paths.metrics) / "pretrain.json").read_text())
    assert metrics["tokens"] > 1000 and metrics["val_perplexity"] == pytest.approx(np.exp(metrics["val_loss"]))
    assert vocabulary(written) == vocabulary(cfg.paths.tokenized)
    language = models.load(written / "model.keras")
    task = task_of(cfg)
    model = train.build_model(cfg, task, steps_per_epoch=10)
    train.start_from(train.pretrained_language_model(cfg), model, cfg.paths.pretrained)
    for name in ("embedding", "lstm_0"):
        np.testing.assert_array_equal(model.get_layer(name).get_weights()[0], language.get_layer(name).get_weights()[0])
    # stale: pretrained on another vocabulary
    (written / "vocabulary.txt").write_text("\n".join(["", "[UNK]", "other"]) + "\n")
    with pytest.raises(TextrnnError, match=r"its language model was trained on another vocabulary than .*; run `dvc"):
        train.pretrained_language_model(cfg)
    # without pretraining, the directory is emptied and nothing is read from it
    cfg.pretrain.train_split = False
    pretrain.main(cfg)
    assert sorted(p.name for p in written.iterdir()) == [".textrnn"]
    assert json.loads((Path(cfg.paths.metrics) / "pretrain.json").read_text()) == {}


def test_a_missing_or_empty_corpus_is_one_line_before_any_work(tokenized, tmp_path):
    cfg = tokenized_config(tmp_path, tokenized, f"pretrain.files=[{tmp_path / 'nowhere.jsonl'}]")
    with pytest.raises(TextrnnError, match=rf"^pretrain.files: {tmp_path / 'nowhere.jsonl'} does not exist; point"):
        pretrain.main(cfg)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    cfg = tokenized_config(tmp_path, tokenized, f"pretrain.files=[{empty}]")
    with pytest.raises(TextrnnError, match=r"^pretrain.files: the corpus holds 0 tokens, not one window of pretrain"):
        pretrain.main(cfg)
    assert not Path(cfg.paths.pretrained).exists()
    cfg = tokenized_config(tmp_path, tokenized, "pretrain.train_split=true")
    with pytest.raises(TextrnnError, match=r"^paths.pretrained = .* holds no model.keras: stage `pretrain` writes it"):
        train.main(cfg)
    assert not Path(cfg.paths.models).exists()


def test_a_bidirectional_classifier_cannot_start_from_a_language_model(tmp_path):
    from pipelines.common import compose_config

    with pytest.raises(TextrnnError, match=r"^model.bidirectional = True: a pretrained language model reads forwards"):
        compose_config(["pretrain=imdb_unlabelled", "model.bidirectional=true"])


def test_the_sampled_softmax_draws_from_the_vocabulary_only():
    model = _language_model(vocab_size=10)
    assert pretraining.SampledSoftmaxTrainer(model, num_sampled=1024).num_sampled == 9
    with pytest.raises(ValueError, match=r"^num_sampled must be ≥ 0, got -1$"):
        pretraining.SampledSoftmaxTrainer(model, num_sampled=-1)
    assert tf.is_tensor(pretraining.SampledSoftmaxTrainer(model, 0)(np.ones((1, 3), np.int32)))
