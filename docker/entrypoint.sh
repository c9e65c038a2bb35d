#!/bin/sh
# Entrypoint of the DSAR image: runs before every command the image starts (gunicorn, the
# Celery worker and beat, manage.py), then hands over to it.
#
# STATIC_ROOT is $DSAR_VAR_DIR/static, but the data volume mounted on $DSAR_VAR_DIR outlives
# the image, so the static files collected at build time live outside it, in
# /opt/dsar/static, and $DSAR_VAR_DIR/static must be a link to them. A volume first created
# from this image already has the link; this puts it in place on any other volume (a bind
# mount, a volume created elsewhere) and repairs it if it points somewhere else.
set -eu

static_src=/opt/dsar/static
var_dir=${DSAR_VAR_DIR:-/var/lib/dsar}
link=$var_dir/static

warn() { echo "dsar-entrypoint: $*" >&2; }

if [ -d "$static_src" ] && [ "$(readlink "$link" 2>/dev/null || true)" != "$static_src" ]; then
  if [ -d "$link" ] && [ ! -L "$link" ]; then
    # Something else put a real directory there: leave it alone, but say why pages may
    # point at static files that do not exist.
    warn "$link is a directory, not a link to $static_src: static files may be out of date"
  elif mkdir -p "$var_dir" 2>/dev/null; then
    # web, worker and beat may start at the same moment on one volume: each builds its own
    # link and renames it into place, which is atomic, so none of them sees a half-made one.
    tmp=$(mktemp -u "$var_dir/.static.XXXXXXXX")
    if ln -s "$static_src" "$tmp" 2>/dev/null && mv -f -T "$tmp" "$link" 2>/dev/null; then
      :
    else
      rm -f "$tmp" 2>/dev/null || true
      warn "cannot link $link to $static_src: is $var_dir writable by uid $(id -u)?"
    fi
  else
    warn "cannot create $var_dir: is it writable by uid $(id -u)?"
  fi
fi

exec "$@"
