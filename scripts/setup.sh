#!/usr/bin/env bash
# Installs what the app needs into ./.venv and vendors the front-end libraries from the npm
# registry into frontend/static/vendor (never a CDN). Safe to run again: skips what is current.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv
fi
python_stamp=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat .venv/.setup-stamp 2>/dev/null || true)" != "$python_stamp" ]; then
  # uv installs the project into the venv in a few seconds of CPU where pip took about 40 (a
  # fresh clone's set-up is the part of a CI run that nothing runs beside).
  .venv/bin/python -m pip install -qq --disable-pip-version-check uv
  .venv/bin/uv pip install --quiet --python .venv/bin/python -e ".[test]"
  echo "$python_stamp" > .venv/.setup-stamp
fi

node_stamp=$(cat package.json package-lock.json | sha256sum | cut -c1-16)
if [ "$(cat node_modules/.setup-stamp 2>/dev/null || true)" != "$node_stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$node_stamp" > node_modules/.setup-stamp
fi
mkdir -p frontend/static/vendor
cp node_modules/htmx.org/dist/htmx.min.js frontend/static/vendor/htmx.min.js
cp node_modules/@picocss/pico/css/pico.min.css frontend/static/vendor/pico.min.css
cp node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js frontend/static/vendor/simplewebauthn-browser.min.js
cp node_modules/htmx-ext-sse/dist/sse.min.js frontend/static/vendor/htmx-ext-sse.min.js
# Idiomorph with its htmx extension ("morph"), for the live staff queues.
cp node_modules/idiomorph/dist/idiomorph-ext.min.js frontend/static/vendor/idiomorph-ext.min.js
cp node_modules/exifr/dist/mini.umd.js frontend/static/vendor/exifr.min.js
mkdir -p frontend/static/vendor/leaflet/images
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css frontend/static/vendor/leaflet/
cp node_modules/leaflet/dist/images/*.png frontend/static/vendor/leaflet/images/
cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js node_modules/leaflet.markercluster/dist/MarkerCluster.css \
  node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css frontend/static/vendor/leaflet/
