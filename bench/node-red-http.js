'use strict';
// 1. Node-RED results node vs core `http in` → `http response`, and vs a raw node:http server,
// on one real Node-RED 4.1 with our packed tarball installed the way the palette manager does.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startChild, runLoadWithCpu, median, fmt, ratio, verdict, table, sleep, ROOT } = require('./lib/util');

const host = require(path.join(ROOT, 'scripts/lib/node-red-host'));

const SECRET = 'bench-results-secret-0123456789abcdefXYZ';

function flows() {
	const nodes = [
		{ id: 'tab', type: 'tab', label: 'bench' },
		// Ours: answers 200 at once, then sends the message on to the no-op.
		{
			id: 'ours',
			type: 'memories-live-results',
			z: 'tab',
			name: 'ours',
			path: '/bench/ours',
			emit: 'all',
			ignoreDuplicates: true,
			credentials: { secret: SECRET },
			wires: [['noop-ours'], []],
		},
		{ id: 'noop-ours', type: 'change', z: 'tab', name: 'no-op', rules: [], wires: [[]] },
		// Core: http in → http response, and the same no-op.
		{ id: 'core-in', type: 'http in', z: 'tab', name: 'core', url: '/bench/core', method: 'post', upload: false, swaggerDoc: '', wires: [['core-out', 'noop-core']] },
		{ id: 'core-out', type: 'http response', z: 'tab', name: '', statusCode: '', headers: {}, wires: [] },
		{ id: 'noop-core', type: 'change', z: 'tab', name: 'no-op', rules: [], wires: [[]] },
		// Reference: the cheapest possible route on RED.httpNode (bench/lib/node-red-ceiling).
		{ id: 'ceiling', type: 'bench-ceiling', z: 'tab', name: 'ceiling', wires: [] },
	];
	// Node-RED takes a node without x/y for a config node: place every flow node.
	return nodes.map((n, i) => (n.z ? { ...n, x: 120 + 160 * i, y: 80 } : n));
}

async function post(url) {
	const body = JSON.stringify({ status: 0, task_id: 'bench-check', data: { text: 'check', timestamp: new Date().toISOString() } });
	return (await host.request('POST', url, { body, headers: { 'Content-Type': 'application/json' } })).status;
}

const LABEL = {
	ours: 'results node (ours)',
	core: 'core `http in` → `http response`',
	raw: 'raw `node:http` + `JSON.parse`',
	ceiling: '(reference) empty route on `RED.httpNode`',
};

/**
 * @param {{tarballs: {nodeRed: string}, duration: number, rounds: number, connections: number, log: (s: string) => void, nodeRedOptions?: object}} ctx
 */
async function run(ctx) {
	const raw = await startChild(path.join(__dirname, 'lib/raw-server.js'));
	let red;
	let userDir;
	try {
		userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-nr-'));
		fs.mkdirSync(path.join(userDir, 'nodes'));
		for (const f of fs.readdirSync(path.join(__dirname, 'lib/node-red-ceiling'))) {
			fs.copyFileSync(path.join(__dirname, 'lib/node-red-ceiling', f), path.join(userDir, 'nodes', f));
		}
		red = await host.startNodeRed({ version: '4.1', tarballs: [ctx.tarballs.nodeRed], userDir, ...(ctx.nodeRedOptions || {}) });
		await red.deploy(flows());
		// Every target gets the same request: the callback URL memories.ai is given carries the token.
		const query = `?token=${SECRET}`;
		const targets = {
			ours: { url: `${red.httpNodeUrl}/bench/ours${query}`, pid: red.pid() },
			core: { url: `${red.httpNodeUrl}/bench/core${query}`, pid: red.pid() },
			raw: { url: `http://127.0.0.1:${raw.info.port}/bench/raw${query}`, pid: raw.proc.pid },
			ceiling: { url: `${red.httpNodeUrl}/bench/ceiling${query}`, pid: red.pid() },
		};
		for (const [name, t] of Object.entries(targets)) {
			const status = await post(t.url);
			if (status !== 200) throw new Error(`${name}: a check callback got HTTP ${status}`);
		}
		const names = Object.keys(targets);
		/** @type {Record<string, any[]>} */
		const runs = Object.fromEntries(names.map((n) => [n, []]));
		ctx.log('node-red: warm-up');
		for (const name of names) await runLoadWithCpu(targets[name].pid, { url: targets[name].url, duration: 3, connections: ctx.connections });
		const loads = [];
		for (let round = 0; round < ctx.rounds; round++) {
			// Rotate the order each round: no target always runs first or last.
			const order = names.map((_, i) => names[(i + round) % names.length]);
			for (const name of order) {
				loads.push(os.loadavg()[0]);
				const r = await runLoadWithCpu(targets[name].pid, { url: targets[name].url, duration: ctx.duration, connections: ctx.connections });
				runs[name].push(r);
				ctx.log(
					`node-red round ${round + 1} ${name}: ${fmt(r.rps)} req/s p50 ${r.p50} ms p99 ${r.p99} ms, ${fmt(r.cpuUsPerReq)} µs CPU/req ` +
						`(non-2xx ${r.non2xx}, errors ${r.errors})`,
				);
				await sleep(300);
			}
		}
		const m = {};
		for (const name of names) {
			const rs = runs[name];
			m[name] = {
				rps: median(rs.map((r) => r.rps)),
				p50: median(rs.map((r) => r.p50)),
				p99: median(rs.map((r) => r.p99)),
				cpu: median(rs.map((r) => r.cpuUsPerReq)),
				bad: rs.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0),
				total: rs.reduce((s, r) => s + r.total, 0),
			};
		}
		// Ratios of runs that were close in time (same round), then their median.
		const perRound = (a, b, key) => median(runs[a].map((r, i) => r[key] / runs[b][i][key]));
		const spread = (a, b, key) => {
			const all = runs[a].map((r, i) => r[key] / runs[b][i][key]);
			return `${ratio(Math.min(...all))}–${ratio(Math.max(...all))}`;
		};
		const vsCore = perRound('ours', 'core', 'rps');
		const vsRaw = perRound('ours', 'raw', 'rps');
		const cpuVsCore = perRound('core', 'ours', 'cpuUsPerReq');
		const cpuVsRaw = perRound('raw', 'ours', 'cpuUsPerReq');
		const ofCeiling = perRound('ours', 'ceiling', 'rps');
		const ceilingVsRaw = perRound('ceiling', 'raw', 'rps');
		const markdown = [
			`Real Node-RED ${red.version} on Node ${red.nodeVersion}, our tarball installed with the palette manager's \`npm install\`, ` +
				'**default settings as users run it**: `httpAdminRoot` "/" and `httpNodeRoot` "/" (so every request first passes the editor ' +
				"app's middleware and routes, and its JSON parser reads every body before the node routes), no `httpNodeMiddleware`, no " +
				'`httpNodeCors`, no `httpNodeAuth`, no adminAuth, log level info, no editor open.',
			'',
			'- **ours**: `memories-live-results` (path `/bench/ours`, Emit *every result*, Ignore Duplicates on; the secret in `?token=`) → one no-op `change` node (no rules, no wires). It answers 200 with an empty body, then sends the message on.',
			'- **core**: `http in` (POST `/bench/core`) → `http response` (default status 200; its body is msg.payload, the parsed JSON, as Node-RED answers by default) and → the same no-op `change` node.',
			'- **raw**: a `node:http` server in its own Node process that reads the body, `JSON.parse`s it and answers 200 with an empty body — the limit of one Node process.',
			'- *reference*: the cheapest possible route on `RED.httpNode` (a bench-only node that answers 200 and does nothing else, `bench/lib/node-red-ceiling`): what any node can reach in this Node-RED with these settings.',
			'',
			`Load: autocannon in its own process, ${ctx.connections} keep-alive connections, no pipelining, ${ctx.duration} s per run after a 3 s warm-up of each target, ` +
				`${ctx.rounds} rounds with the order rotated every round; every request is \`POST\` \`application/json\` of the callback ` +
				'shape (`{"status":0,"task_id":…,"data":{"text":…,"timestamp":…}}`, ≈130 bytes) with a new frame-window timestamp each time, so no duplicate guard drops one, ' +
				'to the same kind of URL for every target: a path plus `?token=<secret>`, as memories.ai calls back (only ours checks the token; a core flow would need more nodes for that, not counted). ' +
				'*CPU/req* is the CPU time (user + system, from `/proc/<pid>/stat`) the server process used per answered request: less sensitive to other load on the machine than req/s. ' +
				`Figures are medians over the rounds; ratios are medians of per-round ratios. 1-minute load average during these runs: median ${fmt(median(loads), 2)}.`,
			'',
			table(
				['target', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'requests', 'non-2xx / errors'],
				names.map((n) => [LABEL[n], fmt(m[n].rps), fmt(m[n].p50), fmt(m[n].p99), fmt(m[n].cpu), fmt(m[n].total), fmt(m[n].bad)]),
			),
			'',
			table(
				['ratio', 'req/s', 'CPU per request (inverse)', 'target (req/s)', ''],
				[
					['ours / core http-in', `${ratio(vsCore)} (rounds ${spread('ours', 'core', 'rps')})`, ratio(cpuVsCore), '≥ 1.20×', verdict(vsCore >= 1.2)],
					['ours / raw node:http', ratio(vsRaw), ratio(cpuVsRaw), '≥ 0.80×', verdict(vsRaw >= 0.8)],
					['ours / empty route (reference)', ratio(ofCeiling), '', '', ''],
					['empty route / raw node:http (reference)', ratio(ceilingVsRaw), '', '', ''],
				],
			),
			'',
			`Latency ratios (p50 / p99, lower is better): ours/core ${ratio(m.ours.p50 / m.core.p50)} / ${ratio(m.ours.p99 / m.core.p99)}; ` +
				`ours/raw ${ratio(m.ours.p50 / m.raw.p50)} / ${ratio(m.ours.p99 / m.raw.p99)} (autocannon reports whole milliseconds).`,
			'',
			`**On the core target.** Per callback, ours spends ${fmt(m.ours.cpu - m.ceiling.cpu)} µs of CPU beyond the empty route (token check, payload validation, ` +
				`duplicate guard, the message and Node-RED's delivery of it to the next node), core ${fmt(m.core.cpu - m.ceiling.cpu)} µs; a node that did nothing at all ` +
				`would be ${ratio(m.core.cpu / m.ceiling.cpu)} of core by CPU, which bounds what any node can reach here. A CPU profile of ours under this load ` +
				'(`bench/lib/profile-preload.js`) shows the remaining time in Express, the socket writes and Node-RED\'s message delivery.',
			'',
			`**On the raw target.** Every request to a node's route first passes Node-RED's Express stack: with the default settings the editor app mounted at "/" ` +
				`(its middleware, its routes and its JSON body parser), then \`RED.httpNode\`'s router. The empty route, which does nothing at all, reaches ${ratio(ceilingVsRaw)} ` +
				`of raw \`node:http\` (${fmt(m.ceiling.cpu)} µs of CPU per request against ${fmt(m.raw.cpu)} µs), so no node served by Node-RED can come near 0.8×; ours reaches ` +
				`${ratio(ofCeiling)} of that empty route. Meeting it would mean answering callbacks outside Node-RED's HTTP stack (a port of our own, or hooking \`RED.server\`), ` +
				'which would bypass what users configure for HTTP nodes (`httpNodeMiddleware`, `httpNodeAuth`, CORS, TLS, the public URL and its proxy): not done.',
		].join('\n');
		return {
			markdown,
			figures: { m, vsCore, vsRaw, cpuVsCore, cpuVsRaw, ofCeiling, ceilingVsRaw, load: median(loads), version: red.version, nodeVersion: red.nodeVersion },
			summary: [
				{ target: 'Node-RED results node ≥ 1.2× core http-in (req/s)', figure: `${ratio(vsCore)} (rounds ${spread('ours', 'core', 'rps')}; CPU ${ratio(cpuVsCore)})`, met: vsCore >= 1.2 },
				{ target: 'Node-RED results node ≥ 0.8× raw node:http (req/s)', figure: ratio(vsRaw), met: vsRaw >= 0.8 },
			],
		};
	} finally {
		await red?.stop();
		await raw.stop();
		if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
	}
}

module.exports = { title: 'Node-RED results node vs core http in and raw node:http', run, flows };
