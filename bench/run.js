#!/usr/bin/env node
'use strict';
// npm run bench: benchmarks of both packages and the sandbox, every figure against a baseline
// measured in the same run, written to BENCHMARKS.md. Not part of CI (it takes minutes and its
// absolute figures depend on the machine).
//
//   node bench/run.js [--quick] [--only footprint,client,node-red,n8n,scale,events,n8n-queue] [--out FILE]
//                     [--root DIR] [--record FILE]
//
// --root benchmarks another checkout's build (e.g. the commit before a fix); --record writes the
// figures as JSON (bench/before-fixes.json is such a record, shown in the "before and after" part).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { ROOT, machine, loadAverage, npmPack, table, fmt, ratio } = require('./lib/util');

const SECTIONS = {
	footprint: { file: './footprint', heading: '4. Footprint' },
	client: { file: './api-client', heading: '3. Node-RED start/stop client vs raw undici' },
	'node-red': { file: './node-red-http', heading: '1. Node-RED results node vs core `http in` and raw `node:http`' },
	n8n: { file: './n8n-webhook', heading: '2. n8n trigger vs the built-in Webhook node' },
	scale: { file: './sandbox-scale', heading: '5. Sandbox scale' },
	events: { file: './events', heading: '6. Events: items per stream-hour (every result vs on change vs condition vs episodes) and the receiver\'s cost' },
	'n8n-queue': { file: './n8n-queue', heading: '7. n8n queue mode (two webhook processors) vs regular mode: sustained callbacks/s, each executed exactly once' },
};
const ORDER = ['node-red', 'n8n', 'client', 'footprint', 'scale', 'events', 'n8n-queue'];
// Quick runs the same method with less time (for trying the bench, not for figures to keep).
const RUN_ORDER = ['footprint', 'client', 'node-red', 'n8n', 'scale', 'events', 'n8n-queue'];

function parseArgs(argv) {
	const o = { quick: false, only: undefined, out: undefined, root: ROOT, record: undefined };
	for (let i = 0; i < argv.length; i++) {
		const [flag, inline] = argv[i].split('=');
		const value = () => inline ?? argv[++i];
		if (flag === '--quick') o.quick = true;
		else if (flag === '--only') o.only = value().split(',');
		else if (flag === '--out') o.out = path.resolve(value());
		else if (flag === '--root') o.root = path.resolve(value());
		else if (flag === '--record') o.record = path.resolve(value());
		else throw new Error(`unknown argument ${argv[i]}`);
	}
	for (const s of o.only ?? []) if (!SECTIONS[s]) throw new Error(`unknown section ${s} (${Object.keys(SECTIONS).join(', ')})`);
	// A partial or foreign run never overwrites the real report unless asked to.
	o.out ??= !o.only && o.root === ROOT ? path.join(ROOT, 'BENCHMARKS.md') : path.join(os.tmpdir(), 'BENCHMARKS.partial.md');
	return o;
}

function gitDescribe(root) {
	try {
		const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
		const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
		if (root !== ROOT) return fs.existsSync(path.join(root, '.commit')) ? fs.readFileSync(path.join(root, '.commit'), 'utf8').trim() : 'another checkout';
		return dirty ? `${commit} + uncommitted changes` : commit;
	} catch {
		return 'unknown';
	}
}

function settings(quick) {
	return quick
		? {
				'node-red': { duration: 3, rounds: 2, connections: 10 },
				n8n: { duration: 5, rounds: 2, connections: 10, variant: true },
				client: { calls: 1000, rounds: 5 },
				footprint: { samples: 5 },
				scale: { steps: [250, 500, 1000, 2000, 4000, 6000, 8000, 12000, 16000], stepMs: 8000, confirmMs: 20000, warmupMs: 3000 },
				events: { frames: 360, intervalMs: { nodeRed: 20, n8n: 50 }, duration: 3, rounds: 2, connections: 10 },
				'n8n-queue': { rates: [4, 5, 6, 8, 10, 12, 15, 18, 22, 27, 33, 40, 50, 60, 75], stepSeconds: 4, refine: 1, webhookProcessors: 2, workers: 1 },
			}
		: {
				'node-red': { duration: 5, rounds: 5, connections: 10 },
				n8n: { duration: 8, rounds: 3, connections: 10, variant: true },
				client: { calls: 1000, rounds: 15 },
				footprint: { samples: 11 },
				scale: { steps: [250, 500, 1000, 2000, 4000, 6000, 8000, 12000, 16000], stepMs: 15000, confirmMs: 60000, warmupMs: 3000 },
				events: { frames: 720, intervalMs: { nodeRed: 20, n8n: 100 }, duration: 5, rounds: 5, connections: 10 },
				'n8n-queue': { rates: [4, 5, 6, 8, 10, 12, 15, 18, 22, 27, 33, 40, 50, 60, 75], stepSeconds: 10, refine: 2, webhookProcessors: 2, workers: 1, repeatBaseline: true },
			};
}

function versions(results) {
	const nr = results['node-red']?.figures;
	const n8n = results.n8n?.figures?.main;
	let nodeRed = nr ? `${nr.version} (on Node ${nr.nodeVersion})` : undefined;
	if (!nodeRed) {
		try {
			const cache = process.env.MLV_CACHE_DIR || path.join(os.homedir(), '.cache', 'mlv');
			nodeRed = JSON.parse(fs.readFileSync(path.join(cache, 'node-red-4.1/node_modules/node-red/package.json'), 'utf8')).version;
		} catch {
			nodeRed = '4.1 (not run)';
		}
	}
	const undici = JSON.parse(fs.readFileSync(require.resolve('undici/package.json', { paths: [path.join(ROOT, 'node-red')] }), 'utf8')).version;
	const autocannon = JSON.parse(fs.readFileSync(require.resolve('autocannon/package.json', { paths: [ROOT] }), 'utf8')).version;
	return { node: process.version, nodeRed, n8n: n8n ? `${n8n.version} (on Node 24)` : `${require(path.join(ROOT, 'scripts/lib/n8n-host')).DEFAULT_VERSION} (not run)`, undici, autocannon };
}

function beforeAfter(results) {
	const file = path.join(__dirname, 'before-fixes.json');
	if (!fs.existsSync(file)) return '';
	const before = JSON.parse(fs.readFileSync(file, 'utf8'));
	const b = before.results;
	const a = results;
	const rows = [];
	const add = (what, beforeValue, afterValue, fix) => rows.push([what, beforeValue, afterValue, fix]);
	if (b['node-red'] && a['node-red']) {
		const [x, y] = [b['node-red'].figures, a['node-red'].figures];
		add('Node-RED results node / core http-in, req/s', ratio(x.vsCore), ratio(y.vsCore), 'status throttled; secret digests cached');
		add('Node-RED results node / core http-in, CPU per request (inverse)', ratio(x.cpuVsCore), ratio(y.cpuVsCore), '〃');
		add('Node-RED results node / empty route (reference), req/s', ratio(x.ofCeiling), ratio(y.ofCeiling), '〃');
	}
	if (b.n8n && a.n8n) {
		const [x, y] = [b.n8n.figures.main, a.n8n.figures.main];
		add(`n8n trigger / Webhook node, executed /s (sustained)`, ratio(x.ratios.sustained), ratio(y.ratios.sustained), 'version 1.1; n8n answers accepted results once their execution is registered');
		add('n8n trigger / Webhook node, answered req/s', ratio(x.ratios.rps), ratio(y.ratios.rps), '〃');
		add('n8n trigger / Webhook node, CPU per request (inverse)', ratio(x.ratios.cpu), ratio(y.ratios.cpu), '〃');
		add('n8n trigger: executions still running after the load stopped (drain, s)', fmt(x.m.ours.drain, 1), fmt(y.m.ours.drain, 1), '〃');
		const [xl, yl] = [b.n8n.figures.legacy, a.n8n.figures.legacy];
		if (xl && yl) {
			add('n8n (legacy expression engine) trigger / Webhook node, executed /s', ratio(xl.ratios.sustained), ratio(yl.ratios.sustained), '〃');
			add('n8n (legacy expression engine) trigger: answered req/s → executed /s, drain', `${fmt(xl.m.ours.rps)} → ${fmt(xl.m.ours.sustained)}, ${fmt(xl.m.ours.drain, 1)} s`, `${fmt(yl.m.ours.rps)} → ${fmt(yl.m.ours.sustained)}, ${fmt(yl.m.ours.drain, 1)} s`, '〃');
		}
	}
	if (b.client && a.client) {
		const [x, y] = [b.client.figures, a.client.figures];
		add('Node-RED API client: sockets for 1,000 sequential calls', String(x.sockets.ours), String(y.sockets.ours), 'one tick after each answer before the next call');
		add('Node-RED API client / raw undici, time per call', ratio(x.timeRatio), ratio(y.timeRatio), '〃');
		add('Sandbox: raw undici µs per call, first → last round (history grows)', `${fmt(x.rawRounds?.[0])} → ${fmt(x.rawRounds?.at(-1))}`, `${fmt(y.rawRounds?.[0])} → ${fmt(y.rawRounds?.at(-1))}`, 'sandbox: running tasks indexed by key (a start scanned all 20,000 kept tasks)');
	}
	if (b.footprint && a.footprint) {
		const [x, y] = [b.footprint.figures.rows[1], a.footprint.figures.rows[1]];
		add('Node-RED nodes: time to require (net ms)', fmt(x.load, 1), fmt(y.load, 1), 'undici loaded by the first API call');
	}
	if (b.scale && a.scale) {
		const [x, y] = [b.scale.figures, a.scale.figures];
		add('Sandbox: tasks at 1 s with p99 drift ≤ 50 ms', fmt(x.best), fmt(y.best), 'none: delivery is unchanged; the limit (where the sandbox uses a whole core) moves with the machine\'s load');
	}
	if (!rows.length) return '';
	return [
		'## Before and after the fixes',
		'',
		`"Before": the same benchmarks (\`node bench/run.js --root <checkout> --record bench/before-fixes.json\`) on commit ${before.commit}, the product as it was ` +
			`before these fixes, recorded ${before.date} (1-minute load average ${before.load}). "After": this run. Both are ratios against baselines measured in their own run, so they compare; ` +
			`absolute figures of different runs do not.${before.amended ? ` ${before.amended}` : ''}`,
		'',
		table(['figure', 'before', 'after', 'fix'], rows),
		'',
	].join('\n');
}

async function main() {
	const o = parseArgs(process.argv.slice(2));
	const started = Date.now();
	const log = (line) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
	const selected = RUN_ORDER.filter((s) => !o.only || o.only.includes(s));
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
	// Ctrl-C or a kill: the run's folder goes, then the signal does what it would have done. No 'exit' handler runs
	// then, so the hosts' watchdogs see this process die and take their process groups and folders down themselves.
	const onSignal = (signal) => {
		fs.rmSync(work, { recursive: true, force: true });
		process.kill(process.pid, signal);
	};
	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);
	const loadAtStart = loadAverage();
	const results = {};
	let snapshot;
	try {
		for (const dir of [path.join(o.root, 'dist'), path.join(o.root, 'node-red/dist'), path.join(o.root, 'build/sandbox')]) {
			if (!fs.existsSync(dir)) throw new Error(`${dir} is missing: run npm run build first (npm run bench does)`);
		}
		const packs = { n8n: npmPack(o.root, work), nodeRed: npmPack(path.join(o.root, 'node-red'), work) };
		// A snapshot of the build: another job's `npm run build` (which cleans first) must not pull
		// the files from under a running section. Its node_modules are the checkout's.
		snapshot = path.join(work, 'root');
		for (const dir of ['dist', 'node-red/dist', 'build/sandbox']) fs.cpSync(path.join(o.root, dir), path.join(snapshot, dir), { recursive: true });
		fs.symlinkSync(fs.realpathSync(path.join(o.root, 'node_modules')), path.join(snapshot, 'node_modules'), 'dir');
		log(`packed ${packs.n8n.filename} and ${packs.nodeRed.filename}; load average ${loadAtStart}`);
		const conf = settings(o.quick);
		for (const name of selected) {
			const t = Date.now();
			log(`${SECTIONS[name].heading}…`);
			const section = require(SECTIONS[name].file);
			results[name] = await section.run({ root: snapshot, work, packs, tarballs: { nodeRed: packs.nodeRed.file }, log, ...conf[name] });
			results[name].seconds = (Date.now() - t) / 1000;
			results[name].loadAfter = loadAverage();
			log(`${name} done in ${fmt(results[name].seconds)} s`);
		}
	} finally {
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
		fs.rmSync(work, { recursive: true, force: true });
	}
	const seconds = (Date.now() - started) / 1000;
	const m = machine();
	const v = versions(results);
	const commit = gitDescribe(o.root);
	const summary = ORDER.filter((s) => results[s]).flatMap((s) => results[s].summary);
	const report = [
		'# Benchmarks',
		'',
		`Generated by \`npm run bench\` (\`bench/run.js\`${o.quick ? ' --quick' : ''}) on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} from ${commit}, ` +
			`in ${fmt(seconds / 60, 1)} min. Not part of CI. **Every figure that matters is a ratio against a baseline measured in the same run** ` +
			'(interleaved with it, repeated, medians): absolute figures drift on this shared machine.',
		'',
		'## Targets',
		'',
		table(['target', 'figure', ''], summary.map((t) => [t.target, t.figure, t.met ? '**met**' : '**missed**'])),
		'',
		'## Machine and versions',
		'',
		table(
			['', ''],
			[
				['CPU', `${m.cpu}, ${m.cores} cores`],
				['RAM', `${fmt(m.ramGb, 1)} GB`],
				['OS', m.os],
				['Node.js', `${v.node} (benchmarks, sandbox, Node-RED); n8n runs on Node 24`],
				['Node-RED', v.nodeRed],
				['n8n', v.n8n],
				['undici', v.undici],
				['autocannon', v.autocannon],
				['load average (1 / 5 / 15 min)', `${loadAtStart} at the start, ${loadAverage()} at the end`],
			],
		),
		'',
		'The machine is shared: other jobs (real-host test suites) may run at the same time, which is why every figure is a ratio against a baseline taken ' +
			'in the same run, close in time (interleaved rounds), and why CPU time per request is reported next to throughput: it depends much less on ' +
			'what else runs. Each section states the load average during its runs.',
		'',
		'## Method',
		'',
		'- HTTP load: [autocannon](https://github.com/mcollina/autocannon) in its own process (`bench/lib/load-worker.js`), keep-alive connections, no pipelining; every request ' +
			'is a well-formed callback (`POST`, `application/json`, `{"status":0,"task_id":…,"data":{"text":…,"timestamp":…}}`) with a new frame-window timestamp, and every run a new task id.',
		'- Targets under test and their baselines run in rounds, in rotated or alternating order; figures are medians, ratios are medians of per-round ratios.',
		'- Real hosts come from the same harnesses as the end-to-end tests (`scripts/lib/node-red-host.js`, `scripts/lib/n8n-host.js`) with the packages as `npm pack` tarballs, ' +
			'installed the way each host installs them.',
		'- Profiles: `bench/lib/profile-preload.js` (preloaded with `NODE_OPTIONS=--require …` into a host, it writes a `.cpuprofile` between two trigger files) and ' +
			'`node bench/lib/cpuprofile.js <file> [top] [pattern]` (self time by package and function, inclusive time of matching functions).',
		'',
		...ORDER.filter((s) => results[s]).flatMap((s) => [`## ${SECTIONS[s].heading}`, '', results[s].markdown, '']),
		beforeAfter(results),
	].join('\n');
	fs.writeFileSync(o.out, report.replace(/\n{3,}/g, '\n\n'));
	log(`wrote ${o.out} (${fmt(seconds / 60, 1)} min)`);
	if (o.record) {
		const figures = Object.fromEntries(Object.entries(results).map(([k, { markdown, ...rest }]) => [k, rest]));
		const record = { commit, date: new Date().toISOString(), load: loadAtStart, quick: o.quick, results: figures };
		fs.writeFileSync(o.record, JSON.stringify(record, null, '\t') + '\n');
		log(`recorded figures in ${o.record}`);
	}
}

main().catch((error) => {
	process.stderr.write(`bench failed: ${error.stack || error}\n`);
	process.exit(1);
});
