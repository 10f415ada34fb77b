'use strict';
// 3. Node-RED start/stop client (the core's stream client over node-red/src/lib/undici-transport.ts,
// as the package's nodes bundle them) vs a raw undici.request with one Agent, 1,000 sequential
// calls each against the sandbox in its own process.
const path = require('node:path');
const { startChild, ask, median, fmt, ratio, verdict, table } = require('./lib/util');

/**
 * The Node-RED nodes' client, bundled from the repository's sources as the nodes are, into `root`
 * (the run's snapshot), whose node_modules provide undici.
 */
function nodeRedClient(root) {
	const outfile = path.join(root, 'build/bench/node-red-client.js');
	require('esbuild').buildSync({
		stdin: {
			contents: "export { createStreamClient } from '../core/stream-client'; export { createUndiciTransport } from '../node-red/src/lib/undici-transport';",
			resolveDir: __dirname,
			loader: 'ts',
		},
		bundle: true,
		platform: 'node',
		format: 'cjs',
		external: ['undici'],
		outfile,
		logLevel: 'warning',
	});
	return require(outfile);
}

const CALLBACK = 'http://127.0.0.1:9/bench/callback?token=bench-callback-token-0123456789';
const PARAMS = {
	rtmpUrl: 'rtmp://camera.example.com/live/kitchen',
	userPrompt: 'Is the pan boiling over?',
	systemPrompt: 'You are a real-time video monitoring system.',
	callbackUrl: CALLBACK,
	thinking: false,
};

/** @param {{root: string, calls: number, rounds: number, log: (s: string) => void}} ctx */
async function run(ctx) {
	const { createStreamClient, createUndiciTransport } = nodeRedClient(ctx.root);
	// The very undici the client uses, so both sides run the same HTTP code.
	const undici = require(require.resolve('undici', { paths: [path.join(ctx.root, 'build/bench')] }));
	const sandbox = await startChild(path.join(__dirname, 'lib/sandbox-process.js'), [], { env: { ...process.env, BENCH_ROOT: ctx.root } });
	const { url, key } = sandbox.info;
	const connections = async () => (await ask(sandbox.proc, { cmd: 'connections' })).connections;

	/** One measurement: `calls` sequential calls, start and stop alternating, by a fresh client. */
	const clients = {
		async ours(calls) {
			const transport = createUndiciTransport();
			const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
			const client = createStreamClient({ baseUrl: url, apiKey: key, transport: transport.send, sleep, now: Date.now });
			try {
				for (let i = 0; i < calls / 2; i++) {
					const { taskId } = await client.start(PARAMS);
					const { outcome } = await client.stop(taskId);
					if (outcome !== 'stopped') throw new Error(`ours: stop → ${outcome}`);
				}
			} finally {
				await transport.close();
			}
		},
		raw: (calls) => rawCalls(calls, new undici.Agent({ keepAliveTimeout: 30000 })),
		// One connection, requests queued for it: the socket semantics ours has, without its work.
		rawPool1: (calls) => rawCalls(calls, new undici.Pool(url, { connections: 1, keepAliveTimeout: 30000 })),
	};
	/** The same calls with undici.request over `agent`: same URLs, headers and bodies, JSON.parse of the answers. */
	async function rawCalls(calls, agent) {
		const headers = { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: key };
		const body = JSON.stringify({ url: PARAMS.rtmpUrl, user_prompt: PARAMS.userPrompt, system_prompt: PARAMS.systemPrompt, callback: CALLBACK, thinking: false });
		const call = async (target, payload) => {
			const res = await undici.request(target, { method: 'POST', headers, body: payload, dispatcher: agent });
			return JSON.parse(await res.body.text());
		};
		try {
			for (let i = 0; i < calls / 2; i++) {
				const started = await call(`${url}/v1/understand/streamConnect`, body);
				if (started.status !== 0) throw new Error(`raw: start → ${JSON.stringify(started)}`);
				const stopped = await call(`${url}/v1/understand/stop/${encodeURIComponent(started.task_id)}`, '{}');
				if (stopped.status !== 14) throw new Error(`raw: stop → ${JSON.stringify(stopped)}`);
			}
		} finally {
			await agent.close();
		}
	}
	const measure = async (name, calls) => {
		const before = await connections();
		const t0 = process.hrtime.bigint();
		await clients[name](calls);
		const ms = Number(process.hrtime.bigint() - t0) / 1e6;
		return { usPerCall: (ms * 1000) / calls, sockets: (await connections()) - before };
	};
	try {
		ctx.log('api-client: warm-up');
		const names = Object.keys(clients);
		for (let i = 0; i < 2; i++) for (const name of names) await measure(name, ctx.calls);
		const runs = Object.fromEntries(names.map((n) => [n, []]));
		for (let round = 0; round < ctx.rounds; round++) {
			const order = names.map((_, i) => names[(i + round) % names.length]);
			for (const name of order) {
				const r = await measure(name, ctx.calls);
				runs[name].push(r);
				ctx.log(`api-client round ${round + 1} ${name}: ${fmt(r.usPerCall)} µs/call, ${r.sockets} socket(s)`);
			}
		}
		const state = await ask(sandbox.proc, { cmd: 'state' });
		if (state.active !== 0) throw new Error(`${state.active} tasks left running in the sandbox`);
		const per = (n) => median(runs[n].map((r) => r.usPerCall));
		const ratioTo = (n) => median(runs.ours.map((r, i) => r.usPerCall / runs[n][i].usPerCall));
		const timeRatio = ratioTo('raw');
		const rawRatios = runs.ours.map((r, i) => r.usPerCall / runs.raw[i].usPerCall);
		const rounds = `rounds ${ratio(Math.min(...rawRatios))}–${ratio(Math.max(...rawRatios))}`;
		const pool1Ratio = ratioTo('rawPool1');
		const sockets = Object.fromEntries(names.map((n) => [n, Math.max(...runs[n].map((r) => r.sockets))]));
		const label = {
			ours: '**ours**: the Node-RED nodes\' stream client',
			raw: '**raw**: `undici.request`, one `Agent`',
			rawPool1: 'raw: `undici.request`, one `Pool` with `connections: 1`',
		};
		const markdown = [
			`Each measurement: a fresh client makes ${fmt(ctx.calls)} sequential calls to the sandbox (its own Node process on 127.0.0.1), ` +
				'start and stop alternating (a start, then the stop of that task: the key never reaches its 4-stream limit and no task is left). ' +
				'**ours**: the core\'s `createStreamClient` over the Node-RED package\'s undici transport, as its nodes bundle them (`start(input)` / `stop(taskId)`: input validated and request built by the core, undici `request` over the ' +
				"client's keep-alive `Agent` (up to 8 connections) with 30 s header/body timeouts, answer interpreted by the core). **raw**: `undici.request` with one `Agent`, the same URLs, headers and JSON bodies, " +
				'`JSON.parse` of the answer; and, for reference, the same over one `Pool` limited to a single connection. Same undici module for all. ' +
				"Sockets: TCP connections the sandbox accepted during the measurement (its server's `connection` events). " +
				`${ctx.rounds} rounds, order rotated, after a warm-up of twice ${fmt(ctx.calls)} calls each; medians, ratios are medians of per-round ratios.`,
			'',
			table(
				['client', 'µs per call (median)', 'sockets opened (max of rounds)'],
				names.map((n) => [label[n], fmt(per(n)), String(sockets[n])]),
			),
			'',
			table(
				['figure', 'value', 'target', ''],
				[
					['time per call, ours / raw (`Agent`)', `${ratio(timeRatio)} (${rounds})`, '≤ 1.05×', verdict(timeRatio <= 1.05)],
					['time per call, ours / raw (`Pool`, 1 connection)', ratio(pool1Ratio), '', ''],
					['sockets opened by ours for 1,000 calls', String(sockets.ours), '1', verdict(sockets.ours === 1)],
				],
			),
			'',
			'A raw `Agent` opens a second socket for back-to-back calls: undici hands a connection back to its pool one event-loop turn after the answer ' +
				'(it waits a full cycle before reusing a socket), so a call made at once finds none free. Ours waits that one turn after each answer and keeps ' +
				'to one socket, while concurrent calls (stops at redeploy) still get connections of their own. The core\'s part of a start/stop pair ' +
				'(building both requests, reading both answers) is ≈2 µs; the rest of the difference is in undici and the socket writes.',
		].join('\n');
		return {
			markdown,
			figures: { per: Object.fromEntries(names.map((n) => [n, per(n)])), timeRatio, pool1Ratio, sockets, rawRounds: runs.raw.map((r) => r.usPerCall), oursRounds: runs.ours.map((r) => r.usPerCall) },
			summary: [
				{ target: 'Node-RED API client time per call ≤ 1.05× raw undici', figure: `${ratio(timeRatio)} (${rounds}; vs a 1-connection Pool ${ratio(pool1Ratio)})`, met: timeRatio <= 1.05 },
				{ target: 'Node-RED API client: 1 socket for 1,000 calls', figure: `${sockets.ours} (raw Agent: ${sockets.raw})`, met: sockets.ours === 1 },
			],
		};
	} finally {
		await sandbox.stop();
	}
}

module.exports = { title: 'Node-RED start/stop client vs raw undici', run };
