"""A --cluster address whose peer sends garbage, or a scheduler that dies mid-run: one line, a documented
exit, in bounded time; never "out of memory", never a traceback or Dask's logged tracebacks."""
import os
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest

from conftest import SEEDS, run_qa

pytest.importorskip("dask.distributed", reason="the cluster tests need pip install 'qa[cluster]'")

GARBAGE = {
    "random bytes": lambda: os.urandom(1 << 16),
    "a huge frame count": lambda: struct.pack("<Q", 2**40) + os.urandom(1000),
    "a huge frame length": lambda: struct.pack("<Q", 1) + struct.pack("<Q", 2**62) + b"x" * 100,
    "a short reply, then silence": lambda: b"\x01",
}


class GarbageServer:
    """A TCP server on localhost that answers every connection with ``reply`` and then holds it open."""

    def __init__(self, reply):
        self.reply = reply
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                peer, _ = self.socket.accept()
                self.open.append(peer)
                peer.sendall(self.reply())
            except OSError:
                return

    def close(self):
        for peer in [self.socket, *self.open]:
            peer.close()


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_garbage_sending_endpoint_is_one_line(tmp_path, kind):
    server = GarbageServer(GARBAGE[kind])
    try:
        result = run_qa("ask", "--lexical", "--cluster", f"tcp://127.0.0.1:{server.port}", "--corpus", SEEDS,
                        "--index", tmp_path / "index", "glaciers", env={"QA_CLUSTER_TIMEOUT": "2"}, timeout=60)
    finally:
        server.close()
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(("qa: no Dask scheduler", "qa: cannot reach the Dask scheduler")), result.stderr
    assert f"tcp://127.0.0.1:{server.port}" in lines[0]
    assert "memory" not in result.stderr.lower() and "Traceback" not in result.stderr
    assert not (tmp_path / "index").exists()


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def start(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for_one_worker(address, timeout=60):
    from dask.distributed import Client
    with Client(address, timeout=timeout) as client:
        client.wait_for_workers(1, timeout=timeout)


def test_scheduler_killed_between_questions_is_one_line(tmp_path):
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = start("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                      "--dashboard-address", ":0")
    worker = start("distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1")
    try:
        wait_for_one_worker(address)
        index = tmp_path / "index"
        built = run_qa("index", "--lexical", "--cluster", address, "--corpus", SEEDS, "--index", index)
        assert built.returncode == 0, built.stderr
        # the client tries to reconnect to a lost scheduler for QA_CLUSTER_TIMEOUT (default 10 s) before it gives up
        asking = subprocess.Popen([sys.executable, "-m", "qa", "ask", "--lexical", "--cluster", address,
                                   "--corpus", SEEDS, "--index", index], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=dict(os.environ, QA_CLUSTER_TIMEOUT="3"))
        asking.stdin.write("glaciers in the Alps\n")
        asking.stdin.flush()
        first = asking.stdout.readline()  # the first answer came from the cluster
        assert first.strip(), asking.stderr.read() if asking.poll() is not None else "no answer"
        scheduler.kill()
        scheduler.wait()
        time.sleep(1)
        out, err = asking.communicate("lighthouse keeper journal\n", timeout=90)
    finally:
        for process in (scheduler, worker):
            process.kill()
            process.wait()
    assert asking.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"qa: lost the Dask scheduler at {address}"), err
    assert "Traceback" not in err and "distributed" not in err
