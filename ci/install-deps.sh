#!/bin/bash
# Installs everything ProxyEngine needs to build, test and run its testbed on Debian 12.
# Idempotent and non-interactive: packages already present are left alone.
set -euo pipefail

PKGS=(
	# build
	build-essential meson ninja-build pkg-config
	libdpdk-dev dpdk libpcap-dev libcmocka-dev libconfig-dev libsodium-dev
	# testbed
	iproute2 iputils-ping procps
	slapd ldap-utils tcpdump
	python3 python3-pytest python3-scapy python3-ldap3
	# benchmark: instruction counts (testbed/callgrind.py)
	valgrind
	# reference LDAP dissector for pytest/test_ber_tshark.py
	tshark
	# the side-by-side comparison of issue 7 (testbed/haproxy.py)
	haproxy
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep the package's own slapd instance from being configured or started: the
# testbed runs its own throwaway instances inside network namespaces.
echo 'slapd slapd/no_configuration boolean true' | debconf-set-selections
# tshark pulls in wireshark-common, which otherwise asks whether to install dumpcap setuid.
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# haproxy's package enables and starts its own service with /etc/haproxy/haproxy.cfg (where
# invoke-rc.d allows it). The testbed runs its own instance in a netns (testbed/haproxy.py):
# stop and disable the packaged one when this run has just installed it, never otherwise.
if [[ " ${missing[*]} " == *" haproxy "* ]]; then
	if [ -d /run/systemd/system ]; then
		systemctl disable --now haproxy 2>/dev/null || true
	elif [ -x /etc/init.d/haproxy ]; then
		/etc/init.d/haproxy stop >/dev/null 2>&1 || true
		update-rc.d haproxy disable >/dev/null 2>&1 || true
	fi
fi
