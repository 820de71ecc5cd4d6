"""Fine-tune RoBERTa live: the tutorial's training step on a handful of labelled examples.

A copy of a base checkpoint's encoder gets a fresh classification head, and plain PyTorch trains it: tokenize a
batch, `outputs = model(**batch, labels=labels)`, `outputs.loss.backward()`, an AdamW step with linear warm-up and
decay. The shared base checkpoint is never touched; the fine-tuned copy belongs to the visitor's session (the
backend holds a bounded number of them) and nothing is written to disk but the download a person asks for.
"""

from __future__ import annotations

import copy
import functools
import io
import logging
import math
import random
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import transformers

from roberta_demo.backend import LoadedModel, StopSignal
from roberta_demo.config import Limits
from roberta_demo.errors import InputError, shown
from roberta_demo.loading import building
from roberta_demo.messages import Message, say
from roberta_demo.results import FineTuned, TrainingUpdate, Verdict
from roberta_demo.tasks import uploads
from roberta_demo.tasks.attention import attention_rollout
from roberta_demo.tasks.common import TaskContext, check_text, too_long
from roberta_demo.tasks.uploads import Upload

__all__ = [
    "BATCH_SIZES",
    "CODE",
    "MAX_LEARNING_RATE",
    "MAX_SEED",
    "MIN_TOKENS",
    "PRESETS",
    "Examples",
    "Recipe",
    "classifier_copy",
    "classify",
    "compare_attention",
    "export",
    "finished",
    "optimizer_for",
    "read_csv",
    "read_examples",
    "tokenize_batch",
    "train",
    "training_step",
]

log = logging.getLogger(__name__)

# The training step, as the page shows it beside the chart: what `training_step` does, in the tutorial's words.
CODE = """\
batch = tokenizer(texts, truncation=True, max_length=max_tokens,
                  padding=True, return_tensors="pt")
labels = torch.tensor([label_ids[label] for label in batch_labels])
# RobertaForSequenceClassification: a loss and the logits
outputs = model(**batch, labels=labels)
outputs.loss.backward()  # the loss's gradient for each trained weight
optimizer.step()         # AdamW
scheduler.step()         # linear warm-up, then linear decay
optimizer.zero_grad()
"""
PRESETS: dict[str, dict[str, list[tuple[str, str]]]] = {  # by language: each page offers its own
    "en": {
        "Product reviews: positive or negative": [
            ("Arrived quickly and works perfectly, very happy with it.", "positive"),
            ("The battery lasts all day, great value for the price.", "positive"),
            ("Excellent quality, I would buy it again.", "positive"),
            ("Comfortable, light and exactly as described.", "positive"),
            ("My kids love it and it feels solid.", "positive"),
            ("Five stars, setup took two minutes.", "positive"),
            ("Beautiful design and the sound is amazing.", "positive"),
            ("Broke after a week, a complete waste of money.", "negative"),
            ("The screen scratches easily and support never replied.", "negative"),
            ("Smaller than in the pictures and cheaply made.", "negative"),
            ("Stopped charging on the third day.", "negative"),
            ("Terrible smell, I sent it back.", "negative"),
            ("The instructions are useless and a part was missing.", "negative"),
            ("Loud, slow and it overheats.", "negative"),
        ],
        "News headlines by topic": [
            ("Striker scores twice as City win the derby", "sports"),
            ("Tennis champion withdraws from the open with a knee injury", "sports"),
            ("Olympic team names its squad for the relay", "sports"),
            ("Coach sacked after five straight defeats", "sports"),
            ("Central bank raises interest rates again", "business"),
            ("Shares fall as the carmaker cuts its forecast", "business"),
            ("Retailer reports record holiday sales", "business"),
            ("Airline merger approved by regulators", "business"),
            ("New phone chip doubles battery life", "technology"),
            ("Start-up unveils a robot that folds laundry", "technology"),
            ("Security flaw found in popular web browser", "technology"),
            ("Researchers train a faster speech recogniser", "technology"),
        ],
        "Question or statement": [
            ("Where is the nearest train station?", "question"),
            ("Can you help me with my homework", "question"),
            ("What time does the museum open", "question"),
            ("Is it going to rain tomorrow?", "question"),
            ("How do I reset my password", "question"),
            ("Why is the sky blue?", "question"),
            ("The train station is two blocks away.", "statement"),
            ("I finished my homework early today", "statement"),
            ("The museum opens at nine", "statement"),
            ("It is going to rain tomorrow.", "statement"),
            ("My password was reset yesterday", "statement"),
            ("The sky looks very blue this morning.", "statement"),
        ],
    },
    # The tutorial's own: product-review and news classification, in Chinese.
    "zh": {
        "商品评论：好评还是差评": [
            ("物流很快，东西很好用，非常满意。", "好评"),
            ("电池很耐用，性价比很高。", "好评"),
            ("质量不错，下次还会再买。", "好评"),
            ("穿着舒服，和描述的一样。", "好评"),
            ("孩子很喜欢，做工扎实。", "好评"),
            ("五星好评，安装只用了两分钟。", "好评"),
            ("外观漂亮，音质也很棒。", "好评"),
            ("用了一个星期就坏了，浪费钱。", "差评"),
            ("屏幕容易刮花，客服一直不回复。", "差评"),
            ("比图片上小很多，做工粗糙。", "差评"),
            ("第三天就充不进电了。", "差评"),
            ("味道很难闻，已经退货了。", "差评"),
            ("说明书没用，还少了一个零件。", "差评"),
            ("声音大，速度慢，还发烫。", "差评"),
        ],
        "新闻标题：什么主题": [
            ("前锋梅开二度，球队赢下同城德比", "体育"),
            ("网球冠军因膝伤退出公开赛", "体育"),
            ("奥运代表队公布接力名单", "体育"),
            ("主教练在五连败后下课", "体育"),
            ("央行再次上调利率", "财经"),
            ("车企下调业绩预期，股价下跌", "财经"),
            ("零售商节日销售额创新高", "财经"),
            ("航空公司合并获监管部门批准", "财经"),
            ("新款手机芯片让续航翻倍", "科技"),
            ("创业公司发布会叠衣服的机器人", "科技"),
            ("常用浏览器被发现安全漏洞", "科技"),
            ("研究人员训练出更快的语音识别模型", "科技"),
        ],
        "问句还是陈述句": [
            ("最近的火车站在哪里？", "问句"),
            ("你能帮我看看作业吗", "问句"),
            ("博物馆几点开门", "问句"),
            ("明天会下雨吗？", "问句"),
            ("怎么重置密码", "问句"),
            ("天空为什么是蓝色的？", "问句"),
            ("火车站就在两个路口外。", "陈述句"),
            ("我今天很早就写完了作业", "陈述句"),
            ("博物馆九点开门", "陈述句"),
            ("明天会下雨。", "陈述句"),
            ("我的密码昨天重置了", "陈述句"),
            ("今天早上的天空很蓝。", "陈述句"),
        ],
    },
}
TOP_LAYERS = 2  # "train only the top layers": these last encoder layers and the head; the rest stays frozen
FUSED_ADAMW_DEVICES = {"cpu", "cuda"}
# Pre-trained weights need small steps not to forget what they know; untrained ones (the tiny profile) have nothing to
# forget and learn a handful of examples in a few dozen steps only with steps this much larger.
UNTRAINED_LEARNING_RATE = 3e-3
CHECKS = 5  # accuracy is measured at the start, at this many points along the way, and at the end


@dataclass(frozen=True)
class Examples:
    """The examples of one run: (text, label) pairs to train on and to hold out, the labels, what was changed."""

    train: list[tuple[str, str]]
    held_out: list[tuple[str, str]]
    labels: list[str]
    notes: list[Message]


# What a recipe may ask for (the steps and tokens are the server's limits).
MAX_LEARNING_RATE = 1e-2
BATCH_SIZES = (1, 64)
MIN_TOKENS = 8
MAX_SEED = 2**32 - 1  # a seed a person can type and share; torch takes up to 2**64 - 1


@dataclass(frozen=True)
class Recipe:
    """How to train. The defaults fit a handful of examples on a CPU in under half a minute."""

    steps: int = 30
    learning_rate: float = 5e-5
    batch_size: int = 8
    max_tokens: int = 64
    seed: int = 0
    top_layers_only: bool = True


# -- reading examples ------------------------------------------------------------------------------------------------


def _rows(table: Any) -> list[list[Any]]:
    """The rows of a table as Gradio hands it over: a DataFrame, {"headers", "data"}, or a list of rows."""
    if table is None:
        return []
    if hasattr(table, "values") and hasattr(table, "columns"):  # pandas, from the page's Dataframe
        return [list(row) for row in table.values.tolist()]
    rows = table.get("data") or [] if isinstance(table, dict) else table
    if not isinstance(rows, list) or not all(isinstance(row, (list, tuple)) for row in rows):
        raise InputError(
            say(
                'The examples must be a table: {"headers": ["text", "label"], "data": [[text, label], ...]} (or a list '
                "of [text, label] rows), not {given}.",
                given=shown(table),
            )
        )
    return [list(row) for row in rows]


def _pairs(table: Any) -> tuple[list[tuple[str, str]], int]:
    """(text, label) pairs with text and label stripped; and how many rows were left out for an empty cell."""
    pairs, empty = [], 0
    for row in _rows(table):
        text = str(row[0]).replace("\x00", "").strip() if len(row) > 0 and row[0] is not None else ""
        label = str(row[1]).replace("\x00", "").strip() if len(row) > 1 and row[1] is not None else ""
        if text and label and text.lower() != "nan" and label.lower() != "nan":
            pairs.append((text, label))
        elif text or label:
            empty += 1
    return pairs, empty


def _split(pairs: list[tuple[str, str]], seed: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Hold out about one example in four of each label that has at least three, chosen with the seed."""
    rng, train, held = random.Random(seed), [], []
    for label in dict.fromkeys(label for _, label in pairs):
        group = [pair for pair in pairs if pair[1] == label]
        rng.shuffle(group)
        cut = len(group) // 4 if len(group) >= 3 else 0
        held += group[:cut]
        train += group[cut:]
    return train, held


def read_examples(examples: Any, held_out: Any, limits: Limits, seed: int = 0) -> Examples:
    """The run's examples from two tables; without held-out examples, some of the training ones are held out."""
    train, empty = _pairs(examples)
    held, held_empty = _pairs(held_out)
    left_out = empty + held_empty
    notes = [say("{count} row(s) with an empty text or label were left out.", count=left_out)] if left_out else []
    unique = list(dict.fromkeys(train))
    if len(unique) < len(train):
        notes.append(say("{count} repeated row(s) were counted once.", count=len(train) - len(unique)))
    if not unique:
        raise InputError(say("Add some examples first: a text and its label on each row (or load a preset)."))
    if len(unique) + len(held) > limits.max_train_examples:
        raise too_long(
            say("The run"), len(unique) + len(held), say("examples"), limits.max_train_examples, "max_train_examples"
        )
    if not held:
        unique, held = _split(unique, seed)
        if held:
            notes.append(
                say("{count} example(s) were held out automatically to measure generalisation.", count=len(held))
            )
    return Examples(unique, held, _labels(unique, held, limits), notes)


def _labels(train: list[tuple[str, str]], held: list[tuple[str, str]], limits: Limits) -> list[str]:
    labels = list(dict.fromkeys(label for _, label in train))
    if len(labels) < 2:
        raise InputError(say("A classifier needs at least two labels, each with at least one training example."))
    if len(labels) > limits.max_train_labels:
        raise too_long(say("The examples"), len(labels), say("labels"), limits.max_train_labels, "max_train_labels")
    if unseen := sorted({label for _, label in held} - set(labels)):
        raise InputError(
            say("Held-out label(s) {labels} have no training example; add some.", labels=", ".join(map(repr, unseen)))
        )
    for text, _ in train + held:
        check_text(text, limits)
    return labels


def read_csv(upload: Upload | None, limits: Limits) -> list[list[str]]:
    """Rows of an uploaded CSV: two columns, text and label (a header row naming them is optional)."""
    if upload is None:
        return []
    rows = uploads.csv_rows(upload)
    if rows and [cell.strip().lower() for cell in rows[0].cells[:2]] == ["text", "label"]:
        rows = rows[1:]
    if len(rows) > limits.max_train_examples:
        raise too_long(say("The file"), len(rows), say("rows"), limits.max_train_examples, "max_train_examples")
    for row in rows:
        if len(row.cells) != 2:
            reason = say(
                "each row needs two columns, the text and then its label; this one has {count}.", count=len(row.cells)
            )
            raise uploads.at_line(upload, row.line, reason)
    return [row.cells for row in rows]


def check_recipe(recipe: Recipe, limits: Limits) -> Recipe:
    if not 1 <= int(recipe.steps) <= limits.max_train_steps:
        raise InputError(
            say("Train for 1 to {most} steps, not {steps}.", most=limits.max_train_steps, steps=recipe.steps)
        )
    if not 0 < float(recipe.learning_rate) <= MAX_LEARNING_RATE:
        raise InputError(
            say("Choose a learning rate above 0 and at most 0.01 (try 5e-5), not {rate}.", rate=recipe.learning_rate)
        )
    if not BATCH_SIZES[0] <= int(recipe.batch_size) <= BATCH_SIZES[1]:
        raise InputError(say("Choose a batch size from 1 to 64, not {size}.", size=recipe.batch_size))
    if not MIN_TOKENS <= int(recipe.max_tokens) <= limits.max_train_tokens:
        raise InputError(
            say(
                "Keep 8 to {most} tokens per text, not {tokens}.",
                most=limits.max_train_tokens,
                tokens=recipe.max_tokens,
            )
        )
    if not 0 <= int(recipe.seed) <= MAX_SEED:
        raise InputError(say("Choose a seed from 0 to {most}, not {seed}.", most=f"{MAX_SEED:,}", seed=recipe.seed))
    return Recipe(
        int(recipe.steps),
        float(recipe.learning_rate),
        int(recipe.batch_size),
        int(recipe.max_tokens),
        int(recipe.seed),
        bool(recipe.top_layers_only),
    )


# -- the model -------------------------------------------------------------------------------------------------------


def classifier_copy(model: LoadedModel, labels: list[str]) -> LoadedModel:
    """A new sequence classifier for `labels` with a copy of the loaded checkpoint's encoder and a fresh head."""
    config = copy.deepcopy(model.model.config)
    config.id2label, config.label2id = dict(enumerate(labels)), {label: i for i, label in enumerate(labels)}
    config.num_labels, config.problem_type = len(labels), "single_label_classification"
    with building():
        classifier = transformers.AutoModelForSequenceClassification.from_config(config)
    encoder = getattr(classifier, classifier.base_model_prefix)
    # Poolers are never carried over: a masked LM has none, and one loaded bare (AutoModel) has a random one that
    # RoBERTa's classifier does not use; BERT's classifier adds its own, which starts fresh like the head.
    weights = {name: value for name, value in model.model.base_model.state_dict().items() if "pooler." not in name}
    missing, unexpected = encoder.load_state_dict(weights, strict=False)
    if unexpected or any(not name.startswith("pooler") for name in missing):
        raise InputError(
            say(
                "{checkpoint} cannot be fine-tuned here: its encoder does not fit a classifier.",
                checkpoint=model.checkpoint,
            )
        )
    return model.trainable(classifier)


def freeze_lower_layers(model: Any) -> None:
    """Train only the top encoder layers and the head: the embeddings and the layers below stay as pre-trained."""
    encoder = getattr(model, model.base_model_prefix)
    layers = encoder.encoder.layer
    frozen = [encoder.embeddings, *layers[: max(0, len(layers) - TOP_LAYERS)]]
    for module in frozen:
        for parameter in module.parameters():
            parameter.requires_grad_(False)


def optimizer_for(model: LoadedModel, recipe: Recipe) -> tuple[torch.optim.Optimizer, Any]:
    """AdamW over what trains (everything, or the top layers and the head), with linear warm-up and decay."""
    if recipe.top_layers_only:
        freeze_lower_layers(model.model)
    trainable = [parameter for parameter in model.model.parameters() if parameter.requires_grad]
    # The fused kernel updates every weight in one pass: about 4 × faster than the default loop on a CPU.
    fused = model.device.split(":")[0] in FUSED_ADAMW_DEVICES
    optimizer = torch.optim.AdamW(trainable, lr=recipe.learning_rate, fused=fused or None)
    warm_up = max(1, math.ceil(0.1 * recipe.steps))
    return optimizer, transformers.get_linear_schedule_with_warmup(optimizer, warm_up, recipe.steps)


def tokenize_batch(model: LoadedModel, texts: Sequence[str], max_tokens: int) -> dict[str, torch.Tensor]:
    encoded = model.tokenizer(list(texts), truncation=True, max_length=max_tokens, padding=True, return_tensors="pt")
    return model.placed(encoded)


def _predict(model: LoadedModel, texts: Sequence[str], max_tokens: int) -> tuple[list[int], list[float]]:
    """The predicted label id of each text, and its probability."""
    model.model.eval()
    ids, confidences = [], []
    with torch.no_grad():
        for start in range(0, len(texts), 32):
            probabilities = torch.softmax(
                model.model(**tokenize_batch(model, texts[start : start + 32], max_tokens)).logits, -1
            )
            best = probabilities.max(dim=-1)
            ids += best.indices.tolist()
            confidences += best.values.tolist()
    return ids, confidences


def _accuracy(model: LoadedModel, pairs: list[tuple[str, str]], labels: list[str], max_tokens: int) -> float | None:
    if not pairs:
        return None
    predicted, _ = _predict(model, [text for text, _ in pairs], max_tokens)
    return float(np.mean([labels[p] == label for p, (_, label) in zip(predicted, pairs, strict=True)]))


def _batches(count: int, size: int, seed: int) -> Iterator[list[int]]:
    """Example indices, shuffled anew each epoch with the seed, `size` at a time, without end."""
    rng = random.Random(seed)
    while True:
        order = list(range(count))
        rng.shuffle(order)
        for start in range(0, count, size):
            yield order[start : start + size]


def training_step(
    model: LoadedModel,
    optimizer: Any,
    scheduler: Any,
    texts: list[str],
    label_ids: list[int],
    max_tokens: int,
    laps: dict[str, float] | None = None,
) -> float:
    """The tutorial's training step; returns its loss. With `laps`, adds the seconds spent in the forward pass
    (tokenizing included), the backward pass and the optimizer to its entries of those names (the benchmark's split
    of a step)."""
    lap = _Laps(laps, model)
    model.model.train()
    batch = tokenize_batch(model, texts, max_tokens)
    labels = model.placed({"labels": label_ids})["labels"]
    outputs = model.model(**batch, labels=labels)
    lap("forward")
    outputs.loss.backward()
    lap("backward")
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    lap("optimizer")
    return float(outputs.loss.detach())


class _Laps:
    """Adds the time since the last lap to `laps[name]`; does nothing (not even a device sync) without `laps`."""

    def __init__(self, laps: dict[str, float] | None, model: LoadedModel) -> None:
        self.laps, self.model, self.last = laps, model, time.perf_counter()

    def __call__(self, name: str) -> None:
        if self.laps is None:
            return
        self.model.synchronize()  # the lap ends when the device's work does
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self.last
        self.last = now


def _verdicts(
    model: LoadedModel, examples: Examples, before: tuple[list[int], list[float]] | None, max_tokens: int
) -> list[Verdict]:
    pairs = [(text, label, False) for text, label in examples.train] + [(t, lab, True) for t, lab in examples.held_out]
    now = _predict(model, [text for text, _, _ in pairs], max_tokens)
    first = before or now
    return [
        Verdict(
            text,
            label,
            held,
            examples.labels[first[0][i]],
            first[1][i],
            examples.labels[now[0][i]] if before else None,
            now[1][i] if before else None,
        )
        for i, (text, label, held) in enumerate(pairs)
    ]


def train(
    context: TaskContext,
    examples: Examples,
    recipe: Recipe,
    checkpoint: str | None = None,
    stop: StopSignal | None = None,
    owner: str | None = None,
) -> Iterator[TrainingUpdate | FineTuned]:
    """Fine-tune a copy of `checkpoint` on the examples, yielding an update after every step and the finished
    model last, held for its `owner` (a visitor's session, whose last model it replaces). `stop`, once set, ends
    the run after the step under way; so does the server's time limit. The model trained so far is kept either
    way. The run goes where the engine runs model work (on Ray, a task with its own resources)."""
    recipe = check_recipe(recipe, context.limits)
    chosen = context.checkpoint_for("fine_tune", checkpoint)
    return context.stream(_train, examples, recipe, chosen, owner, stop=stop)


def _train(
    context: TaskContext, examples: Examples, recipe: Recipe, chosen: str, owner: str | None, *, stop: StopSignal | None
) -> Iterator[TrainingUpdate | FineTuned]:
    model = context.apply(chosen, functools.partial(classifier_copy, labels=examples.labels))
    torch.manual_seed(recipe.seed)
    optimizer, scheduler = optimizer_for(model, recipe)
    pairs, label_ids = examples.train, {label: i for i, label in enumerate(examples.labels)}
    before = _predict(model, [text for text, _ in pairs + examples.held_out], recipe.max_tokens)
    accuracy = [(0, *_accuracies(model, examples, recipe.max_tokens))]
    losses: list[float] = []
    started, stopped = time.perf_counter(), None
    batches = _batches(len(pairs), recipe.batch_size, recipe.seed)
    for step in range(1, recipe.steps + 1):
        chosen_rows = [pairs[i] for i in next(batches)]
        texts, labels = [text for text, _ in chosen_rows], [label_ids[label] for _, label in chosen_rows]
        losses.append(training_step(model, optimizer, scheduler, texts, labels, recipe.max_tokens))
        elapsed = time.perf_counter() - started
        stopped = _stop_reason(stop, elapsed, context.limits)
        last = step == recipe.steps or stopped is not None
        if last or step % max(1, recipe.steps // CHECKS) == 0:
            accuracy.append((step, *_accuracies(model, examples, recipe.max_tokens)))
        try:
            yield TrainingUpdate(step, recipe.steps, list(losses), list(accuracy), elapsed, last, stopped)
        except GeneratorExit:
            # Nobody reads the run any more (the page closed, the API client went away): stop using the CPU.
            log.info("Fine-tuning abandoned after step %d of %d: its client went away", step, recipe.steps)
            raise
        if last:
            break
    finished(model)
    verdicts = _verdicts(model, examples, before, recipe.max_tokens)
    update = TrainingUpdate(len(losses), recipe.steps, losses, accuracy, time.perf_counter() - started, True, stopped)
    notes = examples.notes + _truncation_notes(model, pairs + examples.held_out, recipe.max_tokens)
    yield FineTuned(context.hold(model, owner), chosen, examples.labels, verdicts, update, notes)


def finished(model: LoadedModel) -> None:
    """A trained copy as it is kept: in eval mode (no dropout), its weights no longer trained."""
    model.model.eval()
    for parameter in model.model.parameters():
        parameter.requires_grad_(False)


def _accuracies(model: LoadedModel, examples: Examples, max_tokens: int) -> tuple[float, float | None]:
    train = _accuracy(model, examples.train, examples.labels, max_tokens)
    return train or 0.0, _accuracy(model, examples.held_out, examples.labels, max_tokens)


def _stop_reason(stop: StopSignal | None, elapsed: float, limits: Limits) -> Message | None:
    if stop is not None and stop.is_set():
        return say("stopped")
    if elapsed > limits.max_train_seconds:
        return say(
            "the server's time limit of {seconds} s (ROBERTA_DEMO_MAX_TRAIN_SECONDS)", seconds=limits.max_train_seconds
        )
    return None


def _truncation_notes(model: LoadedModel, pairs: list[tuple[str, str]], max_tokens: int) -> list[Message]:
    cut = sum(model.count_tokens(text) > max_tokens for text, _ in pairs)
    note = say(
        "{count} text(s) are longer than {tokens} tokens and were cut to their first tokens.",
        count=cut,
        tokens=max_tokens,
    )
    return [note] if cut else []


# -- using the fine-tuned model --------------------------------------------------------------------------------------


def _classify_held(model: LoadedModel, text: str) -> dict[str, float]:
    with torch.no_grad():
        logits = model.model(**tokenize_batch(model, [text], model.max_tokens)).logits[0]
    probabilities = torch.softmax(logits.float(), -1).tolist()
    return {model.model.config.id2label[i]: p for i, p in enumerate(probabilities)}


def classify(context: TaskContext, key: str | None, text: str) -> dict[str, float]:
    """Every label's probability for `text`, by the session's fine-tuned model."""
    text = check_text(text, context.limits)
    return context.apply_held(key, functools.partial(_classify_held, text=text))


def _rollout_from_first(model: LoadedModel, text: str) -> tuple[list[str], np.ndarray]:
    encoded = tokenize_batch(model, [text], model.max_tokens)
    with model.eager_attention(), torch.no_grad():
        attentions = model.model(**encoded, output_attentions=True).attentions
    weights = torch.stack(attentions)[:, 0].float().cpu().numpy()
    tokens = model.tokenizer.convert_ids_to_tokens(encoded["input_ids"][0].tolist())
    return tokens, attention_rollout(weights)[-1, 0]


def _tuned_rollout(model: LoadedModel, text: str) -> tuple[str, list[str], np.ndarray]:
    return model.checkpoint, *_rollout_from_first(model, text)


def compare_attention(context: TaskContext, key: str | None, text: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Where `<s>` looks, by attention rollout after the last layer, in the base checkpoint and in its fine-tuned
    copy: the tokens, and <float32>[num_tokens] for each."""
    text = check_text(text, context.limits)
    base, tokens, after = context.apply_held(key, functools.partial(_tuned_rollout, text=text))
    _, before = context.apply(base, functools.partial(_rollout_from_first, text=text))
    return tokens, before, after


def _zipped(model: LoadedModel) -> bytes:
    """`save_pretrained` output (weights, config with the label names, tokenizer) as a zip archive's bytes: the
    model may live in another process (a Ray replica), the file goes where the page serves files."""
    archive = io.BytesIO()
    with (
        tempfile.TemporaryDirectory(prefix="saving-") as saving,
        zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped,
    ):
        folder = Path(saving)
        model.model.save_pretrained(folder)
        model.tokenizer.save_pretrained(folder)
        for path in sorted(folder.iterdir()):
            zipped.write(path, path.name)
    return archive.getvalue()


def export(context: TaskContext, key: str | None, into: Path) -> Path:
    """The fine-tuned model as `into/fine-tuned-roberta.zip`, which `AutoModelForSequenceClassification.from_pretrained`
    loads once unpacked."""
    target = into / "fine-tuned-roberta.zip"
    target.write_bytes(context.apply_held(key, _zipped))
    return target
