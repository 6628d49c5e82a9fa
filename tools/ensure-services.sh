#!/usr/bin/env bash
# Make sure the services the test suite talks to are up; install what is missing (as root, from
# Debian's packages). Where a service cannot be had, say so: its tests then skip with a clear reason.
set -u
PGVER=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
say() { printf 'services: %s\n' "$*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
APT_UPDATED=0
apt_install() {
  [ "$(id -u)" = 0 ] || { say "not root: cannot install $*"; return 1; }
  if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq >/dev/null 2>&1; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

# PostgreSQL + PostGIS
if [ -n "$PGVER" ]; then
  if ! port_open 5432; then
    say "starting PostgreSQL $PGVER"
    pg_ctlcluster --skip-systemctl-redirect "$PGVER" main start 2>/dev/null || true
  fi
  if [ ! -f "/usr/share/postgresql/$PGVER/extension/postgis.control" ]; then
    say "installing postgresql-$PGVER-postgis-3"
    apt_install "postgresql-$PGVER-postgis-3" || say "PostGIS could not be installed"
  fi
  if port_open 5432; then
    for db in yingji_test yingji_bench; do
      psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" 2>/dev/null | grep -q 1 \
        || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $db" >/dev/null 2>&1
      psql -h 127.0.0.1 -U postgres -d "$db" -qc "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null 2>&1 \
        || say "could not create the postgis extension in $db"
    done
  else
    say "PostgreSQL is not reachable on 127.0.0.1:5432"
  fi
else
  say "no PostgreSQL installed; PostgreSQL tests will skip"
fi

# Redis
if ! port_open 6379 && command -v redis-server >/dev/null; then
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1 || true
fi

# Mosquitto (MQTT)
if ! port_open 1883 && command -v mosquitto >/dev/null; then
  say "starting Mosquitto"
  mosquitto -d -c /etc/mosquitto/mosquitto.conf >/dev/null 2>&1 || true
fi

# NATS JetStream
if ! port_open 4222 && [ -x /usr/sbin/nats-server ]; then
  say "starting NATS"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
fi

# Chromium for the browser tests (Debian's packages; never a browser download)
if [ ! -x /usr/bin/chromium ]; then
  say "installing chromium and chromium-driver"
  apt_install chromium chromium-driver || say "Chromium could not be installed; browser tests will skip"
fi
# docker-compose (Debian's; only to check deploy/compose.yaml statically: no engine, no image)
if ! command -v docker-compose >/dev/null; then
  say "installing docker-compose (static check of deploy/compose.yaml)"
  apt_install docker-compose || say "docker-compose could not be installed; its check will skip"
fi
# A CJK font, so that screenshots of the Chinese pages show characters, not boxes
if command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh 2>/dev/null | head -n1)" ]; then
  say "installing a CJK font (fonts-wqy-microhei)"
  apt_install fonts-wqy-microhei || say "no CJK font could be installed"
fi

sleep 0.5
for p in 5432:PostgreSQL 6379:Redis 1883:Mosquitto 4222:NATS; do
  port_open "${p%%:*}" && say "${p#*:} up" || say "${p#*:} DOWN (its tests will skip)"
done
exit 0
