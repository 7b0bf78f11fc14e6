"""Every named choice the library offers, declared once and free of TensorFlow: the library's
functions check their arguments against these, and the config schema (``pipelines/schema.py``)
builds its choices from them. ``tests/test_choices.py`` fails if a second copy of one appears.
"""

from __future__ import annotations

FAMILIES = ("simple_rnn", "lstm", "gru", "peephole_lstm", "layer_norm_lstm")  # textrnn.models.FAMILIES' layers
FUSED_FAMILIES = ("lstm", "gru")  # those Keras has fused (cuDNN) layers of: textrnn.models.FUSED
POOLINGS = ("last", "mean", "max", "attention")
KERNELS = ("cells", "fused")
SPLITS = ("whitespace", "character", "wordpiece")  # how a tokenizer splits text
STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
OPTIMIZERS = (
    "adadelta",
    "adafactor",
    "adagrad",
    "adam",
    "adamax",
    "adamw",
    "ftrl",
    "lion",
    "muon",
    "nadam",
    "rmsprop",
    "sgd",
)
SCHEDULES = ("constant", "warmup_cosine", "reduce_on_plateau")
STRATEGIES = ("default", "mirrored", "multi_worker")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
FILE_FORMATS = ("csv", "tsv", "jsonl")
TAGGED_FORMATS = ("conllu", "conll")  # tagged tokens: CoNLL-U, or two columns (token, tag)
# CoNLL-U's ten fields, in order (https://universaldependencies.org/format.html)
CONLLU_FIELDS = ("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc")
SPLIT_BY = ("row", "sentence")
DATA_KINDS = ("labelled_texts", "plain_text", "tagged_tokens")  # what a task learns from: textrnn.tasks.Task.reads
