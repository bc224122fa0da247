"""The Dask backend of ``batch`` (optional: ``pip install 'dicomconv[dask]'``).

:func:`convert_bag` gives a ``dask.bag`` of result records, one per input, the same records
``dicomconv batch --report`` writes (``source``, ``destination``, ``status``, ``ok``, ``error``,
``seconds``, ``bytes``)::

    from dicomconv.dask import convert_bag
    records = convert_bag("photos", "dicom", Img2DcmOptions()).compute()       # any scheduler
    failed = convert_bag(paths, "dicom").filter(lambda r: not r["ok"]).compute()

Planning happens when the bag is made, in the calling process: the inputs are listed, their
outputs decided, existing outputs skipped (unless ``overwrite``) and stale temporary files of
killed runs removed (see :mod:`dicomconv.batch`). The conversions happen when the bag is
computed, on the workers, by the same loop as the local pool, writing atomically; an output
that appeared in between is skipped too. The workers must see the paths as the client does
(a shared file system) and have dicomconv installed. The options go to the workers pickled.

``dicomconv batch ... --scheduler tcp://host:port`` / ``--dask-local N`` run the same batch
through :func:`client_executor`, with the same outputs, report and exit code as the local pool.
"""
from __future__ import annotations

import os

import dask.bag as db

from .batch import FAILED, Result, get_converter, plan, plan_paths

#: Files per partition (a Dask task): large enough that Dask's per-task cost (~1 ms on a
#: distributed scheduler) is small beside the conversions, small enough to balance the workers.
PARTITION_FILES = 32


def _convert_partition(tasks, target, options, overwrite: bool) -> list[dict]:
    """Worker side: ``[(src, dst, size), ...]`` → result records."""
    from .batch import _run_tasks, resolve_target

    convert = resolve_target(target)
    indexed = [(i, src, dst) for i, (src, dst, _) in enumerate(tasks)]
    out = []
    for i, status, error, seconds in _run_tasks(indexed, convert, options, overwrite):
        src, dst, size = tasks[i]
        out.append(Result(src, dst, status, error, seconds, size).as_dict())
    return out


def tasks_bag(tasks, sizes, options, converter="img2dcm", overwrite: bool = False,
              partition_size: int = PARTITION_FILES) -> db.Bag:
    """A bag converting planned ``tasks`` ``[(src, dst), ...]`` (with their input ``sizes``),
    ``partition_size`` files per partition."""
    conv = get_converter(converter)
    options = conv.default_options(options)
    items = [(src, dst, size) for (src, dst), size in zip(tasks, sizes)]
    bag = db.from_sequence(items, partition_size=max(1, partition_size))
    return bag.map_partitions(_convert_partition, conv.target, options, overwrite)


def convert_bag(paths, dst, options=None, *, converter="img2dcm", src_root=None, patterns=None,
                recursive: bool = True, overwrite: bool = False,
                partition_size: int = PARTITION_FILES) -> db.Bag:
    """A ``dask.bag`` of result records (dicts) converting ``paths`` into the tree under ``dst``.

    ``paths``: a source folder (its inputs are discovered as by ``dicomconv batch``:
    ``patterns``, ``recursive``) or an iterable of input files, mirrored under ``dst`` by their
    path relative to ``src_root`` (default: their common folder). ``options``: the converter's
    options (``Img2DcmOptions``; None: defaults). Records of inputs decided while planning
    (skipped, two inputs for one output) come first, in their own partition.
    """
    if isinstance(paths, (str, os.PathLike)) and os.path.isdir(paths):
        the_plan = plan(paths, dst, converter, patterns, recursive, overwrite)
    else:
        the_plan = plan_paths([paths] if isinstance(paths, (str, os.PathLike)) else paths, dst, converter,
                              src_root, overwrite)
    the_plan.remove_stale_temp()
    bag = tasks_bag(the_plan.tasks, the_plan.sizes, options, converter, overwrite, partition_size)
    if the_plan.decided:
        decided = db.from_sequence([r.as_dict() for r in the_plan.decided], npartitions=1)
        bag = db.concat([decided, bag]) if the_plan.tasks else decided
    return bag


def client_executor(scheduler: str | None = None, local_workers: int | None = None):
    """``(executor, close)`` for :func:`dicomconv.batch.run_batch`: conversions on the Dask
    scheduler at ``scheduler`` (``tcp://host:port``) or on a new local cluster of
    ``local_workers`` single-threaded worker processes; results stream back per partition as
    they finish (for the progress bar and the report)."""
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is not None:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=local_workers or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    workers = max(1, len(client.scheduler_info().get("workers", {})) or (local_workers or 1))

    def executor(tasks, options, converter, overwrite, sizes):
        # PARTITION_FILES per partition, fewer if that leaves less than 4 partitions per worker
        partition_size = max(1, min(PARTITION_FILES, -(-len(tasks) // (4 * workers))))
        bag = tasks_bag(tasks, sizes, options, converter, overwrite, partition_size)
        futures = client.compute(bag.to_delayed())
        try:
            for future in as_completed(futures):
                try:
                    records = future.result()
                except Exception as exc:  # a worker lost, the partition's task failed as a whole
                    index = futures.index(future)
                    records = [Result(src, dst, FAILED, f"{src}: Dask task failed: {type(exc).__name__}: {exc}",
                                      0.0, size).as_dict()
                               for (src, dst), size in zip(tasks[index * partition_size:(index + 1) * partition_size],
                                                           sizes[index * partition_size:(index + 1) * partition_size])]
                for record in records:
                    yield Result.from_dict(record)
        finally:
            client.cancel(futures)

    def close():
        client.close()
        if cluster is not None:
            cluster.close()

    return executor, close

