#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
apt-get update
apt-get install -y python3.11 python3.11-venv
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
# A CPU build of torch: Gradescope's machines have no GPU.
/autograder/venv/bin/pip install "torch==2.13.0" --index-url "${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
/autograder/venv/bin/pip install /autograder/source/course
# Sandboxes run as unprivileged users: let them reach Python's files.
/autograder/venv/bin/autograder sandbox-setup
