#!/bin/bash
# The README's test command: install what is missing, build, run the cmocka
# unit tests (meson test) and the pytest suite over the real testbed.
# Exits non-zero if anything fails. Needs root (network namespaces, tap).
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "ci/test.sh: must run as root (the testbed creates netns, a bridge and a tap)" >&2
	exit 1
fi

ci/install-deps.sh || exit 1
if [ ! -f build/build.ninja ]; then
	meson setup build || exit 1
fi
ninja -C build || exit 1

status=0
echo "=== unit tests (meson test) ==="
meson test -C build --print-errorlogs || status=1

echo "=== testbed tests (pytest) ==="
/usr/bin/python3 -m pytest pytest ${PE_PYTEST_ARGS:-} || status=1

exit $status
