# The README's two commands: `make quickstart` and `make test`. Both set up .venv on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.flamkit-installed
UV_VERSION := 0.13.9
EXTRAS := dev,fairseq2,torchaudio
PYTEST_ARGS ?=
# The pretrained sound-effects CNN (weights inside the wheel, CC-BY-4.0). --no-deps: it pins
# numpy==1.23.0 and librosa==0.9.2, neither of which flamkit's use of it (torch and the weights) needs.
AISFX := aisfx==0.1.2

.PHONY: install quickstart real-sounds test test-fast lock clean system-deps bench-deps

PLUGINS := $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml))

# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (as on our CI machines) every process
# would otherwise recompile torch, timm and transformers from source, about 6 s per command.
$(STAMP): pyproject.toml requirements/lock.txt $(wildcard plugins/*/pyproject.toml) Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --python $(BIN)/python --compile-bytecode -c requirements/lock.txt -e ".[$(EXTRAS)]" $(addprefix -e ,$(PLUGINS))
	$(BIN)/uv pip install --python $(BIN)/python --compile-bytecode --no-deps $(AISFX)
	@touch $(STAMP)

# fairseq2's native data library links the system libsndfile (the soundfile wheel bundles its own).
system-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libsndfile.so.1 '; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq libsndfile1 >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq libsndfile1 >/dev/null)); \
	  else echo "note: libsndfile1 is missing; the fairseq2 data backend tests will be skipped (install libsndfile1)"; fi; \
	fi

install: $(STAMP) system-deps

quickstart: install
	$(BIN)/flamkit quickstart

# The real-sound study (docs/results.md): needs `bash ../shared/data/debian-sfx/build.sh` first; builds
# debian-extra (about 2 min, 2.8 GB of .deb downloads, skipped when built) and trains and
# scores the three models on the debian-sfx dev labels.
real-sounds: install
	$(BIN)/python -m flamkit.data.corpora.debian_extra
	$(BIN)/flamkit study debian_sfx

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not slurm and not corpus" $(PYTEST_ARGS)

# Peers for the benchmarks: Scaper (synth_throughput.py) needs libsox for its soxbindings build.
bench-deps: install
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get install -y -qq libsox-dev sox >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq libsox-dev sox >/dev/null)); \
	else echo "install libsox-dev and sox with your system package manager first"; fi
	$(BIN)/uv pip install --python $(BIN)/python -c requirements/lock.txt ".[bench]"

# Re-pin the tested set after changing pyproject ranges (review the diff before committing).
lock: install
	$(BIN)/uv pip freeze --python $(BIN)/python --exclude-editable | grep -v '^-e' > requirements/lock.txt

clean:
	rm -rf $(VENV) build *.egg-info
