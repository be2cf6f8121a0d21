#!/usr/bin/env bash
# The outage lab's network: five namespaces of its own, nothing on the host's interfaces or rules.
#
#   twlab-hub   a bridge (br0) joining the four below — the "internet"
#   twlab-ivr   10.77.0.1  the IVR platform: Kamailio dispatcher (outbound proxy) + SIPp
#   twlab-a     10.77.0.2  site A's trunkwise edge (primary)
#   twlab-b     10.77.0.3  site B's trunkwise edge
#   twlab-car   10.77.0.4  the carriers (simulator)
#
#   lab/netns.sh up          create (removes leftovers first)
#   lab/netns.sh down        remove everything (idempotent)
#   lab/netns.sh loss NS P   drop a share P (0..1) of the packets to and from NS (iptables statistic
#                            match, inside the lab's namespaces only); P=0 removes the loss
#
# Every drop happens on arrival (INPUT): in NS for what it receives, and in the other nodes for what
# NS sent them. A DROP in NS's own OUTPUT chain would not be a lossy link: the kernel tells the sender
# (sendto fails with EPERM), which a real uplink losing packets never does.
set -euo pipefail

NODES=(ivr a b car)
declare -A ADDR=([ivr]=10.77.0.1 [a]=10.77.0.2 [b]=10.77.0.3 [car]=10.77.0.4)
NS() { echo "twlab-$1"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

down() {
  for n in "${NODES[@]}" hub; do
    ip netns pids "$(NS "$n")" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$(NS "$n")" 2>/dev/null || true
  done
}

up() {
  down
  ip netns add "$(NS hub)"
  in_ns "$(NS hub)" ip link set lo up
  in_ns "$(NS hub)" ip link add br0 type bridge
  in_ns "$(NS hub)" ip link set br0 up
  for n in "${NODES[@]}"; do
    local ns; ns=$(NS "$n")
    ip netns add "$ns"
    in_ns "$ns" ip link set lo up
    ip link add eth0 netns "$ns" type veth peer name "v-$n" netns "$(NS hub)"
    in_ns "$(NS hub)" ip link set "v-$n" master br0 up
    in_ns "$ns" ip addr add "${ADDR[$n]}/24" dev eth0
    in_ns "$ns" ip link set eth0 up
    in_ns "$ns" iptables -N TWLAB
    in_ns "$ns" iptables -A INPUT -i eth0 -j TWLAB
  done
}

loss() {
  local node=$1 p=$2 n
  for n in "${NODES[@]}"; do
    in_ns "$(NS "$n")" iptables -F TWLAB
    [ "$p" = "0" ] && continue
    if [ "$n" = "$node" ]; then
      in_ns "$(NS "$n")" iptables -A TWLAB -m statistic --mode random --probability "$p" -j DROP
    else
      in_ns "$(NS "$n")" iptables -A TWLAB -s "${ADDR[$node]}" -m statistic --mode random --probability "$p" -j DROP
    fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  loss) loss "$2" "$3" ;;
  *) echo "usage: lab/netns.sh up|down|loss NODE P" >&2; exit 2 ;;
esac
