'use strict';
// 2. n8n trigger vs n8n's built-in Webhook node, on one real n8n 2.40.7 with our packed package
// installed as a community package.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runLoad, median, fmt, ratio, verdict, table, sleep, cpuMs, ROOT } = require('./lib/util');

const host = require(path.join(ROOT, 'scripts/lib/n8n-host'));

const TOKEN = 'bench-receive-token-0123456789abcdef';
const OURS = { id: 'benchOursTrigger01', webhookId: '7b1f6c1e-0b7a-4c39-9d5e-bench0000001' };
const CORE = { id: 'benchCoreWebhook01', webhookId: '7b1f6c1e-0b7a-4c39-9d5e-bench0000002', path: 'bench-core' };

/** The version a new workflow gets: the node's defaultVersion (or its only/highest version). */
function triggerVersion(root) {
	const file = path.join(root, 'dist/nodes/MemoriesLiveVideoTrigger/MemoriesLiveVideoTrigger.node.js');
	const { description } = new (require(file).MemoriesLiveVideoTrigger)();
	return description.defaultVersion ?? (Array.isArray(description.version) ? Math.max(...description.version) : description.version);
}

function workflows(packageName, version = 1) {
	const noOp = (x) => ({ id: `${x}-noop`, name: 'No Operation', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [260, 0], parameters: {} });
	const connect = (from) => ({ [from]: { main: [[{ node: 'No Operation', type: 'main', index: 0 }]] } });
	return [
		{
			id: OURS.id,
			name: 'bench: Memories.ai trigger → no-op',
			active: false,
			nodes: [
				{
					id: 'ours-trigger',
					name: 'Memories trigger',
					type: `${packageName}.memoriesLiveVideoTrigger`,
					typeVersion: version,
					position: [0, 0],
					webhookId: OURS.webhookId,
					parameters: { mode: 'receive', callbackToken: TOKEN, emit: 'all', options: {} },
				},
				noOp('ours'),
			],
			connections: connect('Memories trigger'),
			settings: { executionOrder: 'v1' },
			pinData: {},
		},
		{
			id: CORE.id,
			name: 'bench: Webhook → no-op',
			active: false,
			nodes: [
				{
					id: 'core-webhook',
					name: 'Webhook',
					type: 'n8n-nodes-base.webhook',
					typeVersion: 2.1,
					position: [0, 0],
					webhookId: CORE.webhookId,
					parameters: { httpMethod: 'POST', path: CORE.path, responseMode: 'onReceived', options: { noResponseBody: true } },
				},
				noOp('core'),
			],
			connections: connect('Webhook'),
			settings: { executionOrder: 'v1' },
			pinData: {},
		},
	];
}

/** The `n8n start` process of this instance (the harness starts it under a watchdog). */
function n8nPid(userFolder) {
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
			if (!cmd.some((a) => a.endsWith(path.join('n8n', 'bin', 'n8n'))) || cmd[cmd.length - 2] !== 'start') continue;
			if (cmd[0] === process.execPath && cmd[1] === '-e') continue; // the watchdog
			if (fs.realpathSync(`/proc/${entry}/cwd`) === fs.realpathSync(userFolder)) return Number(entry);
		} catch {
			/* gone, or not ours */
		}
	}
	throw new Error('n8n process not found');
}

/**
 * One n8n instance: both workflows active, warm-up, then `rounds` rounds of both targets in
 * alternating order. Each run ends only when every execution it started has finished.
 */
async function session(ctx, { env = {}, rounds, duration, tag }) {
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-n8n-'));
	let n8n;
	try {
		const t0 = Date.now();
		n8n = await host.startN8n({ packageDirs: [ctx.packs.n8n.file], env });
		const file = path.join(work, 'workflows.json');
		fs.writeFileSync(file, JSON.stringify(workflows(ctx.packs.n8n.name, ctx.nodeVersion)));
		const imported = await n8n.cli(['import:workflow', `--input=${file}`], { env });
		if (imported.code !== 0) throw new Error(`import:workflow failed: ${imported.stdout}\n${imported.stderr}`);
		const api = await n8n.createOwnerAndApiKey();
		await api.activateWorkflow(OURS.id);
		await api.activateWorkflow(CORE.id);
		ctx.log(`n8n (${tag}): ready in ${Math.round((Date.now() - t0) / 1000)} s`);
		const pid = n8nPid(n8n.userFolder);
		const targets = {
			ours: { url: `${n8n.baseUrl}/webhook/${OURS.webhookId}/results?token=${TOKEN}`, workflowId: OURS.id },
			core: { url: `${n8n.baseUrl}/webhook/${CORE.path}`, workflowId: CORE.id },
		};
		const finished = async (workflowId) =>
			(await n8n.sql('SELECT COUNT(*) AS c FROM execution_entity WHERE workflowId = ? AND stoppedAt IS NOT NULL', [workflowId]))[0].c;
		const accepted = { ours: 0, core: 0 };
		/** Load one target, then wait until every execution it started has finished (no backlog carries over). */
		const measure = async (name, seconds) => {
			const t = targets[name];
			const cpu0 = cpuMs(pid);
			const started = Date.now();
			const r = await runLoad({ url: t.url, duration: seconds, connections: ctx.connections });
			accepted[name] += r.ok;
			const deadline = Date.now() + 300_000;
			while ((await finished(t.workflowId)) < accepted[name] && Date.now() < deadline) await sleep(100);
			const elapsed = (Date.now() - started) / 1000;
			const cpu = cpuMs(pid) - cpu0;
			return {
				...r,
				// Sustained: callbacks answered and executed per second, from the first request to the last execution's end.
				sustained: r.ok / elapsed,
				drainS: elapsed - r.duration,
				cpuUsPerReq: r.ok > 0 ? (cpu * 1000) / r.ok : NaN,
			};
		};
		for (const name of Object.keys(targets)) await measure(name, 3);
		const names = Object.keys(targets);
		const runs = { ours: [], core: [] };
		const loads = [];
		for (let round = 0; round < rounds; round++) {
			const order = round % 2 === 0 ? names : [...names].reverse();
			for (const name of order) {
				loads.push(os.loadavg()[0]);
				const r = await measure(name, duration);
				runs[name].push(r);
				ctx.log(
					`n8n (${tag}) round ${round + 1} ${name}: ${fmt(r.rps)} req/s answered, ${fmt(r.sustained, 1)}/s executed (drain ${fmt(r.drainS, 1)} s), ` +
						`p50 ${r.p50} ms p99 ${r.p99} ms, ${fmt(r.cpuUsPerReq)} µs CPU/req (non-2xx ${r.non2xx}, errors ${r.errors})`,
				);
			}
		}
		const executions = { ours: await finished(OURS.id), core: await finished(CORE.id) };
		const m = {};
		for (const name of names) {
			const rs = runs[name];
			m[name] = {
				rps: median(rs.map((r) => r.rps)),
				sustained: median(rs.map((r) => r.sustained)),
				p50: median(rs.map((r) => r.p50)),
				p99: median(rs.map((r) => r.p99)),
				cpu: median(rs.map((r) => r.cpuUsPerReq)),
				drain: median(rs.map((r) => r.drainS)),
				bad: rs.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0),
			};
		}
		const perRound = (key, a, b) => median(runs[a].map((r, i) => r[key] / runs[b][i][key]));
		const version = JSON.parse(fs.readFileSync(path.join(n8n.paths.dir, 'node_modules/n8n/package.json'), 'utf8')).version;
		return {
			m,
			executions,
			accepted,
			version,
			load: median(loads),
			ratios: {
				rps: perRound('rps', 'ours', 'core'),
				sustained: perRound('sustained', 'ours', 'core'),
				cpu: perRound('cpuUsPerReq', 'core', 'ours'),
			},
		};
	} finally {
		await n8n?.stop();
		fs.rmSync(work, { recursive: true, force: true });
	}
}

const LABEL = { ours: 'Memories.ai Live Video Trigger (ours)', core: 'built-in Webhook node' };

function figuresTable(r) {
	return table(
		['target', 'executed /s (sustained)', 'answered req/s', 'p50 ms', 'p99 ms', 'CPU ms/req', 'drain s', 'non-2xx / errors'],
		['ours', 'core'].map((n) => [LABEL[n], fmt(r.m[n].sustained, 1), fmt(r.m[n].rps, 1), fmt(r.m[n].p50), fmt(r.m[n].p99), fmt(r.m[n].cpu / 1000, 1), fmt(r.m[n].drain, 1), fmt(r.m[n].bad)]),
	);
}

/**
 * @param {{root: string, packs: {n8n: any}, duration: number, rounds: number, connections: number, variant: boolean, log: (s: string) => void}} ctx
 */
async function run(ctx) {
	const nodeVersion = triggerVersion(ctx.root);
	const c = { ...ctx, nodeVersion };
	const main = await session(c, { rounds: ctx.rounds, duration: ctx.duration, tag: 'default' });
	// Where the rest of the difference goes: the same comparison with n8n's in-process expression engine.
	const legacy = ctx.variant ? await session(c, { env: { N8N_EXPRESSION_ENGINE: 'legacy' }, rounds: Math.max(2, ctx.rounds - 1), duration: ctx.duration, tag: 'legacy engine' }) : undefined;
	const r = main.ratios;
	const markdown = [
		`Real n8n ${main.version} (\`n8n start\` on Node 24, SQLite, regular execution mode, executions saved as by default, default expression engine \`vm\`), ` +
			'our tarball installed as a community package. Two active workflows, each a trigger → the same **No Operation** node:',
		'',
		`- **ours**: Memories.ai Live Video Trigger v${nodeVersion} (the default for a new node), mode *Receive Results of Streams Started Elsewhere*, Emit *every result*, Ignore Duplicates on (default); the callback token in \`?token=\`.`,
		'- **core**: Webhook node v2.1, POST, Respond *Immediately* (`onReceived`) with *No Response Body*.',
		'',
		'**Like with like**: every accepted request starts one execution in both (each body carries a new frame-window timestamp and each run a new task id, so our duplicate guard drops none), ' +
			'and a run only ends when every execution it started has finished, so no backlog carries over. *Executed /s (sustained)* = callbacks answered 200 and executed, per second from the ' +
			'first request to the end of the last execution: the like-with-like figure (a receiver that answers before n8n has registered the execution can post a higher *answered* rate ' +
			'while executions pile up). CPU/req: CPU time of the `n8n start` process (all threads) per accepted callback. ' +
			`Executions finished: ours ${fmt(main.executions.ours)} for ${fmt(main.accepted.ours)} accepted callbacks, core ${fmt(main.executions.core)} for ${fmt(main.accepted.core)}.`,
		'',
		`Load: autocannon in its own process, ${ctx.connections} keep-alive connections, the callback body of section 1, ${ctx.duration} s per run after a 3 s warm-up of each, ` +
			`${ctx.rounds} rounds alternating the order; medians, ratios are medians of per-round ratios. 1-minute load average during these runs: median ${fmt(main.load, 2)}.`,
		'',
		figuresTable(main),
		'',
		table(
			['ratio ours / built-in Webhook', 'value', 'target', ''],
			[
				['executed /s (sustained)', ratio(r.sustained), '≥ 1.00×', verdict(r.sustained >= 1)],
				['answered req/s', ratio(r.rps), '≥ 1.00×', verdict(r.rps >= 1)],
				['CPU per request (inverse)', ratio(r.cpu), '', ''],
			],
		),
		'',
		`Latency ratios (p50 / p99, lower is better): ${ratio(main.m.ours.p50 / main.m.core.p50)} / ${ratio(main.m.ours.p99 / main.m.core.p99)}.`,
		...(legacy
			? [
					'',
					`**Where the difference goes.** n8n 2.40 evaluates expressions in isolated-vm isolates; for every webhook call of a trigger that is not its own Webhook node it ` +
						'acquires an isolate for the webhook phase (`LiveWebhooks.webhookPhaseNeedsIsolate`: `startNode.type !== WEBHOOK_NODE_TYPE` → true; the pool holds one, so under load ' +
						'each call creates and disposes one), on top of the one every execution acquires. Our own code is ≈0.5 ms of a callback (a CPU profile of this setup with \`bench/lib/profile-preload.js\`). The same comparison on an n8n ' +
						`started with \`N8N_EXPRESSION_ENGINE=legacy\` (in-process expressions, no isolates), ${Math.max(2, ctx.rounds - 1)} rounds, load ${fmt(legacy.load, 2)}:`,
					'',
					figuresTable(legacy),
					'',
					`Ratios ours / built-in Webhook there: executed /s ${ratio(legacy.ratios.sustained)}, answered req/s ${ratio(legacy.ratios.rps)}, CPU per request (inverse) ${ratio(legacy.ratios.cpu)}.`,
				]
			: []),
	].join('\n');
	return {
		markdown,
		figures: { main, legacy, nodeVersion },
		summary: [
			{ target: 'n8n trigger ≥ 1.0× built-in Webhook node (executed /s)', figure: `${ratio(r.sustained)} (answered req/s ${ratio(r.rps)}${legacy ? `; legacy engine ${ratio(legacy.ratios.sustained)}` : ''})`, met: r.sustained >= 1 },
		],
	};
}

module.exports = { title: 'n8n trigger vs built-in Webhook node', run, workflows, triggerVersion, OURS, TOKEN };
