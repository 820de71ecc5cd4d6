"""Tiny RoBERTa checkpoints, built locally with no network, for tests and offline development.

They are the real thing at a small size: `RobertaConfig` models with random weights, a byte-level BPE
tokenizer trained on `data/tiny_corpus.txt`, and label maps that mirror the default Hub checkpoints. They are
saved with `save_pretrained`, so the backend loads them through exactly the same `from_pretrained` path as a
Hub checkpoint. They are untrained: their predictions mean nothing.

The `tiny-zh` ones mirror the Chinese profile, whose checkpoints are RoBERTa by training but BERT by architecture:
`BertConfig` models and a WordPiece vocabulary trained on `data/tiny_corpus_zh.txt` (one token per Chinese
character, `##` pieces, `[CLS] [SEP] [MASK]`), with the Chinese checkpoints' label sets.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from roberta_demo.heads import Head

__all__ = [
    "CHECKPOINTS",
    "SPECIAL_TOKENS",
    "TASK_CHECKPOINTS",
    "ZH_TASK_CHECKPOINTS",
    "TinySpec",
    "bert_config",
    "build_checkpoint",
    "build_tokenizer",
    "build_wordpiece_tokenizer",
    "cache_root",
    "ensure_built",
    "roberta_config",
]

BUILD_VERSION = "5"
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")  # RoBERTa's ids 0-4, in this order
WORDPIECE_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
VOCAB_SIZE = 1200
ZH_VOCAB_SIZE = 2000  # every character of the Chinese corpus, alone and as a continuation, and common words
MAX_TOKENS = 512

SENTIMENT_LABELS = ("negative", "neutral", "positive")
EMOTION_LABELS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
NLI_LABELS = ("contradiction", "entailment", "neutral")
NER_LABELS = ("O", "LOC", "MISC", "ORG", "PER")
TOPIC_LABELS = (
    "arts_&_culture",
    "business_&_entrepreneurs",
    "celebrity_&_pop_culture",
    "diaries_&_daily_life",
    "family",
    "fashion_&_style",
    "film_tv_&_video",
    "fitness_&_health",
    "food_&_dining",
    "gaming",
    "learning_&_educational",
    "music",
    "news_&_social_concern",
    "other_hobbies",
    "relationships",
    "science_&_technology",
    "sports",
    "travel_&_adventure",
    "youth_&_student_life",
)


# The Chinese checkpoints' label sets (uer/roberta-base-finetuned-*-chinese, as their configs name them).
ZH_REVIEW_LABELS = ("negative (stars 1, 2 and 3)", "positive (stars 4 and 5)")
ZH_NEWS_LABELS = (
    "mainland China politics",
    "Hong Kong - Macau politics",
    "International news",
    "financial news",
    "culture",
    "entertainment",
    "sports",
)
CLUENER_TYPES = (
    "address",
    "book",
    "company",
    "game",
    "government",
    "movie",
    "name",
    "organization",
    "position",
    "scene",
)
# CLUENER's tags: B- begins an entity, I- continues it, S- is an entity of a single character.
ZH_NER_LABELS = ("O", *(f"{mark}-{kind}" for kind in CLUENER_TYPES for mark in ("B", "I", "S")))


@dataclass(frozen=True)
class TinySpec:
    """One tiny checkpoint: its head, labels and size; `wordpiece`: BERT's architecture and the Chinese vocabulary
    (else RoBERTa's, with the byte-level BPE)."""

    head: Head
    labels: tuple[str, ...] = ()
    layers: int = 2
    heads: int = 4
    hidden: int = 64
    multi_label: bool = False
    seed: int = 0
    wordpiece: bool = False


CHECKPOINTS: Mapping[str, TinySpec] = {
    "tiny-sentiment": TinySpec("sequence-classification", SENTIMENT_LABELS, seed=1),
    "tiny-emotion": TinySpec("sequence-classification", EMOTION_LABELS, seed=2),
    "tiny-nli": TinySpec("sequence-classification", NLI_LABELS, seed=3),
    "tiny-nli-large": TinySpec("sequence-classification", NLI_LABELS, layers=4, seed=4),
    "tiny-topic": TinySpec("sequence-classification", TOPIC_LABELS, multi_label=True, seed=5),
    "tiny-ner": TinySpec("token-classification", NER_LABELS, seed=6),
    "tiny-roberta": TinySpec("masked-lm", layers=4, seed=7),
    "tiny-distilroberta": TinySpec("masked-lm", layers=2, seed=8),
    "tiny-zh-jd": TinySpec("sequence-classification", ZH_REVIEW_LABELS, seed=11, wordpiece=True),
    "tiny-zh-dianping": TinySpec("sequence-classification", ZH_REVIEW_LABELS, seed=12, wordpiece=True),
    "tiny-zh-nli": TinySpec("sequence-classification", NLI_LABELS, seed=13, wordpiece=True),
    "tiny-zh-news": TinySpec("sequence-classification", ZH_NEWS_LABELS, seed=14, wordpiece=True),
    "tiny-zh-ner": TinySpec("token-classification", ZH_NER_LABELS, seed=15, wordpiece=True),
    "tiny-zh-roberta": TinySpec("masked-lm", layers=4, seed=16, wordpiece=True),
}

TASK_CHECKPOINTS: Mapping[str, tuple[str, ...]] = {
    "sentiment": ("tiny-sentiment",),
    "emotion": ("tiny-emotion",),
    "zero_shot": ("tiny-nli", "tiny-nli-large"),
    "topic": ("tiny-topic",),
    "ner": ("tiny-ner",),
    "fill_mask": ("tiny-roberta", "tiny-distilroberta"),
    "fine_tune": ("tiny-distilroberta", "tiny-roberta"),
    "attention": ("tiny-roberta", "tiny-distilroberta"),
}


# The tiny-zh profile, as the zh profile: no Chinese emotion model (the tab says so).
ZH_TASK_CHECKPOINTS: Mapping[str, tuple[str, ...]] = {
    "sentiment": ("tiny-zh-jd", "tiny-zh-dianping"),
    "emotion": (),
    "zero_shot": ("tiny-zh-nli",),
    "topic": ("tiny-zh-news",),
    "ner": ("tiny-zh-ner",),
    "fill_mask": ("tiny-zh-roberta",),
    "fine_tune": ("tiny-zh-roberta",),
    "attention": ("tiny-zh-roberta",),
}


def corpus_text(name: str = "tiny_corpus.txt") -> str:
    return resources.files("roberta_demo").joinpath(f"data/{name}").read_text(encoding="utf-8")


TINY_DIR_VARIABLE = "ROBERTA_DEMO_TINY_DIR"


def cache_root() -> Path:
    """Where built checkpoints live: `$ROBERTA_DEMO_TINY_DIR`, else under the user's cache folder."""
    if override := os.environ.get(TINY_DIR_VARIABLE):
        return Path(override)
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "roberta_demo" / "tiny"


def build_tokenizer(out_dir: Path) -> Any:
    """Train a byte-level BPE on the shipped corpus and save it as a RoBERTa tokenizer in `out_dir`."""
    from tokenizers import AddedToken, ByteLevelBPETokenizer
    from transformers import RobertaTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        corpus_text().splitlines(), vocab_size=VOCAB_SIZE, min_frequency=2, special_tokens=list(SPECIAL_TOKENS)
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    bpe.save_model(str(out_dir))
    # roberta-base declares <mask> with lstrip: "The <mask> sat" reads as `The`, `<mask>`, `Ġsat`.
    mask = AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True)
    tokenizer = RobertaTokenizerFast.from_pretrained(out_dir, model_max_length=MAX_TOKENS, mask_token=mask)
    tokenizer.save_pretrained(out_dir)
    return tokenizer


def wordpiece_vocabulary(lines: list[str], size: int) -> list[str]:
    """A WordPiece vocabulary, built deterministically (the `tokenizers` trainer orders ties differently from run to
    run): the special tokens, every character of the corpus alone and as a `##` continuation, then the commonest
    words (a Chinese character is a word of its own, as BERT's pre-tokenizer splits them)."""
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer

    normalizer, splitter = BertNormalizer(lowercase=True, strip_accents=False), BertPreTokenizer()
    counts: Counter[str] = Counter()
    for line in lines:
        counts.update(word for word, _ in splitter.pre_tokenize_str(normalizer.normalize_str(line)))
    characters = sorted({character for word in counts for character in word})
    vocabulary = [*WORDPIECE_SPECIAL_TOKENS, *characters, *(f"##{c}" for c in characters)]
    known = set(vocabulary)
    words = [word for word, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0])) if word not in known]
    return vocabulary + words[: max(0, size - len(vocabulary))]


def build_wordpiece_tokenizer(out_dir: Path) -> Any:
    """A BERT tokenizer (Chinese characters one token each) over a WordPiece vocabulary of the Chinese corpus and the
    English one (mixed text is common), saved in `out_dir`."""
    from transformers import BertTokenizer

    lines = corpus_text("tiny_corpus_zh.txt").splitlines() + corpus_text().splitlines()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "vocab.txt").write_text("\n".join(wordpiece_vocabulary(lines, ZH_VOCAB_SIZE)) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer.from_pretrained(out_dir, do_lower_case=True, tokenize_chinese_chars=True)
    tokenizer.model_max_length = MAX_TOKENS
    tokenizer.save_pretrained(out_dir)
    return tokenizer


def _label_maps(labels: tuple[str, ...]) -> dict[str, Any]:
    """A configuration's `id2label` and `label2id` for class `labels` (None for a model without classes)."""
    if not labels:
        return {"id2label": None, "label2id": None}
    return {"id2label": dict(enumerate(labels)), "label2id": {label: i for i, label in enumerate(labels)}}


def bert_config(
    vocab_size: int, hidden: int, layers: int, heads: int, labels: tuple[str, ...] = (), multi_label: bool = False
) -> Any:
    """A BERT configuration, as the Chinese RoBERTa checkpoints declare (`model_type: bert`)."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=hidden * 2,
        max_position_embeddings=MAX_TOKENS,
        problem_type=("multi_label_classification" if multi_label else "single_label_classification")
        if labels
        else None,
        **_label_maps(labels),
    )


def roberta_config(
    vocab_size: int,
    hidden: int,
    layers: int,
    heads: int,
    intermediate: int,
    labels: tuple[str, ...] = (),
    multi_label: bool = False,
) -> Any:
    """A RoBERTa configuration with RoBERTa's special-token ids and position layout, and optional class labels."""
    from transformers import RobertaConfig

    return RobertaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        max_position_embeddings=MAX_TOKENS + 2,  # RoBERTa's positions start after the padding index
        type_vocab_size=1,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        problem_type="multi_label_classification" if multi_label else None,
        **_label_maps(labels),
    )


def build_checkpoint(spec: TinySpec, tokenizer_dir: Path, out_dir: Path) -> None:
    """Save a randomly initialised (seeded) model for `spec`, with the shared tokenizer, in `out_dir`."""
    import torch
    from transformers import AutoTokenizer

    from roberta_demo.loading import MODEL_CLASSES

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    if spec.wordpiece:
        config = bert_config(len(tokenizer), spec.hidden, spec.layers, spec.heads, spec.labels, spec.multi_label)
    else:
        config = roberta_config(
            len(tokenizer), spec.hidden, spec.layers, spec.heads, spec.hidden * 2, spec.labels, spec.multi_label
        )
    torch.manual_seed(spec.seed)
    MODEL_CLASSES[spec.head].from_config(config).save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def _build_into(target: Path) -> None:
    if (target / "COMPLETE").exists():  # another thread built it while this one waited
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="building-", dir=target.parent))
    tokenizer_dirs = {False: staging / "_tokenizer", True: staging / "_tokenizer_zh"}
    build_tokenizer(tokenizer_dirs[False])
    build_wordpiece_tokenizer(tokenizer_dirs[True])
    for name, spec in CHECKPOINTS.items():
        build_checkpoint(spec, tokenizer_dirs[spec.wordpiece], staging / name)
    (staging / "COMPLETE").write_text("ok\n")
    try:
        staging.rename(target)
    except OSError:  # another process finished first: its build is identical
        shutil.rmtree(staging, ignore_errors=True)


def _fingerprint() -> str:
    corpora = corpus_text() + corpus_text("tiny_corpus_zh.txt")
    digest = hashlib.sha256(f"{BUILD_VERSION}\n{sorted(CHECKPOINTS.items())}\n{corpora}".encode())
    return digest.hexdigest()[:12]


def ensure_built(root: Path | None = None) -> dict[str, Path]:
    """Build every tiny checkpoint once and return their folders; later calls reuse the cache.

    The build goes to a temporary folder renamed into place, so an interrupted build is never reused. It builds models
    as loading does, so alone in the process (`loading.building`).
    """
    from roberta_demo.loading import building

    target = (root or cache_root()) / f"v{BUILD_VERSION}-{_fingerprint()}"
    if not (target / "COMPLETE").exists():
        with building():
            _build_into(target)
    return {name: target / name for name in CHECKPOINTS}
