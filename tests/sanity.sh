#!/usr/bin/env bash
# Run ansible-test sanity on the checkout (committed and untracked, unignored files), laid out as
# ansible_collections/netguard/aws in a temporary directory, as ansible-test requires.
# Usage: tests/sanity.sh [PYTHON]   (default: .venv/bin/python, which has ansible-test)
# The full sanity suite runs on PYTHON's version; compile and import also run on every other
# Python that ansible-test supports for modules and that is installed as python3.X on PATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=$(realpath -s "${1:-$root/.venv/bin/python}")
ansible_test=$(dirname "$python")/ansible-test
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
collection=$work/ansible_collections/netguard/aws
mkdir -p "$collection"
(cd "$root" && git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done \
  | xargs -0 cp --parents -t "$collection")
cd "$collection"

own=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
echo "ansible-test sanity: all tests on Python $own"
"$ansible_test" sanity --venv --python "$own" --color no

others=$("$python" - "$own" <<'PY'
import sys
try:
    from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS as versions
except ImportError:
    versions = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
print(" ".join(v for v in versions if v != sys.argv[1] and tuple(map(int, v.split("."))) >= (3, 8)))
PY
)
for version in $others; do
  if "python$version" -c '' 2>/dev/null; then
    echo "ansible-test sanity: compile and import on Python $version"
    "$ansible_test" sanity --venv --python "$version" --test compile --test import --color no
  else
    echo "ansible-test sanity: no python$version on PATH, compile and import not checked on it"
  fi
done
echo "ansible-test sanity: passed"
