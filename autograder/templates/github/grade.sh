#!/usr/bin/env bash
# Grade this repository's submission of @ASSIGNMENT@. With the course checked out in
# $COURSE_DIR (default .course) the hidden tests run too; otherwise the public ones.
# Writes results.json, the task table to $GITHUB_STEP_SUMMARY, the result for GitHub
# Classroom to $GITHUB_OUTPUT, and prints "Points X/Y".
set -euo pipefail
python="${PYTHON:-python}"
course="${COURSE_DIR:-.course}"
if [ -d "$course/assignments/@ASSIGNMENT@" ]; then
    assignment=(--course "$course" grade "@ASSIGNMENT@")
else
    assignment=(grade .)
fi
"$python" -m autograder "${assignment[@]}" "@MODULE@.py" --json results.json --github
