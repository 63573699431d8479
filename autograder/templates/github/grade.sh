#!/usr/bin/env bash
# Grade this repository's @MODULE@.py with the public tests of @ASSIGNMENT@, using the engine
# copy in this folder. Writes results.json, the task table to $GITHUB_STEP_SUMMARY, the result
# for GitHub Classroom to $GITHUB_OUTPUT, and prints "Points X/Y". Exits non-zero only when
# the grader itself fails (which is never the submission's fault).
set -euo pipefail
cd "$(dirname "$0")/../.."
"${PYTHON:-python}" -m autograder grade . "@MODULE@.py" --json results.json --github
