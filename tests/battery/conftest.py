from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
EXAMPLES = HERE.parent / "examples"
NPM_PACKAGES = ["@anthropic-ai/sdk@^1.12.0", "openai@^6.49.0", "esbuild@^0.28.0"]
_OFFLINE = ("ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "network")


@pytest.fixture(scope="session")
def npm_dir(tmp_path_factory) -> Path:
    """The Node SDKs and esbuild, installed once per session (shared by xdist workers)."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are not installed")
    root = tmp_path_factory.getbasetemp().parent / "streamrig-npm"
    if (root / ".ready").exists():
        return root
    staging = root.with_name(f"streamrig-npm-{os.getpid()}")
    staging.mkdir()
    (staging / "package.json").write_text('{"private": true, "type": "module"}\n')
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", *NPM_PACKAGES],
        cwd=staging,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        if any(word in done.stderr for word in _OFFLINE):
            pytest.skip(f"npm registry unreachable: {done.stderr.strip().splitlines()[-1]}")
        raise RuntimeError(f"npm install failed:\n{done.stderr}")
    (staging / ".ready").touch()
    try:
        staging.rename(root)
    except OSError:  # another worker got there first
        shutil.rmtree(staging, ignore_errors=True)
    return root


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
