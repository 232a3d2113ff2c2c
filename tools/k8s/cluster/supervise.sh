#!/usr/bin/env bash
# supervise.sh NAME LOG -- COMMAND...: run COMMAND, restart it 1 s after it
# exits, until TERM or INT, which stop COMMAND and then this loop. Stands in
# for a service manager on machines without systemd; cluster-up.sh starts it
# with setsid and keeps its pid in /run/labtui-cluster/NAME.pid, so that
# cluster-down.sh stops exactly this process group.
set -u
name="$1" log="$2"
shift 3
child=""
stop() {
  echo "$(date -u +%FT%TZ) supervise $name: stopping" >>"$log"
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  exit 0
}
trap stop TERM INT
while :; do
  echo "$(date -u +%FT%TZ) supervise $name: starting $*" >>"$log"
  "$@" >>"$log" 2>&1 &
  child=$!
  echo "$child" >"/run/labtui-cluster/$name.child.pid"
  wait "$child"
  rc=$?
  echo "$(date -u +%FT%TZ) supervise $name: exited with $rc, restarting in 1 s" >>"$log"
  sleep 1 &
  wait $!
done
