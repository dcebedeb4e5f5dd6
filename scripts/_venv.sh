# Sourced by scripts/run and scripts/test: make .venv and install Slawatch into it (idempotent).
# $1: "runtime" (the service only: scripts/run) or an extra of pyproject.toml ("test": scripts/test).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-$1
if [ ! -e "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ "$1" = runtime ]; then
    .venv/bin/python -m pip install --quiet -e .
  else
    .venv/bin/python -m pip install --quiet -e ".[$1]"
  fi
  touch "$stamp"
fi
