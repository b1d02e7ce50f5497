#!/usr/bin/env bash
# Installs the Debian packages that tests and benchmarks need. Idempotent and quiet when all is present.
# Usage: scripts/ensure-deps.sh [--quiet]
# Without root or apt-get it only reports what is missing (tests that need it skip with a printed reason).
set -u
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have iptables  || need+=(iptables)
have ip        || need+=(iproute2)
have etcd      || need+=(etcd-server)
have etcdctl   || need+=(etcd-client)
have dig       || need+=(dnsutils)
have mosquitto || need+=(mosquitto)
have haproxy   || need+=(haproxy)
have dnsmasq   || need+=(dnsmasq-base)
have conntrack || need+=(conntrack)
have kubectl   || need+=(kubernetes-client)
have curl      || need+=(curl)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! have apt-get; then
  echo "ensure-deps: cannot install (${need[*]}): not root or no apt-get" >&2
  exit 0
fi
# One installer at a time even when several test workers call this at once.
exec 9>/tmp/edgemesh-ensure-deps.lock
flock 9
export DEBIAN_FRONTEND=noninteractive
# Re-check under the lock: another worker may have installed them meanwhile.
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "ensure-deps: installing ${missing[*]}" >&2
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/edgemesh-ensure-deps.log 2>&1; then
  apt-get update -q >>/tmp/edgemesh-ensure-deps.log 2>&1
  apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/edgemesh-ensure-deps.log 2>&1 || {
    echo "ensure-deps: apt-get failed, see /tmp/edgemesh-ensure-deps.log" >&2; exit 0; }
fi
# Debian starts these daemons on install; stop them through their service only. Tests start their own
# on free loopback ports, so a daemon that survives this never collides with them (never kill by name).
for svc in etcd mosquitto haproxy; do (systemctl stop "$svc" || service "$svc" stop) >/dev/null 2>&1 || true; done
exit 0
