"""SavedModels that take raw strings — a classifier (vectorizer + model behind one serving
signature), a tagger or a language model's text generator — each checked against the trained model
in a Python process that does not import textrnn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from textrnn.atomic import replace_directory
from textrnn.errors import TextrnnError
from textrnn.language_model import Generator

SIGNATURE = tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY  # "serving_default"


def export_saved_model(
    model: keras.Model,
    vectorizer: keras.layers.Layer,
    label_names: Sequence[str],
    directory: str | Path,
    *,
    reference_texts: Sequence[str] = (),
    reference_probabilities: np.ndarray | None = None,
    tolerance: float = 1e-5,
) -> float:
    """Write a SavedModel whose ``serving_default`` maps ``texts: string[batch]`` to

    * ``probabilities``: ``float32[batch, classes]``, rows summing to 1;
    * ``classes``: ``string[batch, classes]``, the label name of each probability column;
    * ``label``: ``string[batch]``, the most probable label name.

    ``vectorizer`` (:mod:`textrnn.vectorize`) must pad to a fixed length (``ragged=False``) so
    that an empty string is an all-padding row. Loading it needs TensorFlow and, for a WordPiece
    vectorizer, ``import tensorflow_text`` first: ``tf.saved_model.load(directory)``. A scalar
    string is a batch of one (any shape is read as a flat batch).

    Before ``directory`` is replaced, the SavedModel is loaded in a fresh Python process that does
    not import textrnn and its probabilities for ``reference_texts`` must equal
    ``reference_probabilities`` (the trained model's) to ``tolerance``; else
    :class:`~textrnn.errors.TextrnnError`, and ``directory`` keeps what it held. Returns the
    largest difference (0.0 without reference texts).
    """
    names = tf.constant(list(label_names))

    def serve(texts: tf.Tensor) -> dict[str, tf.Tensor]:
        texts = tf.reshape(texts, [-1])
        probabilities = model(tf.cast(vectorizer(texts), tf.int32), training=False)
        batch = tf.shape(texts)[0]
        return {
            "probabilities": probabilities,
            "classes": tf.tile(names[tf.newaxis, :], [batch, 1]),
            "label": tf.gather(names, tf.argmax(probabilities, axis=-1)),
        }

    if not vectorizer.built:
        vectorizer.build((None,))
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.track(vectorizer)
    archive.add_endpoint(SIGNATURE, serve, input_signature=[tf.TensorSpec(None, tf.string, name="texts")])
    with replace_directory(directory) as target:
        archive.write_out(str(target), verbose=False)
        if not reference_texts:
            return 0.0
        served = served_probabilities(target, reference_texts)
        differences = np.max(np.abs(served - np.asarray(reference_probabilities)), axis=1)
        if differences.max() > tolerance:
            worst = reference_texts[int(np.argmax(differences))]
            raise TextrnnError(
                f"{directory}: the exported model's probabilities differ from the trained model's by "
                f"{differences.max():.3g} (> {tolerance}) on {worst[:60]!r}: the vectorizer does not encode text as "
                "the model was trained on; export with the vectorizer of the model's training data"
            )
        return float(differences.max())


# A served sentence's punctuation, set apart so that it tokenizes as treebanks do ("world!" → "world !"): brackets,
# quotes, ellipses and ! ? ; always; . , : where they end a word ("3.5" and "U.S" stay whole); English clitics
# as treebanks split them ("do n't", "it 's").
PUNCTUATION_RULES = (
    (r"(\.\.+|[!?;()\[\]{}\"“”…])", r" \1 "),
    (r"([^.\s])([.,:])(\s|$)", r"\1 \2\3"),
    (r"(?i)(\w)(n't)\b", r"\1 \2"),
    (r"(?i)(\w)('(?:s|re|ve|ll|d|m))\b", r"\1 \2"),
)
PRETOKENIZED = "pretokenized"  # a tagger's second signature: tokens already separated by spaces


def split_punctuation(sentences: tf.Tensor) -> tf.Tensor:
    """``sentences`` (strings) with their punctuation set apart by spaces (:data:`PUNCTUATION_RULES`):
    how a tagger's SavedModel tokenizes a raw sentence before it splits it on whitespace.

    Example:

    >>> split_punctuation(tf.constant(["Hello, world! I don't know (yet)."])).numpy()[0].decode().split()
    ['Hello', ',', 'world', '!', 'I', 'do', "n't", 'know', '(', 'yet', ')', '.']
    """
    for pattern, rewrite in PUNCTUATION_RULES:
        sentences = tf.strings.regex_replace(sentences, pattern, rewrite)
    return sentences


def export_tagger(
    model: keras.Model,
    vectorizer: keras.layers.Layer,
    tag_names: Sequence[str],
    directory: str | Path,
    *,
    pretokenized: Sequence[str],
    pretokenized_probabilities: Sequence[np.ndarray],
    sentences: Sequence[str] = (),
    sentence_probabilities: Sequence[np.ndarray] = (),
    tolerance: float = 1e-5,
) -> float:
    """Write a tagger's SavedModel with two signatures, each taking ``sentences: string[batch]``:
    ``serving_default`` raw sentences (punctuation set apart first: :func:`split_punctuation`),
    ``pretokenized`` sentences whose tokens are separated by spaces (as CoNLL files give them). Both
    return, padded to the batch's longest sentence,

    * ``tokens``: ``string[batch, tokens]`` (padding ``""``), the tokens as written;
    * ``tags``: ``string[batch, tokens]`` (padding ``""``), each token's most probable tag;
    * ``probabilities``: ``float32[batch, tokens, tags]``; ``classes``: ``string[tags]``, the tag names;
    * ``length``: ``int32[batch]``, each sentence's tokens.

    ``vectorizer`` is the model's whitespace tokenizer, ragged (:mod:`textrnn.vectorize`). Loading
    the SavedModel needs TensorFlow alone. Before ``directory`` is replaced, it is loaded in a fresh
    Python process that does not import textrnn and its probabilities must equal the trained
    model's, to ``tolerance``: ``pretokenized_probabilities`` for ``pretokenized`` and
    ``sentence_probabilities`` for the raw ``sentences``, one ``[tokens, tags]`` array a sentence;
    else :class:`~textrnn.errors.TextrnnError`, and ``directory`` keeps what it held. Returns the largest difference.
    """
    names = tf.constant(list(tag_names))

    def tag(sentences: tf.Tensor) -> dict[str, tf.Tensor]:
        sentences = tf.reshape(sentences, [-1])
        tokens = tf.strings.split(sentences)
        ids = tf.cast(vectorizer(sentences), tf.int32).to_tensor()
        width = tf.shape(ids)[1]
        # one padding step more: a batch of empty sentences still runs the model on one (masked) step
        probabilities = model(tf.pad(ids, [[0, 0], [0, 1]]), training=False)[:, :width]
        real = tf.sequence_mask(tokens.row_lengths(), width)
        return {
            "tokens": tokens.to_tensor(default_value=""),
            "tags": tf.where(real, tf.gather(names, tf.argmax(probabilities, axis=-1)), ""),
            "probabilities": probabilities,
            "classes": names,
            "length": tf.cast(tokens.row_lengths(), tf.int32),
        }

    if not vectorizer.built:
        vectorizer.build((None,))
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.track(vectorizer)
    spec = [tf.TensorSpec(None, tf.string, name="sentences")]
    archive.add_endpoint(SIGNATURE, lambda sentences: tag(split_punctuation(sentences)), input_signature=spec)
    archive.add_endpoint(PRETOKENIZED, tag, input_signature=spec)
    checks = ((PRETOKENIZED, pretokenized, pretokenized_probabilities), (SIGNATURE, sentences, sentence_probabilities))
    worst = 0.0
    with replace_directory(directory) as target:
        archive.write_out(str(target), verbose=False)
        for signature, texts, expected in checks:
            if not texts:
                continue
            answer = _serve_in_a_fresh_process(target, {"sentences": list(texts), "signature": signature})
            served = [np.asarray(rows, np.float64).reshape(-1, len(tag_names)) for rows in answer["probabilities"]]
            for text, got, want in zip(texts, served, expected, strict=True):
                difference = float(np.max(np.abs(got - want), initial=0.0)) if got.shape == want.shape else np.inf
                if difference > tolerance:
                    raise TextrnnError(
                        f"{directory}: the exported tagger's probabilities ({signature}) differ from the trained "
                        f"model's by {difference:.3g} (> {tolerance}) near {text[:60]!r}: export it with the "
                        "tokenizer of the model's training data"
                    )
                worst = max(worst, difference)
    return worst


IN_A_FRESH_PROCESS = """
import json, sys
import tensorflow as tf
try:
    import tensorflow_text  # registers a WordPiece vectorizer's ops
except ImportError:
    pass
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
request = json.load(sys.stdin)
if "sentences" in request:
    tag = tf.saved_model.load(sys.argv[1]).signatures[request["signature"]]
    out = tag(sentences=tf.constant(request["sentences"]))
    rows = zip(out["probabilities"].numpy(), out["length"].numpy())
    answer = {"probabilities": [row[:n].tolist() for row, n in rows]}
elif "texts" in request:
    answer = {"probabilities": serve(texts=tf.constant(request["texts"]))["probabilities"].numpy().tolist()}
else:
    arguments = {"prompt": tf.constant(request["prompt"]), "length": tf.constant(request["length"]),
                 "temperature": tf.constant(0.0), "top_k": tf.constant(0), "seed": tf.constant(0, tf.int64)}
    answer = {"text": serve(**arguments)["text"].numpy().decode()}
answer["textrnn"] = any(m.split(".")[0] == "textrnn" for m in sys.modules)
print(json.dumps(answer))
"""


def served_probabilities(directory: str | Path, texts: Sequence[str]) -> np.ndarray:
    """The probabilities the classifier SavedModel in ``directory`` gives ``texts``, loaded by a fresh
    Python that imports TensorFlow (and tensorflow-text, if installed) but not textrnn."""
    return np.asarray(_serve_in_a_fresh_process(directory, {"texts": list(texts)})["probabilities"], dtype=np.float64)


def served_greedy_text(directory: str | Path, prompt: str, length: int) -> str:
    """The greedy continuation (temperature 0) of ``prompt`` that the generator SavedModel in
    ``directory`` writes, loaded by a fresh Python that does not import textrnn."""
    return _serve_in_a_fresh_process(directory, {"prompt": prompt, "length": length})["text"]


def _serve_in_a_fresh_process(directory: str | Path, request: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", IN_A_FRESH_PROCESS, str(Path(directory).resolve())],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),  # not the repository: nothing of it on sys.path by accident
        env={**os.environ, "PYTHONPATH": "", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise TextrnnError(f"{directory}: the exported SavedModel does not serve in a fresh process: {last}")
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    if answer["textrnn"]:
        raise TextrnnError(
            f"{directory}: serving the exported SavedModel imported textrnn; it must need TensorFlow only"
        )
    return answer


def export_generator(generator: Generator, directory: str | Path, *, prompt: str, length: int) -> str:
    """Write a SavedModel whose ``serving_default`` is ``generator.generate``: ``prompt``, ``length``,
    ``temperature``, ``top_k``, ``seed`` (scalars) to ``text`` (the continuation) and ``token_ids``.

    Before ``directory`` is replaced, the SavedModel is loaded in a fresh Python process that does
    not import textrnn, and its greedy continuation of ``prompt`` (``length`` tokens) must be the
    ``generator``'s own; else :class:`~textrnn.errors.TextrnnError`, and ``directory`` keeps what it
    held. Returns that continuation.
    """
    arguments = [tf.constant(prompt), length, 0.0, 0, tf.constant(0, tf.int64)]
    expected = generator.generate(*arguments)["text"].numpy().decode()
    archive = keras.export.ExportArchive()
    archive.track(generator.model)
    archive.track(generator.tokenizer)
    archive.add_endpoint(SIGNATURE, generator.generate)
    with replace_directory(directory) as target:
        archive.write_out(str(target), verbose=False)
        served = served_greedy_text(target, prompt, length)
        if served != expected:
            raise TextrnnError(
                f"{directory}: the exported generator continues {prompt!r} with {served[:40]!r}, the trained model "
                f"with {expected[:40]!r}; export the generator with the tokenizer of the model's training data"
            )
    return expected
