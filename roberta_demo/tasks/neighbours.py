"""The words nearest a word in context (exBERT's corpus search "by embedding"): pick a word of a text, and see
which words of other sentences the model puts nearest it, at a chosen layer, each shown in its sentence.

The reference is a few hundred sentences the project wrote itself (`data/reference_*.txt`: common words of more
than one sense, each in several contexts), or the visitor's own texts. The shipped sentences' vectors are computed
once per checkpoint and kept on disk as a numpy array (`cache_root`), read back memory-mapped, so the second
visitor's search costs one forward pass of their own texts and a matrix product. A visitor's texts are never
written anywhere. The search is exact: every word of the reference is compared (a few thousand words, a few
milliseconds; an approximate index would not pay at this size).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np

from roberta_demo.backend import LoadedModel
from roberta_demo.errors import InputError, shown
from roberta_demo.messages import say
from roberta_demo.results import Neighbour, Neighbours, RunInfo
from roberta_demo.tasks.common import TaskContext
from roberta_demo.tasks.encoding import Encoded, word_spans
from roberta_demo.tasks.sentiment import parse_texts
from roberta_demo.tasks.vectors import BATCH_SIZE, hidden_states, word_span

__all__ = [
    "CACHE_VARIABLE",
    "MAX_NEIGHBOURS",
    "REFERENCES",
    "Reference",
    "WordVectors",
    "cache_root",
    "nearest",
    "neighbours",
    "reference_index",
    "reference_texts",
    "word_vectors",
]

Reference = Literal["en", "zh", "texts"]
REFERENCES: tuple[Reference, ...] = ("en", "zh", "texts")
MAX_NEIGHBOURS = 50
CACHE_VARIABLE = "ROBERTA_DEMO_VECTOR_CACHE"
_FORMAT = "1"  # part of every cached index's key: a change of what is stored makes new files, never misreads old ones
_built: dict[str, WordVectors] = {}
_fingerprints: dict[str, str] = {}  # by checkpoint: a loaded model's weights do not change while the server runs
_building: dict[str, threading.Lock] = {}
_guard = threading.Lock()


@dataclass(frozen=True)
class WordVectors:
    """Every word of some texts at every layer, or at one.

    words: (text number, start, end) of each word (`encoding.word_spans`: letters and digits, or one Chinese
        character), in order; a word past the token limit is not among them.
    vectors: <float16>[num_layers + 1, num_words, hidden_size], each of unit length (the mean of the word's pieces'
        hidden states, divided by its norm): a dot product is a cosine similarity. Where `layer` is set, only that
        layer's: <float16>[1, num_words, hidden_size] (a visitor's texts: one layer is searched per request).
    """

    texts: list[str]
    words: list[tuple[int, int, int]]
    vectors: np.ndarray
    seconds: float = 0.0
    device: str = ""
    layer: int | None = None

    @property
    def num_layers(self) -> int:
        """The model's encoder layers, where every layer is here."""
        assert self.layer is None, "these vectors are one layer's"
        return int(self.vectors.shape[0]) - 1

    def at(self, layer: int) -> np.ndarray:
        """<float16>[num_words, hidden_size]: every word's vector at `layer`."""
        if self.layer is None:
            return np.asarray(self.vectors[layer])
        assert layer == self.layer, f"these vectors are layer {self.layer}'s only"
        return np.asarray(self.vectors[0])


def cache_root() -> Path:
    """Where the shipped sentences' vectors are kept: `$ROBERTA_DEMO_VECTOR_CACHE`, else the user's cache folder."""
    if override := os.environ.get(CACHE_VARIABLE):
        return Path(override)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "roberta_demo" / "vectors"


def reference_texts(language: str) -> list[str]:
    """The shipped reference sentences of `language` ("en" or "zh"), its notes (lines starting with #) left out."""
    text = resources.files("roberta_demo").joinpath(f"data/reference_{language}.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _word_pieces(encoded: Encoded, start: int, end: int) -> list[int]:
    return [
        i
        for i, ((low, high), special) in enumerate(zip(encoded.offsets, encoded.special, strict=True))
        if not special and low < end and high > start
    ]


def word_vectors(model: LoadedModel, texts: list[str], max_tokens: int, layer: int | None = None) -> WordVectors:
    """Every word's vector in `texts` at every layer of `model`, or at `layer` alone (in batches of `BATCH_SIZE`)."""
    words: list[tuple[int, int, int]] = []
    found: list[np.ndarray] = []
    seconds = 0.0
    for first in range(0, len(texts), BATCH_SIZE):
        batch = texts[first : first + BATCH_SIZE]
        encoded, states, spent = hidden_states(model, batch, max_tokens)
        seconds += spent
        for row, (text, one) in enumerate(zip(batch, encoded, strict=True)):
            for start, end in word_spans(text):
                if pieces := _word_pieces(one, start, end):
                    words.append((first + row, start, end))
                    state = states[row] if layer is None else states[row][layer : layer + 1]
                    found.append(state[:, pieces].mean(axis=1))
    kept = model.model.config.num_hidden_layers + 1 if layer is None else 1
    stacked = np.stack(found, axis=1) if found else np.zeros((kept, 0, 1))
    unit = stacked / np.clip(np.linalg.norm(stacked, axis=-1, keepdims=True), 1e-12, None)
    return WordVectors(list(texts), words, unit.astype(np.float16), seconds, model.device, layer)


def _fingerprint(model: LoadedModel) -> str:
    """What tells one checkpoint's weights from another's, cheaply: its configuration and its first embeddings."""
    embeddings = model.model.get_input_embeddings().weight[:16].detach().float().cpu().numpy()
    digest = hashlib.sha256(model.model.config.to_json_string().encode())
    digest.update(np.ascontiguousarray(embeddings).tobytes())
    return digest.hexdigest()


def _index_key(checkpoint: str, fingerprint: str, texts: list[str], max_tokens: int) -> str:
    digest = hashlib.sha256("\n".join([_FORMAT, checkpoint, fingerprint, str(max_tokens), *texts]).encode())
    return digest.hexdigest()[:24]


def _load(folder: Path) -> WordVectors:
    described = json.loads((folder / "words.json").read_text(encoding="utf-8"))
    vectors = np.load(folder / "vectors.npy", mmap_mode="r")  # one layer is read from disk when it is searched
    return WordVectors(described["texts"], [tuple(word) for word in described["words"]], vectors)


def _save(index: WordVectors, folder: Path) -> None:
    """Written beside `folder` and renamed into place, so a reader never sees half a file; of two processes that
    built the same index, the first to finish keeps its files."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        np.save(scratch / "vectors.npy", np.ascontiguousarray(index.vectors))
        words = {"texts": index.texts, "words": [list(word) for word in index.words]}
        (scratch / "words.json").write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
        os.replace(scratch, folder)
    except OSError:
        if not (folder / "words.json").exists():
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def reference_index(context: TaskContext, checkpoint: str, language: str) -> WordVectors:
    """The shipped sentences' word vectors for `checkpoint`: from memory, from disk, or computed once (a second
    request for the same index waits for the first rather than computing it again)."""
    texts = reference_texts(language)
    limit = context.limits.max_attention_tokens
    if checkpoint not in _fingerprints:  # once per checkpoint, not a call to the engine (on Ray, remote) per search
        _fingerprints[checkpoint] = context.apply(checkpoint, _fingerprint)
    key = _index_key(checkpoint, _fingerprints[checkpoint], texts, limit)
    with _guard:
        if key in _built:
            return _built[key]
        lock = _building.setdefault(key, threading.Lock())
    with lock:
        if key not in _built:
            folder = cache_root() / key
            if not (folder / "words.json").exists():
                _save(context.apply(checkpoint, functools.partial(word_vectors, texts=texts, max_tokens=limit)), folder)
            _built[key] = _load(folder)
    return _built[key]


def nearest(
    index: WordVectors, query: np.ndarray, layer: int, k: int, leave_out: tuple[int, int, int] | None = None
) -> list[tuple[int, float]]:
    """The `k` words of `index` nearest `query` <[hidden_size]> at `layer` by cosine similarity, (word index,
    cosine), the nearest first (ties in the index's order): every word compared. `leave_out`: a word not to find."""
    unit = query.astype(np.float32) / max(float(np.linalg.norm(query)), 1e-12)
    cosines = index.at(layer).astype(np.float32) @ unit
    if leave_out is not None and leave_out in index.words:
        cosines[index.words.index(leave_out)] = -np.inf
    order = np.argsort(-cosines, kind="stable")[: min(k, int(np.isfinite(cosines).sum()))]
    return [(int(i), float(cosines[i])) for i in order]


def _chosen(own: WordVectors, word: str | None, chosen: int | None) -> int:
    """The picked word: by its index, or the typed word's first use in the first text that has it, or the first."""
    if not own.words:
        raise InputError(say("There is no word in the texts to look for: type a sentence."))
    if chosen is not None:
        if not 0 <= chosen < len(own.words):
            raise InputError(say("Choose a word from 0 to {last}.", last=len(own.words) - 1))
        return chosen
    for number, text in enumerate(own.texts if word else []):
        if (span := word_span(text, word or "")) is not None:
            return next(i for i, (n, start, end) in enumerate(own.words) if n == number and end > span[0])
    if word:
        raise InputError(
            say("The word {word} is in none of the texts: type texts that use it, or pick a word.", word=shown(word))
        )
    return 0


def _itself(own: WordVectors, picked: int, index: WordVectors) -> tuple[int, int, int] | None:
    """The picked word as a word of the reference, where its sentence is one of them: not a neighbour of itself."""
    number, start, end = own.words[picked]
    if index is own:
        return own.words[picked]
    text = own.texts[number]
    return (index.texts.index(text), start, end) if text in index.texts else None


def _checked(layer: int | None, k: int, reference: str, num_layers: int) -> tuple[int, int]:
    if reference not in REFERENCES:
        raise InputError(say("Choose a reference among {references}.", references=", ".join(REFERENCES)))
    if not 1 <= int(k) <= MAX_NEIGHBOURS:
        raise InputError(say("Ask for 1 to {most} neighbours.", most=MAX_NEIGHBOURS))
    chosen = num_layers if layer is None else int(layer)
    if not 0 <= chosen <= num_layers:
        raise InputError(say("Choose a layer from 0 (the embeddings) to {last}.", last=num_layers))
    return chosen, int(k)


def neighbours(
    context: TaskContext,
    texts: str | list[str],
    word: str | None = None,
    chosen: int | None = None,
    layer: int | None = None,
    k: int = 10,
    reference: Reference = "en",
    checkpoint: str | None = None,
) -> Neighbours:
    """The `k` words nearest a word of `texts` at `layer` (the last when None) of `checkpoint`: the word picked by
    its index among the texts' words (`chosen`), else the typed `word` where first used, else the first word.
    Sought among the shipped sentences of `reference` ("en", "zh") or, with "texts", among the texts themselves."""
    read = parse_texts(texts, None, context)
    name = context.checkpoint_for("attention", checkpoint)
    limit = context.limits.max_attention_tokens
    num_layers = int(context.config(name).num_hidden_layers)
    at, count = _checked(layer, k, reference, num_layers)
    own = context.apply(name, functools.partial(word_vectors, texts=read, max_tokens=limit, layer=at))
    picked = _chosen(own, word.strip() if word else None, chosen)
    index = own if reference == "texts" else reference_index(context, name, reference)
    query = own.at(at)[picked].astype(np.float32)
    found = nearest(index, query, at, count, _itself(own, picked, index))
    rows = [Neighbour(index.texts[index.words[i][0]], *index.words[i][1:], round(cosine, 4)) for i, cosine in found]
    run = RunInfo(name, own.device, own.seconds)
    return Neighbours(read, own.words, picked, at, num_layers, reference, len(index.words), rows, run)
