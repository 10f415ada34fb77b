'use strict';
// Run in a fresh process: requires `preload` (untimed: what the host has loaded already), then
// times the require of every file in `files`. Prints {"ms": …}.
const o = JSON.parse(process.argv[2]);
for (const f of o.preload || []) require(f);
const t0 = process.hrtime.bigint();
for (const f of o.files) require(f);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
process.stdout.write(JSON.stringify({ ms }) + '\n');
