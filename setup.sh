#!/usr/bin/env bash
# Sets up this folder for development: .venv with the CPU build of torch, the engine and its
# development tools; as root, lets the sandbox users reach Python; then grades the bundled
# examples. Takes about 5 minutes (mostly downloading torch), then about 1 minute of grading.
set -euo pipefail
cd "$(dirname "$0")"
say() { echo "==> $*"; }
torch_requirement="${TORCH_REQUIREMENT:-torch==$(sed -n 's/^TORCH_VERSION = "\(.*\)"$/\1/p' autograder/packaging.py)}"
torch_index="${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"

say "[1/4] creating .venv with $(python3 --version)"
python3 -m venv .venv
say "[2/4] installing the CPU build of $torch_requirement from $torch_index (about 200 MB, a few minutes)"
.venv/bin/pip install --progress-bar on "$torch_requirement" --index-url "$torch_index"
say "[3/4] installing the engine and its development tools"
.venv/bin/pip install --quiet -e ".[dev]"
if [ "$(id -u)" = 0 ]; then
    say "[4/4] you are root, so each sandbox runs as an unprivileged uid, which must be able to"
    say "      enter (not list) the folders on the way to Python, e.g. /root for a Python under it:"
    .venv/bin/autograder sandbox-setup
else
    say "[4/4] not root: sandboxes run as your own user, nothing to open"
fi
say "grading the bundled examples of every assignment (about a minute)"
.venv/bin/autograder demo
