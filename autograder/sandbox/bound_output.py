"""Run by every graded kernel at start (an IPython startup file): bound what a cell prints.

ipykernel sends a stream's buffered text as *one* message every 0.2 s. A cell that prints
tens of MB within that time (or while a loaded machine starves ipykernel's output thread)
makes a message larger than ZeroMQ lets the grader receive (``execute.MAX_MESSAGE_BYTES``),
and all of it would be lost. Here each cell's text, per stream, is cut at ``LIMIT``
characters, well above what feedback keeps (``execute.STEP_CHARS``), so the grader's own
truncation note still shows where it stopped. Student code can undo this; then only its
own output is lost, and the grader notices and says so (``Runner._iopub_dropped``).

Standard library only: it runs in the student's kernel, where the project is not.
:func:`startup_file` is what the grader stages.
"""

import inspect


def _bound_output(limit: int) -> None:
    import sys

    note = "\n[output truncated by the grader]\n"

    def bound(stream) -> None:
        write = stream.write
        state = {"cell": None, "left": limit}

        def bounded_write(text):
            # ipykernel keeps the request's *header* here (extract_header), so its msg_id
            # names the cell being run; each cell gets the whole allowance again.
            cell = (stream.parent_header or {}).get("msg_id")
            if cell != state["cell"]:
                state.update(cell=cell, left=limit)
            if state["left"] <= 0 or not isinstance(text, str):
                return write(text) if not isinstance(text, str) else len(text)
            if len(text) > state["left"]:
                write(text[:state["left"]] + note)
                state["left"] = 0
                return len(text)
            state["left"] -= len(text)
            return write(text)

        stream.write = bounded_write

    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "parent_header"):  # ipykernel's OutStream, not a plain file
            bound(stream)



def startup_file(limit: int) -> str:
    """The startup file's text: the function above, called once, then deleted."""
    return f"{inspect.getsource(_bound_output)}\n_bound_output({limit})\ndel _bound_output\n"
