#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu 22.04 or
# 24.04 base images): a Python of 3.11 or newer, the CPU build of torch and the engine in
# $root/venv, and the sandbox users let in to Python's files.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
root="${AUTOGRADER_ROOT:-/autograder}"
say() { echo "==> $*"; }

new_enough() { command -v "$1" >/dev/null && "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; }

if new_enough python3; then
    python=python3
    say "using the image's $(python3 --version)"
else
    say "the image's python3 is older than 3.11: installing python3.11"
    apt-get update
    if ! apt-get install -y python3.11 python3.11-venv; then
        say "python3.11 is not in this image's package sources: adding the deadsnakes PPA"
        apt-get install -y software-properties-common
        add-apt-repository -y ppa:deadsnakes/ppa
        apt-get update
        apt-get install -y python3.11 python3.11-venv
    fi
    python=python3.11
fi

if ! "$python" -m venv "$root/venv"; then
    venv_package="python$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv"
    say "$python cannot make virtual environments yet: installing $venv_package"
    rm -rf "$root/venv"
    apt-get update
    apt-get install -y "$venv_package"
    "$python" -m venv "$root/venv"
fi

say "installing the CPU build of @TORCH_REQUIREMENT@ (no GPU here; a few minutes)"
"$root/venv/bin/pip" install --upgrade pip
"$root/venv/bin/pip" install "@TORCH_REQUIREMENT@" --index-url "${TORCH_INDEX:-@TORCH_CPU_INDEX@}"
say "installing the grader and the course it grades with"
"$root/venv/bin/pip" install "$root/source/course"
say "letting the sandbox users (unprivileged uids) enter the folders on the way to Python"
"$root/venv/bin/autograder" sandbox-setup
say "done"
