#!/usr/bin/env bash
# Refreshes the browser assets the server ships (no CDN is reachable from the machines it runs on):
# GraphiQL 3 with React 18, from the npm registry. Run it by hand when upgrading; the files are committed.
set -euo pipefail
dest=$(cd "$(dirname "$0")/.." && pwd)/app/ui/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent graphiql@3.8.3 react@18.3.1 react-dom@18.3.1 >/dev/null
for f in *.tgz; do mkdir "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done
cp graphiql-3.8.3/package/graphiql.min.js graphiql-3.8.3/package/graphiql.min.css "$dest/"
cp react-18.3.1/package/umd/react.production.min.js react-dom-18.3.1/package/umd/react-dom.production.min.js "$dest/"
cp graphiql-3.8.3/package/LICENSE "$dest/LICENSE.graphiql"
cp react-18.3.1/package/LICENSE "$dest/LICENSE.react"
