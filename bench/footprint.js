'use strict';
// 4. Footprint: packed and unpacked size of both tarballs, runtime dependencies, and the time to
// require every node module of each package in a fresh process vs an empty require.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { median, fmt, verdict, table } = require('./lib/util');

const kb = (bytes) => `${fmt(bytes / 1024, 1)} KB`;

function timeRequire(spec) {
	const out = execFileSync(process.execPath, [path.join(__dirname, 'lib/require-timer.js'), JSON.stringify(spec)], { encoding: 'utf8' });
	return JSON.parse(out).ms;
}

/** Counts installed packages under node_modules (nested too), without `except`. */
function countPackages(nodeModules, except) {
	let count = 0;
	if (!fs.existsSync(nodeModules)) return 0;
	for (const entry of fs.readdirSync(nodeModules)) {
		if (entry.startsWith('.')) continue;
		const dirs = entry.startsWith('@') ? fs.readdirSync(path.join(nodeModules, entry)).map((e) => path.join(entry, e)) : [entry];
		for (const d of dirs) {
			if (d === except) continue;
			count++;
			count += countPackages(path.join(nodeModules, d, 'node_modules'));
		}
	}
	return count;
}

/**
 * @param {{root: string, packs: {n8n: any, nodeRed: any}, samples: number, log: (s: string) => void}} ctx
 */
async function run(ctx) {
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-footprint-'));
	try {
		// n8n: the tarball unpacked as n8n's installer does, n8n-workflow resolvable (n8n provides it).
		const n8nPkgDir = path.join(work, 'n8n/node_modules', ctx.packs.n8n.name);
		fs.mkdirSync(n8nPkgDir, { recursive: true });
		execFileSync('tar', ['-xzf', ctx.packs.n8n.file, '-C', n8nPkgDir, '--strip-components=1']);
		fs.symlinkSync(path.join(ctx.root, 'node_modules/n8n-workflow'), path.join(work, 'n8n/node_modules/n8n-workflow'), 'dir');
		const n8nPkg = JSON.parse(fs.readFileSync(path.join(n8nPkgDir, 'package.json'), 'utf8'));
		const n8nFiles = [...n8nPkg.n8n.nodes, ...n8nPkg.n8n.credentials].map((f) => path.join(n8nPkgDir, f));
		const n8nWorkflow = path.join(work, 'n8n/node_modules/n8n-workflow');

		// Node-RED: the tarball installed with npm, as the palette manager does (its runtime dependencies come along).
		const redDir = path.join(work, 'node-red');
		fs.mkdirSync(redDir);
		fs.writeFileSync(path.join(redDir, 'package.json'), JSON.stringify({ name: 'bench-footprint', private: true }));
		execFileSync('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', ctx.packs.nodeRed.file], {
			cwd: redDir,
			stdio: ['ignore', 'ignore', 'pipe'],
		});
		const redPkgDir = path.join(redDir, 'node_modules', ctx.packs.nodeRed.name);
		const redPkg = JSON.parse(fs.readFileSync(path.join(redPkgDir, 'package.json'), 'utf8'));
		const redFiles = Object.values(redPkg['node-red'].nodes).map((f) => path.join(redPkgDir, f));
		const redInstalled = countPackages(path.join(redDir, 'node_modules'), ctx.packs.nodeRed.name);

		const empty = path.join(__dirname, 'lib/empty.js');
		// Node built-ins every host process has loaded long before it loads nodes.
		const builtins = ['node:crypto', 'node:events', 'node:http', 'node:https', 'node:url', 'node:stream'];
		const specs = {
			empty: { preload: builtins, files: [empty] },
			n8n: { preload: [...builtins, n8nWorkflow], files: n8nFiles },
			n8nCold: { preload: builtins, files: n8nFiles },
			nodeRed: { preload: builtins, files: redFiles },
			undici: { preload: builtins, files: [path.join(redDir, 'node_modules/undici')] },
		};
		const t = Object.fromEntries(Object.keys(specs).map((k) => [k, []]));
		ctx.log('footprint: timing requires');
		for (let i = 0; i < ctx.samples; i++) for (const [k, spec] of Object.entries(specs)) t[k].push(timeRequire(spec));
		const ms = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
		const net = (k) => ms[k] - ms.empty;

		const deps = (pkg) => Object.keys(pkg.dependencies || {});
		const rows = [
			{
				name: `\`${ctx.packs.n8n.name}\` (n8n)`,
				pack: ctx.packs.n8n,
				deps: deps(n8nPkg),
				installed: 0,
				files: n8nFiles.length,
				load: net('n8n'),
				maxKb: 60,
				maxDeps: 0,
			},
			{
				name: `\`${ctx.packs.nodeRed.name}\` (Node-RED)`,
				pack: ctx.packs.nodeRed,
				deps: deps(redPkg),
				installed: redInstalled,
				files: redFiles.length,
				load: net('nodeRed'),
				maxKb: 80,
				maxDeps: 1,
			},
		];
		const markdown = [
			'Tarballs from `npm pack` of the built packages. Runtime dependencies: `dependencies` of the packed package.json (what installing it pulls in, ' +
				'counted in `node_modules` after `npm install --omit=dev` of the tarball). Load time: a fresh `node` process requires every node module the host loads ' +
				`(n8n: the files listed in \`package.json\` → \`n8n.nodes\` and \`n8n.credentials\`, from the unpacked tarball, with \`n8n-workflow\` ${''}` +
				'already loaded as it is in n8n; Node-RED: the four files of `node-red.nodes` from the npm-installed tarball), timed with `process.hrtime` around the ' +
				'`require` calls, after the Node built-ins every host has loaded already (`crypto`, `events`, `http`, `https`, `url`, `stream`); the baseline is the same ' +
				`process requiring an empty module. ${ctx.samples} fresh processes each, interleaved; medians. ` +
				'Load figures below are net of the baseline.',
			'',
			table(
				['package', 'packed', 'unpacked', 'files in tarball', 'runtime deps (installed packages)', 'node modules', 'load ms (net)'],
				rows.map((r) => [r.name, kb(r.pack.size), kb(r.pack.unpackedSize), String(r.pack.entryCount), `${r.deps.length} ${r.deps.length ? `(${r.deps.join(', ')}; ${r.installed} installed)` : ''}`.trim(), String(r.files), fmt(r.load, 1)]),
			),
			'',
			`Baseline (empty require): ${fmt(ms.empty, 2)} ms. Gross: n8n ${fmt(ms.n8n, 1)} ms, Node-RED ${fmt(ms.nodeRed, 1)} ms. ` +
				`For information, n8n nodes with \`n8n-workflow\` not yet loaded (a cold process): ${fmt(ms.n8nCold, 1)} ms. ` +
				`The Node-RED nodes load \`undici\` (${fmt(net('undici'), 1)} ms) with the first API call, not when Node-RED loads them.`,
			'',
			table(
				['target', 'figure', ''],
				[
					[`n8n tarball ≤ 60 KB`, kb(rows[0].pack.size), verdict(rows[0].pack.size <= 60 * 1024)],
					['n8n runtime dependencies = 0', String(rows[0].deps.length), verdict(rows[0].deps.length === 0)],
					[`Node-RED tarball ≤ 80 KB`, kb(rows[1].pack.size), verdict(rows[1].pack.size <= 80 * 1024)],
					['Node-RED runtime dependencies ≤ 1', String(rows[1].deps.length), verdict(rows[1].deps.length <= 1)],
					['n8n load ≤ 20 ms', `${fmt(rows[0].load, 1)} ms`, verdict(rows[0].load <= 20)],
					['Node-RED load ≤ 20 ms', `${fmt(rows[1].load, 1)} ms`, verdict(rows[1].load <= 20)],
				],
			),
		].join('\n');
		const sizeOk = (r) => r.pack.size <= r.maxKb * 1024 && r.deps.length <= r.maxDeps;
		return {
			markdown,
			figures: { ms, rows: rows.map((r) => ({ name: r.name, size: r.pack.size, unpacked: r.pack.unpackedSize, deps: r.deps, installed: r.installed, load: r.load })) },
			summary: [
				{ target: 'n8n tarball ≤ 60 KB, 0 runtime deps', figure: `${kb(rows[0].pack.size)}, ${rows[0].deps.length}`, met: sizeOk(rows[0]) },
				{ target: 'Node-RED tarball ≤ 80 KB, ≤ 1 runtime dep', figure: `${kb(rows[1].pack.size)}, ${rows[1].deps.length}`, met: sizeOk(rows[1]) },
				{ target: 'n8n nodes load ≤ 20 ms (net)', figure: `${fmt(rows[0].load, 1)} ms`, met: rows[0].load <= 20 },
				{ target: 'Node-RED nodes load ≤ 20 ms (net)', figure: `${fmt(rows[1].load, 1)} ms`, met: rows[1].load <= 20 },
			],
		};
	} finally {
		fs.rmSync(work, { recursive: true, force: true });
	}
}

module.exports = { title: 'Footprint', run };
