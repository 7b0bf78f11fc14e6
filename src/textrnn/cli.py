"""The ``textrnn`` command: predictions, tags and generated text from an exported SavedModel; the
gates of a trained model.

    textrnn predict "a great film" "awful"          # label, probability, text: one line each
    printf 'a great film\\n\\nawful\\n' | textrnn predict --json
    textrnn predict --file reviews.txt --model saved_model
    textrnn gates "the plot was not good"   # heatmaps of the LSTM's gates per token: reports/gates.png
    textrnn generate --prompt "ROMEO:" --length 500 --temperature 0.8 --seed 1   # a language model's text
    textrnn tag "I saw her duck." "Time flies like an arrow."   # a tagger's token/TAG pairs

TensorFlow is imported only once a command runs, so ``textrnn --help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textrnn.errors import TextrnnError


def read_texts(texts: Sequence[str], file: Path | None) -> list[str]:
    """The texts given as arguments, or one per line from ``file`` or (no texts, or ``-``) stdin."""
    if file is not None and texts:
        raise TextrnnError("give texts as arguments or --file, not both")
    if file is not None:
        try:
            return file.read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise TextrnnError(f"--file {file}: cannot read it ({err.strerror}); give a readable text file") from None
        except UnicodeDecodeError as err:
            raise TextrnnError(
                f"--file {file}: not UTF-8 text ({err.reason} at byte {err.start}); convert it"
            ) from None
    if not texts or list(texts) == ["-"]:
        try:  # bytes, decoded here: under a C locale Python's text stdin lets undecodable bytes through
            return sys.stdin.buffer.read().decode("utf-8").splitlines()
        except UnicodeDecodeError as err:
            raise TextrnnError(
                f"standard input: not UTF-8 text ({err.reason} at byte {err.start}); give text, one per line"
            ) from None
    return list(texts)


KINDS = {
    "texts": ("a classifier", "textrnn predict"),
    "prompt": ("a language model", "textrnn generate"),
    "sentences": ("a tagger", "textrnn tag"),
}


def load_signature(model: Path, takes: str, signature_name: str = "serving_default") -> Any:
    """The SavedModel's signature ``signature_name``; its ``serving_default`` must take the input ``takes``
    (``texts``: a classifier's, ``prompt``: a language model's, ``sentences``: a tagger's);
    TensorFlow loads here."""
    if not (model / "saved_model.pb").is_file():
        raise TextrnnError(
            f"--model {model}: no SavedModel there; run `dvc repro` (stage export) or point --model at one"
        )
    import tensorflow as tf

    try:  # registers the ops of a WordPiece tokenizer; a word or character model needs none
        import tensorflow_text
    except ImportError:
        tensorflow_text = None
    try:
        loaded = tf.saved_model.load(str(model))
        signature = loaded.signatures[tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY]
    except Exception as err:  # TensorFlow raises several kinds (DecodeError, OSError, KeyError, ...) for a broken one
        reason = " ".join(str(err).split())[:200] or type(err).__name__
        if tensorflow_text is None and "Op type not registered" in reason:
            raise TextrnnError(
                f"--model {model}: its WordPiece tokenizer needs the package tensorflow-text; install it with "
                "pip install --no-deps 'tensorflow-text>=2.21,<2.22'"
            ) from None
        raise TextrnnError(
            f"--model {model}: not a SavedModel TensorFlow can load ({reason}); export it again (`dvc repro`)"
        ) from None
    inputs = signature.structured_input_signature[1]
    if takes not in inputs:
        kind, command = next((KINDS[name] for name in inputs if name in KINDS), ("another kind of model", "TensorFlow"))
        raise TextrnnError(f"--model {model}: is {kind}, not {KINDS[takes][0]}; use {command} with it")
    return loaded.signatures[signature_name]


def predict(texts: list[str], model: Path) -> list[dict[str, Any]]:
    """One ``{"text", "label", "probabilities": {class: p}}`` per text."""
    serve = load_signature(model, "texts")
    if not texts:
        return []
    import tensorflow as tf

    out = serve(texts=tf.constant(texts, dtype=tf.string))
    classes = [name.decode() for name in out["classes"].numpy()[0]]
    return [
        {"text": text, "label": label.decode(), "probabilities": dict(zip(classes, map(float, row), strict=True))}
        for text, label, row in zip(texts, out["label"].numpy(), out["probabilities"].numpy(), strict=True)
    ]


def tag(sentences: list[str], model: Path, *, pretokenized: bool = False) -> list[dict[str, Any]]:
    """One ``{"text", "tokens", "tags"}`` per sentence: its tokens (punctuation set apart, unless
    ``pretokenized``: tokens already separated by spaces) and each one's tag."""
    serve = load_signature(model, "sentences", "pretokenized" if pretokenized else "serving_default")
    if not sentences:
        return []
    import tensorflow as tf

    out = serve(sentences=tf.constant(sentences, dtype=tf.string))
    return [
        {
            "text": text,
            "tokens": [token.decode() for token in tokens[:length]],
            "tags": [name.decode() for name in tags[:length]],
        }
        for text, tokens, tags, length in zip(
            sentences, out["tokens"].numpy(), out["tags"].numpy(), out["length"].numpy(), strict=True
        )
    ]


def _tag_command(args: argparse.Namespace) -> None:
    for row in tag(read_texts(args.sentences, args.file), args.model, pretokenized=args.pretokenized):
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(" ".join(f"{token}/{name}" for token, name in zip(row["tokens"], row["tags"], strict=True)))


def _predict_command(args: argparse.Namespace) -> None:
    for row in predict(read_texts(args.texts, args.file), args.model):
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{row['label']}\t{row['probabilities'][row['label']]:.3f}\t{row['text']}")


MAX_LENGTH = 100_000  # tokens one `textrnn generate` writes at most


def generate(prompt: str, model: Path, *, length: int, temperature: float, top_k: int, seed: int) -> str:
    """``length`` tokens that the language model SavedModel in ``model`` writes after ``prompt``."""
    if not prompt:
        raise TextrnnError("--prompt: empty; give the text to continue, e.g. --prompt 'ROMEO:'")
    for option, value, high in (
        ("--length", length, MAX_LENGTH),
        ("--temperature", temperature, 100),  # far above 1, sampling is uniform already
        ("--top-k", top_k, 2**31 - 1),
        ("--seed", seed, 2**63 - 1),
    ):
        if not 0 <= value <= high:  # NaN fails too
            raise TextrnnError(f"{option} {value}: must be from 0 to {high:,}")
    serve = load_signature(model, "prompt")
    import tensorflow as tf

    out = serve(
        prompt=tf.constant(prompt),
        length=tf.constant(length),
        temperature=tf.constant(temperature, tf.float32),
        top_k=tf.constant(top_k),
        seed=tf.constant(seed, tf.int64),
    )
    return out["text"].numpy().decode()


def _generate_command(args: argparse.Namespace) -> None:
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    text = generate(
        args.prompt, args.model, length=args.length, temperature=args.temperature, top_k=args.top_k, seed=seed
    )
    print(args.prompt + text)
    if args.seed is None:
        print(f"(seed {seed}: --seed {seed} writes this text again)", file=sys.stderr)


def gates(text: str, model: Path, tokenized_dir: Path, output: Path) -> int:
    """Plot the gates of ``model``'s first recurrent layer over ``text`` to ``output``; the token count."""
    if not model.is_file():
        raise TextrnnError(f"--model {model}: no such file; run `dvc repro` (stage train) or point --model at a .keras")
    if not (tokenized_dir / "tokenizer.json").is_file():
        raise TextrnnError(
            f"--tokenized {tokenized_dir}: no tokenizer.json there; run `dvc repro` (stage tokenize) or point "
            "--tokenized at the model's data/tokenized"
        )
    from textrnn import gates as gate_view
    from textrnn import models, tokenized, vectorize

    vocabulary = tokenized.vocabulary(tokenized_dir)
    spec = vectorize.TokenizerSpec.load(tokenized_dir)
    ids = spec.layer(vocabulary)([text])[0].numpy()[: spec.max_length].tolist()
    if not ids:
        raise TextrnnError(f"TEXT {text!r}: no tokens in it after tokenization; give a text with words")
    classifier = models.load(model)
    try:
        traces = gate_view.trace(classifier, ids)
    except ValueError as err:
        raise TextrnnError(f"--model {model}: {err}") from None
    gate_view.plot(traces, [vocabulary[i] for i in ids], output, title=text)
    return len(ids)


def _gates_command(args: argparse.Namespace) -> None:
    count = gates(args.text, args.model, args.tokenized, args.output)
    print(f"{args.output}: gates over {count} tokens")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="textrnn", description="Recurrent neural networks for text.")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    predict_parser = commands.add_parser(
        "predict",
        help="classify texts with an exported model",
        description="Classify texts with the SavedModel that `dvc repro` exports. Prints the label, its "
        "probability and the text, tab-separated, one line per text.",
    )
    predict_parser.add_argument("texts", nargs="*", metavar="TEXT", help="texts; none or '-': one per line on stdin")
    predict_parser.add_argument("--file", type=Path, help="read texts from this file, one per line (UTF-8)")
    predict_parser.add_argument(
        "--json", action="store_true", help="one JSON object per text: text, label, probabilities"
    )
    predict_parser.add_argument(
        "--model", type=Path, default=Path("saved_model"), help="the SavedModel directory (default: saved_model)"
    )
    predict_parser.set_defaults(run=_predict_command)
    generate_parser = commands.add_parser(
        "generate",
        help="write text with an exported language model",
        description="Continue PROMPT with text sampled from the language model's SavedModel, one token at a "
        "time (the sampling runs inside the SavedModel). Prints the prompt and its continuation.",
    )
    generate_parser.add_argument("--prompt", required=True, help="the text to continue, e.g. 'ROMEO:'")
    generate_parser.add_argument(
        "--length", type=int, default=500, help=f"tokens to generate, at most {MAX_LENGTH:,} (default: 500)"
    )
    generate_parser.add_argument(
        "--temperature", type=float, default=0.8, help="below 1: safer, above: wilder; 0: most probable (default: 0.8)"
    )
    generate_parser.add_argument("--top-k", type=int, default=0, help="sample among the K most probable (default: all)")
    generate_parser.add_argument("--seed", type=int, help="the same seed writes the same text (default: a random one)")
    generate_parser.add_argument(
        "--model", type=Path, default=Path("saved_model"), help="the SavedModel directory (default: saved_model)"
    )
    generate_parser.set_defaults(run=_generate_command)
    tag_parser = commands.add_parser(
        "tag",
        help="tag each token of sentences with an exported tagger",
        description="Tag every token of each SENTENCE with the tagger's SavedModel that `dvc repro` exports "
        "(task=tagging). Prints token/TAG pairs, one line per sentence; punctuation is set apart from words first.",
    )
    tag_parser.add_argument(
        "sentences", nargs="*", metavar="SENTENCE", help="sentences; none or '-': one per line on stdin"
    )
    tag_parser.add_argument("--file", type=Path, help="read sentences from this file, one per line (UTF-8)")
    tag_parser.add_argument("--json", action="store_true", help="one JSON object per sentence: text, tokens, tags")
    tag_parser.add_argument(
        "--pretokenized", action="store_true", help="the tokens are separated by spaces already: split nothing else"
    )
    tag_parser.add_argument(
        "--model", type=Path, default=Path("saved_model"), help="the SavedModel directory (default: saved_model)"
    )
    tag_parser.set_defaults(run=_tag_command)
    gates_parser = commands.add_parser(
        "gates",
        help="plot a trained model's gates over a text",
        description="Run the trained model's first recurrent layer over TEXT, one token at a time, and draw "
        "its gates (LSTM: input, forget, output; GRU: update, reset) as heatmaps of units against tokens, "
        "with the norm of its states per token, in a PNG.",
    )
    gates_parser.add_argument("text", metavar="TEXT", help="the text, tokenized as the model was trained")
    gates_parser.add_argument(
        "--model", type=Path, default=Path("models/model.keras"), help="the trained model (default: models/model.keras)"
    )
    gates_parser.add_argument(
        "--tokenized",
        type=Path,
        default=Path("data/tokenized"),
        help="the tokenize stage's output, for the vocabulary (default: data/tokenized)",
    )
    gates_parser.add_argument(
        "--output", type=Path, default=Path("reports/gates.png"), help="the PNG (default: reports/gates.png)"
    )
    gates_parser.set_defaults(run=_gates_command)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``textrnn`` command; bad input exits 2 with a one-line ``error:``."""
    args = parser().parse_args(argv)
    try:
        args.run(args)
        sys.stdout.flush()
    except TextrnnError as err:
        print(f"textrnn: error: {err}", file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:
        # the reader went away (`textrnn predict ... | head`): stop quietly, as Python's documentation advises
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
