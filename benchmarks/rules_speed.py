"""How much CPU the task rules cost, on real modules and on modules built to make them slow.

For each module, prints the CPU seconds of everything grading asks of the rules: every ruled
task's check and every task's reach (for "fix that one first"), in a fresh process so that
nothing is cached, and the verdict (the first rule break, if any). The modules are:
- the reference of the assignment;
- a wide call graph: HELPERS helpers, each calling the next FAN_OUT (by default 6,000 and 40,
  about 1.5 MB, beyond the rules' bound on definitions);
- the same just inside the bounds (1,900 helpers of 20 calls);
- a long function of many attribute reads (MB megabytes of them).

Usage: python benchmarks/rules_speed.py [ASSIGNMENT] [--helpers N] [--fan-out K] [--mb M]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile

from autograder import course

MEASURE = """
import sys, time
from autograder import course, rules
assignment, source = course.load(sys.argv[1]), open(sys.argv[2]).read()
rules_of = {task.name: task.forbid for task in assignment.tasks}
started = time.process_time()
found = [v for t in assignment.tasks if t.forbid for v in rules.find_violations(source, t.name, t.forbid, rules_of)[:1]]
for task in assignment.task_names:
    rules.reached_definitions(source, task)
print(f"{time.process_time() - started:.2f}", found[0].used if found else "no rule broken")
"""


def helpers(count: int, fan_out: int) -> str:
    """``count`` helpers, each calling the next ``fan_out`` (around the end, back to the start)."""
    return "".join(
        f"def h{i}():\n    return {'+'.join(f'h{(i + k) % count}()' for k in range(1, fan_out + 1))}\n"
        for i in range(count)
    )


def measure(assignment: str, source: str) -> tuple[str, str]:
    """CPU seconds of the rules on ``source``, and the verdict, in a fresh process."""
    with tempfile.NamedTemporaryFile("w", suffix=".py") as file:
        file.write(source)
        file.flush()
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, assignment, file.name], capture_output=True, text=True, check=True
        )
    seconds, verdict = done.stdout.strip().split(" ", 1)
    return seconds, verdict


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignment", nargs="?", default="01_gradient_descent")
    parser.add_argument("--helpers", type=int, default=6_000)
    parser.add_argument("--fan-out", type=int, default=40)
    parser.add_argument("--mb", type=float, default=1.0)
    args = parser.parse_args()
    assignment = course.load(args.assignment)
    reference = assignment.reference_file.read_text()
    first = next(task.name for task in assignment.tasks if task.forbid)
    reads = "".join(f"    y = x.a{i}\n" for i in range(int(args.mb * 1e6 / 14)))
    modules = {
        "reference": reference,
        f"{args.helpers:,} helpers calling {args.fan_out} each": reference + helpers(args.helpers, args.fan_out),
        "1,900 helpers calling 20 each": reference + helpers(1_900, 20),
        f"{args.mb:g} MB of attribute reads": reference + f"def {first}(x, *args):\n{reads}    return y\n",
    }
    print(f"rules of {assignment.id}: CPU seconds for every task, in a fresh process")
    for name, source in modules.items():
        seconds, verdict = measure(assignment.id, source)
        print(f"  {name} ({len(source) / 1e6:.2f} MB): {seconds} s, {verdict}")


if __name__ == "__main__":
    main()
