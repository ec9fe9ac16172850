from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
EXAMPLES = HERE.parent / "examples"
NPM_PACKAGES = ["@anthropic-ai/sdk@^1.12.0", "openai@^6.49.0", "esbuild@^0.28.0"]
_OFFLINE = ("ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "network")


@pytest.fixture(scope="session")
def npm_dir(tmp_path_factory) -> Path:
    """The Node SDKs and esbuild, installed once per session (xdist workers share it)."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are not installed")
    session = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        session = session.parent  # the session's folder, above the workers' own
    root = session / "streamrig-npm"
    try:
        root.mkdir()  # whoever makes it installs; the others wait for its verdict
    except FileExistsError:
        return _wait_for(root)
    (root / "package.json").write_text('{"private": true}\n')  # npm installs here, not above
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", *NPM_PACKAGES],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        offline = any(word in done.stderr for word in _OFFLINE)
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "npm failed"
        (root / ".failed").write_text(("skip " if offline else "fail ") + reason)
        return _wait_for(root)
    (root / ".ready").touch()
    return root


def _wait_for(root: Path) -> Path:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if (root / ".ready").exists():
            return root
        failed = root / ".failed"
        if failed.exists():
            verdict, _, reason = failed.read_text().partition(" ")
            if verdict == "skip":
                pytest.skip(f"npm registry unreachable: {reason}")
            raise RuntimeError(f"npm install failed: {reason}")
        time.sleep(0.2)
    raise RuntimeError(f"npm install in {root} did not finish in 300 s")


def compile_ts(npm_dir: Path, source: Path) -> Path:
    """`source` as an ES module beside node_modules (esbuild strips the types)."""
    out = npm_dir / f"{source.stem}.{os.getpid()}.mjs"
    subprocess.run(
        [str(npm_dir / "node_modules" / ".bin" / "esbuild"), str(source), f"--outfile={out}"],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="session")
def ts_client(npm_dir) -> list[str]:
    """The command that runs tests/examples/battery_client.ts."""
    return ["node", str(compile_ts(npm_dir, EXAMPLES / "battery_client.ts"))]


@pytest.fixture(scope="session")
def node_facts(npm_dir) -> list[str]:
    return ["node", str(compile_ts(npm_dir, HERE / "node_facts.ts"))]
