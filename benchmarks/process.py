"""`qabot serve` as a real subprocess on a free 127.0.0.1 port (benchmarks and tests share it)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServeProcess:
    """`qabot serve` as a real subprocess, for RSS, load and isolation tests."""

    def __init__(self, corpus: Path, index: Path, **env: str) -> None:
        import os
        import subprocess
        import sys

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "QABOT_CORPUS": str(corpus), "QABOT_INDEX": str(index),
                   "QABOT_PORT": str(self.port), **env}
        self.proc = subprocess.Popen([sys.executable, "-m", "qabot.cli", "serve"], env=environ,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        output = self.proc.stdout.read() if self.proc.stdout else ""
        raise RuntimeError(f"qabot serve did not start: {output}")

    def rss_kb(self, field: str = "VmRSS") -> int:
        """Resident memory (VmRSS) or its peak (VmHWM) of the server process, in kB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"no {field}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except Exception:
            self.proc.kill()
