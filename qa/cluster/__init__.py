"""Index and answer on a Dask cluster, with the answers of one machine (``pip install 'qa[cluster]'``).

    qa index --corpus DIR --cluster tcp://scheduler:8786
    qa ask --corpus DIR --cluster tcp://scheduler:8786 "question"
    qa ask --corpus DIR --cluster local:2 "question"     # a LocalCluster of 2 worker processes

The design is Elasticsearch's ``dfs_query_then_fetch`` on Dask:

- Shards. ``qa index`` splits the corpus's files into one shard per worker;
  each worker reads its own files and writes its shard's segments, with the
  code and format of a local index, into the index folder (which every
  worker must reach). The manifest names each segment's shard.
- Global statistics. The passage count and total length are summed once
  over the shards when the index is opened; each question's document
  frequencies are summed over the shards (the "dfs" phase) before scoring.
- Query. Every shard scores the question with those global statistics and
  returns its top k; the client merges them. The scores are those of one
  machine's index of the same segments.
- Workers keep the shards they load (qa/cluster/shard.py). A question's calls
  go straight to the workers holding its shards (``Client.run``, no task
  scheduling: about a millisecond a round trip); a call whose worker died goes
  again as a Dask task, which names its shard fully, so another worker loads
  the shard from the shared folder and answers.
- An update rebuilds nothing: the changed files go into a new segment of the
  shard that held them, and only that shard's masks change.

Nothing here is imported by the single-machine path. A script that starts a
``local:N`` cluster needs the usual ``if __name__ == "__main__":`` guard: its
worker processes are spawned, and import the script.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import QAError
from ..install import install_hint

CONNECT_TIMEOUT_S = float(os.environ.get("QA_CLUSTER_TIMEOUT", "10"))
WORKERS_TTL_S = 5.0  # a stale list costs nothing: a task whose worker is gone runs on another


class Cluster:
    """A connection to a Dask scheduler (and, for ``local:N``, the LocalCluster it started)."""

    def __init__(self, client, owned=None, address: str = "", own_client: bool = True):
        self.client = client
        self.address = address
        self._owned = owned  # the LocalCluster started for local:N
        self._own_client = own_client  # False for a Client the caller made: theirs to close
        self._workers: list[str] | None = None
        self._asked = 0.0

    def workers(self) -> list[str]:
        """Worker addresses, sorted: shard i prefers worker i mod their count (asked again after a few seconds)."""
        now = time.monotonic()
        if self._workers is None or now - self._asked > WORKERS_TTL_S:
            info = self.client.scheduler_info(n_workers=-1)
            if "workers" not in info or self.client.status in ("closing", "closed"):
                raise QAError(f"lost the Dask scheduler at {self.address} (it stopped, or the network failed)")
            self._workers = sorted(info["workers"])
            self._asked = now
        if not self._workers:
            self._workers = None
            raise QAError(f"the Dask cluster at {self.address} has no workers")
        return self._workers

    def run(self, fn: Callable, calls: Sequence[tuple], prefer: Sequence[int] | None = None,
            what: str = "a shard") -> list[Any]:
        """``fn(*args)`` for each of ``calls`` on the workers, results in order.

        Call i prefers worker ``prefer[i]`` (mod the worker count), where its
        shard is already loaded. With a preference, the calls go straight to
        those workers (``Client.run``: one message each way, no scheduling);
        any call that did not come back that way (its worker died, or is new)
        is submitted as a Dask task, which runs on any live worker and is
        rescheduled if that one dies too.
        """
        from . import shard
        if prefer is None or shard.CALLS.get(fn.__name__) is not fn:  # a build: always a (resilient) task
            return self._submit(fn, calls, prefer, what)
        workers = self.workers()
        plan: dict[str, list] = {}
        for i, args in enumerate(calls):
            plan.setdefault(workers[prefer[i] % len(workers)], []).append((i, fn.__name__, tuple(args)))
        results: list[Any] = [None] * len(calls)
        done = [False] * len(calls)
        try:
            replies = self.client.run(shard.serve, plan, workers=list(plan), on_error="return")
        except (KeyboardInterrupt, QAError):
            raise
        except Exception:  # noqa: BLE001 - a worker gone: the tasks below take over
            replies = {}
        for reply in replies.values():
            if isinstance(reply, QAError):
                raise reply  # a damaged index, say: the same answer from any worker
            if isinstance(reply, list):
                for i, result in reply:
                    results[i], done[i] = result, True
        missing = [i for i in range(len(calls)) if not done[i]]
        if missing:
            self._workers = None  # ask the scheduler which workers there are now
            for i, result in zip(missing, self._submit(fn, [calls[i] for i in missing],
                                                       [prefer[i] for i in missing], what)):
                results[i] = result
        return results

    def _submit(self, fn: Callable, calls: Sequence[tuple], prefer: Sequence[int] | None, what: str) -> list[Any]:
        """The calls as Dask tasks: scheduled, and rescheduled when a worker dies."""
        workers = self.workers() if prefer is not None else None
        futures = []
        for i, args in enumerate(calls):
            where = {} if workers is None else {"workers": [workers[prefer[i] % len(workers)]],
                                                "allow_other_workers": True}
            futures.append(self.client.submit(fn, *args, pure=False, **where))
        return self.gather(futures, what)

    def gather(self, futures, what: str) -> list[Any]:
        try:
            return self.client.gather(futures)
        except (KeyboardInterrupt, QAError):
            raise
        except OSError as exc:  # the scheduler went away: CommClosedError is one
            raise QAError(f"lost the Dask scheduler at {self.address} while running {what}: "
                          f"{type(exc).__name__}: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - Dask's own errors (KilledWorker, CommClosedError, ...)
            first_line = (str(exc).strip().splitlines() or [""])[0]  # Dask's messages run on for lines
            raise QAError(f"the Dask cluster at {self.address} failed on {what}: {type(exc).__name__}: "
                          f"{first_line}") from exc

    def builder(self, semantic: bool | None = False, model=None, int8: bool | None = False):
        """Writes segments on the workers; with the semantic stage (``semantic``: as qa.semantic.enabled
        takes it), the workers embed their segments' passages too (with int8 products given ``int8``; None: by
        their number, qa.semantic.auto_int8)."""
        from .builder import ClusterBuilder
        from .embedding import model_for_workers
        return ClusterBuilder(self, *model_for_workers(semantic, model), int8)

    def searcher(self, index_dir, manifest: dict, segments: list, n_features: int, scoring, verify: bool):
        from .searcher import ClusterSearcher
        return ClusterSearcher(self, index_dir, manifest, segments, n_features, scoring, verify)

    def close(self) -> None:
        """Disconnect (and stop a local:N cluster); a Client the caller passed in is left open."""
        if not self._own_client:
            return
        try:
            self.client.close()
            if self._owned is not None:
                self._owned.close()
        except Exception:  # noqa: BLE001 - closing at exit: nothing left to report to
            pass


def connect(cluster) -> Cluster:
    """A Cluster from a scheduler address (``tcp://host:8786``), ``local:N``, a dask Client or a Cluster."""
    if isinstance(cluster, Cluster):
        return cluster
    address = cluster.strip() if isinstance(cluster, str) else None
    if address is not None:
        check_address(address)  # before Dask's import: a mistyped flag is told at once
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise QAError(f"--cluster needs Dask: {install_hint('cluster')}") from None
    if isinstance(cluster, Client):
        return Cluster(cluster, address=str(cluster.scheduler.address), own_client=False)
    if address is None:
        address = str(cluster).strip()
        check_address(address)
    if address.startswith("local:"):
        local = LocalCluster(n_workers=int(address[len("local:"):]), threads_per_worker=1, processes=True,
                             dashboard_address=":0", silence_logs=logging.ERROR)
        quiet_dask_logs()  # its scheduler runs in this process: a worker dying logged "broadcast ... failed" here
        return Cluster(Client(local), owned=local, address=address)
    quiet_dask_logs()
    _reachable(address)
    return Cluster(_client_within(Client, address), address=address)


def check_address(address: str) -> None:
    """QAError unless ``address`` is local:N (N from 1 to 64) or a scheduler's tcp://HOST:PORT (or HOST:PORT)."""
    if address.startswith("local:"):
        count = address[len("local:"):]
        if not count.isdigit() or not 1 <= int(count) <= 64:
            raise QAError(f"bad cluster address {address!r}: local:N takes N from 1 to 64 worker processes")
    elif not address:
        raise QAError("empty cluster address: give tcp://HOST:PORT of a Dask scheduler, or local:N")
    elif "://" in address and not address.startswith("tcp://"):  # tls:// etc. need settings qa has no flag for
        raise QAError(f"unsupported cluster address {address!r}: give tcp://HOST:PORT of a Dask scheduler, "
                      "or local:N")
    else:
        host, port = host_port(address)
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise QAError(f"bad cluster address {address!r}: give tcp://HOST:PORT of a Dask scheduler (PORT a number "
                          "from 1 to 65535), or local:N")


def host_port(address: str) -> tuple[str, str]:
    """(host, port) of tcp://HOST:PORT or HOST:PORT ([::1]:8786 for IPv6); "" for what is missing."""
    rest = address.removeprefix("tcp://")
    host, colon, port = rest.rpartition(":")
    return (host.strip("[]"), port) if colon else (rest, "")


def _reachable(address: str) -> None:
    """QAError at once when nothing can listen at ``address``: an unknown host, a refused port (Dask retries those
    until its timeout, 10 s, then names neither)."""
    host, port = host_port(address)
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except socket.gaierror as exc:
        raise QAError(f"cannot reach the Dask scheduler at {address}: unknown host {host!r}") from exc
    except ConnectionRefusedError as exc:
        raise QAError(f"cannot reach the Dask scheduler at {address}: nothing listens on port {port} of {host} "
                      "(connection refused)") from exc
    except OSError:
        pass  # a timeout or a network error: Dask's own attempt says what it finds


def quiet_dask_logs() -> None:
    """Keep distributed's loggers in this process off stderr (the client's; for local:N the scheduler's too): a
    scheduler that dies mid-run printed 33 lines of its tracebacks; qa reports the failure itself, in one line."""
    for name in ("distributed", "distributed.client", "distributed.comm", "distributed.core", "distributed.batched",
                 "distributed.scheduler", "distributed.nanny", "distributed.deploy"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def _client_within(client_class, address: str):
    """A Client of ``address``, or QAError after CONNECT_TIMEOUT_S: Dask's own timeout covers the TCP
    connect but not a peer that accepts and then never answers (an HTTP server), which hung qa forever."""
    outcome: list = []

    def connect() -> None:
        try:
            outcome.append(client_class(address, timeout=CONNECT_TIMEOUT_S))
        except BaseException as exc:  # handed to the caller's thread
            outcome.append(exc)

    thread = threading.Thread(target=connect, name="qa-cluster-connect", daemon=True)
    thread.start()
    thread.join(CONNECT_TIMEOUT_S + 5)
    if not outcome:
        raise QAError(f"no Dask scheduler answered at {address} within {CONNECT_TIMEOUT_S + 5:g} s "
                      "(is it a Dask scheduler's address?)")
    if isinstance(outcome[0], BaseException):
        exc = outcome[0]
        if not isinstance(exc, (OSError, TimeoutError)):  # it answered with bytes Dask cannot decode
            raise QAError(f"no Dask scheduler at {address}: what answered there does not speak Dask's "
                          "protocol") from exc
        raise QAError(f"cannot reach the Dask scheduler at {address}: {type(exc).__name__}: {exc}") from exc
    return outcome[0]
