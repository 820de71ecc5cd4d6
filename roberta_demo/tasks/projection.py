"""Vectors of every layer drawn in the same few directions: PCA (exact, in this process) or UMAP (umap-learn's
AlignedUMAP, in a worker process of its own).

UMAP is numba code: its first use compiles for half a minute, and it holds the GIL while it runs. In the server's
process that would stall every other visitor's request, so it runs in one spawned worker (one map at a time, a
queue behind it), which imports numpy and umap alone and keeps what it compiled for the next map.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import threading
import warnings
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np

__all__ = ["UMAP_LIMIT_S", "project", "standardised", "umap_apart", "umap_layers"]

log = logging.getLogger(__name__)

UMAP_NEIGHBOURS = 15  # umap-learn's default; fewer points use one less than their number
# A map not back by then is dropped for PCA (its worker goes on, so the next map waits for it): the first one
# compiles for 20-40 s on 2 cores, a map of 200 texts at 13 layers takes about as long again.
UMAP_LIMIT_S = 180.0
_worker: ProcessPoolExecutor | None = None
_worker_lock = threading.Lock()


def standardised(vectors: np.ndarray) -> np.ndarray:
    """<float64>[layers, n, hidden]: each layer centred and scaled to unit spread. The layers' own offsets and norms
    differ by orders of magnitude, and would be all a projection of every layer at once sees."""
    count = vectors.shape[1]
    centred = vectors.astype(np.float64) - vectors.mean(axis=1, keepdims=True)
    spread = np.sqrt((centred**2).sum(axis=(1, 2), keepdims=True) / max(count, 1))
    return np.asarray(centred / np.clip(spread, 1e-12, None))


def project(vectors: np.ndarray, dimensions: int = 3) -> tuple[np.ndarray, list[float]]:
    """<float32>[layers, n, dimensions]: every layer in the same directions, the principal components of all
    layers' vectors together after each layer was standardised; and each direction's share of the spread. Exact
    (an SVD) and deterministic: each direction's sign makes its largest loading positive."""
    layers, count, hidden = vectors.shape
    scaled = standardised(vectors).reshape(layers * count, hidden)
    _, singular, directions = np.linalg.svd(scaled, full_matrices=False)
    kept = directions[:dimensions]
    signs = np.sign(kept[np.arange(len(kept)), np.abs(kept).argmax(axis=1)])
    kept = kept * np.where(signs == 0, 1, signs)[:, None]
    points = np.zeros((layers * count, dimensions))
    points[:, : len(kept)] = scaled @ kept.T
    variance = singular**2
    shares = (variance[:dimensions] / max(variance.sum(), 1e-12)).tolist()
    return points.reshape(layers, count, dimensions).astype(np.float32), shares + [0.0] * (dimensions - len(shares))


def umap_layers(vectors: np.ndarray, dimensions: int = 2, seed: int = 0) -> np.ndarray:
    """<float32>[layers, n, dimensions]: a UMAP of each standardised layer, aligned from layer to layer (each point
    related to itself in the next layer), so that a point's move between layers is the text moving, not the map
    redrawn; seeded, so the same vectors give the same map. At least 3 points."""
    import umap

    layers, count, _ = vectors.shape
    same = {i: i for i in range(count)}
    mapper = umap.AlignedUMAP(n_neighbors=min(UMAP_NEIGHBOURS, count - 1), n_components=dimensions, random_state=seed)
    with warnings.catch_warnings():  # "n_jobs overridden by random_state": the seed is what a class needs
        warnings.simplefilter("ignore")
        mapper.fit(list(standardised(vectors).astype(np.float32)), relations=[same] * (layers - 1))
    return np.stack(mapper.embeddings_).astype(np.float32)


def _umap_worker() -> ProcessPoolExecutor:
    global _worker
    with _worker_lock:
        if _worker is None:
            # spawn: a fork of a process with torch's and the server's threads can deadlock in the child
            _worker = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            atexit.register(_worker.shutdown, wait=False, cancel_futures=True)
        return _worker


def umap_apart(vectors: np.ndarray, dimensions: int = 2, limit_s: float = UMAP_LIMIT_S) -> np.ndarray | None:
    """`umap_layers` in the worker process, or None when it failed or took longer than `limit_s` (the caller
    draws PCA instead and says so); a worker that died is replaced at the next map."""
    global _worker
    try:
        future: Future[np.ndarray] = _umap_worker().submit(umap_layers, vectors, dimensions)
        return future.result(timeout=limit_s)
    except FutureTimeout:
        log.warning("UMAP took over %.0f s; PCA drew the map", limit_s)
    except Exception:  # a broken worker (killed, out of memory) or umap's own error: PCA draws the map
        log.exception("UMAP failed; PCA drew the map")
        with _worker_lock:
            _worker = None
    return None
