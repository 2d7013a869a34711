"""`qabot serve` as a real subprocess on a free 127.0.0.1 port (benchmarks and tests share it), and
replicas of it that see their index directory mounted read-only."""

from __future__ import annotations

import shlex
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

SERVE = (sys.executable, "-m", "qabot.cli", "serve")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServeProcess:
    """`qabot serve` as a real subprocess, for RSS, load and isolation tests."""

    def __init__(self, corpus: Path, index: Path, command: Sequence[str] = SERVE, **env: str) -> None:
        import os
        import subprocess

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "QABOT_CORPUS": str(corpus), "QABOT_INDEX": str(index),
                   "QABOT_PORT": str(self.port), **env}
        self.proc = subprocess.Popen(list(command), env=environ,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        output = self.stop()
        raise RuntimeError(f"qabot serve did not start: {output}")

    def rss_kb(self, field: str = "VmRSS") -> int:
        """Resident memory (VmRSS) or its peak (VmHWM) of the server process, in kB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"no {field}")

    def memory_kb(self) -> dict[str, int]:
        """/proc/PID/smaps_rollup in kB: Rss, Pss (shared pages divided among the processes that map
        them), Shared_Clean, Private_Dirty, …"""
        out = {}
        for line in Path(f"/proc/{self.proc.pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, value = line.split(":", 1)
            out[name] = int(value.split()[0])
        return out

    def mapped_kb(self, name: str) -> int:
        """Resident kB of the process's memory mappings of files called `name`."""
        total, inside = 0, False
        for line in Path(f"/proc/{self.proc.pid}/smaps").read_text().splitlines():
            if line[:1] in "0123456789abcdef" and "-" in line.split(" ", 1)[0]:
                inside = line.rstrip().endswith("/" + name)
            elif inside and line.startswith("Rss:"):
                total += int(line.split()[1])
        return total

    def stop(self) -> str:
        """Stops the server (gracefully, as SIGTERM does) and returns what it printed."""
        self.proc.terminate()
        try:
            output, _ = self.proc.communicate(timeout=20)
        except Exception:
            self.proc.kill()
            output, _ = self.proc.communicate()
        return output or ""


def read_only_replica(corpus: Path, index: Path, **env: str) -> ServeProcess:
    """`qabot serve` in a mount namespace of its own where `index` is a read-only bind mount: any
    write to the index fails there (needs root, as `unshare --mount` does)."""
    quoted = shlex.quote(str(index))
    setup = f"mount --bind -o ro {quoted} {quoted} && exec {shlex.join(SERVE)}"
    return ServeProcess(corpus, index, ("unshare", "--mount", "sh", "-c", setup), **env)
