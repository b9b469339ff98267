"""Run the record notebook with papermill after checking its parameters strictly."""

from __future__ import annotations

import ast
import copy
import datetime as dt
import gc
import importlib
import json
import os
import pprint
import select
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsr.errors import RecordError

if TYPE_CHECKING:
    import nbformat

DEFAULT_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "draw.ipynb"


def parameter_names(nb: nbformat.NotebookNode) -> tuple[str, ...]:
    """The names assigned at top level in the cell tagged `parameters`, in order."""
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", ())]
    if len(cells) != 1:
        raise RecordError(f"笔记本应恰有一个标记为 parameters 的单元，实有 {len(cells)} 个")
    names: list[str] = []
    for node in ast.parse(cells[0].source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names.extend(t.id for t in targets if isinstance(t, ast.Name) and t.id not in names)
    return tuple(names)


def check_parameters(nb: nbformat.NotebookNode, params: Mapping[str, object]) -> None:
    """Refuse parameters the notebook does not declare, and declared ones that are not given."""
    declared = parameter_names(nb)
    unknown = sorted(set(params) - set(declared))
    missing = [name for name in declared if name not in params]
    problems = []
    if unknown:
        problems.append("笔记本 parameters 单元中没有这些参数：" + "、".join(unknown))
    if missing:
        problems.append("缺少这些参数：" + "、".join(missing))
    if problems:
        raise RecordError("参数与笔记本不符。" + "；".join(problems))


# jsonschema's optional format checkers (jsonschema/_format.py imports each if it is installed; JupyterLab and
# jupyter_events pull them in). nbformat validates notebooks without a format checker, so none of them is used.
_FORMAT_CHECKERS = ("rfc3987_syntax", "rfc3987", "rfc3986_validator", "rfc3339_validator", "fqdn", "idna",
                    "webcolors", "jsonpointer", "uri_template", "isoduration")


class _NoHTTP(types.ModuleType):
    """Stands in for `requests` while papermill is imported: papermill.iorw imports it for its HTTP notebook
    handler, which dsr never uses (it runs a notebook it holds, and writes none back)."""

    def __getattr__(self, name: str):
        if name.startswith("__"):  # what the import system looks for (a package's __path__ …)
            raise AttributeError(name)
        raise RecordError("dsr 不经网络读写笔记本：papermill 的 HTTP 处理未加载")


def quick_import(name: str):
    """Import a module of the Jupyter stack without what dsr never uses and would pay for at import.

    - jsonschema's optional format checkers: rfc3987_syntax (pulled in by JupyterLab) builds an Earley parser at
      import, about 3 s of CPU per process; the others (isoduration with arrow and dateutil, rfc3986_validator,
      webcolors …) about 0.07 s more, all for formats nbformat never checks.
    - papermill's `requests` (urllib3, http.cookiejar, charset_normalizer: ~30 % of importing papermill, ~0.1 s
      of CPU), which only its HTTP handler would use; papermill keeps a stub that refuses to be used.
    Blocked only while the module is first imported; later imports elsewhere get the real modules.
    """
    blocked: dict[str, Any] = {}
    if "jsonschema" not in sys.modules:
        blocked.update((m, None) for m in _FORMAT_CHECKERS if m not in sys.modules)  # None: ImportError
    if "papermill.iorw" not in sys.modules and "requests" not in sys.modules:
        blocked["requests"] = _NoHTTP("requests")
    sys.modules.update(blocked)
    try:
        return importlib.import_module(name)
    finally:
        for module, stand_in in blocked.items():
            if sys.modules.get(module, 0) is stand_in:
                del sys.modules[module]


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook file (nbformat 4)."""
    nbformat = quick_import("nbformat")
    try:
        return nbformat.read(str(path), as_version=4)
    except (OSError, ValueError) as exc:
        raise RecordError(f"无法读取笔记本 {Path(path).name}：{exc}") from exc


def _literal(name: str, value: object) -> object:
    """Refuse anything but plain literals, so a parameter can never carry code into the kernel."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_literal(name, v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _literal(name, v) for k, v in value.items()}
    raise RecordError(f"参数「{name}」只能是文字、整数、列表或字典，实为 {type(value).__name__}")


def injected_cell(params: Mapping[str, object]) -> nbformat.NotebookNode:
    """The cell holding this run's values as readable Python literals (Chinese stays Chinese)."""
    lines = ["# 本次抽查的参数（由 dsr 注入，覆盖上一单元的默认值）"]
    for name, value in params.items():
        text = pprint.pformat(_literal(name, value), width=100, sort_dicts=False, compact=True)
        lines.append(f"{name} = {text}")
    cell = quick_import("nbformat.v4").new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    cell.pop("id", None)
    return cell


def with_parameters(nb: nbformat.NotebookNode, params: Mapping[str, object]) -> nbformat.NotebookNode:
    """A copy of the notebook with the injected-parameters cell right after the parameters cell."""
    check_parameters(nb, params)
    nb = copy.deepcopy(nb)
    index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", ()))
    nb.cells.insert(index + 1, injected_cell(params))
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number}"
    return nb


# ---------------------------------------------------------------- kernels

# Flags for every record kernel: no IPython history database (nothing is read from or written to the
# user's profile, and no history thread); the executed notebook is the only record of the run.
KERNEL_ARGS = ("--HistoryManager.enabled=False",)

# What `python -m ipykernel_launcher` runs, with the debugger left out: a record's kernel is never debugged, and
# ipykernel otherwise imports debugpy (0.1–0.15 s of CPU per kernel) and opens a debug socket for it. With
# debugpy absent from sys.modules, ipykernel's own check finds it unavailable and starts no debugger.
KERNEL_CODE = """import sys
if sys.path and sys.path[0] in ("", __import__("os").getcwd()):
    del sys.path[0]  # as ipykernel_launcher does: nothing is imported from the record's folder
sys.modules["debugpy"] = None
from ipykernel import kernelapp
kernelapp.launch_new_instance()
"""


def without_debugger(kernel_cmd: Sequence[str]) -> list[str]:
    """The standard `python -m ipykernel_launcher ARGS` as `python -c KERNEL_CODE ARGS`; any other command as is."""
    if list(kernel_cmd[1:3]) == ["-m", "ipykernel_launcher"]:
        return [kernel_cmd[0], "-c", KERNEL_CODE, *kernel_cmd[3:]]
    return list(kernel_cmd)


def _kernel_manager_class():
    """An AsyncKernelManager that keeps the clients it made, so the runner can close their channels."""
    global _KM_CLASS
    if _KM_CLASS is None:
        from jupyter_client.asynchronous import AsyncKernelClient
        from jupyter_client.manager import AsyncKernelManager

        class RecordKernelClient(AsyncKernelClient):
            async def wait_for_ready(self, timeout: float | None = None) -> None:
                """jupyter_client's wait for a kernel_info reply with IOPub connected, but ready as soon as IOPub
                has carried that request's idle status: jupyter_client then read IOPub until it had been silent
                for 0.2 s, every time (nbclient takes only the messages of its own requests from IOPub)."""
                from queue import Empty

                deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
                asked: set[str] = set()
                while True:
                    asked.add(self.kernel_info())
                    try:
                        msg = await self.shell_channel.get_msg(timeout=1)
                    except Empty:
                        pass
                    else:
                        if msg["msg_type"] == "kernel_info_reply" and await self._idle_seen(asked):
                            self._handle_kernel_info_reply(msg)
                            return
                    if not await self._async_is_alive():
                        raise RuntimeError("Kernel died before replying to kernel_info")
                    if time.monotonic() > deadline:
                        raise RuntimeError("Kernel didn't respond in %d seconds" % timeout)

            async def _idle_seen(self, asked: set[str]) -> bool:
                """Read IOPub up to the kernel's idle status after one of the `asked` requests (the one answered or
                a later one: an earlier status may have been published before IOPub was connected); False if it
                is silent for 0.2 s first (not connected yet: ask again)."""
                from queue import Empty

                give_up = time.monotonic() + 5
                while time.monotonic() < give_up:
                    try:
                        msg = await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        return False
                    if (msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
                            and msg["parent_header"].get("msg_id") in asked):
                        return True
                return False

        class RecordKernelManager(AsyncKernelManager):
            nursery: Any = None  # a KernelNursery: fork the kernel from it instead of starting a new interpreter
            made: list

            def client(self, **kwargs: Any):
                self.client_factory = RecordKernelClient
                kc = super().client(**kwargs)
                self.__dict__.setdefault("made", []).append(kc)
                return kc

            async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
                nursery = self.nursery
                process = None
                if nursery is not None and nursery.can_launch(kernel_cmd):
                    try:
                        process = nursery.launch(kernel_cmd, kw.get("cwd"), kw.get("env"))
                    except NurseryError:
                        process = None  # the nursery is gone or stuck: start this kernel the ordinary way
                if process is None:
                    return await super()._async_launch_kernel(without_debugger(kernel_cmd), **kw)
                provisioner = self.provisioner
                provisioner.process, provisioner.pid, provisioner.pgid = process, process.pid, process.pid
                provisioner.cwd = kw.get("cwd")
                self._reconcile_connection_info(provisioner.connection_info)

        _KM_CLASS = RecordKernelManager
    return _KM_CLASS


_KM_CLASS = None


def start_kernel(cwd: Path, nursery: KernelNursery | None = None):
    """Start a fresh python3 kernel in `cwd` and return its manager at once (the kernel boots on its own).

    With a live `nursery` the kernel process is forked from it (see KernelNursery); otherwise
    jupyter_client starts what `python -m ipykernel_launcher` would, without the debugger (KERNEL_CODE).
    Either way it is a new process that has run no code of any record. Stop it with `stop_kernel`.
    """
    quick_import("jupyter_client")
    from jupyter_core.utils import run_sync

    # CurveZMQ on the kernel's local sockets when the kernel supports it (ipykernel does): no other local
    # process can read or drive the kernel, and the kernel does not warn on the operator's terminal.
    km = _kernel_manager_class()(kernel_name="python3", transport_encryption="auto")
    if nursery is not None and nursery.alive():
        km.nursery = nursery
    _kernel_dirs_without_ipython(km)
    run_sync(km.start_kernel)(cwd=str(cwd), extra_arguments=list(KERNEL_ARGS))
    return km


def _kernel_dirs_without_ipython(km) -> list[str]:
    """The kernel spec search path, found without importing IPython into this process.

    jupyter_client appends IPython's legacy `~/.ipython/kernels` to Jupyter's own kernel folders, and imports
    IPython to find it: about 0.1 s of CPU in a process that never uses IPython. Without it "python3" is still
    found in Jupyter's folders, or is ipykernel's native spec (this interpreter) — as it would be anyway unless
    a stray spec in that legacy folder replaced it.
    """
    if "IPython" in sys.modules:
        return km.kernel_spec_manager.kernel_dirs
    sys.modules["IPython"] = None  # jupyter_client catches the ModuleNotFoundError and leaves the folder out
    try:
        return km.kernel_spec_manager.kernel_dirs  # computed once, kept by the manager
    finally:
        if sys.modules.get("IPython", 0) is None:
            del sys.modules["IPython"]


def stop_kernel(km) -> None:
    """Kill a record's kernel (its work is done or abandoned), close the channels, remove its files."""
    if km is None or km.__dict__.get("stopped"):
        return
    km.__dict__["stopped"] = True
    from jupyter_core.utils import run_sync

    async def stop() -> None:
        try:
            if km.has_kernel:
                await km.provisioner.kill()
                # Wait for the killed process itself: the provisioner's wait polls every 0.1 s.
                process = km.provisioner.process
                if process is not None:
                    try:
                        process.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        pass
                await km.provisioner.wait()
        finally:
            for kc in km.__dict__.get("made", ()):
                kc.stop_channels()
            await km.cleanup_resources()

    try:
        run_sync(stop)()
    except Exception:  # noqa: BLE001 - stopping must never hide the record's own outcome
        pass


def execute(nb: nbformat.NotebookNode, params: Mapping[str, object], cwd: Path, km=None) -> nbformat.NotebookNode:
    """Execute the notebook in `cwd` with a real python3 kernel; a failing cell becomes a RecordError.

    `km`: a kernel already started in `cwd` by `start_kernel` (the caller stops it); by default
    papermill starts one and shuts it down.
    """
    papermill = quick_import("papermill")
    from papermill.exceptions import PapermillExecutionError

    prepared = with_parameters(nb, params)
    extra = {"km": km} if km is not None else {"extra_arguments": list(KERNEL_ARGS)}
    try:
        return papermill.execute_notebook(
            prepared, None, kernel_name="python3", progress_bar=False, cwd=str(cwd), log_output=False, **extra,
        )
    except PapermillExecutionError as exc:
        raise RecordError(f"笔记本第 {exc.exec_count} 个代码单元执行失败：{exc.ename}: {exc.evalue}") from exc


# ---------------------------------------------------------------- the kernel nursery

def notebook_imports(path: Path) -> tuple[str, ...]:
    """The modules the code cells of a notebook import (`from a import b` gives a and a.b)."""
    names: list[str] = []
    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return ()
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        try:
            tree = ast.parse("".join(source) if isinstance(source, list) else str(source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names.extend(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
                names.extend(f"{node.module}.{a.name}" for a in node.names)
    return tuple(dict.fromkeys(names))


# Modules a record's kernel loads once it runs that neither `from ipykernel import kernelapp` nor the notebook's
# import lines load: ipykernel's start-up (psutil, IPython's inspector, debugger and completer helpers, the
# storemagic extension, tornado's queues) and what the cells import on first use (segno for the QR code and
# what its writers import, importlib.metadata's e-mail parser). A nursery and an early kernel import them
# beforehand, with the rest: about 0.05 s of CPU less after a kernel is asked for.
KERNEL_PRELOAD = ("psutil", "faulthandler", "IPython.core.completerlib", "IPython.core.oinspect",
                  "IPython.core.debugger", "IPython.extensions.storemagic", "tornado.gen", "tornado.locks",
                  "tornado.queues", "tornado.platform.asyncio", "segno", "segno.writers", "email.parser")


def _preload(notebook: Path) -> None:
    """Import the notebook's modules and KERNEL_PRELOAD (names that are not modules are skipped)."""
    for name in (*notebook_imports(notebook), *KERNEL_PRELOAD):
        try:
            quick_import(name)
        except Exception:  # noqa: BLE001 - `from a import function` names no module; the kernel imports for real
            pass


class NurseryError(RecordError):
    """The nursery cannot fork a kernel (it died, or it is not supported here)."""


def nursery_supported() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork") and hasattr(os, "pidfd_open")


@dataclass(frozen=True)
class Prime:
    """The inputs every record of a batch reads: a nursery reads them once, its kernels reuse that reading."""

    workbooks: tuple[Path, ...]
    detachment: Path  # the detachment file (parameters)
    on: dt.date  # the inspection date

    def plain(self) -> dict[str, Any]:
        return {"workbooks": [str(Path(p).resolve()) for p in self.workbooks],
                "detachment": str(Path(self.detachment).resolve()), "on": self.on.isoformat()}


def _prime(plain: Mapping[str, Any] | None) -> None:
    """Before any kernel: read the workbooks once (dsr.inputs.primed); never fails.

    `plain` is Prime.plain(), or for a lone record's EarlyKernel the same with `frozen` (the committed
    frozen inputs, whose inspection date the notebook uses) instead of `on`.
    """
    if not plain:
        return
    try:
        from dsr.inputs import load_detachment, primed

        if "on" in plain:
            on = dt.date.fromisoformat(plain["on"])
        else:
            frozen = json.loads(Path(plain["frozen"]).read_text(encoding="utf-8"))
            on = dt.date.fromisoformat(frozen["scope"]["inspection_date"])
        primed.prime(plain["workbooks"], load_detachment(plain["detachment"]), on)
    except Exception:  # noqa: BLE001, S110 - a kernel then reads the workbooks itself, and reports any problem
        pass


class KernelNursery:
    """A parked interpreter that has imported ipykernel and the notebook's modules, and nothing else.

    For each record it forks one new kernel process, which then initialises the IPython kernel
    exactly as `python -m ipykernel_launcher -f CONNECTION_FILE` would, in the record's folder.
    The kernel is a fresh process with an empty namespace that has run no record's code: what is
    saved is the interpreter start-up and the imports (about 1 s of CPU per record). The nursery
    runs no user code, holds no thread when it forks, and dies with the process that started it
    (Linux PR_SET_PDEATHSIG); each kernel dies with the nursery. Linux only: elsewhere, and whenever
    the nursery is gone, kernels start the ordinary way.
    """

    TIMEOUT = 60.0  # seconds to wait for a forked kernel's pid

    def __init__(self, notebook: Path | None = None, prime: Prime | None = None):
        """`prime`: workbooks the nursery reads once before its first kernel (see dsr.inputs.primed)."""
        if not nursery_supported():
            raise NurseryError("此系统不支持预加载内核")
        self._lock = threading.Lock()
        reply_r, reply_w = os.pipe()
        primed = json.dumps(prime.plain() if prime is not None else None, ensure_ascii=False)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", "from dsr.record.notebook import _nursery_main; _nursery_main()",
                 str(os.getpid()), str(reply_w), str(notebook or DEFAULT_NOTEBOOK), primed],
                stdin=subprocess.PIPE, pass_fds=(reply_w,), close_fds=True,
            )
        finally:
            os.close(reply_w)
        self._reply = os.fdopen(reply_r, "r", encoding="utf-8")

    def alive(self) -> bool:
        return self._proc.poll() is None

    @staticmethod
    def can_launch(kernel_cmd: Sequence[str]) -> bool:
        """Only the standard ipykernel command line is forked; anything else starts normally."""
        return list(kernel_cmd[1:3]) == ["-m", "ipykernel_launcher"]

    def launch(self, kernel_cmd: Sequence[str], cwd: str | None, env: Mapping[str, str] | None) -> ForkedKernel:
        """Fork one kernel with this command line's arguments, in `cwd`, with `env`."""
        # As jupyter_client's launcher does: the kernel knows the process that manages it (this one).
        env = {**(env or os.environ), "JPY_PARENT_PID": str(os.getpid())}
        argv = [*kernel_cmd[3:], f"--IPKernelApp.parent_handle={os.getpid()}"]
        request = {"argv": argv, "cwd": cwd or os.getcwd(), "env": env}
        with self._lock:
            try:
                line = self._ask((json.dumps(request) + "\n").encode("utf-8"))
            except (OSError, ValueError) as exc:
                raise NurseryError(f"预加载内核进程不可用：{exc}") from exc
        answer = json.loads(line) if line else {"error": "预加载内核进程已退出"}
        if "pid" not in answer:
            raise NurseryError(answer.get("error", "预加载内核进程无应答"))
        return ForkedKernel(answer["pid"])

    def _ask(self, request: bytes) -> bytes:
        """Send one request line, return the answer line (b"" if the nursery has gone)."""
        self._proc.stdin.write(request)
        self._proc.stdin.flush()
        # the first answer waits for the nursery's imports; none should take a minute
        if not select.select([self._reply], [], [], self.TIMEOUT)[0]:
            self._proc.kill()
            raise NurseryError("预加载内核进程无应答")
        return self._reply.readline().encode("utf-8")

    def close(self) -> None:
        """End the nursery (kernels it forked die with it)."""
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reply.close()


class EarlyKernel:
    """A lone record's kernel process, started before the refusals so that its start-up overlaps them.

    At once it imports ipykernel and the modules the notebook imports (what a nursery's kernels inherit)
    and, given `prime`, reads the workbooks (dsr.inputs.primed; a lone record has no nursery to prime from),
    then waits. It becomes a kernel only when `launch` is called — by start_kernel's manager, once every
    refusal has passed and the record's folder exists: then it initialises the IPython kernel exactly as
    `python -m ipykernel_launcher ARGS` would, in that folder, with that environment (KERNEL_CODE: no
    debugger). Until then it runs no kernel and writes nothing; `close` ends it (a refusal). It is a child
    of this process in a session of its own, as jupyter_client starts a kernel, and it is the kernel itself
    (no fork): one process, one record. It dies with the thread that started it (Linux PR_SET_PDEATHSIG).
    """

    def __init__(self, notebook: Path | None = None, prime: Mapping[str, Any] | None = None):
        """`prime`: {"workbooks", "detachment", "frozen"} (paths) to read before the kernel is asked for."""
        if not nursery_supported():
            raise NurseryError("此系统不支持预先启动内核")
        self._launched = False
        primed = json.dumps(dict(prime) if prime else None, ensure_ascii=False)
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "from dsr.record.notebook import _early_main; _early_main()",
             str(os.getpid()), str(notebook or DEFAULT_NOTEBOOK), primed],
            stdin=subprocess.PIPE, close_fds=True, start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self._proc.pid

    def alive(self) -> bool:
        return not self._launched and self._proc.poll() is None

    @staticmethod
    def can_launch(kernel_cmd: Sequence[str]) -> bool:
        """Only the standard ipykernel command line of this interpreter becomes this process."""
        return KernelNursery.can_launch(kernel_cmd) and kernel_cmd[0] == sys.executable

    def launch(self, kernel_cmd: Sequence[str], cwd: str | None, env: Mapping[str, str] | None) -> subprocess.Popen:
        """Make this process the kernel of `kernel_cmd`'s arguments, in `cwd`, with `env`; its Popen handle."""
        if self._launched or self._proc.poll() is not None:
            raise NurseryError("预先启动的内核进程不可用")
        self._launched = True
        # As jupyter_client's launcher does: the kernel knows the process that manages it (this one, its parent).
        env = {**(env or os.environ), "JPY_PARENT_PID": str(os.getpid())}
        # ipykernel read JPY_PARENT_PID when the process imported it, before this environment: say it again.
        argv = [*kernel_cmd[3:], f"--IPKernelApp.parent_handle={os.getpid()}"]
        request = {"argv": argv, "cwd": cwd or os.getcwd(), "env": env}
        try:
            self._proc.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
            self._proc.stdin.close()  # as jupyter_client's launcher closes a kernel's stdin
        except (OSError, ValueError) as exc:
            self._proc.kill()
            self._proc.wait()
            raise NurseryError(f"预先启动的内核进程不可用：{exc}") from exc
        return self._proc

    def close(self) -> None:
        """End the process unless it became a kernel (its manager stops that); reap it either way."""
        if not self._launched:
            self._launched = True
            if self._proc.poll() is None:
                self._proc.kill()
            try:
                self._proc.stdin.close()
            except OSError:
                pass
            self._proc.wait()
        elif self._proc.poll() is None:
            # Launched: stop_kernel kills and reaps the kernel; only a kernel left running is killed here.
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except OSError:
                self._proc.kill()
            self._proc.wait()


class SharedNursery:
    """One kernel nursery for all the workers of a batch, started by the batch process itself.

    The same parked interpreter as KernelNursery's (ipykernel and the notebook's modules imported, the batch's
    workbooks primed), but asked over a Unix socket, so that every worker can have kernels forked from it: one
    nursery's start-up instead of one per worker, begun before the workers exist. The socket has a random name
    in Linux's abstract namespace (nothing on disk to leave behind when the batch is killed) and the nursery
    answers only processes of this user (SO_PEERCRED). It dies with the batch process; its kernels die with
    it. Workers connect with `NurseryClient`.
    """

    def __init__(self, notebook: Path | None = None, prime: Prime | None = None):
        if not nursery_supported():
            raise NurseryError("此系统不支持预加载内核")
        import secrets
        import socket

        self.path = "\0dsr-nursery-" + secrets.token_hex(16)  # abstract: no file, gone with its last descriptor
        primed = json.dumps(prime.plain() if prime is not None else None, ensure_ascii=False)
        # Bound and listening here, so a worker can connect at once; its request waits for the nursery's imports.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(self.path)
            listener.listen(64)
            self._proc = subprocess.Popen(
                [sys.executable, "-c", "from dsr.record.notebook import _nursery_main; _nursery_main()",
                 str(os.getpid()), "-1", str(notebook or DEFAULT_NOTEBOOK), primed, str(listener.fileno())],
                stdin=subprocess.DEVNULL, close_fds=True, pass_fds=(listener.fileno(),),
            )
        self.pid = self._proc.pid

    def alive(self) -> bool:
        return self._proc.poll() is None

    def close(self) -> None:
        """End the nursery at once (every record is finished or abandoned); its socket goes with it."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()


class NurseryClient:
    """A worker's connection to the batch's SharedNursery: what KernelNursery offers a record (`launch`)."""

    TIMEOUT = KernelNursery.TIMEOUT
    can_launch = staticmethod(KernelNursery.can_launch)

    def __init__(self, path: str, pid: int):
        import socket

        self._lock = threading.Lock()
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._sock.connect(path)
        except OSError as exc:
            raise NurseryError(f"预加载内核进程不可用：{exc}") from exc
        self._reader = self._sock.makefile("rb")

    def alive(self) -> bool:
        return self._pidfd is not None and not select.select([self._pidfd], [], [], 0)[0]

    launch = KernelNursery.launch  # the same request and answer, over the socket

    def _ask(self, request: bytes) -> bytes:
        """Send one request line, return the answer line (b"" if the nursery has gone)."""
        self._sock.sendall(request)
        # the first answer waits for the nursery's imports; none should take a minute
        if not select.select([self._sock], [], [], self.TIMEOUT)[0]:
            raise NurseryError("预加载内核进程无应答")
        return self._reader.readline()

    def close(self) -> None:
        """Disconnect (the batch process ends the nursery itself)."""
        for close in (self._reader.close, self._sock.close):
            try:
                close()
            except OSError:
                pass
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None


class ForkedKernel:
    """The Popen-like handle jupyter_client's provisioner needs, for a kernel forked by the nursery.

    The kernel is the nursery's child, not ours: its exit is observed through a pidfd (readable once
    it has ended, reaped or not; it also makes signals safe against pid reuse), and the nursery reaps
    it. The exit status is not known here (0).
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:
            self._fd, self.returncode = None, 0

    def poll(self) -> int | None:
        if self.returncode is None and self._fd is not None and select.select([self._fd], [], [], 0)[0]:
            self._done()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and self._fd is not None:
            if not select.select([self._fd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            self._done()
        return self.returncode if self.returncode is not None else 0

    def _done(self) -> None:
        self.returncode = 0
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def send_signal(self, signum: int) -> None:
        if self.poll() is None and self._fd is not None:
            try:
                signal.pidfd_send_signal(self._fd, signum)
            except ProcessLookupError:
                self._done()

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; exit now if it already has."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _nursery_main() -> None:
    """The nursery process: import, then fork one kernel per request line on stdin (pid on the reply fd)."""
    parent, reply_fd, notebook = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    prime = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
    listen = int(sys.argv[5]) if len(sys.argv) > 5 else None  # SharedNursery: its listening Unix socket's fd
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an operator's Ctrl-C is for the batch, not the nursery
    listener = None
    if listen is not None:
        import socket

        listener = socket.socket(fileno=listen)
    _load_kernel(notebook, prime)
    # Reap each kernel as it ends (waited for, so its CPU time is counted in this process's children).
    signal.signal(signal.SIGCHLD, _reap)
    if listener is not None:
        _serve(listener)  # never returns: the batch process kills the nursery when its records are done
    reply = os.fdopen(reply_fd, "w", encoding="utf-8")
    for line in sys.stdin.buffer:
        reply.write(json.dumps(_fork_kernel(json.loads(line), (reply_fd,))) + "\n")
        reply.flush()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    while True:  # stdin closed: wait for the kernels still running (their owner stops them)
        try:
            os.wait()
        except ChildProcessError:
            break


def _load_kernel(notebook: str, prime: Any) -> None:
    """What a nursery or an early kernel does before any request: load ipykernel (without its debugger) and the
    modules the notebook imports, read the workbooks (`prime`), and freeze all of it for the collector: it stays
    for the kernels' lives, so no kernel's collector walks it again (a full collection over it cost the
    notebook's cells about 0.05 s) and a forked kernel copies none of its pages."""
    if sys.path and sys.path[0] in ("", os.getcwd()):  # as ipykernel_launcher does
        del sys.path[0]
    sys.modules["debugpy"] = None  # no debugger in the kernels (see KERNEL_CODE)
    from ipykernel import debugger, kernelapp  # noqa: F401 - the point is to have them imported

    _preload(Path(notebook))
    _prime(prime)
    gc.freeze()


def _early_main() -> None:
    """EarlyKernel's process: import what a kernel and the notebook need, read the workbooks, then wait for the
    one request on stdin and become that kernel (EOF without a request: a refused record, exit)."""
    parent, notebook = int(sys.argv[1]), sys.argv[2]
    prime = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
    _die_with_parent(parent)
    _load_kernel(notebook, prime)
    line = sys.stdin.buffer.readline()
    if not line.strip():
        os._exit(0)
    _become_kernel(json.loads(line))  # the request pipe is done with: the kernel's stdin reads nothing


def _fork_kernel(request: Mapping[str, Any], close: Sequence[int]) -> dict[str, Any]:
    """Fork one kernel for `request` (the child closes the nursery's descriptors `close`); the answer to send."""
    if threading.active_count() != 1:
        return {"error": "预加载内核进程中有其他线程，不能分叉"}
    pid = os.fork()
    if pid == 0:
        _kernel_child(request, os.getppid(), close)
    return {"pid": pid}


def _serve(listener) -> None:
    """SharedNursery: answer each connected worker's request lines, one kernel each, until killed."""
    import socket
    import struct

    buffers: dict[Any, bytes] = {}
    me = os.getuid()
    while True:
        ready, _, _ = select.select([listener, *buffers], [], [])
        for conn in ready:
            if conn is listener:
                peer, _ = listener.accept()
                creds = peer.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
                if struct.unpack("3i", creds)[1] != me:  # only a process of this user may ask for a kernel
                    peer.close()
                else:
                    buffers[peer] = b""
                continue
            data = conn.recv(65536)
            if not data:
                conn.close()
                del buffers[conn]
                continue
            lines = (buffers[conn] + data).split(b"\n")
            buffers[conn] = lines.pop()
            for line in lines:
                try:
                    request = json.loads(line)
                    ok = isinstance(request, dict) and {"argv", "cwd", "env"} <= request.keys()
                except ValueError:
                    ok = False
                fds = (listener.fileno(), *(c.fileno() for c in buffers))
                answer = _fork_kernel(request, fds) if ok else {"error": "预加载内核进程收到无法识别的请求"}
                conn.sendall((json.dumps(answer) + "\n").encode("utf-8"))


def _reap(*_: object) -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _kernel_child(request: Mapping[str, Any], nursery: int, close: Sequence[int]) -> None:
    """In the forked child: become the kernel that `python -m ipykernel_launcher ARGV` would be."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()  # its own process group, as jupyter_client's launcher gives a kernel
        _die_with_parent(nursery)
        for fd in close:  # the nursery's reply pipe or its socket and connections: not the kernel's
            if fd >= 0:
                os.close(fd)
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        os._exit(1)
    _become_kernel(request)


def _become_kernel(request: Mapping[str, Any]) -> None:
    """Become the kernel that `python -m ipykernel_launcher ARGV` would be, in the request's folder and environment,
    with stdin reading nothing; never returns (the process exits with the kernel's code)."""
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [sys.executable, *request["argv"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=list(request["argv"]))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
