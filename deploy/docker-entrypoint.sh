#!/bin/sh
# The image's entry point: apply the database migrations (unless SLAWATCH_MIGRATE=0), then run the
# command (gunicorn by default, or `slawatch worker`).
set -eu
if [ "${SLAWATCH_MIGRATE:-1}" != "0" ]; then
  slawatch db upgrade
fi
exec "$@"
