'use strict';
// 7. n8n queue mode (Postgres, Redis, main, two webhook processors behind a round-robin balancer, a worker) vs regular
// mode (one `n8n start` on SQLite), one after the other in the same run: the highest callback rate each sustains with
// every callback answered 200 executed exactly once, found with an open-loop staircase of rates.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startChild, percentile, fmt, ratio, verdict, table, sleep, cpuMs, ROOT } = require('./lib/util');
const { workflows, triggerVersion, OURS, TOKEN } = require('./n8n-webhook');

const host = require(path.join(ROOT, 'scripts/lib/n8n-host'));
const queueHost = require(path.join(ROOT, 'scripts/lib/n8n-queue-host'));
const { startBalancer } = require(path.join(ROOT, 'scripts/lib/balancer'));
const { startMemorySampler, processTrees } = require(path.join(ROOT, 'scripts/lib/process-memory'));

// A rate is sustained when the answers and the executions keep up with it: 95 % of the callbacks answered within a
// second of being sent, and the last execution finished within 2 s of the last callback.
const LATENCY_LIMIT_MS = 1000;
const DRAIN_LIMIT_MS = 2000;
// How long after the last answer an execution may still appear before the callback counts as lost.
const SETTLE_MS = 30_000;
// Frame windows of year 2040: no other date in the execution data looks like them.
const FRAME_BASE_MS = Date.UTC(2040, 0, 1);
const FRAME_PREFIX = '2040-';

/** @param {number} pid the process group it leads, from /proc */
function processGroupOf(pid) {
	const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/**
 * CPU time (ms) of every live process of each named group and its descendants.
 * @param {Record<string, number | undefined>} groups name → process group id
 */
function groupsCpuMs(groups) {
	const trees = processTrees(/** @type {number[]} */ (Object.values(groups).filter(Boolean)));
	/** @type {Record<string, number>} */
	const byGroup = {};
	for (const [name, pgid] of Object.entries(groups)) {
		byGroup[name] = 0;
		for (const pid of (pgid && trees.get(pgid)) || []) {
			try {
				byGroup[name] += cpuMs(pid);
			} catch {
				/* exited meanwhile */
			}
		}
	}
	return byGroup;
}

/** SQLite's 'YYYY-MM-DD HH:MM:SS.SSS' (UTC) or Postgres' ISO text, as ms. */
const toMs = (value) => (value == null ? null : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(String(value)) ? String(value) : `${String(value).replace(' ', 'T')}Z`));

async function importAndActivate(deployment, ctx, work) {
	const file = path.join(work, 'workflow.json');
	fs.writeFileSync(file, JSON.stringify([workflows(ctx.packs.n8n.name, ctx.nodeVersion)[0]]));
	const imported = await deployment.cli(['import:workflow', `--input=${file}`]);
	if (imported.code !== 0) throw new Error(`import:workflow failed: ${imported.stdout}\n${imported.stderr}`);
	const api = await deployment.createOwnerAndApiKey();
	await api.activateWorkflow(OURS.id);
}

/**
 * Regular mode: `n8n start` (SQLite), behind the same in-process balancer as queue mode (one backend), so both pay
 * the same proxy hop.
 */
async function startRegular(ctx, work, cleanup) {
	const n8n = await host.startN8n({ packageDirs: [ctx.packs.n8n.file] });
	cleanup.push(() => n8n.stop());
	const sampler = startMemorySampler();
	cleanup.push(async () => sampler.stop());
	sampler.add('n8n', () => (n8n.pid() ? processGroupOf(/** @type {number} */ (n8n.pid())) : undefined));
	await importAndActivate(n8n, ctx, work);
	const balancer = await startBalancer({ main: n8n.baseUrl, webhooks: [n8n.baseUrl] });
	cleanup.push(() => balancer.close());
	const frame = `substr(d.data, instr(d.data, '"${FRAME_PREFIX}') + 1, 24)`;
	return {
		name: 'regular',
		url: `${balancer.url}/webhook/${OURS.webhookId}/results?token=${TOKEN}`,
		cpuMs: () => groupsCpuMs({ n8n: processGroupOf(/** @type {number} */ (n8n.pid())) }),
		memory: () => sampler.figures(),
		startupMs: undefined,
		maxId: async () => Number((await n8n.sql('SELECT COALESCE(MAX(id), 0) AS m FROM execution_entity'))[0].m),
		executions: async (afterId) =>
			(await n8n.sql('SELECT id, stoppedAt FROM execution_entity WHERE workflowId = ? AND id > ?', [OURS.id, afterId])).map((r) => ({ id: Number(r.id), stoppedAt: toMs(r.stoppedAt) })),
		frames: async (afterId) =>
			(
				await n8n.sql(
					`SELECT e.id, e.stoppedAt, CASE WHEN instr(d.data, '"${FRAME_PREFIX}') > 0 THEN ${frame} END AS frame
					 FROM execution_entity e LEFT JOIN execution_data d ON d.executionId = e.id WHERE e.workflowId = ? AND e.id > ?`,
					[OURS.id, afterId],
				)
			).map((r) => ({ id: Number(r.id), stoppedAt: toMs(r.stoppedAt), frame: r.frame ?? null })),
	};
}

/** Queue mode: the e2e suite's deployment (scripts/lib/n8n-queue-host.js), its balancer in front. */
async function startQueue(ctx, work, cleanup) {
	const q = await queueHost.startQueueN8n({ packageDirs: [ctx.packs.n8n.file], webhookProcessors: ctx.webhookProcessors, workers: ctx.workers });
	cleanup.push(() => q.stop());
	await importAndActivate(q, ctx, work);
	const groups = () => ({ ...Object.fromEntries(q.processes.map((p) => [p.name, p.pgid()])), postgres: q.postgres.process.pgid, redis: q.redis.process.pgid });
	return {
		name: 'queue',
		url: q.webhookUrl(`${OURS.webhookId}/results?token=${TOKEN}`),
		cpuMs: () => groupsCpuMs(groups()),
		memory: () => q.memory(),
		startupMs: q.startupMs,
		maxId: async () => Number((await q.sql('SELECT COALESCE(MAX(id), 0) AS m FROM execution_entity'))[0].m),
		executions: async (afterId) =>
			(await q.sql('SELECT id, "stoppedAt" FROM execution_entity WHERE "workflowId" = $1 AND id > $2', [OURS.id, afterId])).map((r) => ({ id: Number(r.id), stoppedAt: toMs(r.stoppedAt) })),
		frames: async (afterId) =>
			(
				await q.sql(
					`SELECT e.id, e."stoppedAt", substring(d.data from '"(${FRAME_PREFIX}[0-9T:.-]+Z)"') AS frame
					 FROM execution_entity e LEFT JOIN execution_data d ON d."executionId" = e.id WHERE e."workflowId" = $1 AND e.id > $2`,
					[OURS.id, afterId],
				)
			).map((r) => ({ id: Number(r.id), stoppedAt: toMs(r.stoppedAt), frame: r.frame ?? null })),
	};
}

/** One rate for `seconds`: every callback's answer, then every execution it led to, matched by frame window. */
async function step(deployment, { rate, seconds, index }) {
	const before = await deployment.maxId();
	const cpu0 = deployment.cpuMs();
	const timeoutMs = 30_000;
	const { info: load, proc } = await startChild(
		path.join(__dirname, 'lib/callback-load.js'),
		[JSON.stringify({ url: deployment.url, rate, seconds, timeoutMs, taskId: `bench-${deployment.name}-${index}-${Date.now().toString(36)}`, baseMs: FRAME_BASE_MS + index * 1e8 })],
		{ timeoutMs: seconds * 1000 + timeoutMs + 30_000 },
	);
	await new Promise((resolve) => (proc.exitCode === null ? proc.once('exit', resolve) : resolve()));
	const ok = load.callbacks.filter((c) => c.status === 200);
	// Until every execution that appeared has finished and there are as many as 200s, or the settle time is over.
	const deadline = Date.now() + SETTLE_MS;
	for (;;) {
		const rows = await deployment.executions(before);
		const finished = rows.filter((r) => r.stoppedAt !== null).length;
		if ((finished >= ok.length && finished === rows.length) || Date.now() > deadline) break;
		await sleep(300);
	}
	const cpu1 = deployment.cpuMs();
	const cpuByGroup = Object.fromEntries(Object.entries(cpu1).map(([name, ms]) => [name, (ms - (cpu0[name] ?? 0)) / load.count]));
	await sleep(1000); // one more look: a duplicate may come a little later
	const rows = await deployment.frames(before);
	const byFrame = new Map();
	for (const r of rows) byFrame.set(r.frame, (byFrame.get(r.frame) ?? 0) + 1);
	const answered200 = new Set(ok.map((c) => c.timestamp));
	const lost = ok.filter((c) => !byFrame.has(c.timestamp)).length;
	const duplicated = ok.reduce((n, c) => n + Math.max(0, (byFrame.get(c.timestamp) ?? 0) - 1), 0);
	const executedWithout200 = rows.filter((r) => r.frame && !answered200.has(r.frame)).length;
	const unmatched = rows.filter((r) => !r.frame).length;
	const unfinished = rows.filter((r) => r.stoppedAt === null).length;
	const lastDue = load.startedAt + load.sentForMs;
	const lastStop = Math.max(...rows.map((r) => r.stoppedAt ?? Infinity), lastDue);
	const latencies = load.callbacks.map((c) => c.ms);
	const s = {
		rate,
		seconds,
		callbacks: load.count,
		ok: ok.length,
		failed: load.count - ok.length,
		errors: [...new Set(load.callbacks.filter((c) => c.status !== 200).map((c) => c.error ?? String(c.status)))].slice(0, 3),
		executions: rows.length,
		lost,
		duplicated,
		executedWithout200,
		unmatched,
		unfinished,
		p50: percentile(latencies, 0.5),
		p95: percentile(latencies, 0.95),
		maxInFlight: load.maxInFlight,
		drainMs: lastStop - lastDue,
		executedPerS: ok.length / ((lastStop - load.startedAt) / 1000),
		cpuMsPerCallback: Object.values(cpuByGroup).reduce((a, b) => a + b, 0),
		cpuByGroup,
		load1: os.loadavg()[0],
	};
	s.exact = lost === 0 && duplicated === 0 && unmatched === 0 && unfinished === 0;
	s.pass = s.exact && s.failed === 0 && s.p95 <= LATENCY_LIMIT_MS && s.drainMs <= DRAIN_LIMIT_MS;
	return s;
}

const describe = (s) =>
	`${fmt(s.rate, 1)}/s × ${s.seconds} s: ${s.ok}/${s.callbacks} answered 200, ${s.executions} executions (lost ${s.lost}, duplicated ${s.duplicated}` +
	`${s.executedWithout200 ? `, executed without a 200 ${s.executedWithout200}` : ''}${s.unmatched ? `, unmatched ${s.unmatched}` : ''}${s.unfinished ? `, unfinished ${s.unfinished}` : ''}), ` +
	`p50 ${fmt(s.p50)} ms p95 ${fmt(s.p95)} ms, drain ${fmt(s.drainMs / 1000, 1)} s, ${fmt(s.cpuMsPerCallback)} ms CPU/callback → ${s.pass ? 'sustained' : 'not sustained'}` +
	`${s.errors.length ? ` (${s.errors.join(', ')})` : ''}`;

/**
 * Rates up the ladder until one is not sustained (tried twice: one burst of another job must not end it), then halves
 * the gap between the last sustained rate and that one `refine` times.
 */
async function staircase(ctx, deployment) {
	const steps = [];
	let index = 0;
	const run = async (rate, seconds = ctx.stepSeconds) => {
		const s = await step(deployment, { rate, seconds, index: index++ });
		ctx.log(`n8n ${deployment.name}: ${describe(s)}`);
		steps.push(s);
		return s;
	};
	const warmup = await run(ctx.rates[0] / 2, Math.min(5, ctx.stepSeconds));
	warmup.warmup = true;
	let best;
	let limit;
	for (const rate of ctx.rates) {
		if ((await run(rate)).pass || (await run(rate)).pass) best = rate;
		else {
			limit = rate;
			break;
		}
	}
	for (let i = 0; i < ctx.refine && limit !== undefined; i++) {
		const rate = Math.round((((best ?? 0) + limit) / 2) * 2) / 2;
		if (rate <= (best ?? 0) || rate >= limit) break;
		if ((await run(rate)).pass) best = rate;
		else limit = rate;
	}
	const sustainedStep = steps.filter((s) => s.pass && s.rate === best).at(-1);
	return { steps, best, limit, sustainedStep };
}

async function measureMode(ctx, kind) {
	const t0 = Date.now();
	const work = fs.mkdtempSync(path.join(ctx.work ?? os.tmpdir(), `n8n-${kind}-`));
	/** @type {Array<() => Promise<void>>} */
	const cleanup = [];
	try {
		const deployment = await (kind === 'queue' ? startQueue : startRegular)(ctx, work, cleanup);
		const readyS = (Date.now() - t0) / 1000;
		ctx.log(`n8n ${kind}: ready in ${fmt(readyS)} s`);
		const stairs = await staircase(ctx, deployment);
		return { kind, readyS, ...stairs, memory: deployment.memory(), startupMs: deployment.startupMs, seconds: (Date.now() - t0) / 1000 };
	} finally {
		for (const undo of cleanup.reverse()) await undo().catch((error) => ctx.log(`n8n ${kind}: cleanup: ${error.message}`));
		fs.rmSync(work, { recursive: true, force: true });
	}
}

function stepsTable(m) {
	return table(
		['rate /s', 'callbacks', 'answered 200', 'executions', 'lost / duplicated', 'p50 ms', 'p95 ms', 'drain s', 'executed /s', 'CPU ms/callback', 'load', ''],
		m.steps.map((s) => [
			`${fmt(s.rate, 1)}${s.warmup ? ' (warm-up)' : ''}`,
			fmt(s.callbacks),
			fmt(s.ok),
			fmt(s.executions),
			`${s.lost} / ${s.duplicated}`,
			fmt(s.p50),
			fmt(s.p95),
			fmt(s.drainMs / 1000, 1),
			fmt(s.executedPerS, 1),
			fmt(s.cpuMsPerCallback),
			fmt(s.load1, 2),
			s.pass ? 'sustained' : s.exact ? 'too slow' : '**not exact**',
		]),
	);
}

const groupsLine = (memory) =>
	Object.entries(memory.groupPeakRssMiB ?? {})
		.map(([name, mib]) => `${name} ${fmt(mib)}`)
		.join(', ');

/**
 * @param {{ root: string, packs: { n8n: any }, log: (s: string) => void, rates: number[], stepSeconds: number, refine: number,
 *   webhookProcessors: number, workers: number }} ctx
 */
async function run(ctx) {
	const c = { ...ctx, nodeVersion: triggerVersion(ctx.root) };
	// Regular mode again after queue mode (full runs): the machine's load drifts, and a ratio against one side measured
	// earlier only would carry that drift.
	const order = ctx.repeatBaseline ? ['regular', 'queue', 'regular'] : ['regular', 'queue'];
	/** @type {any[]} */
	const runs = [];
	for (const kind of order) runs.push({ ...(await measureMode(c, kind)), label: kind === 'queue' ? 'queue' : order.length > 2 ? `regular (${runs.length ? 'after' : 'before'})` : 'regular' });
	const queue = runs.find((m) => m.kind === 'queue');
	const regulars = runs.filter((m) => m.kind === 'regular');
	const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
	const regularBest = mean(regulars.map((m) => m.best ?? 0));
	const r = (queue.best ?? 0) / regularBest;
	const all = runs.flatMap((m) => m.steps);
	const notExact = all.filter((s) => s.lost || s.duplicated);
	const lostTotal = all.reduce((n, s) => n + s.lost, 0);
	const dupTotal = all.reduce((n, s) => n + s.duplicated, 0);
	const okTotal = all.reduce((n, s) => n + s.ok, 0);
	// Latency at the same offered rate: the highest rung every run sustained.
	const common = [...ctx.rates].reverse().find((rate) => runs.every((m) => m.steps.some((s) => s.rate === rate && s.pass)));
	const at = (m, rate) => m.steps.filter((s) => s.rate === rate && s.pass).at(-1);
	const cpuPer = (m) => {
		const counted = m.steps.filter((s) => !s.warmup && s.pass);
		return counted.reduce((n, s) => n + s.cpuMsPerCallback * s.callbacks, 0) / counted.reduce((n, s) => n + s.callbacks, 0);
	};
	/** CPU per callback of each process group over the sustained rates. */
	const cpuGroupsLine = (m) => {
		const counted = m.steps.filter((st) => !st.warmup && st.pass);
		const n = counted.reduce((sum, st) => sum + st.callbacks, 0);
		return Object.keys(counted[0]?.cpuByGroup ?? {})
			.map((name) => `${name} ${fmt(counted.reduce((sum, st) => sum + st.cpuByGroup[name] * st.callbacks, 0) / n, 1)}`)
			.join(', ');
	};
	const vsRegular = (f) => ratio(f(queue) / mean(regulars.map(f)));
	const layout = `Postgres 15 + Redis 7 (Debian), 1 main, ${ctx.webhookProcessors} webhook processors behind the round-robin balancer, ${ctx.workers} worker (concurrency 10, n8n's default)`;
	const row = (label, f, last = '') => [label, ...runs.map(f), last];
	const commonLabel = common === undefined ? 'the highest rate every run sustained (none)' : `${fmt(common)}/s (the highest rate every run sustained)`;
	const markdown = [
		`Real n8n ${host.DEFAULT_VERSION} on Node 24, our tarball installed as a community package, one deployment after the other in this run ` +
			`(${order.join(' → ')}; never two at once: 2 shared cores):`,
		'',
		'- **regular**: one `n8n start`, SQLite, executions in the main process (the layout of section 2).',
		`- **queue**: the queue-mode deployment of the e2e suite (\`scripts/lib/n8n-queue-host.js\`): ${layout}; \`N8N_DISABLE_PRODUCTION_MAIN_PROCESS=true\`, so every callback goes to a webhook processor.`,
		'',
		'Both behind the same in-process round-robin balancer (`scripts/lib/balancer.js`; one backend for regular mode), so both pay the same proxy hop. One workflow: ' +
			`Memories.ai Live Video Trigger v${c.nodeVersion} in *Receive Results of Streams Started Elsewhere* mode (Emit every result, Ignore Duplicates on) → No Operation; executions saved.`,
		'',
		`**Method.** Open-loop load (\`bench/lib/callback-load.js\`, its own process): callbacks sent at a fixed rate as memories.ai sends them (it does not wait for one answer before the next), ` +
			`each a well-formed signed callback (\`?token=\`) with its own frame-window timestamp; every answer is awaited; latency counts from when a callback was due. Each rate runs ${ctx.stepSeconds} s, ` +
			`up the ladder ${ctx.rates.map((x) => fmt(x)).join(', ')} /s after a warm-up; a rate that fails is tried once more; then the gap to the last sustained rate is halved ${ctx.refine} times. ` +
			'After each rate the bench waits until every execution finished (or 30 s passed), then matches executions to callbacks by the frame-window timestamp in their stored data ' +
			'(Postgres for queue mode, the SQLite database for regular mode). A rate is **sustained** when every callback was answered 200, every 200 was executed **exactly once** ' +
			`(no execution missing, none twice, none unfinished), p95 latency ≤ ${fmt(LATENCY_LIMIT_MS)} ms and the last execution finished ≤ ${DRAIN_LIMIT_MS / 1000} s after the last callback. ` +
			'CPU: all processes of the deployment (n8n processes with their task runners; Postgres and Redis for queue mode), per callback. Peak RSS: the sum over all processes of the deployment, sampled every second from its start. ' +
			`Ratios are queue against ${regulars.length > 1 ? 'the mean of the regular runs before and after it' : 'regular'}.`,
		'',
		table(
			['', ...runs.map((m) => m.label), 'queue / regular'],
			[
				row('sustained callbacks/s (exactly once)', (m) => `${m.limit === undefined ? '≥ ' : ''}${fmt(m.best, 1)}`, ratio(r)),
				row('first rate not sustained', (m) => (m.limit === undefined ? `none up to ${fmt(ctx.rates.at(-1))}` : fmt(m.limit, 1))),
				row('p50 / p95 ms at the sustained rate', (m) => (m.sustainedStep ? `${fmt(m.sustainedStep.p50)} / ${fmt(m.sustainedStep.p95)}` : '–')),
				row(
					`p50 / p95 ms at ${commonLabel}`,
					(m) => (common === undefined ? '–' : `${fmt(at(m, common).p50)} / ${fmt(at(m, common).p95)}`),
					common === undefined ? '' : `${vsRegular((m) => at(m, common).p50)} / ${vsRegular((m) => at(m, common).p95)}`,
				),
				row('CPU ms per callback (sustained rates)', (m) => fmt(cpuPer(m)), vsRegular(cpuPer)),
				row('peak RSS, all processes (MiB)', (m) => fmt(m.memory.peakRssMiB), vsRegular((m) => m.memory.peakRssMiB)),
				row('start-up until the workflow is active (s)', (m) => fmt(m.readyS)),
				row('wall time (s)', (m) => fmt(m.seconds)),
			],
		),
		'',
		`CPU ms per callback per process group (sustained rates): ${runs.map((m) => `${m.label}: ${cpuGroupsLine(m)}`).join('; ')}.`,
		'',
		`Peak RSS per process group (MiB): ${runs.map((m) => `${m.label}: ${groupsLine(m.memory)}`).join('; ')}.`,
		'',
		`Over every rate of every run (overloaded ones too), ${fmt(okTotal)} callbacks were answered 200: **${lostTotal} lost, ${dupTotal} executed twice**` +
			`${notExact.length ? ` (at ${notExact.map((s) => `${fmt(s.rate, 1)}/s`).join(', ')})` : ''}.`,
		'',
		table(
			['target', 'figure', ''],
			[
				['queue mode (2 webhook processors) ≥ 1.0× regular mode, sustained callbacks/s exactly once', ratio(r), verdict(r >= 1)],
				['no callback answered 200 lost or executed twice, at any rate, every run', `${lostTotal} lost, ${dupTotal} twice of ${fmt(okTotal)}`, verdict(lostTotal === 0 && dupTotal === 0)],
			],
		),
		...runs.flatMap((m) => ['', `**${m.label[0].toUpperCase()}${m.label.slice(1)}**, every rate run (load: 1-minute load average at its end):`, '', stepsTable(m)]),
	].join('\n');
	return {
		markdown,
		figures: { runs, ratio: r, regularBest, common, lostTotal, dupTotal, okTotal },
		summary: [
			{ target: 'n8n queue mode (2 webhook processors) ≥ 1.0× regular mode (sustained callbacks/s, exactly once)', figure: `${ratio(r)} (${fmt(queue.best, 1)} vs ${regulars.map((m) => fmt(m.best, 1)).join(' / ')}/s)`, met: r >= 1 },
			{ target: 'n8n: no callback answered 200 lost or executed twice (queue and regular, every rate)', figure: `${lostTotal} lost, ${dupTotal} twice of ${fmt(okTotal)}`, met: lostTotal === 0 && dupTotal === 0 },
		],
	};
}

module.exports = { title: 'n8n queue mode vs regular mode', run };
