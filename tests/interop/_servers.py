"""Real servers as subprocesses on 127.0.0.1: llama-cpp-python's, a LiteLLM proxy, and the local
model (``python -m workbench serve``) behind it; each in its own process group, polled until it
answers, its output kept in a log for failure reports, and stopped for sure."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import httpx

import dev

MASTER_KEY = "sk-interop-master"
"""The LiteLLM proxy's master key: the clients' API key."""
UPSTREAM_KEY = "sk-interop-upstream"
"""The key the proxy sends to the local models behind it (they require it)."""
MAKE_MODEL = Path(__file__).resolve().parent / "make_model.py"

# What a server must not inherit: real keys and servers, proxies, the user's own settings.
_DROPPED_PREFIXES = ("OPENAI_", "LITELLM_", "WORKBENCH_", "DATABASE_", "HF_")
_DROPPED = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"}


class MissingEnvironmentError(RuntimeError):
    """An interop venv is not there: ``python3 dev.py test`` builds it."""


def venv_program(venv: str, program: str = "python") -> Path:
    """``.interop/VENV/bin/PROGRAM``, or ``MissingEnvironmentError`` saying how to get it."""
    path = dev.INTEROP / venv / "bin" / program
    stamp = dev.INTEROP / venv / ".workbench-installed"
    if not path.exists() or not stamp.exists():
        raise MissingEnvironmentError(
            f"{path} is missing: `python3 dev.py test` builds .interop/{venv} from"
            f" tests/interop/requirements-{venv}.txt (or set {dev.SKIP_INTEROP}=<reason> to skip"
            " the interop tests)"
        )
    return path


def make_model(out: Path) -> Path:
    """Write the tiny GGUF model (``make_model.py``, in the llama venv) to ``out``."""
    python = venv_program("llama")
    done = subprocess.run(
        [str(python), str(MAKE_MODEL), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"make_model.py failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without keys, proxies or settings, with a private ``HOME``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(_DROPPED_PREFIXES) and k not in _DROPPED
    }
    home.mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), NO_PROXY="*", **extra)
    return env


class ServerProcess:
    """A server in its own process group on a free loopback port: ``launch()``, then
    ``wait_ready()`` (separate, so several start at once); ``kill()`` is a crash, ``stop()`` a
    shutdown that leaves nothing of the group behind."""

    def __init__(
        self,
        name: str,
        args: list[str],
        workdir: Path,
        *,
        port: int,
        ready: str,
        env: Mapping[str, str],
    ) -> None:
        self.name = name
        self.args = args
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = workdir / f"{name}.log"
        self._ready = ready
        self._env = dict(env)
        self._cwd = workdir
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def launch(self) -> None:
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                self.args,
                env=self._env,
                cwd=self._cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: workers included in a kill
            )

    def wait_ready(self, timeout: float) -> None:
        """Until ``ready`` answers 200 (a path) or shows in the log (``log:TEXT``: a server
        whose faults count requests must not be sent one before the tests)."""
        assert self._proc is not None, "launch() first"
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=5, trust_env=False) as http:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited ({self._proc.returncode}):\n{self.log()}"
                    )
                if self._ready.startswith("log:"):
                    if self._ready[4:] in self.log():
                        return
                else:
                    with contextlib.suppress(httpx.TransportError):
                        if http.get(self._ready).status_code == 200:
                            return
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {timeout} s:\n{self.log()}")

    def start(self, timeout: float = 60) -> ServerProcess:
        self.launch()
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log(self, tail: int = 4000) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return text[-tail:]

    def kill(self) -> None:
        """Crash it: SIGKILL to the whole group, now."""
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), then SIGKILL for whatever of its group is left."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def start_all(servers: Iterable[ServerProcess], timeout: float = 60) -> None:
    """Launch them all, then wait for each (they start in parallel); stop all on a failure."""
    servers = list(servers)
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready(timeout)
    except BaseException:
        for server in servers:
            server.stop()
        raise


# -- the servers -----------------------------------------------------------------------------

LLAMA_ALIAS = "tiny"


def llama_server(
    model: Path, workdir: Path, *, name: str = "llama-server", n_ctx: int = 1024
) -> ServerProcess:
    """llama-cpp-python's OpenAI-compatible server on the tiny model, with ChatML tool calling;
    its model is ``tiny``. In-flight requests are interrupted by a new one (its default).

    The context is 1,024 tokens, not the 4,096 the model allows: a reply whose cap the server
    ignores runs to the context's end, and its stream slows with its length (each token
    re-decodes the text so far): 4,083 tokens took 26 s, 1,000 take about 2 s.
    """
    port = free_port()
    args = [
        str(venv_program("llama")),
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        LLAMA_ALIAS,
        "--chat_format",
        "chatml-function-calling",
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        "1",  # the model is tiny; the machine's two cores run the tests and the clients too
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = isolated_env(workdir / "home", HF_HUB_OFFLINE="1")
    return ServerProcess(name, args, workdir, port=port, ready="/v1/models", env=env)


def workbench_server(
    workdir: Path, name: str, *faults: str, tokens_per_second: float | None = None
) -> ServerProcess:
    """``python -m workbench serve`` (this venv's) with these ``--fault`` specs."""
    port = free_port()
    args = [sys.executable, "-m", "workbench", "serve", "--port", str(port)]
    args += ["--api-key", UPSTREAM_KEY]
    for fault in faults:
        args += ["--fault", fault]
    if tokens_per_second is not None:
        args += ["--tokens-per-second", str(tokens_per_second)]
    env = isolated_env(workdir / "home")
    ready = f"log:serving on http://127.0.0.1:{port}/v1"
    return ServerProcess(f"workbench-{name}", args, workdir, port=port, ready=ready, env=env)


def litellm_config(routes: Mapping[str, str]) -> dict[str, object]:
    """A proxy config: each model name routed to an OpenAI-compatible base URL, with no retries,
    fallbacks or cool-downs of the proxy's own (so what the clients do is what is seen)."""
    return {
        "model_list": [
            {
                "model_name": name,
                "litellm_params": {
                    "model": "openai/workbench-local",
                    "api_base": base_url,
                    "api_key": UPSTREAM_KEY,
                },
            }
            for name, base_url in routes.items()
        ],
        "litellm_settings": {"num_retries": 0, "request_timeout": 30, "telemetry": False},
        "router_settings": {"num_retries": 0, "disable_cooldowns": True},
        "general_settings": {"master_key": MASTER_KEY},
    }


def litellm_proxy(workdir: Path, routes: Mapping[str, str]) -> ServerProcess:
    """A LiteLLM proxy with ``routes`` (model name -> base URL), offline: the cost map is its
    local copy (it fetches it from the network otherwise) and telemetry is off."""
    config = workdir / "litellm-config.yaml"
    config.write_text(json.dumps(litellm_config(routes), indent=2))  # JSON is YAML
    port = free_port()
    args = [str(venv_program("litellm", "litellm")), "--config", str(config)]
    args += ["--host", "127.0.0.1", "--port", str(port)]
    env = isolated_env(
        workdir / "home",
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        LITELLM_TELEMETRY_DISABLED="True",
        PYTHONUNBUFFERED="1",
    )
    return ServerProcess(
        "litellm-proxy", args, workdir, port=port, ready="/health/liveliness", env=env
    )
