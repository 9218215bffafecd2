#!/bin/bash
# The README's test command: install what is missing, build, run the cmocka
# unit tests (meson test), `proxyengine --check` of the profile and the
# testbed's config, then the pytest suite over the real testbed.
# Exits non-zero if anything fails. Needs root (network namespaces, tap).
#
#   ci/test.sh [--profile FILE]
#
# --profile FILE (or PE_PROFILE=FILE; the option wins) is the PMD profile of
# the engine the pytest fixtures start (testbed/engine.py reads PE_PROFILE);
# default pmd-profiles/tap.profile. PE_EAL_ARGS (extra EAL arguments) applies
# to the check as it does to the fixtures' engine; PE_PYTEST_ARGS goes to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."

usage() {
	echo "usage: ci/test.sh [--profile FILE]   (env: PE_PROFILE, PE_EAL_ARGS, PE_PYTEST_ARGS)" >&2
	exit 2
}

profile=${PE_PROFILE:-pmd-profiles/tap.profile}
while [ $# -gt 0 ]; do
	case "$1" in
	--profile) [ $# -ge 2 ] || usage; profile=$2; shift 2 ;;
	--profile=*) profile=${1#--profile=}; shift ;;
	-h|--help) usage ;;
	*) echo "ci/test.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
export PE_PROFILE=$profile

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

echo "=== proxyengine --check (profile $PE_PROFILE, config testbed/proxyengine.conf) ==="
# Its own file prefix; --check removes its runtime dir itself, this is for a crash.
check_prefix=pe-ci-check-$$
# A virtio profile needs its vhost-user peer up: testbed.vhost runs the check with one
# (for other profiles it runs the command as it is).
# shellcheck disable=SC2086  # PE_EAL_ARGS is shell-split on purpose, as in testbed/engine.py
/usr/bin/python3 -m testbed.vhost "$PE_PROFILE" -- \
	build/proxyengine --file-prefix="$check_prefix" -l 0 ${PE_EAL_ARGS:-} -- --check \
	--profile "$PE_PROFILE" --config testbed/proxyengine.conf
check_rc=$?
rm -rf "/var/run/dpdk/$check_prefix"
if [ $check_rc != 0 ]; then
	echo "ci/test.sh: --check of $PE_PROFILE failed (exit $check_rc): the testbed tests are not run" >&2
	exit 1
fi

echo "=== testbed tests (pytest, profile $PE_PROFILE) ==="
/usr/bin/python3 -m pytest pytest ${PE_PYTEST_ARGS:-} || status=1

exit $status
