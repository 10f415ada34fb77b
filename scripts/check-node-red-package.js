'use strict';
// `node-red-dev validate` on node-red/ (the Node-RED scorecard), without stdin, with the online
// catalogue stubbed out: P08 and N01 need it and are reported as not run; every other check must
// pass. Also reports the tarball's size and runtime dependencies. Run after `npm run build`.
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const pkgDir = path.join(root, 'node-red');
const NEEDS_CATALOGUE = new Set(['P08', 'N01']);
/** node-red-dev prints these as warnings, and so do we, with the reason. */
const DELIBERATE = {
	D03: 'undici 7 is the newest major that runs on Node 20.18.1, the lowest Node that engines.node promises (Node-RED 4.1 on Node 20; undici 8 needs Node 22.19)',
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-validate-'));
try {
	const scoreFile = path.join(work, 'score.json');
	const run = spawnSync(
		process.execPath,
		[require.resolve('node-red-dev/bin/run'), 'validate', '-p', pkgDir, '-o', scoreFile],
		{
			cwd: root,
			stdio: ['ignore', 'pipe', 'pipe'],
			encoding: 'utf8',
			env: { ...process.env, NODE_OPTIONS: `--require ${path.join(__dirname, 'lib/node-red-dev-offline.js')}` },
			timeout: 5 * 60 * 1000,
		},
	);
	const output = `${run.stdout}${run.stderr}`;
	if (!fs.existsSync(scoreFile)) {
		console.log(output);
		throw new Error(`node-red-dev validate wrote no scorecard (exit ${run.status})`);
	}
	const score = JSON.parse(fs.readFileSync(scoreFile, 'utf8'));
	let failed = 0;
	for (const [check, result] of Object.entries(score).filter(([k]) => /^[A-Z]\d\d$/.test(k))) {
		const skipped = NEEDS_CATALOGUE.has(check);
		const passed = result.test === true;
		const deliberate = !passed && DELIBERATE[check] !== undefined;
		if (!passed && !skipped && !deliberate) failed++;
		const label = skipped
			? 'not run (needs catalogue.nodered.org)'
			: passed
				? 'pass'
				: deliberate
					? `warning, deliberate: ${DELIBERATE[check]}`
					: 'FAIL';
		console.log(`${check}  ${label}${result.warnings?.length ? `  warnings: ${result.warnings.join('; ')}` : ''}${!passed && result.errors?.length ? `  errors: ${result.errors.join('; ')}` : ''}`);
	}
	// P05's result is always recorded as a pass (a node-red-dev bug): read its message instead.
	if (/P05.*(missing|not)/i.test(output)) {
		console.log('P05  FAIL (keyword node-red missing)');
		failed++;
	}
	const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: pkgDir, encoding: 'utf8' }))[0];
	const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
	console.log(`tarball: ${packed.entryCount} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked; runtime dependencies: ${Object.keys(pkg.dependencies ?? {}).join(', ')}`);
	process.exitCode = failed === 0 ? 0 : 1;
} finally {
	fs.rmSync(work, { recursive: true, force: true });
}
