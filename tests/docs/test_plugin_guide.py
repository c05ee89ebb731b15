"""docs/plugins.md cannot rot: its files are what ``flamkit new-plugin`` writes, its commands run.

Every code block whose first line is ``# file: PATH`` must equal that file of the skeleton for the
guide's plugin name; every command of a block headed ``# tested: ...`` is run in order, in a
temporary folder: ``flamkit ...`` through the CLI's ``main`` (training and evaluation shortened),
``cd``, and ``pip install -e DIR`` replaced by the quick install of :mod:`tests.plugin_env` (the
guide documents the real command). The skeleton's own tests are run by tests/cli/test_new_plugin_cmd.py.
"""

import importlib
import re
import shlex
import sys
from pathlib import Path

import pytest

from flamkit import plugins
from flamkit.cli import main
from flamkit.cli.new_plugin_cmd import PluginNames, skeleton_files
from tests.plugin_env import REPO, fake_install

GUIDE = REPO / "docs" / "plugins.md"
NAME = "mylab"
SHORT_TRAIN = ["train.max_steps=2", "data.streams.global.batch_size=4", "data.val_clips=4", "train.val_every=2",
               "train.ckpt_every=100", "train.log_every=1"]


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every top-level fenced block."""
    return re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.M | re.S)


def guide_files() -> dict[str, str]:
    files = {}
    for _, body in code_blocks(GUIDE.read_text()):
        first, _, rest = body.partition("\n")
        if first.startswith("# file: "):
            files[first[len("# file: "):].strip()] = rest
    return files


def guide_commands() -> list[str]:
    cmds = []
    for lang, body in code_blocks(GUIDE.read_text()):
        lines = body.splitlines()
        if lang == "bash" and lines and lines[0].startswith("# tested:"):
            cmds.extend(line.split("#")[0].strip() for line in lines[1:] if line.split("#")[0].strip())
    return cmds


def _squash(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text)


def test_guide_files_are_the_skeleton():
    files = guide_files()
    skeleton = skeleton_files(PluginNames(NAME))
    assert set(files) == set(skeleton) - {"README.md"}, "the guide shows every file new-plugin writes but the README"
    for path, body in files.items():
        assert body.rstrip() == skeleton[path].rstrip(), f"docs/plugins.md's {path} differs from flamkit/templates/plugin"


@pytest.fixture
def forget_mylab():
    yield
    plugins._LOADED.pop(NAME, None)
    for mod in [m for m in sys.modules if m == f"flamkit_{NAME}" or m.startswith(f"flamkit_{NAME}.")]:
        del sys.modules[mod]


def test_guide_commands_run(tmp_path, monkeypatch, capsys, forget_mylab):
    commands = guide_commands()
    assert [c.split()[:2] for c in commands] == [
        ["flamkit", "new-plugin"], ["pip", "install"], ["flamkit", "list"],
        ["cd", "plugins/mylab"], ["flamkit", "validate"], ["flamkit", "train"], ["flamkit", "eval"]]
    monkeypatch.chdir(tmp_path)
    text = GUIDE.read_text()
    run_dir = None
    for cmd in commands:
        argv = shlex.split(cmd)
        if argv[0] == "cd":
            monkeypatch.chdir(argv[1])
            continue
        if argv[:3] == ["pip", "install", "-e"]:
            root = Path(argv[3]).resolve()
            fake_install(root, tmp_path / "site")
            monkeypatch.syspath_prepend(str(tmp_path / "site"))
            monkeypatch.syspath_prepend(str(root))
            importlib.invalidate_caches()
            continue
        assert argv[0] == "flamkit", f"the guide's tested block has a command this test cannot run: {cmd}"
        args = argv[1:]
        if args[0] == "train":
            args += [*SHORT_TRAIN, f"run.root={tmp_path / 'runs'}"]
        if args[0] == "eval":
            args = [a.replace("RUN", str(run_dir)) for a in args] + ["heldout.max_clips=4"]
        rc = main(args)
        out, err = capsys.readouterr()
        assert rc == 0, f"`{cmd}` failed:\n{out}\n{err}"
        if args[0] == "new-plugin":
            written = {p.relative_to(tmp_path / "plugins" / NAME).as_posix(): p.read_text()
                       for p in (tmp_path / "plugins" / NAME).rglob("*") if p.is_file()}
            assert all(written[path].rstrip() == body.rstrip() for path, body in guide_files().items())
        if args[0] == "list":
            shown = [line for line in code_blocks(text)[1][1].splitlines() if line.strip().startswith(NAME)]
            assert len(shown) == 2 and all(_squash(line.strip()) in _squash(out) for line in shown)
        if args[0] == "validate":
            # The guide's example of a misspelt key, checked against the real message.
            assert main([*args, "+model.audio.hiden=256"]) == 2
            err = capsys.readouterr().err
            example = next(body for _, body in code_blocks(text) if body.startswith("experiment 'mylab_example' has"))
            assert all(line.strip() in err for line in example.splitlines())
        if args[0] == "train":
            run_dir = Path(re.search(r"run folder: (.+) \(step 2\)", out).group(1))
            assert (run_dir / "config.yaml").is_file() and str(run_dir).startswith(str(tmp_path / "runs" / "mylab_example"))
        if args[0] == "eval":
            assert (run_dir / "eval" / "embedded_heldout" / "metrics.json").is_file()
    assert run_dir is not None
