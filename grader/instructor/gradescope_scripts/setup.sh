#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image: a virtual environment
# with the grader's pinned requirements. (Written by `grader gradescope`.)
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${GRADER_VENV:-/opt/grader}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
python3 --version
python3 -m venv "$VENV"
if ! "$VENV/bin/python" -m pip install --no-cache-dir -r "$SOURCE/requirements.txt"; then
    echo "setup.sh: the pinned requirements did not install on $(python3 --version)." >&2
    echo "$(head -n 1 "$SOURCE/requirements.txt")" >&2
    echo "Pick a base image with that Python, or run 'grader gradescope' under the image's." >&2
    exit 1
fi
