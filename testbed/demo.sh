#!/bin/bash
# ProxyEngine demo: build, bring up the testbed (bridge + netns + 2 slapd + engine),
# run 6 LDAP sessions through the VIP, show which backend served each and the
# engine counters, then tear everything down.
#
# usage: testbed/demo.sh           run the demo and tear down (always, via trap)
#        testbed/demo.sh --keep    leave the testbed running and print how to use it
#        testbed/demo.sh --down    tear a kept testbed down and exit
# Must run as root. Topology: see testbed/topo.py.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1 LDAPNOINIT=1
VIP=198.18.0.1
BASE=dc=example,dc=com

KEEP=0
case "${1:-}" in
	"") ;;
	--keep) KEEP=1 ;;
	--down) exec "$PY" -m testbed down ;;
	-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--keep|--down]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: must run as root" >&2
	exit 1
fi

echo "== installing dependencies"
ci/install-deps.sh

echo "== building"
[ -d build ] || meson setup build
ninja -C build

teardown() {
	local rc=$?
	if [ "$KEEP" -eq 0 ]; then
		echo "== tearing down"
		"$PY" -m testbed down >/dev/null || rc=1
	fi
	exit "$rc"
}
trap teardown EXIT

echo "== bringing the testbed up"
"$PY" -m testbed up >/dev/null

echo "== 6 LDAP sessions through the VIP $VIP"
failed=0
for i in 1 2 3 4 5 6; do
	if out=$(timeout 20 ip netns exec pe-client ldapsearch -x -LLL -o nettimeout=5 \
		-H "ldap://$VIP" -b "$BASE" -s base description 2>&1); then
		echo "session $i: $(sed -n 's/^description: //p' <<<"$out")"
	else
		echo "session $i: FAILED (rc=$?): $out"
		failed=1
	fi
done

echo "== engine counters (non-zero /pe/stats) and backends, once the closed sessions' entries are freed"
"$PY" -c 'import json; from testbed.telemetry import query; from testbed.netns import wait_until
try:
    wait_until(lambda: query("/pe/stats")["conn_active"] == 0, 5, "connection entries freed after linger")
except TimeoutError as e:
    print("warning:", e)
print(json.dumps({k: v for k, v in query("/pe/stats").items() if v}, indent=1))
print(json.dumps(query("/pe/backends"), indent=1))'

if [ "$KEEP" -eq 1 ]; then
	cat <<USAGE
== the testbed is still running. Try:
  ip netns exec pe-client ldapsearch -x -H ldap://$VIP -b $BASE -s base description
  ip netns exec pe-client ldapsearch -x -H ldap://$VIP -D cn=admin,$BASE -w adminpw -b ou=people,$BASE
  cd $PWD && $PY -c 'from testbed.telemetry import query; print(query("/pe/stats"))'   # also /pe/backends, /pe/info
  cd $PWD && $PY -m testbed status
  $PWD/testbed/demo.sh --down   # tear it down
USAGE
fi
exit "$failed"
