'use strict';
// 5. Sandbox scale: how many concurrent tasks at a 1 s interval the sandbox serves with p99
// callback drift ≤ 50 ms, callbacks going to a fast receiver in another process.
const path = require('node:path');
const { startChild, fmt, verdict, table } = require('./lib/util');

const INTERVAL_MS = 1000;
const LIMIT_MS = 50;

/**
 * @param {{root: string, steps: number[], stepMs: number, confirmMs: number, warmupMs: number, log: (s: string) => void}} ctx
 */
async function run(ctx) {
	const receiver = await startChild(path.join(__dirname, 'lib/raw-server.js'));
	const url = `http://127.0.0.1:${receiver.info.port}`;
	const step = async (count, durationMs, bare = false) => {
		const { info, proc } = await startChild(
			path.join(__dirname, 'lib/scale-process.js'),
			[JSON.stringify({ count, intervalMs: INTERVAL_MS, warmupMs: ctx.warmupMs, durationMs, receiver: url, bare })],
			{ env: { ...process.env, BENCH_ROOT: ctx.root }, timeoutMs: ctx.warmupMs + durationMs + 120_000 },
		);
		await new Promise((r) => (proc.exitCode === null ? proc.once('exit', r) : r()));
		if (info.error) throw new Error(`scale step ${count}: ${info.error}`);
		const expected = Math.floor((count * durationMs) / INTERVAL_MS);
		const r = { count, durationMs, ...info, expected, cpuPct: (100 * info.cpuMs) / durationMs };
		ctx.log(
			`sandbox ${bare ? 'bare timers' : 'scale'} ${count} tasks, ${durationMs / 1000} s: p50 ${r.drift.p50} ms, p99 ${r.drift.p99} ms, max ${r.drift.max} ms, ` +
				`${fmt(r.drift.count)} callbacks${bare ? '' : ` (${fmt(r.totals.delivered)} delivered, ${fmt(r.totals.failed)} failed)`}, CPU ${fmt(r.cpuPct)}%`,
		);
		return r;
	};
	// Holds: p99 within the limit, no failed callback, and deliveries keep up with the schedule.
	const ok = (r) => r.drift.p99 <= LIMIT_MS && (!r.totals || (r.totals.failed === 0 && r.totals.delivered >= 0.99 * r.drift.count));
	try {
		// Up from the target while p99 holds; down from it if the target itself fails.
		const search = [];
		const up = ctx.steps.filter((n) => n >= 1000);
		const down = ctx.steps.filter((n) => n < 1000).reverse();
		for (const count of up) {
			const r = await step(count, ctx.stepMs);
			search.push(r);
			if (!ok(r)) break;
		}
		if (!ok(search[0])) {
			for (const count of down) {
				const r = await step(count, ctx.stepMs);
				search.push(r);
				if (ok(r)) break;
			}
		}
		// Confirm the largest passing count with a full-length run; step down if it does not hold.
		const passing = search.filter(ok).map((r) => r.count);
		let confirmed;
		const confirms = [];
		for (let i = passing.length - 1; i >= 0 && !confirmed; i--) {
			const r = await step(passing[i], ctx.confirmMs);
			confirms.push(r);
			if (ok(r)) confirmed = r;
		}
		const best = confirmed?.count ?? 0;
		// Baseline in the same run: the same schedule with bare timers (no HTTP, no engine).
		const bare = best ? await step(best, ctx.stepMs, true) : undefined;
		const rows = [...search.map((r) => ['search', r]), ...confirms.map((r) => ['confirm', r])].map(([phase, r]) => [
			phase,
			fmt(r.count),
			`${r.durationMs / 1000} s`,
			fmt(r.drift.count),
			`${fmt(r.totals.delivered)} / ${fmt(r.totals.failed)}`,
			String(r.drift.p50),
			String(r.drift.p99),
			String(r.drift.max),
			`${fmt(r.cpuPct)}%`,
			ok(r) ? 'yes' : 'no',
		]);
		const markdown = [
			`The sandbox (\`build/sandbox\`, its own Node process, started programmatically) runs N tasks at a ${INTERVAL_MS / 1000} s interval (4 per key, the API's limit, so N/4 keys), ` +
				'started evenly over the first interval (like streams users start at different moments) through `engine.start`. Every callback goes to a raw `node:http` receiver in ' +
				'another process (reads the body, `JSON.parse`, 200), so the receiver is not the bottleneck. Drift: the sandbox\'s `deliverer.driftStats()` — how late each callback ' +
				`left vs its frame window's schedule — recorded after a ${ctx.warmupMs / 1000} s warm-up. Search: ${search.map((r) => fmt(r.count)).join(', ')} tasks, ${ctx.stepMs / 1000} s each, ` +
				`going up from 1,000 until a count's p99 exceeds ${LIMIT_MS} ms, a callback fails or deliveries fall behind (under 99 % of the callbacks sent answered by the end), and down from 1,000 if it fails; the largest passing count is then confirmed with ${ctx.confirmMs / 1000} s. ` +
				'Baseline in the same run: the same schedule with bare `setTimeout`s in a fresh process (no HTTP, no engine), i.e. how late this machine\'s event loop is anyway.',
			'',
			table(['phase', 'tasks', 'duration', 'callbacks', 'delivered / failed', 'p50 ms', 'p99 ms', 'max ms', 'sandbox CPU', 'holds'], rows),
			'',
			bare
				? `Bare-timer baseline at ${fmt(best)} tasks: p50 ${bare.drift.p50} ms, p99 ${bare.drift.p99} ms, max ${bare.drift.max} ms ` +
					`(sandbox p99 − baseline p99 = ${confirmed.drift.p99 - bare.drift.p99} ms).`
				: '',
			'',
			table(
				['target', 'figure', ''],
				[[`≥ 1,000 concurrent tasks at 1 s with p99 drift ≤ ${LIMIT_MS} ms`, `${fmt(best)} tasks (p99 ${confirmed ? confirmed.drift.p99 : '–'} ms over ${ctx.confirmMs / 1000} s)`, verdict(best >= 1000)]],
			),
			'',
			best >= Math.max(...ctx.steps) && confirmed ? `The search stopped at its largest step (${fmt(best)}): the limit is higher.` : '',
		]
			.filter((l, i, a) => l !== '' || a[i - 1] !== '')
			.join('\n');
		return {
			markdown,
			figures: { search, confirms, best, bare, limitMs: LIMIT_MS },
			summary: [{ target: 'Sandbox: ≥ 1,000 tasks at 1 s with p99 drift ≤ 50 ms', figure: `${fmt(best)} tasks, p99 ${confirmed ? confirmed.drift.p99 : '–'} ms`, met: best >= 1000 }],
		};
	} finally {
		await receiver.stop();
	}
}

module.exports = { title: 'Sandbox scale', run };
