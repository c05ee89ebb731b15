import json
from collections import Counter

from flamkit.data.embedded import EMBEDDED_EVENTS
from flamkit.data.embedded.export import export_embedded
from flamkit.data.manifest import read_manifest


def test_export_writes_files_and_manifest(tmp_path):
    manifest = export_embedded(str(tmp_path), "heldout_types", 16000, 1, 0, 1, 10.0)
    rows = read_manifest(manifest).rows  # every file exists
    kinds = Counter(r["kind"] for r in rows)
    assert kinds["background"] >= 6 and kinds["event"] == sum(v.heldout_type for v in EMBEDDED_EVENTS.values())
    assert all(r["path"].startswith(str(tmp_path / "foreground")) for r in rows if r["kind"] == "event")
    first = json.loads(open(manifest).readline())
    assert first["kind"] == "event" and first["label"] and first["duration_s"] > 0
