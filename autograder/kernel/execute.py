"""Run code in a student kernel, one step at a time, surviving whatever the step does.

Each step has a wall-clock timeout; a step that overruns is interrupted, and if the
kernel does not come back it is killed. A dead kernel (``os._exit``, ``exit()``, a limit
hit, a kill) is restarted and the steps that ran before are replayed silently, so one
bad cell costs only its own points. Outputs are bounded per step and per notebook, and
only inert kinds are kept (text, tracebacks, checked PNGs): a student's HTML or
JavaScript never reaches a feedback page, and a flood never reaches the grader's memory.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass, field
from queue import Empty

import zmq
from jupyter_client import BlockingKernelClient
from zmq.utils.monitor import recv_monitor_message

from ..sandbox import Kernel

# ZeroMQ drops the connection on a bigger message (and does not reconnect by itself); with
# the receive queue's length this bounds what one kernel can make the grader hold.
MAX_MESSAGE_BYTES = 8 * 2**20
MAX_QUEUED_MESSAGES = 32
STEP_CHARS = 20_000
TOTAL_CHARS = 400_000
KERNEL_OUTPUT_CHARS = 4 * STEP_CHARS  # per cell and stream, cut in the kernel (bound_output)
MAX_PNG_BYTES = 2 * 2**20
STARTUP_TIMEOUT = 60
INTERRUPT_GRACE = 3.0
IOPUB_GRACE = 1.0  # how long outputs may trail the execute reply
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class StepResult:
    status: str  # "ok", "error", "timeout", "died", "skipped"
    outputs: list[dict] = field(default_factory=list)  # nbformat outputs, inert kinds only
    reason: str = ""  # for error: "NameError: ..."; otherwise what happened
    truncated: bool = False
    asked_exit: bool = False

    @property
    def ran(self) -> bool:
        return self.status in ("ok", "error")


class Runner:
    """A kernel plus the history needed to rebuild its state after a crash."""

    def __init__(self, make_kernel, timeout: float, wall_clock: float | None = None,
                 max_restarts: int = 3):
        self.make_kernel, self.timeout, self.max_restarts = make_kernel, timeout, max_restarts
        # The whole submission's limit: restarts, replays and hidden checks included. Once
        # it has passed, every later step is skipped and the submission keeps what finished.
        self.wall_clock = wall_clock
        self.deadline = time.monotonic() + wall_clock if wall_clock else float("inf")
        self.kernel: Kernel | None = None
        self.client: BlockingKernelClient | None = None
        self.history: list[str] = []  # steps to replay on a new kernel
        self.restarts = 0
        self.chars = 0
        self.context = zmq.Context()
        self.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.context.setsockopt(zmq.RCVHWM, MAX_QUEUED_MESSAGES)
        self.context.setsockopt(zmq.LINGER, 0)
        self.monitor: zmq.Socket | None = None  # disconnects of the iopub socket
        self.lost: str = ""  # set when the kernel cannot be brought back

    def run(self, code: str, replay: bool = True) -> StepResult:
        """Execute ``code``; ``replay`` steps are re-run if the kernel has to be restarted."""
        if self._out_of_time():
            return StepResult("skipped", reason=self.lost)
        if self.client is None and not self._revive():
            return StepResult("skipped", reason=self.lost)
        result = self._execute(code, capture=True)
        if result.ran and replay:
            self.history.append(code)
        return result

    def _remaining(self) -> float:
        """Seconds left of the submission's wall clock (inf without one)."""
        return self.deadline - time.monotonic()

    def _out_of_time(self) -> bool:
        """Whether the wall clock has run out; the first time, the kernel is closed."""
        if self._remaining() > 0:
            return False
        if not self.lost:
            self.lost = (f"not run: the submission's time limit ({self.wall_clock:g} s) "
                         "ran out")
            self.close()
        return True

    def _revive(self) -> bool:
        if self.lost:
            return False
        if self.kernel is not None:  # a restart, not the first start
            if self.restarts >= self.max_restarts:
                self.lost = f"not run: the kernel died {self.restarts + 1} times"
                return False
            self.restarts += 1
        for attempt in range(2):  # one retry: a start can fail on a briefly overloaded host
            try:
                self._start()
                break
            except Exception as error:  # noqa: BLE001 - a kernel that will not start
                if attempt:
                    self.lost = f"not run: the kernel did not start ({error})"
                    return False
        for code in self.history:
            if not self._execute(code, capture=False).ran:
                self.lost = "not run: the kernel died again while re-running earlier cells"
                self.close()
                return False
        return True

    def _start(self) -> None:
        self.kernel = self.make_kernel()
        self.kernel.start()
        client = BlockingKernelClient(context=self.context)
        client.load_connection_info(self.kernel.connection_info())
        # No heartbeat channel: under load it reports a slow-starting kernel as dead. The
        # kernel's process tells us whether it is alive.
        client.start_channels(hb=False)
        self._watch_iopub(client)
        try:
            client.wait_for_ready(timeout=STARTUP_TIMEOUT)
        except RuntimeError as error:
            client.stop_channels()
            self.kernel.kill()
            raise RuntimeError(f"{error}; {self.kernel.log_tail()}") from None
        self.client = client

    def _execute(self, code: str, capture: bool) -> StepResult:
        client = self.client
        self._iopub_dropped()  # a message refused after the last step ended: reconnect first
        msg_id = client.execute(code, store_history=False, allow_stdin=False,
                                stop_on_error=False)
        result = StepResult("ok")
        deadline = min(time.monotonic() + self.timeout, self.deadline)
        interrupted_at = None
        replied = None
        while True:
            now = time.monotonic()
            if interrupted_at is None and now > deadline:
                self.kernel.interrupt()
                interrupted_at = now
            if interrupted_at is not None and now > interrupted_at + INTERRUPT_GRACE:
                self.close()
                return StepResult("timeout", result.outputs, f"{self._limit()}; the kernel "
                                  "had to be restarted")
            if not self.kernel.alive():
                reason = self.kernel.exit_reason()
                self.close()
                return StepResult("died", result.outputs, reason)
            if self._iopub_dropped():
                self._lost_output(result)
            if replied is None:
                replied = self._reply(msg_id, result)
            elif now > replied + IOPUB_GRACE:
                break  # the reply came but iopub is still busy (a flood) or went quiet
            try:
                msg = client.get_iopub_msg(timeout=0.05)
            except Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                break
            if kind == "error":
                result.status = "error"
                result.reason = f"{content.get('ename')}: {content.get('evalue')}"[:500]
            if capture:
                self._collect(result, kind, content)
        if interrupted_at is not None:
            return StepResult("timeout", result.outputs, f"{self._limit()} and was interrupted")
        reply_deadline = time.monotonic() + IOPUB_GRACE
        while replied is None and time.monotonic() < reply_deadline and self.kernel.alive():
            replied = self._reply(msg_id, result)  # idle came first; the reply is due
            time.sleep(0.005 if replied is None else 0)
        if result.asked_exit:  # restart now, and never replay this cell
            self.close()
            return StepResult("died", result.outputs, "the cell stopped the kernel (exit() or "
                              "quit()); it was restarted without this cell")
        return result

    def _limit(self) -> str:
        """Which limit a step that overran hit."""
        if self._remaining() <= 0:
            return f"ran out of the submission's time limit ({self.wall_clock:g} s)"
        return f"timed out after {self.timeout:g} s"

    def _reply(self, msg_id: str, result: StepResult) -> float | None:
        """When the execute reply arrived (None: not yet); its error counts even if the
        matching iopub message was lost."""
        try:
            reply = self.client.get_shell_msg(timeout=0)
        except Empty:
            return None
        if reply["parent_header"].get("msg_id") != msg_id:
            return None
        content = reply["content"]
        payload = content.get("payload")
        if isinstance(payload, list) and any(isinstance(p, dict) and p.get("source") ==
                                             "ask_exit" for p in payload):
            result.asked_exit = True  # ipykernel stops its own loop 0.1 s after exit()
        if content.get("status") != "ok" and result.status == "ok":
            result.status = "error"
            result.reason = f"{content.get('ename')}: {content.get('evalue')}"[:500]
        return time.monotonic()

    def _watch_iopub(self, client: BlockingKernelClient) -> None:
        self.monitor = client.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)

    def _iopub_dropped(self) -> bool:
        """Whether ZeroMQ cut the output channel (a message over MAX_MESSAGE_BYTES); if so,
        connect a fresh one. The kernel bounds its own output (see ``bound_output.py``), so
        only a kernel whose student code undid that gets here: it loses its output, which
        its feedback says, and nothing else."""
        try:
            recv_monitor_message(self.monitor, zmq.NOBLOCK)
        except zmq.Again:
            return False
        channel = self.client.iopub_channel
        channel.socket.disable_monitor()
        self.monitor.close(linger=0)
        channel.socket.close(linger=0)
        channel.socket = self.client.connect_iopub()
        self._watch_iopub(self.client)
        # Until the kernel has seen the new subscription, it publishes to no one: wait for
        # its welcome (JEP 65), so that the next cell's output is not lost too.
        deadline = time.monotonic() + IOPUB_GRACE * 3
        while time.monotonic() < deadline:
            try:
                if self.client.get_iopub_msg(timeout=0.05)["msg_type"] == "iopub_welcome":
                    break
            except Empty:
                pass
        return True

    def _lost_output(self, result: StepResult) -> None:
        result.truncated = True
        result.outputs.append({"output_type": "stream", "name": "stderr", "text": (
            f"\n[output lost: the kernel sent a message over {MAX_MESSAGE_BYTES // 2**20} MiB, "
            "which the grader refused]\n")})

    def _collect(self, result: StepResult, kind: str, content: dict) -> None:
        """Keep a bounded, inert copy of one output message."""
        if kind == "clear_output":
            result.outputs.clear()
            return
        if kind == "stream":
            text = str(content.get("text", ""))
            output = {"output_type": "stream", "name": "stderr" if content.get("name") ==
                      "stderr" else "stdout", "text": text}
        elif kind == "error":
            text = "\n".join(str(line) for line in content.get("traceback", []))
            output = {"output_type": "error", "ename": str(content.get("ename"))[:200],
                      "evalue": str(content.get("evalue"))[:2000], "traceback": [text]}
        elif kind in ("execute_result", "display_data"):
            data = content.get("data") if isinstance(content.get("data"), dict) else {}
            png = _checked_png(data.get("image/png"))
            text = str(data.get("text/plain", ""))
            kept = {"image/png": png} if png else {"text/plain": text}
            output = {"output_type": "display_data", "data": kept, "metadata": {}}
            text = text if not png else " " * (len(png) // 100)
        else:
            return
        used = sum(_size(o) for o in result.outputs)
        room = min(STEP_CHARS - used, TOTAL_CHARS - self.chars)
        if len(text) > room:
            if result.truncated:
                return
            result.truncated = True
            kept = text[:max(room, 0)] if output["output_type"] == "stream" else ""
            output = {"output_type": "stream", "name": output.get("name", "stderr"),
                      "text": f"{kept}\n[output truncated by the grader]\n"}
            text = output["text"]
        self.chars += len(text)
        result.outputs.append(output)

    def close(self) -> None:
        if self.monitor is not None:
            self.monitor.close(linger=0)
            self.monitor = None
        if self.client is not None:
            self.client.stop_channels()
            self.client = None
        if self.kernel is not None:
            self.kernel.kill()

    def shutdown(self) -> None:
        self.close()
        self.context.term()


def _size(output: dict) -> int:
    if output["output_type"] in ("stream",):
        return len(output["text"])
    if output["output_type"] == "error":
        return len(output["traceback"][0])
    data = output["data"]
    return len(data.get("text/plain", "")) + len(data.get("image/png", "")) // 100


def _checked_png(value) -> str | None:
    """Base64 PNG data re-encoded from its bytes, or None: no markup can ride along."""
    if not isinstance(value, str) or len(value) > MAX_PNG_BYTES * 4 // 3 + 4:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return base64.b64encode(raw).decode() if raw.startswith(PNG_MAGIC) else None
