"""``flamkit compare`` of two evaluated runs that differ in one config key."""

from flamkit.cli import main
from tests.eval import tone_model as tm


def test_compare_two_runs_prints_one_table_with_the_differing_key_and_the_best_marked(tmp_path, capsys):
    audio = tmp_path / "audio"
    tsv = tm.write_sed_set(audio, tm.SET)
    cfg = tmp_path / "heldout.yaml"
    cfg.write_text(f"sed:\n  name: sed\n  audio_dir: {audio}\n  ground_truth: {tsv}\n  num_figure_clips: 0\n  modes: [unbiased]\n")
    runs = []
    for name, inverted, weight in (("good-1", False, 200.0), ("bad-2", True, 1.0)):
        run = tm.save_run(tmp_path / "runs" / "abl", name, tm.build_oracle(inverted), config_extra={"loss": {"sed": {"weight": weight}}})
        assert main(["eval", f"checkpoint={run}", f"eval={cfg}", "--no-tensorboard"]) == 0
        runs.append(run)
    capsys.readouterr()
    out_dir = tmp_path / "cmp"
    assert main(["compare", *map(str, runs), "--metrics", "*auroc", "*psds1", "--out", str(out_dir)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "| run | loss.sed.weight | heldout/sed/unbiased/psds1 | heldout/sed/unbiased/auroc | heldout/sed/unbiased/present_auroc |"
    good = next(line for line in lines if line.startswith("| abl/good-1 |"))
    bad = next(line for line in lines if line.startswith("| abl/bad-2 |"))
    assert good.startswith("| abl/good-1 | 200.0 |") and good.count("**") == 6  # best in all three metrics
    assert bad.startswith("| abl/bad-2 | 1.0 |") and "**" not in bad
    csv_rows = (out_dir / "compare.csv").read_text().splitlines()
    assert csv_rows[1].startswith("abl/good-1,") and csv_rows[1].endswith("heldout/sed/unbiased/psds1;heldout/sed/unbiased/auroc;heldout/sed/unbiased/present_auroc")
    assert (out_dir / "compare.md").read_text().startswith(lines[0])
