"""Record kernels: a kernel forked from a batch worker's nursery, or a lone record's kernel started before its
refusals, is a fresh process and gives the same record."""

from __future__ import annotations

import os
import select
import shutil
import signal
import time
from pathlib import Path

import pytest

from dsr.record import notebook as nbrun
from dsr.record.pipeline import make_record
from record_data import CLOCK, DAY, made_record, make_ceremony, params

pytestmark = pytest.mark.skipif(not nbrun.nursery_supported(), reason="the kernel nursery needs Linux")


def _run(km, code: str) -> dict:
    """Execute `code` in a started kernel; return the reply content and the text it printed."""
    from jupyter_client.blocking import BlockingKernelClient

    kc = BlockingKernelClient(connection_file=km.connection_file)
    kc.load_connection_file()
    # A heartbeat unanswered for 1 s (jupyter_client's default) counts as a dead kernel; on a loaded machine a
    # booting kernel answers later than that. These tests check deaths by process id, not by heartbeat.
    kc.hb_channel.time_to_dead = 30.0
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        printed: list[str] = []
        reply = kc.execute_interactive(code, timeout=60, output_hook=lambda m: printed.append(
            m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
        return {"status": reply["content"]["status"], "out": "".join(printed)}
    finally:
        kc.stop_channels()


def _gone(pid: int, timeout: float) -> bool:
    """Whether process `pid` ends within `timeout` seconds."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def _ordinary_kernel_runs(folder: Path, nursery) -> None:
    """A record asked of this nursery gets an ordinary kernel (started by jupyter_client), and it works."""
    km = nbrun.start_kernel(folder, nursery)
    try:
        assert km.provisioner.process.__class__.__name__ == "Popen"
        assert _run(km, "print(6 * 7)")["out"].strip() == "42"
    finally:
        nbrun.stop_kernel(km)


@pytest.fixture()
def nursery():
    n = nbrun.KernelNursery()
    yield n
    n.close()


def test_each_forked_kernel_is_a_new_process_with_an_empty_namespace(nursery, tmp_path: Path):
    """Two kernels from one nursery: different processes, the nursery's children, nothing carried over."""
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir()
    second_dir.mkdir()
    first = nbrun.start_kernel(first_dir, nursery)
    try:
        got = _run(first, "import os\nleft_behind = 42\nprint(os.getpid(), os.getppid(), os.getcwd())")
        pid, ppid, cwd = got["out"].split()
        assert got["status"] == "ok" and int(pid) == first.provisioner.pid and Path(cwd) == first_dir
        assert int(ppid) == nursery._proc.pid  # forked by the nursery, not started by this process
    finally:
        nbrun.stop_kernel(first)
    assert _gone(int(pid), 10)
    second = nbrun.start_kernel(second_dir, nursery)
    try:
        got = _run(second, "import os, sys\nprint(os.getpid(), 'left_behind' in dir(), len(In), os.getcwd())")
        pid2, leftover, history, cwd2 = got["out"].split()
        assert int(pid2) != int(pid) and leftover == "False" and history == "2" and Path(cwd2) == second_dir
    finally:
        nbrun.stop_kernel(second)


def test_a_kernel_dies_with_its_nursery(tmp_path: Path):
    """kill -9 of the nursery ends the kernels forked from it (nothing lives on writing files)."""
    n = nbrun.KernelNursery()
    km = nbrun.start_kernel(tmp_path, n)
    try:
        assert _run(km, "print('up')")["out"].strip() == "up"
        os.kill(n._proc.pid, signal.SIGKILL)
        assert _gone(km.provisioner.pid, 10)
        assert not n.alive() or n._proc.wait(5) is not None
        _ordinary_kernel_runs(tmp_path, n)  # a record asked of a dead nursery gets an ordinary kernel instead
    finally:
        nbrun.stop_kernel(km)
        n.close()


def test_a_stuck_nursery_is_given_up_and_the_kernel_starts_normally(tmp_path: Path, monkeypatch):
    """A nursery that does not answer is killed after its timeout; the record's kernel starts the ordinary way."""
    n = nbrun.KernelNursery()
    try:
        os.kill(n._proc.pid, signal.SIGSTOP)
        monkeypatch.setattr(nbrun.KernelNursery, "TIMEOUT", 1.0)
        _ordinary_kernel_runs(tmp_path, n)
        assert n._proc.wait(10) is not None and not n.alive()
    finally:
        n.close()


def test_stop_kernel_ends_the_kernel_at_once(nursery, tmp_path: Path):
    """The record's kernel is killed as soon as the notebook has run, and stopping twice is harmless."""
    km = nbrun.start_kernel(tmp_path, nursery)
    pid = km.provisioner.pid
    _run(km, "x = 1")
    start = time.monotonic()
    nbrun.stop_kernel(km)
    nbrun.stop_kernel(km)
    assert _gone(pid, 5) and time.monotonic() - start < 5
    assert not Path(km.connection_file).exists()


def _probe_in(folder: Path, code: str, source) -> dict:
    """Run a probe in a kernel started from `source` (a nursery or an early kernel); stop both, return the reply."""
    km = nbrun.start_kernel(folder, source)
    try:
        return _run(km, code)
    finally:
        nbrun.stop_kernel(km)
        source.close()


def _primed_probe(tmp_path: Path, c, then: str) -> tuple[Path, str]:
    """A kernel folder holding copies of the ceremony's workbooks, and code that reads them in the kernel, prints
    whether that reading is the primed one and equals a fresh one (and how many readings are kept), appends a
    byte to the first copy, then runs `then`."""
    folder = tmp_path / "k"
    (folder / "inputs").mkdir(parents=True)
    books = [f"inputs/{shutil.copy(b, folder / 'inputs' / b.name) and b.name}" for b in c.workbooks]
    code = f"""
import datetime as dt
from dsr.inputs import load_detachment, primed
from dsr.inputs.reader import _read_all, read_inputs
d, day, books = load_detachment({str(c.detachment)!r}), dt.date.fromisoformat({DAY.isoformat()!r}), {books!r}
got = read_inputs(books, d, day)
print(got is primed.recall(books, d, day), got == _read_all(books, d, day, None), len(primed._READINGS))
with open(books[0], "ab") as f:
    f.write(b"\\n")
"""
    return folder, code + then


def test_a_primed_nursery_s_kernels_reuse_its_reading_of_the_same_bytes(tmp_path: Path):
    """A nursery primed with the batch's workbooks: a kernel reading copies of them gets that reading (equal to a
    fresh one); a copy with one byte more is read again (its new hash in the sources)."""
    c = make_ceremony(tmp_path / "c")
    n = nbrun.KernelNursery(prime=nbrun.Prime(c.workbooks, c.detachment, DAY))
    folder, code = _primed_probe(tmp_path, c, """
again = read_inputs(books, d, day)
print(primed.recall(books, d, day) is None, again.sources[0].sha256 != got.sources[0].sha256)
""")
    got = _probe_in(folder, code, n)
    assert got["status"] == "ok" and got["out"].split() == ["True", "True", "1", "True", "True"], got


@pytest.mark.slow
def test_record_from_a_forked_kernel_is_byte_identical_to_one_from_a_fresh_kernel(tmp_path_factory, nursery):
    """The batch's nursery kernels make exactly the record an ordinary fresh kernel makes, primed or not."""
    ceremony, fresh = made_record(tmp_path_factory)
    forked = make_record(params(ceremony), tmp_path_factory.mktemp("forked") / "out", CLOCK, nursery=nursery)
    assert forked.record.read_bytes() == fresh.record.read_bytes()
    assert forked.html.read_bytes() == fresh.html.read_bytes()
    primed = nbrun.KernelNursery(prime=nbrun.Prime(ceremony.workbooks, ceremony.detachment, DAY))
    try:
        again = make_record(params(ceremony), tmp_path_factory.mktemp("primed") / "out", CLOCK, nursery=primed)
    finally:
        primed.close()
    assert again.record.read_bytes() == fresh.record.read_bytes()
    assert again.html.read_bytes() == fresh.html.read_bytes()


def test_notebook_imports_lists_the_modules_the_record_notebook_imports():
    names = nbrun.notebook_imports(nbrun.DEFAULT_NOTEBOOK)
    assert "dsr.core.draw" in names and "dsr.inputs.reader" in names
    assert nbrun.notebook_imports(Path("no-such.ipynb")) == ()


@pytest.mark.parametrize("kind", ["nursery", "ordinary", "early"])
def test_a_record_kernel_runs_without_the_debugger(kind: str, tmp_path: Path):
    """No kernel loads debugpy nor starts ipykernel's debugger (no debug socket, less start-up)."""
    n = {"nursery": nbrun.KernelNursery, "ordinary": lambda: None, "early": nbrun.EarlyKernel}[kind]()
    km = nbrun.start_kernel(tmp_path, n)
    try:
        got = _run(km, "import sys, os\nfrom ipykernel import debugger\n"
                       "print(sys.modules.get('debugpy', 'absent'), debugger._is_debugpy_available, os.getppid())")
        loaded, available, ppid = got["out"].split()
        assert got["status"] == "ok" and (loaded, available) == ("None", "False")
        assert (int(ppid) == n._proc.pid) if kind == "nursery" else (int(ppid) == os.getpid())
    finally:
        nbrun.stop_kernel(km)
        if n is not None:
            n.close()


def test_only_the_standard_launcher_is_rewritten():
    cmd = ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "conn.json", "--HistoryManager.enabled=False"]
    got = nbrun.without_debugger(cmd)
    assert got[:2] == ["/usr/bin/python3", "-c"] and got[3:] == cmd[3:] and 'sys.modules["debugpy"] = None' in got[2]
    other = ["/opt/kernel", "--port", "1"]
    assert nbrun.without_debugger(other) == other


def test_one_shared_nursery_forks_kernels_for_several_workers(tmp_path: Path):
    """The batch's SharedNursery: two clients (as two workers) each get a new kernel forked from it; once it is
    closed its kernels are gone and a client's next record starts an ordinary kernel."""
    shared = nbrun.SharedNursery()
    clients = [nbrun.NurseryClient(shared.path, shared.pid) for _ in range(2)]
    kernels = []
    try:
        for i, client in enumerate(clients):
            folder = tmp_path / f"w{i}"
            folder.mkdir()
            km = nbrun.start_kernel(folder, client)
            kernels.append(km)
            got = _run(km, "import os\nprint(os.getppid(), os.getcwd())")
            ppid, cwd = got["out"].split()
            assert got["status"] == "ok" and int(ppid) == shared.pid and Path(cwd) == folder
        assert kernels[0].provisioner.pid != kernels[1].provisioner.pid
        pids = [km.provisioner.pid for km in kernels]
        shared.close()
        assert all(_gone(pid, 10) for pid in pids)
        assert not clients[0].alive()
        _ordinary_kernel_runs(tmp_path, clients[0])
    finally:
        for km in kernels:
            nbrun.stop_kernel(km)
        for client in clients:
            client.close()
        shared.close()
    assert shared.path.startswith("\0")  # an abstract socket: nothing on disk to remove or leave behind


def test_a_shared_nursery_answers_only_its_own_protocol_and_survives_a_broken_client(tmp_path: Path):
    """A client that sends a wrong request, or half a line and leaves, does not stop the nursery serving the others."""
    import socket

    shared = nbrun.SharedNursery()
    try:
        stray = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stray.connect(shared.path)
        stray.sendall(b'["not", "a request"]\n')
        assert b"error" in stray.recv(4096)
        stray.sendall(b'{"argv": [')
        stray.close()
        client = nbrun.NurseryClient(shared.path, shared.pid)
        try:
            km = nbrun.start_kernel(tmp_path, client)
            try:
                got = _run(km, "import os\nprint(os.getppid())")
                assert int(got["out"]) == shared.pid
            finally:
                nbrun.stop_kernel(km)
        finally:
            client.close()
        assert shared.alive()
    finally:
        shared.close()


# ---------------------------------------------------------------- a lone record's early kernel


def test_an_early_kernel_becomes_this_process_s_kernel_in_the_record_folder(tmp_path: Path):
    """The process started before the refusals becomes the kernel only when asked: a child of this process, in the
    folder asked for, with an empty namespace, ipykernel told who its parent is, nothing imported from the folder."""
    code = ("import os, sys\nprint(os.getppid(), os.getcwd(), len(In), ','.join(sorted(dir())), "
            "sys.path[0] in ('', os.getcwd()), get_ipython().kernel.parent.parent_handle, "
            "os.environ['JPY_PARENT_PID'])")
    ordinary = nbrun.start_kernel(tmp_path, None)
    try:
        usual_names = _run(ordinary, code)["out"].split()[3]
    finally:
        nbrun.stop_kernel(ordinary)
    early = nbrun.EarlyKernel()
    try:
        assert early.alive() and _gone(early.pid, 0.5) is False  # parked: importing, then waiting
        km = nbrun.start_kernel(tmp_path, early)
        try:
            assert km.provisioner.pid == early.pid and not early.alive()  # the same process, now the kernel
            got = _run(km, code)
            ppid, cwd, history, names, cwd_on_path, handle, env_parent = got["out"].split()
            assert got["status"] == "ok" and int(ppid) == os.getpid() and Path(cwd) == tmp_path
            assert history == "2" and names == usual_names and "get_ipython" in names and cwd_on_path == "False"
            assert int(handle) == int(env_parent) == os.getpid()
        finally:
            nbrun.stop_kernel(km)
        assert _gone(early.pid, 5) and not Path(km.connection_file).exists()
    finally:
        early.close()
    with pytest.raises(nbrun.NurseryError):  # one process, one kernel
        early.launch(["python", "-m", "ipykernel_launcher"], str(tmp_path), None)


def test_an_early_kernel_that_is_never_asked_for_ends_with_close(tmp_path: Path):
    """A refusal: the parked process ends at close, having written nothing (it never became a kernel)."""
    early = nbrun.EarlyKernel()
    pid = early.pid
    early.close()
    assert _gone(pid, 5) and early._proc.returncode is not None
    early.close()  # twice is harmless
    assert not early.alive() and not early.can_launch(["/other/python", "-m", "ipykernel_launcher"])


def test_a_refused_record_ends_its_early_kernel(tmp_path: Path, monkeypatch):
    """make_record starts the kernel's process before its refusals; a refusal ends it before make_record returns."""
    from dsr.errors import SigningKeyError

    started: list[nbrun.EarlyKernel] = []

    class Recorded(nbrun.EarlyKernel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(nbrun, "EarlyKernel", Recorded)
    c = make_ceremony(tmp_path / "c")
    with pytest.raises(SigningKeyError):
        make_record(params(c, passphrase="错误口令"), tmp_path / "out", CLOCK)
    assert len(started) == 1 and _gone(started[0].pid, 1) and not (tmp_path / "out").exists()


def test_an_early_kernel_reads_the_workbooks_before_it_is_asked_for(tmp_path: Path):
    """Primed with the record's workbooks, detachment and committed frozen inputs (for the date), the kernel gets
    that reading for copies of the same bytes, equal to a fresh one; a changed byte is read again. What it loaded
    and read beforehand is frozen for the collector."""
    import json

    c = make_ceremony(tmp_path / "c")
    frozen = tmp_path / "frozen.json"
    frozen.write_text(json.dumps({"scope": {"inspection_date": DAY.isoformat()}}), encoding="utf-8")
    early = nbrun.EarlyKernel(prime={"workbooks": [str(b) for b in c.workbooks], "detachment": str(c.detachment),
                                     "frozen": str(frozen)})
    folder, code = _primed_probe(tmp_path, c, """
print(primed.recall(books, d, day) is None)
import gc
print(gc.get_freeze_count() > 0)  # what was loaded and read before the kernel was asked for: not walked again
""")
    got = _probe_in(folder, code, early)
    assert got["status"] == "ok" and got["out"].split() == ["True", "True", "1", "True", "True"], got


def test_the_record_kernel_client_is_ready_without_waiting_for_a_silent_iopub(tmp_path: Path):
    """Ready once IOPub carried the kernel_info request's idle status: jupyter_client's own wait then read IOPub
    until it had been silent for 0.2 s (an empty read), every time."""
    from queue import Empty

    from jupyter_core.utils import run_sync

    km = nbrun.start_kernel(tmp_path, None)
    kc = km.client()
    try:
        kc.start_channels()
        run_sync(kc.wait_for_ready)(timeout=60)  # the first: the kernel boots, IOPub connects
        empty_reads = []
        original = kc.iopub_channel.get_msg

        async def counted(*args, **kwargs):
            try:
                return await original(*args, **kwargs)
            except Empty:
                empty_reads.append(kwargs.get("timeout"))
                raise

        kc.iopub_channel.get_msg = counted
        for _ in range(3):
            run_sync(kc.wait_for_ready)(timeout=60)
        assert empty_reads == []
    finally:
        kc.stop_channels()
        nbrun.stop_kernel(km)


def test_the_record_kernel_client_is_ready_when_an_older_reply_s_status_was_missed(tmp_path: Path):
    """The reply read may be to an earlier kernel_info request whose IOPub status went by unread (published before
    IOPub connected): the status of the request just sent counts too, so the wait ends instead of asking again
    and again, always one reply behind."""
    from jupyter_core.utils import run_sync

    km = nbrun.start_kernel(tmp_path, None)
    kc = km.client()
    try:
        kc.start_channels()
        run_sync(kc.wait_for_ready)(timeout=60)
        missed = kc.kernel_info()  # its reply stays on the shell channel; its statuses are read off IOPub here

        async def read_its_statuses() -> None:
            while True:
                msg = await kc.iopub_channel.get_msg(timeout=30)
                if msg["parent_header"].get("msg_id") == missed and msg["content"].get("execution_state") == "idle":
                    return

        run_sync(read_its_statuses)()
        start = time.monotonic()
        run_sync(kc.wait_for_ready)(timeout=10)
        assert time.monotonic() - start < 10
    finally:
        kc.stop_channels()
        nbrun.stop_kernel(km)


@pytest.mark.slow
def test_record_from_an_early_kernel_is_byte_identical_to_one_from_an_ordinary_kernel(tmp_path_factory):
    """make_record's default (the kernel's process started before the refusals, the workbooks primed) makes exactly
    the record an ordinary kernel started after them makes."""
    ceremony, early = made_record(tmp_path_factory)
    ordinary = make_record(params(ceremony), tmp_path_factory.mktemp("ordinary") / "out", CLOCK, early_kernel=False)
    assert ordinary.record.read_bytes() == early.record.read_bytes()
    assert ordinary.html.read_bytes() == early.html.read_bytes()


def test_starting_a_kernel_does_not_import_ipython_here(tmp_path: Path):
    """In a fresh interpreter: jupyter_client finds the python3 kernel spec without importing IPython into the
    managing process (it did, only to add ~/.ipython/kernels to its search path); the kernel still runs."""
    import json
    import subprocess
    import sys

    code = f"""
import json, sys
from pathlib import Path
from dsr.record import notebook as nbrun
km = nbrun.start_kernel(Path({str(tmp_path)!r}), None)
try:
    print(json.dumps(["IPython" in sys.modules, km.format_kernel_cmd()[0] == sys.executable, km.has_kernel]))
finally:
    nbrun.stop_kernel(km)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [False, True, True], done.stderr
