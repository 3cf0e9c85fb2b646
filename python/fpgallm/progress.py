"""Progress bars for long calls: tqdm (Debian python3-tqdm) in terminals and notebooks, plain lines on
stderr in logs or without tqdm."""
import sys
import time

try:
    import ipywidgets  # noqa: F401  -- notebook widgets; without it tqdm.auto only warns and prints text
    from tqdm.auto import tqdm as _tqdm
except ImportError:
    try:
        from tqdm import tqdm as _tqdm
    except ImportError:  # pragma: no cover - exercised only where tqdm is missing
        _tqdm = None

# Without tqdm, at most one line per this many seconds, so logs stay readable.
FALLBACK_INTERVAL_S = 5.0


class _Lines:
    """The fallback: 'desc: n/total postfix' lines at most every FALLBACK_INTERVAL_S seconds, and a final one."""

    def __init__(self, total, desc):
        self.total, self.desc, self.n, self.postfix = total, desc, 0, ""
        self._last = None

    def update(self, k=1):
        self.n += k
        now = time.monotonic()
        if self._last is None or now - self._last >= FALLBACK_INTERVAL_S:
            self._last = now
            print(f"{self.desc}: {self.n}/{self.total} {self.postfix}".rstrip(), file=sys.stderr, flush=True)

    def set_postfix_str(self, text):
        self.postfix = text

    def close(self):
        print(f"{self.desc}: {self.n}/{self.total} done", file=sys.stderr, flush=True)


def _interactive():
    """A terminal or a notebook: places where a redrawn bar reads well (logs get whole lines)."""
    return sys.stderr.isatty() or "ipykernel" in sys.modules


class Bar:
    """A progress bar over `total` steps (tqdm when interactive, else a line every few seconds); a
    no-op when disabled."""

    def __init__(self, total, desc, enabled=True):
        self._bar = None
        if enabled:
            use_tqdm = _tqdm is not None and _interactive()
            self._bar = _tqdm(total=total, desc=desc, leave=False) if use_tqdm else _Lines(total, desc)

    def advance_to(self, n, postfix=None):
        if self._bar is None:
            return
        if postfix:
            self._bar.set_postfix_str(postfix)
        if n > self._bar.n:
            self._bar.update(n - self._bar.n)

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class Lines:
    """Progress lines of the sweep engine, progress(kind, line): a stage's running line ("update")
    redrawn in place on a terminal and at most every FALLBACK_INTERVAL_S seconds in logs; its last
    line ("finish") and one-off lines ("note") always."""

    def __init__(self):
        self._tty = sys.stderr.isatty()
        self._width, self._last = 0, None

    def __call__(self, kind, line):
        if kind == "update":
            now = time.monotonic()
            if self._tty:
                sys.stderr.write("\r" + line.ljust(self._width))
                self._width = len(line)
            elif self._last is None or now - self._last >= FALLBACK_INTERVAL_S:
                sys.stderr.write(line + "\n")
                self._last = now
        else:
            sys.stderr.write(("\r" + line.ljust(self._width) if self._tty and kind == "finish" else line) + "\n")
            if kind == "finish":
                self._width, self._last = 0, None
        sys.stderr.flush()
