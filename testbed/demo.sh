#!/bin/bash
# ProxyEngine demo: build, bring up the testbed (bridge + netns + 2 slapd + engine),
# run 6 LDAP sessions through the VIP, show which backend served each and the
# engine counters; then restart the engine with the LDAP policy of
# pytest/configs/ldap-policy.conf and show binds routed by DN to different backends
# and an anonymous bind refused; then tear everything down.
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
POLICY_CONF=pytest/configs/ldap-policy.conf

KEEP=0
case "${1:-}" in
	"") ;;
	--keep) KEEP=1 ;;
	--down) exec "$PY" -m testbed down ;;
	-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
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

echo "== LDAP policy: the engine restarted with $POLICY_CONF"
echo "   (people binds -> pool people = be1, cn=admin / ou=admins binds -> pool admin = be2, anonymous refused)"
if "$PY" -c 'import sys; from testbed.bed import Testbed; Testbed.load().restart_engine(sys.argv[1])' \
	"$POLICY_CONF" >/dev/null; then
	for who in "uid=pat,ou=people,$BASE patpw" "uid=alice,ou=people,$BASE alicepw" \
		"cn=admin,$BASE adminpw" "cn=operator,ou=admins,$BASE operatorpw"; do
		read -r dn pw <<<"$who"
		if out=$(timeout 20 ip netns exec pe-client ldapsearch -x -LLL -o nettimeout=5 \
			-H "ldap://$VIP" -D "$dn" -w "$pw" -b "$BASE" -s base description 2>&1); then
			printf 'bind as %-42s %s\n' "$dn:" "$(sed -n 's/^description: //p' <<<"$out")"
		else
			echo "bind as $dn: FAILED: $out"
			failed=1
		fi
	done
	echo "-- what the backends logged (their slapd access logs, binds with a name)"
	for b in be1 be2; do
		echo "$b:"
		grep -E ' BIND dn="[^"]+" method=' "/tmp/pe-testbed/logs/$b-slapd.log" | sed 's/^[^ ]* [^ ]* /    /' || true
	done
	echo "-- an anonymous bind (ldapsearch without -D):"
	rc=0
	out=$(timeout 20 ip netns exec pe-client ldapsearch -x -LLL -o nettimeout=5 -H "ldap://$VIP" \
		-b "$BASE" -s base description 2>&1) || rc=$?
	sed 's/^/    /' <<<"$out"
	echo "    ldapsearch exit status $rc"
	[ "$rc" -eq 53 ] || failed=1
	"$PY" -c 'import json; from testbed.telemetry import query
print("-- /pe/rules:", json.dumps(query("/pe/rules")))'
else
	echo "the engine did not start with $POLICY_CONF (see /tmp/pe-testbed/logs/engine.log)"
	failed=1
fi

if [ "$KEEP" -eq 1 ]; then
	cat <<USAGE
== the testbed is still running, its engine with $POLICY_CONF. Try:
  ip netns exec pe-client ldapsearch -x -H ldap://$VIP -D uid=pat,ou=people,$BASE -w patpw -b $BASE -s base description
  ip netns exec pe-client ldapsearch -x -H ldap://$VIP -D cn=admin,$BASE -w adminpw -b ou=people,$BASE
  ip netns exec pe-client ldapsearch -x -H ldap://$VIP -b $BASE -s base description   # anonymous: refused (53)
  cd $PWD && $PY -c 'from testbed.telemetry import query; print(query("/pe/stats"))'   # also /pe/rules, /pe/backends, /pe/info
  cd $PWD && $PY -m testbed status
  $PWD/testbed/demo.sh --down   # tear it down
USAGE
fi
exit "$failed"
