"""Benchmark: the Cleaner in a real JupyterLab and Chromium, click to rows rendered.

Run from the project root (needs Debian's ``/usr/bin/chromium`` and the ``test`` extra)::

    python benchmarks/bench_clean_browser.py               # 1,000,000 incidents against 10,000
    python benchmarks/bench_clean_browser.py --quick       # small sizes, 3 clicks each
    python benchmarks/bench_clean_browser.py --json

For each size, the frame cached by ``benchmarks/bench_clean.py`` is shown in a notebook
(``Cleaner(frame, recheck="on_demand")``) in a JupyterLab started here on 127.0.0.1 with its
own settings; headless Chromium runs the cell and then clicks as an analyst does. Each time is
from the click until the widget has drawn the kernel's answer (its ``data-version`` moved on),
the median of ``--repeat`` clicks: next page, facet on/off, cell edit, tick, undo, select all
in view. "shown" is from Run until the first rows are on screen (the kernel reads the Parquet
file first: that read is in the time, as it is for an analyst).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CLICKS = ("next page", "facet", "edit", "tick", "undo", "select all")


def _notebook(frame: Path, target: Path) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    notebook.cells = [
        nbformat.v4.new_code_cell(  # type: ignore[no-untyped-call]
            "import polars as pl\n"
            "from ddinc.widgets import Cleaner\n"
            f"frame = pl.read_parquet({str(frame)!r})\n"
            "cleaner = Cleaner(frame, recheck='on_demand', page_size=25)\n"
            "cleaner"
        )
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, str(target))  # type: ignore[no-untyped-call]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def _lab(root: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab on 127.0.0.1 serving ``root``, with isolated settings: (url, token)."""
    base = Path(tempfile.mkdtemp(prefix="ddinc-lab-"))
    settings = base / "settings" / "@jupyterlab"
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"autoStartDefaultKernel": True, "windowingMode": "none"})
    )
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    token, port = secrets.token_hex(16), _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
    }
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    with (base / "lab.log").open("wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(360):
                with contextlib.suppress(OSError):
                    request = urllib.request.Request(
                        f"{url}/api/status", headers={"Authorization": f"token {token}"}
                    )
                    with urllib.request.urlopen(request, timeout=5):
                        break
                if proc.poll() is not None:
                    raise SystemExit((base / "lab.log").read_text()[-3000:])
                time.sleep(0.25)
            yield url, token
        finally:
            with contextlib.suppress(OSError):
                request = urllib.request.Request(
                    f"{url}/api/shutdown",
                    method="POST",
                    headers={"Authorization": f"token {token}"},
                )
                urllib.request.urlopen(request, timeout=5)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _measure(page: Any, repeat: int) -> dict[str, list[float]]:
    version = "() => Number(document.querySelector('.dd-cleaner').dataset.version)"

    def click(target: Any, method: str = "click", *args: str) -> float:
        before = page.evaluate(version)
        start = time.perf_counter()
        getattr(target, method)(*args)
        page.wait_for_function(f"() => ({version})() > {before}", timeout=120_000)
        return time.perf_counter() - start

    rows = page.locator(".dd-cleaner tr[data-rid]")
    runs: dict[str, list[float]] = {name: [] for name in CLICKS}
    for _ in range(repeat):
        runs["next page"].append(click(page.locator(".dd-cleaner button.next")))
    for _ in range(repeat):
        facet = ".dd-cleaner [data-facet=state] button[data-value=active]"
        runs["facet"].append(click(page.locator(facet)))
    for i in range(repeat):
        rows.nth(i % 10).locator("td[data-col=title]").click()
        editor = page.locator(".dd-cleaner input.dd-edit")
        editor.fill(f"edited {i}")
        runs["edit"].append(click(editor, "press", "Enter"))
    for i in range(repeat):
        runs["tick"].append(click(rows.nth(i % 20).locator("input.sel")))
    for _ in range(repeat):
        runs["undo"].append(click(page.locator(".dd-cleaner button.undo")))
    for i in range(repeat):
        which = "select-filtered" if i % 2 == 0 else "deselect-filtered"
        runs["select all"].append(click(page.locator(f".dd-cleaner button.{which}")))
    return runs


def run_size(frame: Path, repeat: int) -> dict[str, Any]:
    """Shown and click times for one frame, in a fresh JupyterLab."""
    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp(prefix="ddinc-bench-"))
    _notebook(frame, root / "cleaner.ipynb")
    with _lab(root) as (url, token), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(180_000)
            page.goto(f"{url}/lab/tree/cleaner.ipynb?reset&token={token}")
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            if page.locator(".jp-Dialog").count():
                page.locator(".jp-Dialog").get_by_role("button", name="Select").click()
            cell = page.locator(".jp-Notebook .jp-CodeCell").first
            prompt = cell.locator(".jp-InputArea-prompt")
            # Right after load a run can be lost: press again until the prompt shows [*].
            for _ in range(10):
                cell.locator(".jp-InputArea-editor").click()
                start = time.perf_counter()
                page.keyboard.press("Control+Enter")
                with contextlib.suppress(Exception):
                    page.wait_for_function(
                        "p => /\\[(\\*|\\d+)\\]/.test(p.textContent)",
                        arg=prompt.element_handle(),
                        timeout=5_000,
                    )
                    break
            page.wait_for_selector(".dd-cleaner tr[data-rid]", timeout=600_000)
            shown = time.perf_counter() - start
            print(f"  {frame.name}: shown after {shown:.1f} s", file=sys.stderr, flush=True)
            runs = _measure(page, repeat)
        finally:
            browser.close()
    return {"shown_s": shown, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path(__file__).resolve().parent / ".cache")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is absent: apt-get install -y chromium")
    if args.quick:
        args.rows, args.small, args.repeat = 5_000, 1_000, 3
    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_clean import frame_file

    big = run_size(frame_file(args.rows, args.cache), args.repeat)
    small = run_size(frame_file(args.small, args.cache), args.repeat)
    med = statistics.median
    report = {
        "rows": args.rows,
        "small": args.small,
        "repeat": args.repeat,
        "shown_s": {"big": big["shown_s"], "small": small["shown_s"]},
        "clicks": {
            name: {
                "big": med(big["runs"][name]),
                "small": med(small["runs"][name]),
                "ratio": med(big["runs"][name]) / med(small["runs"][name]),
            }
            for name in CLICKS
        },
    }
    if args.json:
        print(json.dumps(report))
        return 0
    lines = [
        f"Cleaner in JupyterLab + Chromium, {args.rows:,} incidents against {args.small:,} "
        f"(click until the widget drew the answer, median of {args.repeat})",
        f"  {'click':<12} {args.rows:>11,} {args.small:>11,}   ratio",
    ]
    for name, click in report["clicks"].items():
        lines.append(
            f"  {name:<12} {click['big'] * 1e3:8.0f} ms {click['small'] * 1e3:8.0f} ms"
            f"   {click['ratio']:5.2f}"
        )
    lines.append(
        f"  shown (Run to rows on screen, Parquet read included): "
        f"{big['shown_s']:.1f} s vs {small['shown_s']:.1f} s"
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
