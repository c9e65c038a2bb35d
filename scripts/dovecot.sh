#!/usr/bin/env bash
# A throwaway Dovecot IMAP server on loopback, for the mailbox intake tests.
#
#   scripts/dovecot.sh start         install (Debian's dovecot-imapd) if missing, start it
#   scripts/dovecot.sh stop          stop it
#   scripts/dovecot.sh env           print the environment that points at it
#   scripts/dovecot.sh run -- CMD    start, run CMD with that environment, stop (always)
#
# It listens on 127.0.0.1 only, speaks IMAPS only, on a non-default port (DSAR_TEST_IMAP_PORT,
# default 56993), with a self-signed certificate made at first start, one user `privacy` whose
# random password is in var/services/dovecot/password, and its configuration under
# var/services/dovecot/. What Dovecot's unprivileged processes read (the user list, the maildir,
# the sockets) lives in folders under /tmp, so a checkout inside a private (0700) directory
# works too. It never reads or changes the system's /etc/dovecot. It holds nothing but test mail
# and is removed by `make clean`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
home="$root/var/services/dovecot"
port=${DSAR_TEST_IMAP_PORT:-56993}
conf="$home/dovecot.conf"
user=privacy

say() { echo "dovecot: $*" >&2; }

# Debian puts the server in /usr/sbin, which a normal user's PATH may not name.
dovecot_bin() { type -P dovecot || echo /usr/sbin/dovecot; }
dovecot() { "$(dovecot_bin)" "$@"; }

install_missing() {
  [ -x "$(dovecot_bin)" ] && [ -x /usr/lib/dovecot/imap ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "missing dovecot-imapd: install it with 'sudo apt-get install dovecot-imapd' and run again"
    exit 1
  fi
  say "installing dovecot-imapd from Debian's packages"
  apt-get update -qq
  # The package's own service stays off where policy-rc.d forbids it (containers); elsewhere it
  # listens on 143/993 with /etc/dovecot, which this server never touches.
  apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null
}

# As root, Dovecot's master stays root and drops to the users the Debian package creates:
# `dovenull` for the login processes, `dovecot` for its internal processes and for the test
# mailbox (mail may not belong to root). Without root, everything runs as the current user.
mail_user() {
  if [ "$(id -u)" -eq 0 ]; then echo dovecot; else id -un; fi
}

# The master's sockets live in a short folder under /tmp: a Unix socket path longer than
# 108 bytes fails, and a checkout may sit deep. Its path is remembered, like the PostgreSQL one.
run_dir() {
  local remembered="$home/run.path"
  if [ -f "$remembered" ] && [ -d "$(cat "$remembered")" ]; then cat "$remembered"; return; fi
  local dir
  dir=$(mktemp -d /tmp/dsar-dovecot.XXXXXX)
  chmod 755 "$dir"
  echo "$dir" >"$remembered"
  echo "$dir"
}

# The maildir is var/services/dovecot/mail when the mail user can reach it, or else a folder
# under /tmp (a checkout inside a private home directory).
mail_dir() {
  local remembered="$home/mail.path"
  if [ -f "$remembered" ] && [ -d "$(cat "$remembered")" ]; then cat "$remembered"; return; fi
  local dir="$home/mail" owner
  owner=$(mail_user)
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown "$owner:" "$dir"
    if ! runuser -u "$owner" -- test -w "$dir"; then
      dir=$(mktemp -d /tmp/dsar-dovecot-mail.XXXXXX)
      chown "$owner:" "$dir"
    fi
  fi
  echo "$dir" >"$remembered"
  echo "$dir"
}

configure() {
  mkdir -p "$home"
  if [ ! -f "$home/cert.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=127.0.0.1" \
      -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
      -keyout "$home/key.pem" -out "$home/cert.pem" >/dev/null 2>&1
    chmod 600 "$home/key.pem"
  fi
  if [ ! -f "$home/password" ]; then
    (umask 077 && openssl rand -hex 16 >"$home/password")
  fi
  local owner uid gid mail run
  owner=$(mail_user)
  uid=$(id -u "$owner")
  gid=$(id -g "$owner")
  mail=$(mail_dir)
  run=$(run_dir)
  # passwd-file: user:password:uid:gid:gecos:home:shell. Dovecot's auth process reads it as
  # the internal user, so as root it is readable by that user's group and no one else. It sits
  # in the run folder under /tmp: the internal user may not pass through the checkout's parents.
  local users="$run/users"
  (umask 077 && printf '%s:{PLAIN}%s:%s:%s::%s/%s::\n' "$user" "$(cat "$home/password")" "$uid" "$gid" "$mail" "$user" >"$users")
  if [ "$(id -u)" -eq 0 ]; then chgrp dovecot "$users"; chmod 640 "$users"; fi
  # Without root Dovecot can neither change users nor chroot: everything runs as this user.
  local login_user=dovenull internal_user=dovecot internal_group=dovecot login_chroot=login anvil_chroot=empty
  if [ "$(id -u)" -ne 0 ]; then
    login_user=$owner
    internal_user=$owner
    internal_group=$(id -gn)
    login_chroot=""
    anvil_chroot=""
  fi
  cat >"$conf" <<EOF
# Written by scripts/dovecot.sh; it is rewritten at each start.
instance_name = dsar-test-dovecot-$port
base_dir = $run
state_dir = $run/state
listen = 127.0.0.1
protocols = imap
log_path = $home/dovecot.log
default_internal_user = $internal_user
default_internal_group = $internal_group
default_login_user = $login_user
first_valid_uid = $uid
last_valid_uid = $uid

ssl = required
ssl_cert = <$home/cert.pem
ssl_key = <$home/key.pem
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain
disable_plaintext_auth = yes

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $users
}
userdb {
  driver = passwd-file
  args = username_format=%u $users
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}

service anvil {
  chroot = $anvil_chroot
}
service imap-login {
  chroot = $login_chroot
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $port
    ssl = yes
  }
}
EOF
}

running() {
  local run
  [ -f "$home/run.path" ] || return 1
  run=$(cat "$home/run.path")
  [ -f "$run/master.pid" ] && kill -0 "$(cat "$run/master.pid")" 2>/dev/null
}

listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

start() {
  if running; then
    say "Dovecot already running on 127.0.0.1:$port"
    return 0
  fi
  configure
  mkdir -p "$(run_dir)/state"
  dovecot -c "$conf" || { say "Dovecot did not start; see $home/dovecot.log"; exit 1; }
  local i
  for i in $(seq 1 100); do
    listening && { say "Dovecot (IMAPS) on 127.0.0.1:$port"; return 0; }
    sleep 0.1
  done
  say "Dovecot did not start; see $home/dovecot.log"
  exit 1
}

stop() {
  running || return 0
  dovecot -c "$conf" stop
  local i
  for i in $(seq 1 100); do
    running || { say "Dovecot stopped"; return 0; }
    sleep 0.1
  done
  say "Dovecot did not stop; see $home/dovecot.log"
  exit 1
}

print_env() {
  local password=""
  [ -f "$home/password" ] && password=$(cat "$home/password")
  echo "export DSAR_TEST_IMAP_HOST=127.0.0.1 DSAR_TEST_IMAP_PORT=$port DSAR_TEST_IMAP_USER=$user" \
    "DSAR_TEST_IMAP_PASSWORD=$password DSAR_TEST_IMAP_CAFILE=$home/cert.pem"
}

case "${1:-}" in
  start) install_missing; start ;;
  stop) stop ;;
  env) print_env ;;
  run)
    shift
    [ "${1:-}" = "--" ] && shift
    install_missing
    trap stop EXIT
    start
    eval "$(print_env)"
    "$@"
    ;;
  *) echo "usage: $0 start|stop|env|run -- COMMAND" >&2; exit 2 ;;
esac
