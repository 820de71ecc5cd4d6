"""One head's queries and keys drawn in one space (AttentionViz, Yeh et al. 2023), so that "a query attends to the
keys near it" can be seen.

A weight is softmax(q·k/√d) over a query's keys, which is not a distance; two changes that alter no weight make it
one that a projection can show. Queries are scaled by a and keys by 1/a so that both clouds have the same
spread (q·k unchanged), then every key is moved by the same vector, from the keys' centroid to the queries' (q·(k + c) =
q·k + q·c: the same amount added to all of a query's scores, which a softmax ignores). Then the nearer keys are
mostly those of larger dot product. The q and k are the layer's own, captured from the model as it ran
(`tasks.formula`).
"""

from __future__ import annotations

import functools

import numpy as np

from roberta_demo.backend import LoadedModel
from roberta_demo.errors import InputError
from roberta_demo.messages import say
from roberta_demo.results import FormulaCapture, QueryKeyMap, RunInfo
from roberta_demo.tasks.common import TaskContext
from roberta_demo.tasks.formula import capture_layer
from roberta_demo.tasks.projection import project
from roberta_demo.tasks.sentiment import parse_texts

__all__ = ["MAX_TEXTS", "MAX_TOKENS", "aligned", "query_key_map"]

MAX_TEXTS = 6  # a few sentences: beyond, the points of one are lost among the others'
MAX_TOKENS = 48  # per text: a label on every point stays readable


def _spread(points: np.ndarray) -> float:
    return max(float(np.sqrt(((points - points.mean(axis=0)) ** 2).sum(axis=1).mean())), 1e-12)


def aligned(queries: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The queries and keys scaled to the same spread about their centroids, then the keys moved to the queries'
    centroid (the module's docstring): no query's weights change."""
    scale = np.sqrt(_spread(keys) / _spread(queries))
    scaled_queries, scaled_keys = queries * scale, keys / scale
    return scaled_queries, scaled_keys - scaled_keys.mean(axis=0) + scaled_queries.mean(axis=0)


def _captures(model: LoadedModel, texts: list[str], layer: int) -> list[FormulaCapture]:
    return [capture_layer(model, text, None, MAX_TOKENS, False, layer) for text in texts]


def query_key_map(
    context: TaskContext, texts: str | list[str], layer: int = 0, head: int = 0, checkpoint: str | None = None
) -> QueryKeyMap:
    """Head `head` of layer `layer` (both from 0) of `checkpoint` on each of the texts (at most `MAX_TEXTS`, each
    cut at `MAX_TOKENS` tokens): every token's query and key, and the two projected together (PCA, 2-D)."""
    read = parse_texts(texts, None, context)
    if len(read) > MAX_TEXTS:
        raise InputError(
            say(
                "Queries and keys are drawn for at most {most} texts; {count} were given.",
                most=MAX_TEXTS,
                count=len(read),
            )
        )
    name = context.checkpoint_for("attention", checkpoint)
    captures = context.apply(name, functools.partial(_captures, texts=read, layer=int(layer)))
    first = captures[0]
    if not 0 <= int(head) < first.num_heads:
        raise InputError(say("Choose a head from 0 to {last}.", last=first.num_heads - 1))
    queries = np.concatenate([c.queries[head] for c in captures]).astype(np.float32)
    keys = np.concatenate([c.keys[head] for c in captures]).astype(np.float32)
    moved_queries, moved_keys = aligned(queries.astype(np.float64), keys.astype(np.float64))
    points, explained = project(np.concatenate([moved_queries, moved_keys])[None], 2)
    return QueryKeyMap(
        texts=read,
        tokens=[token for c in captures for token in c.tokens],
        owners=[number for number, c in enumerate(captures) for _ in c.tokens],
        special=[flag for c in captures for flag in c.special],
        layer=int(layer),
        head=int(head),
        num_layers=first.num_layers,
        num_heads=first.num_heads,
        queries=queries,
        keys=keys,
        weights=[c.weights[head] for c in captures],
        points=points[0],
        explained=explained,
        run=RunInfo(name, first.run.device, sum(c.run.seconds for c in captures)),
    )
