"""Sequence labelling (task=tagging): the readers, the masks, the baseline, the span F1, the stages, the
SavedModel and `textrnn tag`."""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

from pipelines.common import ROOT, compose_config
from pipelines.task import task_of

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import STAGE_PATHS
from textrnn import models, training
from textrnn.data.tagged import load_tagged, read_conll, read_conllu
from textrnn.errors import TextrnnError
from textrnn.export import split_punctuation
from textrnn.tasks.tagging import most_frequent_tags, span_f1

CONLLU = """# newdoc id = a
# sent_id = 1
# text = I don't walk.
1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_
2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
4\twalk\twalk\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No
4.1\twalk\twalk\tVERB\tVB\t_\t_\t_\t4:conj\tCopyOf=4
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# sent_id = 2
1\tNew York\tNew York\tPROPN\tNNP\t_\t0\troot\t_\t_
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- readers --------------------------------------------------------------------------------------------


def test_conllu_reader_takes_the_words_and_skips_ranges_empty_nodes_and_comments(tmp_path):
    sentences = read_conllu(write(tmp_path / "a.conllu", CONLLU))
    assert [s.tokens for s in sentences] == [("I", "do", "n't", "walk", "."), ("New\u00a0York",)]
    assert [s.tags for s in sentences] == [("PRON", "AUX", "PART", "VERB", "PUNCT"), ("PROPN",)]
    assert sentences[0].lines == (4, 6, 7, 8, 10)  # the file's lines: comments and range lines counted
    xpos = read_conllu(tmp_path / "a.conllu", column="xpos")
    assert xpos[0].tags == ("PRP", "VBP", "RB", "VB", ".")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2\tcat\tcat\tNOUN\tNN\t_\t0", "a.conllu:5: malformed CoNLL-U line: 7 tab-separated fields"),
        ("x\tcat\tcat\tNOUN\tNN\t_\t0\troot\t_\t_", "a.conllu:5: malformed CoNLL-U line: ID 'x'"),
        ("3\tcat\tcat\tNOUN\tNN\t_\t0\troot\t_\t_", "a.conllu:5: word ID 3 follows word 1"),
        ("2\tcat\tcat\t_\tNN\t_\t0\troot\t_\t_", "a.conllu:5: word 'cat' has no UPOS"),
        ("2\t \tcat\tNOUN\tNN\t_\t0\troot\t_\t_", "a.conllu:5: word 2 has an empty FORM"),
    ],
)
def test_a_malformed_conllu_line_is_named_by_file_and_line(tmp_path, line, message):
    path = write(tmp_path / "a.conllu", f"# text = the cat\n\n\n1\tthe\tthe\tDET\tDT\t_\t2\tdet\t_\t_\n{line}\n")
    with pytest.raises(TextrnnError, match=f"^{path}:" + message.removeprefix("a.conllu:")):
        read_conllu(path)


def test_two_column_reader_takes_tabs_or_spaces_and_skips_docstart(tmp_path):
    path = write(tmp_path / "a.conll", "-DOCSTART- -X- O O\n\nEU\tB-ORG\nrejects O\n\n\nPeter B-NNP B-PER\n")
    sentences = read_conll(path)
    assert [(s.tokens, s.tags, s.lines) for s in sentences] == [
        (("EU", "rejects"), ("B-ORG", "O"), (3, 4)),
        (("Peter",), ("B-PER",), (7,)),
    ]
    with pytest.raises(TextrnnError, match=r"a.conll:2: malformed line 'lonely': expected a token and its tag"):
        read_conll(write(tmp_path / "a.conll", "EU\tB-ORG\nlonely\n"))
    with pytest.raises(TextrnnError, match=r"a.conllu:4: a CoNLL-U line .* set `file_format` to conllu"):
        read_conll(write(tmp_path / "a.conllu", CONLLU))  # read as two columns, its IDs would be the tokens


def test_a_tag_the_train_file_lacks_is_refused_with_its_line(tmp_path):
    train = write(tmp_path / "train.conll", "a\tX\nb\tY\n")
    test = write(tmp_path / "test.conll", "a\tX\n\nb\tZ\n")
    with pytest.raises(TextrnnError, match=r"test.conll:3: tag 'Z' is not among the train file's tags \(X, Y\)"):
        load_tagged(
            {"train": str(train), "test": str(test)},
            file_format="conll",
            split_fractions={"validation": 0.5},
            split_seed=0,
        )


def test_splits_without_a_file_are_carved_out_of_train_by_sentence(tmp_path):
    train = write(tmp_path / "train.conll", "".join(f"w{i}\tT{i % 2}\n\n" for i in range(10)))
    splits = load_tagged(
        {"train": str(train)}, file_format="conll", split_fractions={"validation": 0.2, "test": 0.3}, split_seed=1
    )
    assert [len(s) for _, s in splits.items()] == [5, 2, 3]
    every = sorted(tokens for _, sentences in splits.items() for tokens, _ in sentences)
    assert every == sorted((f"w{i}",) for i in range(10))  # each sentence in exactly one split
    assert splits.label_names == ("T0", "T1")
    named = load_tagged(
        {"train": str(train)},
        file_format="conll",
        split_fractions={"validation": 0.2, "test": 0.3},
        split_seed=1,
        tag_names=["T1", "T0", "T2"],
    )
    assert named.label_names == ("T1", "T0", "T2")
    assert [tags for _, tags in named.train] == [(1 - tags[0],) for _, tags in splits.train]


# -- masks, baseline, span F1 ------------------------------------------------------------------------------


def test_masks_keep_padding_out_of_the_loss_and_the_accuracy():
    # a fixed "model": each token id's row of tag probabilities; id 0 is padding
    table = np.array([[1 / 3, 1 / 3, 1 / 3], [0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]], np.float32)
    model = models.build_tag_lookup(table)
    training.compile_classifier(model, keras.optimizers.SGD())
    tokens = np.array([[1, 2, 3], [3, 0, 0]], np.int32)
    tags = np.array([[0, 2, 2], [1, 1, 1]])  # the padding's "tags" are wrong on purpose: they must not count
    result = model.evaluate(tokens, tags, verbose=0, return_dict=True)
    # by hand, over the four real tokens: p = 0.7, 0.3, 0.6, 0.2; right: 1, 2, 3 (argmax 0, 1, 2 vs 0, 2, 2), 4 (2 vs 1)
    assert result["loss"] == pytest.approx(
        -(math.log(0.7) + math.log(0.3) + math.log(0.6) + math.log(0.2)) / 4, rel=1e-5
    )
    assert result["accuracy"] == pytest.approx(2 / 4)


def test_the_most_frequent_tag_is_counted_per_word_with_unknown_words_falling_back():
    ids = np.array([2, 2, 2, 3, 3, 4, 1])
    tags = np.array([1, 1, 1, 2, 0, 2, 0])  # word 3: a tie, the lower tag wins; [UNK] (1) is tagged 0
    table = most_frequent_tags(ids, tags, vocab_size=6, num_tags=3)
    assert table.argmax(-1)[1:].tolist() == [0, 1, 0, 2, 0]  # word 5, never seen: [UNK]'s tag
    assert not table[0].any()  # padding
    without_unk = most_frequent_tags(ids[:-1], tags[:-1], vocab_size=6, num_tags=3)
    assert without_unk.argmax(-1)[5] == 1 == np.bincount(tags[:-1]).argmax()  # else the most frequent tag


def test_span_f1_counts_a_span_right_only_whole():
    names = ["O", "B-PER", "I-PER", "B-LOC"]
    gold = np.array([1, 2, 0, 3, 0, 1])  # PER(0-1) LOC(3) | PER(0)
    predicted = np.array([1, 0, 0, 3, 0, 1])  # PER(0) wrong end, LOC right | PER right
    # 3 gold spans, 3 predicted, 2 right: precision = recall = F1 = 2/3
    assert span_f1(gold, predicted, np.array([5, 1]), names) == pytest.approx(2 / 3)


def test_served_sentences_have_their_punctuation_set_apart():
    sentences = ["Hello, world!", "It's 3.5 (or so) in the U.S.", "I don't know...", ""]
    split = [s.decode().split() for s in split_punctuation(tf.constant(sentences)).numpy()]
    assert split == [
        ["Hello", ",", "world", "!"],
        ["It", "'s", "3.5", "(", "or", "so", ")", "in", "the", "U.S", "."],
        ["I", "do", "n't", "know", "..."],
        [],
    ]


# -- the stages, the SavedModel, the command -----------------------------------------------------------------

WORDS = {"DET": ["the", "a"], "NOUN": ["cat", "dog", "park"], "VERB": ["sees", "likes"], "PLURAL": ["cats", "dogs"]}


def toy_sentences(count: int, seed: int) -> list[list[tuple[str, str]]]:
    """Sentences where "walk" is a NOUN after a determiner and a VERB after a plural noun: the most
    frequent tag of each word is right except for "walk" in its rarer use."""
    rng = random.Random(seed)
    sentences = []
    for _ in range(count):
        if rng.random() < 0.7:
            noun = rng.choice([*WORDS["NOUN"], "walk"])
            sentence = [(rng.choice(WORDS["DET"]), "DET"), (noun, "NOUN"), (rng.choice(WORDS["VERB"]), "VERB")]
            sentence += [(rng.choice(WORDS["DET"]), "DET"), (rng.choice(WORDS["NOUN"]), "NOUN")]
        else:
            sentence = [(rng.choice(WORDS["PLURAL"]), "NOUN"), ("walk", "VERB")]
        sentences.append([*sentence, (".", "PUNCT")])
    return sentences


def write_conllu(path: Path, sentences: list[list[tuple[str, str]]]) -> str:
    blocks = []
    for number, sentence in enumerate(sentences):
        rows = [f"{i}\t{word}\t{word}\t{tag}\t_\t_\t0\tdep\t_\t_" for i, (word, tag) in enumerate(sentence, start=1)]
        blocks.append("\n".join([f"# sent_id = {number}", *rows]) + "\n")
    path.write_text("\n".join(blocks), encoding="utf-8")
    return str(path)


def tagging_config(workdir: Path, *overrides: str):
    files = {
        split: write_conllu(workdir / f"{split}.conllu", toy_sentences(n, seed))
        for split, n, seed in (("train", 300, 0), ("validation", 40, 1), ("test", 60, 2))
    }
    return compose_config(
        [
            "experiment=ud_ewt_pos",
            *(f"dataset.files.{split}={path}" for split, path in files.items()),
            "model.pretrained_vectors=null",  # the preset's GloVe vectors are in ../shared, not here
            "tokenizer.vectors_vocabulary=0",
            "model.units=16",
            "model.embedding_dim=16",
            "model.embedding_dropout=0.0",
            "trainer.epochs=6",
            "trainer.learning_rate=0.01",
            f"tracking.tracking_uri=sqlite:///{workdir / 'mlflow.db'}",
            *(f"paths.{name}={workdir / name}" for name in STAGE_PATHS),
            *overrides,
        ]
    )


@pytest.fixture(scope="module")
def tagging_run(tmp_path_factory):
    """Every stage once on toy tagged sentences; yield (config, workdir)."""
    from pipelines import baseline, evaluate, export, ingest, tokenize_text, train

    workdir = tmp_path_factory.mktemp("tagging")
    with contextlib.chdir(workdir):
        cfg = tagging_config(workdir)
        for stage in (ingest, tokenize_text, baseline, train, evaluate, export):
            stage.main(cfg)
    return cfg, workdir


def test_the_tagger_learns_what_the_most_frequent_tag_cannot(tagging_run):
    cfg, _ = tagging_run
    metrics = json.loads((Path(cfg.paths.metrics) / "evaluate.json").read_text())
    baseline = json.loads((Path(cfg.paths.metrics) / "baseline.json").read_text())
    assert baseline["most_frequent_tag_accuracy"] < 1.0  # "walk" after "cats" is a VERB, mostly a NOUN
    assert metrics["accuracy"] > baseline["most_frequent_tag_accuracy"]
    assert metrics["vs_mft_wins"] > metrics["vs_mft_losses"]
    assert "span_f1" not in metrics  # UPOS tags mark no spans
    per_tag = (Path(cfg.paths.plots) / "per_class.csv").read_text()
    assert {line.split(",")[0] for line in per_tag.splitlines()[1:]} == {"DET", "NOUN", "PUNCT", "VERB"}
    test_tokens = sum(len(s) for s in toy_sentences(60, 2))
    assert len((Path(cfg.paths.plots) / "confusion.csv").read_text().splitlines()) == 1 + test_tokens


SERVE_TAGGER = """
import json, sys
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
sentences = ["", "cats walk.", " ".join(["the cat sees a dog ."] * 50)]
raw = model.signatures["serving_default"](sentences=tf.constant(sentences))
pretokenized = model.signatures["pretokenized"](sentences=tf.constant(["cats walk .", "the walk"]))
print(json.dumps({
    "length": raw["length"].numpy().tolist(),
    "tokens": [[t.decode() for t in row] for row in raw["tokens"].numpy()],
    "tags": [[t.decode() for t in row] for row in raw["tags"].numpy()],
    "sums": raw["probabilities"].numpy().sum(-1).tolist(),
    "pretokenized": [[t.decode() for t in row] for row in pretokenized["tags"].numpy()],
    "textrnn_imported": any(m.split(".")[0] == "textrnn" for m in sys.modules),
}))
"""


def test_the_tagger_saved_model_tags_raw_sentences_without_textrnn(tagging_run, tmp_path):
    cfg, _ = tagging_run
    result = subprocess.run(
        [sys.executable, "-c", SERVE_TAGGER, str(Path(cfg.paths.saved_model).resolve())],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": "", "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["textrnn_imported"] is False
    assert answer["length"] == [0, 3, 300]  # 300 tokens: 50 times longer than any training sentence
    assert answer["tokens"][1][:3] == ["cats", "walk", "."]  # the full stop set apart
    assert answer["tokens"][0] == [""] * 300 and answer["tags"][0] == [""] * 300  # the empty one: all padding
    assert answer["tags"][1][:3] == ["NOUN", "VERB", "PUNCT"]
    assert set(answer["tags"][2]) <= {"DET", "NOUN", "VERB", "PUNCT"}
    assert np.allclose(answer["sums"][2], 1.0, atol=1e-5)
    assert answer["pretokenized"] == [["NOUN", "VERB", "PUNCT"], ["DET", "NOUN", ""]]


def test_textrnn_tag_prints_token_tag_pairs(tagging_run, tmp_path):
    cfg, _ = tagging_run
    textrnn = [sys.executable, "-m", "textrnn"]
    model = ["--model", str(cfg.paths.saved_model)]
    plain = subprocess.run([*textrnn, "tag", *model, "cats walk.", ""], capture_output=True, text=True, check=True)
    assert plain.stdout.splitlines() == ["cats/NOUN walk/VERB ./PUNCT", ""]
    as_json = subprocess.run(
        [*textrnn, "tag", "--json", "--pretokenized", *model], input="the walk\n", capture_output=True, text=True
    )
    assert json.loads(as_json.stdout) == {"text": "the walk", "tokens": ["the", "walk"], "tags": ["DET", "NOUN"]}
    wrong = subprocess.run([*textrnn, "predict", *model, "x"], capture_output=True, text=True)
    assert wrong.returncode == 2
    assert wrong.stderr.strip().endswith("is a tagger, not a classifier; use textrnn tag with it")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["task=tagging"], "dataset 'synthetic' (source synthetic) holds labelled texts, which task=classification"),
        (["dataset=ud_english_ewt"], "holds tagged tokens, which task=tagging reads (or experiment=ud_ewt_pos)"),
        (
            ["experiment=ud_ewt_pos", "tokenizer.standardize=lower_and_strip_punctuation"],
            "tokenizer.standardize = 'lower_and_strip_punctuation': the tagging task needs one token id per tagged "
            "token; set tokenizer.standardize=lower",
        ),
        (["experiment=ud_ewt_pos", "tokenizer=wordpiece"], "tokenizer.split = 'wordpiece': the tagging task needs"),
        (["experiment=ud_ewt_pos", "tokenizer.max_length=64"], "the tagging task reads its texts whole"),
        (["experiment=ud_ewt_pos", "model.pooling=max"], "the tagging task allows only pooling=last"),
    ],
)
def test_configs_a_tagger_cannot_run_are_one_line(overrides, message):
    with pytest.raises(TextrnnError, match=message.replace("(", r"\(").replace(")", r"\)")):
        task_of(compose_config(overrides))


def test_ingest_refuses_a_malformed_conllu_file_with_one_line_before_any_output(tagging_run, tmp_path):
    cfg, _ = tagging_run
    ingested = Path(cfg.paths.ingested)
    before = {p.name: p.read_bytes() for p in ingested.iterdir()}
    bad = write(tmp_path / "bad.conllu", "1\tthe\tthe\tDET\t_\t_\t0\tdep\t_\t_\n2\tcat\tcat\tNOUN\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.ingest",
            "experiment=ud_ewt_pos",
            "model.pretrained_vectors=null",  # the preset's, in ../shared, are not beside this directory
            "tokenizer.vectors_vocabulary=0",
            f"dataset.files.train={bad}",
            f"paths.ingested={ingested}",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {bad}:2: malformed CoNLL-U line: 4 tab-separated fields")
    assert {p.name: p.read_bytes() for p in ingested.iterdir()} == before


def test_export_refuses_a_tagger_whose_served_probabilities_differ(tagging_run, tmp_path):
    from textrnn import tokenized, vectorize
    from textrnn.export import export_tagger

    cfg, _ = tagging_run
    model = models.load(Path(cfg.paths.models) / "model.keras")
    vectorizer = vectorize.TokenizerSpec.load(cfg.paths.tokenized).layer(tokenized.vocabulary(cfg.paths.tokenized))
    tags = tokenized.meta(cfg.paths.tokenized).label_names
    target = tmp_path / "saved_model"
    for wrong in (np.full((3, len(tags)), 1 / len(tags)), np.full((2, len(tags)), 1 / len(tags))):  # values; tokens
        with pytest.raises(TextrnnError, match=r"probabilities \(pretokenized\) differ from the trained model's"):
            export_tagger(
                model, vectorizer, tags, target, pretokenized=["cats walk ."], pretokenized_probabilities=[wrong]
            )
        assert not target.exists()  # nothing written where the check fails
