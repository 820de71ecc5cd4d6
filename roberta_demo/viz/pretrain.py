"""Pre-training drawn: which tokens each epoch's masking chose and what became of them, the masked-LM loss token by
token, and a continued pre-training run's loss and perplexity on its text and on the held-out part."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from roberta_demo.messages import Message, render, say, speak
from roberta_demo.results import Masking, MaskingDraw, Pretrained, PretrainUpdate, StepCost, perplexity
from roberta_demo.viz.charts import ACCENT, GRID, MUTED, plain_figure, plotly_text, unique_labels
from roberta_demo.viz.finetune import stopped_note

__all__ = [
    "KIND_COLOURS",
    "KIND_NAMES",
    "PAPER",
    "cost_markdown",
    "duration",
    "fill_rows",
    "given_text",
    "masking_grid",
    "masking_note",
    "masking_rows",
    "pretrain_chart",
    "pretrain_note",
]

HELD_OUT = "#10b981"
# Each kind has a colour and a letter in its cell, so that the grid reads without colour too.
KIND_NAMES: dict[str, Message | str] = {"mask": "<mask>", "random": say("random token"), "kept": say("unchanged")}
KIND_COLOURS = {"mask": "#f59e0b", "random": "#f472b6", "kept": "#38bdf8"}  # dark type on each: 8.3, 6.7, 8.3 : 1
KIND_LETTERS = {"mask": "M", "random": "R", "kept": "="}
NOT_CHOSEN = "#eef2ff"
MAX_LETTERED = 80  # tokens; past this the cells are too narrow for a letter


def given_text(masking: Masking, draw: MaskingDraw) -> list[tuple[str, str | None]]:
    """The text as the model is given it in one draw: each chosen token as it became, marked by its kind; the rest
    as written (spans for `gr.HighlightedText`, user text as data). Pieces keep the spaces before them."""
    chosen = {token.position: token for token in draw.chosen}
    spans: list[tuple[str, str | None]] = []
    for position, piece in enumerate(masking.pieces):
        if masking.special[position]:
            continue
        token = chosen.get(position)
        if token is None and spans and spans[-1][1] is None:
            spans[-1] = (spans[-1][0] + piece, None)  # the text between chosen tokens, as one span
        elif token is None:
            spans.append((piece, None))
        else:
            lead = piece[: len(piece) - len(piece.lstrip())]
            spans.append((lead + token.given, render(KIND_NAMES[token.kind])))
    return spans


def masking_grid(masking: Masking) -> go.Figure:
    """Epochs down, tokens across: each chosen token's cell in its kind's colour and letter, its loss on hover.
    Dynamic masking changes from row to row; static masking repeats the first row."""
    columns = [position for position, special in enumerate(masking.special) if not special]
    labels = unique_labels([masking.pieces[position].strip() or "␣" for position in columns])
    rows = [speak("epoch {number}", number=draw.epoch) for draw in masking.draws]
    codes = {"mask": 1, "random": 2, "kept": 3}
    z, text, hover = [], [], []
    for draw in masking.draws:
        chosen = {token.position: token for token in draw.chosen}
        z.append([codes[chosen[p].kind] if p in chosen else 0 for p in columns])
        text.append(
            [KIND_LETTERS[chosen[p].kind] if p in chosen and len(columns) <= MAX_LETTERED else "" for p in columns]
        )
        hover.append([_hover(masking.pieces[p], chosen.get(p)) for p in columns])
    colours = [NOT_CHOSEN, KIND_COLOURS["mask"], KIND_COLOURS["random"], KIND_COLOURS["kept"]]
    scale = [[stop, colour] for index, colour in enumerate(colours) for stop in (index / 4, (index + 1) / 4)]
    trace = {
        "type": "heatmap",
        "z": z,
        "x": labels,
        "y": rows,
        "zmin": -0.5,
        "zmax": 3.5,
        "colorscale": scale,
        "showscale": False,
        "text": text,
        "texttemplate": "%{text}",
        "customdata": hover,
        "hovertemplate": "%{customdata}<extra>%{y}</extra>",
        "xgap": 2,
        "ygap": 2,
    }
    legend = [_legend(kind) for kind in KIND_NAMES]
    layout = {
        "yaxis": {"autorange": "reversed", "automargin": True},
        "xaxis": {"tickangle": -60, "automargin": True, "showticklabels": len(columns) <= MAX_LETTERED},
        "legend": {"orientation": "h", "y": 1.12},
    }
    title = (
        speak("Dynamic masking: a new draw every epoch")
        if masking.dynamic
        else speak("Static masking: one draw, every epoch")
    )
    return plain_figure([trace, *legend], layout, title, 160 + 34 * len(rows))


def _hover(piece: str, token: Any) -> str:
    if token is None:
        return plotly_text(piece.strip() or "␣")
    return plotly_text(f"{token.text.strip()} → {token.given} ({token.kind}), loss {token.loss:.2f}")


def _legend(kind: str) -> dict[str, Any]:
    """A legend entry for a kind (the heatmap has none of its own)."""
    return {
        "type": "scatter",
        "x": [None],
        "y": [None],
        "mode": "markers",
        "marker": {"symbol": "square", "size": 14, "color": KIND_COLOURS[kind]},
        "name": plotly_text(f"{KIND_LETTERS[kind]}  {render(KIND_NAMES[kind])}"),
    }


def masking_rows(masking: Masking) -> list[list[Any]]:
    """Every chosen token of every epoch: epoch, token, what the model was given, kind, its first choice, the
    probability of the right token, the loss there."""
    return [
        [
            draw.epoch,
            t.text.strip(),
            t.given,
            render(KIND_NAMES[t.kind]),
            t.guess,
            round(t.probability, 4),
            round(t.loss, 3),
        ]
        for draw in masking.draws
        for t in draw.chosen
    ]


def masking_note(masking: Masking) -> str:
    """Markdown: what share of the text the epochs chose and how the chosen split, and the loss of each draw."""
    words = sum(not special for special in masking.special)
    chosen = sum(len(draw.chosen) for draw in masking.draws)
    share = {kind: sum(draw.kinds()[kind] for draw in masking.draws) / max(chosen, 1) for kind in KIND_NAMES}
    losses = ", ".join(f"{draw.loss:.2f}" if draw.loss is not None else "–" for draw in masking.draws)
    values = {
        "share": f"{chosen / (words * len(masking.draws)):.1%}",
        "words": words,
        "epochs": len(masking.draws),
        "m": f"{share['mask']:.0%}",
        "r": f"{share['random']:.0%}",
        "k": f"{share['kept']:.0%}",
        "losses": losses,
    }
    if masking.whole_words:
        return speak(
            "Chosen: **{share}** of {words} tokens, whole words at a time, over {epochs} epoch(s) (15 % expected) · "
            "`<mask>` **{m}** · random **{r}** · unchanged **{k}** (80 / 10 / 10 expected) · masked-LM loss per "
            "epoch: {losses}",
            **values,
        )
    return speak(
        "Chosen: **{share}** of {words} tokens, over {epochs} epoch(s) (15 % expected) · `<mask>` **{m}** · random "
        "**{r}** · unchanged **{k}** (80 / 10 / 10 expected) · masked-LM loss per epoch: {losses}",
        **values,
    )


def pretrain_chart(update: PretrainUpdate | None) -> go.Figure:
    """Each step's masked-LM loss (its batch masked anew), and the checks on the training text and the held-out
    part under one fixed masking."""
    losses = update.losses if update else []
    steps = update.steps if update else 1
    checks = update.checks if update else []
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": list(range(1, len(losses) + 1)),
            "y": losses,
            "name": speak("loss of each step's batch"),
            "line": {"color": ACCENT, "width": 3},
            "marker": {"size": 5},
        },
        _check_trace([(c[0], c[1]) for c in checks], speak("loss on your text (fixed masking)"), MUTED),
        _check_trace([(c[0], c[2]) for c in checks], speak("loss on the held-out part"), HELD_OUT),
    ]
    layout = {
        "xaxis": {"title": {"text": speak("step")}, "range": [0, steps + 0.5], "gridcolor": GRID, "automargin": True},
        "yaxis": {
            "title": {"text": speak("masked-LM loss")},
            "rangemode": "tozero",
            "gridcolor": GRID,
            "automargin": True,
        },
        "legend": {"orientation": "h", "y": -0.25},
    }
    return plain_figure(traces, layout, speak("The masked-LM loss, step by step"), 420)


def _check_trace(points: list[tuple[int, float]], name: str, colour: str) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "x": [step for step, _ in points],
        "y": [loss for _, loss in points],
        "name": name,
        "line": {"color": colour, "dash": "dot", "width": 3},
        "marker": {"size": 8},
    }


def pretrain_note(update: PretrainUpdate) -> str:
    """Markdown: where the run is, how fast, and the perplexity on the held-out part then and now."""
    first, last = update.checks[0], update.checks[-1]
    rate = update.step / update.seconds if update.seconds > 0 else 0.0
    note = speak(
        "Step **{step} / {steps}** · loss **{loss}** · {seconds} s · {rate} steps/s · held-out perplexity **{first}** "
        "at the start, **{now}** at step {at}",
        step=update.step,
        steps=update.steps,
        loss=f"{update.losses[-1]:.3f}",
        seconds=f"{update.seconds:.1f}",
        rate=f"{rate:.3g}",
        first=f"{perplexity(first[2]):.1f}",
        now=f"{perplexity(last[2]):.1f}",
        at=last[0],
    )
    return note + stopped_note(update.stopped)


def fill_rows(result: Pretrained) -> list[list[Any]]:
    """Each masked held-out word: its context, the word, the first choice and the word's probability before and
    after."""
    return [
        [
            f.context,
            f.word,
            f.before,
            round(f.before_probability, 4),
            f.after,
            round(f.after_probability, 4),
        ]
        for f in result.fills
    ]


# RoBERTa's pre-training as its paper reports it (Liu et al., 2019): the BERT-large architecture, 355M parameters,
# 100K steps of 8K sequences in about a day on 1,024 V100 GPUs (§5); the released models, 500K steps of 8K sequences
# of up to 512 tokens (§5, Table 9). `tokens_per_second` is derived from those: 100K × 8K × 512 tokens in a day.
PAPER: dict[str, int] = {
    "gpus": 1024,
    "parameters": 355_000_000,
    "batch": 8_000,
    "tokens": 512,
    "steps_in_a_day": 100_000,
    "released_steps": 500_000,
}
PAPER_STEP_TOKENS = PAPER["batch"] * PAPER["tokens"]
PAPER_TOKENS_PER_SECOND = PAPER["steps_in_a_day"] * PAPER_STEP_TOKENS / 86_400
_UNITS = {
    "en": (("years", 365.25 * 86_400), ("days", 86_400), ("hours", 3_600), ("minutes", 60), ("seconds", 1)),
    "zh": (("年", 365.25 * 86_400), ("天", 86_400), ("小时", 3_600), ("分钟", 60), ("秒", 1)),
}
_COST = {
    "en": """| | RoBERTa's pre-training (Liu et al., 2019) | this server, measured now |
|---|---|---|
| hardware | 1,024 NVIDIA V100 GPUs (32 GB), mixed precision | {device} |
| model | BERT-large's shape, 355 million parameters | {checkpoint}, {millions:,.1f} million parameters |
| one step | 8K sequences of up to 512 tokens | {batch} × {tokens} tokens: **{seconds:.2f} s** (forward \
{forward:.2f}, backward {backward:.2f}, AdamW {optimizer:.2f}) |
| tokens per second | about {paper_millions:.1f} million (100K steps in about a day) | {rate:,.0f} |
| one of RoBERTa's steps | about {paper_step:.2f} s | about {here_step} |
| 500K steps (the released models) | about five days | about **{here_all}** |

The server moves {ratio:,.0f} times fewer tokens a second than the paper's cluster (on a model of \
{millions:,.1f} million parameters, against 355 million): at this pace the pre-training alone would take \
{here_all}, and more, since 512-token sequences cost more per token than {tokens}-token ones.""",
    "zh": """| | RoBERTa 的预训练（Liu et al., 2019） | 这台服务器，现场测量 |
|---|---|---|
| 硬件 | 1,024 块 NVIDIA V100 GPU（32 GB），混合精度 | {device} |
| 模型 | BERT-large 的结构，3.55 亿个参数 | {checkpoint}，{millions:,.1f} 百万个参数 |
| 一步 | 8K 个最长 512 个词元的序列 | {batch} × {tokens} 个词元：**{seconds:.2f} 秒**（前向 {forward:.2f}，反向 \
{backward:.2f}，AdamW {optimizer:.2f}） |
| 每秒词元数 | 约 {paper_millions:.1f} 百万（大约一天 10 万步） | {rate:,.0f} |
| RoBERTa 的一步 | 约 {paper_step:.2f} 秒 | 约 {here_step} |
| 50 万步（发布的模型） | 大约五天 | 约 **{here_all}** |

这台服务器每秒处理的词元比论文的集群少 {ratio:,.0f} 倍（模型有 {millions:,.1f} 百万个参数，\
论文的是 3.55 亿）：按这个速度，仅预训练就要 {here_all}，实际还会更久，因为 \
512 个词元的序列每个词元的计算比 {tokens} 个词元的序列更多。""",
}


def duration(seconds: float, language: str = "en") -> str:
    """A long time in the largest unit that keeps it above one: "3.2 hours", "41 days", "12,000 years"."""
    units = _UNITS.get(language, _UNITS["en"])
    name, size = next(((name, size) for name, size in units if seconds >= size), units[-1])
    amount = seconds / size
    shown = f"{amount:,.0f}" if amount >= 100 else f"{amount:.1f}"
    return f"{shown} {name}"


def cost_markdown(cost: StepCost, language: str = "en") -> str:
    """The measured step beside the paper's figures, and the paper's pre-training timed at this server's pace."""
    rate = cost.tokens_per_second
    here_step = PAPER_STEP_TOKENS / rate if rate > 0 else float("inf")
    return _COST.get(language, _COST["en"]).format(
        device=cost.device,
        checkpoint=cost.checkpoint,
        millions=cost.parameters / 1e6,
        batch=cost.batch,
        tokens=cost.tokens,
        seconds=cost.seconds,
        forward=cost.laps.get("forward", 0.0),
        backward=cost.laps.get("backward", 0.0),
        optimizer=cost.laps.get("optimizer", 0.0),
        paper_millions=PAPER_TOKENS_PER_SECOND / 1e6,
        rate=rate,
        paper_step=PAPER_STEP_TOKENS / PAPER_TOKENS_PER_SECOND,
        here_step=duration(here_step, language),
        here_all=duration(here_step * PAPER["released_steps"], language),
        ratio=PAPER_TOKENS_PER_SECOND / rate if rate > 0 else float("inf"),
    )
