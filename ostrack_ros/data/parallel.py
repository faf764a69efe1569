"""Render-and-write jobs of the dataset generators, in this process or a pool, with a progress bar."""

from __future__ import annotations

import multiprocessing
from typing import Callable, Optional, Sequence

from tqdm import tqdm


def run_jobs(
    fn: Callable,
    jobs: Sequence,
    desc: str,
    workers: int = 1,
    progress: bool = True,
    initializer: Optional[Callable] = None,
    initargs: tuple = (),
) -> None:
    """Call ``fn(job)`` for every job, in ``workers`` processes when > 1 (``initializer(*initargs)``
    runs once in each worker, or here when serial). Each job's output must depend only on the job."""
    bar = {"total": len(jobs), "desc": desc, "disable": not progress}
    if workers > 1:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with multiprocessing.get_context(method).Pool(workers, initializer, initargs) as pool:
            for _ in tqdm(pool.imap_unordered(fn, jobs), **bar):
                pass
        return
    if initializer is not None:
        initializer(*initargs)
    for job in tqdm(jobs, **bar):
        fn(job)
