"""A save killed with -9 leaves a temporary; the next recorder start removes it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from streamrig.record import RecordingProxy

KILLED_MID_SAVE = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from streamrig.record import Interaction, Redactor, write_cassette
    os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # die inside the save
    interaction = Interaction("POST", "http://up/v1/messages", {}, b"{}", status=200)
    write_cassette(Path(sys.argv[1]) / "anthropic" / "x.yaml", [interaction], Redactor())
    """
)


def test_a_killed_save_leaves_nothing_after_the_next_start(tmp_path):
    result = subprocess.run([sys.executable, "-c", KILLED_MID_SAVE, str(tmp_path)], timeout=60)
    assert result.returncode == -9
    left = list(tmp_path.rglob("*.tmp"))
    assert len(left) == 1 and not (tmp_path / "anthropic" / "x.yaml").exists()
    ours = tmp_path / "anthropic" / f".y.yaml.{os.getpid()}.abc.tmp"  # a save still going
    ours.write_text("partial")
    with RecordingProxy("http://127.0.0.1:9", out=tmp_path):
        pass
    assert list(tmp_path.rglob("*.tmp")) == [ours]
