'use strict';
// One sandbox-scale step in its own process: `count` tasks (4 per key, the API's limit) at
// `intervalMs`, started evenly over the first interval, callbacks to `receiver`. After `warmupMs`
// the drift record is reset; after `durationMs` more it prints the drift stats and totals as JSON.
// With "bare": true it runs the same schedule with plain timers and no HTTP (the event-loop floor).
const path = require('node:path');

const o = JSON.parse(process.argv[2]);
const root = process.env.BENCH_ROOT || path.join(__dirname, '..', '..');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuMs() {
	const u = process.cpuUsage();
	return (u.user + u.system) / 1000;
}

function stats(samples) {
	const s = Float64Array.from(samples).sort();
	const n = s.length;
	const at = (q) => (n ? s[Math.min(n - 1, Math.floor(q * n))] : 0);
	return { count: n, p50: at(0.5), p99: at(0.99), max: n ? s[n - 1] : 0 };
}

async function bare() {
	// The same timers as the engine (setTimeout to the next due time, re-armed on each tick), no work.
	let samples = [];
	const t0 = Date.now();
	for (let i = 0; i < o.count; i++) {
		const startedAt = t0 + Math.floor((i * o.intervalMs) / o.count);
		let frames = 0;
		const schedule = () => {
			const dueAt = startedAt + (frames + 1) * o.intervalMs;
			setTimeout(() => {
				samples.push(Math.max(0, Date.now() - dueAt));
				frames++;
				schedule();
			}, Math.max(0, dueAt - Date.now()));
		};
		schedule();
	}
	await sleep(o.warmupMs);
	samples = [];
	const cpu0 = cpuMs();
	await sleep(o.durationMs);
	const result = { drift: stats(samples), cpuMs: cpuMs() - cpu0 };
	process.stdout.write(JSON.stringify(result) + '\n');
	process.exit(0);
}

async function engine() {
	const { startSandbox } = require(path.join(root, 'build/sandbox'));
	const keys = Array.from({ length: Math.ceil(o.count / 4) }, (_, i) => `sk-bench-scale-${String(i).padStart(5, '0')}`);
	const sandbox = await startSandbox({ keys, intervalMs: o.intervalMs, callbackTimeoutMs: 10000 });
	const request = {
		rtmpUrl: 'rtmp://camera.example.com/live/kitchen',
		userPrompt: 'Is the pan boiling over?',
		systemPrompt: 'You are a real-time video monitoring system.',
		thinking: false,
	};
	// Started evenly over one interval, like streams that users start at different moments.
	for (let i = 0; i < o.count; i++) {
		const due = Math.floor((i * o.intervalMs) / o.count);
		setTimeout(() => {
			const started = sandbox.engine.start(keys[Math.floor(i / 4)], { ...request, callback: `${o.receiver}/cb/${i}?token=bench-scale-token-0123456789` });
			if (!started.ok) throw new Error(`start ${i}: ${started.status} ${started.text}`);
		}, due);
	}
	await sleep(o.warmupMs);
	sandbox.engine.deliverer.reset();
	const cpu0 = cpuMs();
	await sleep(o.durationMs);
	const drift = sandbox.engine.deliverer.driftStats();
	const cpu = cpuMs() - cpu0;
	const totals = { ...sandbox.engine.deliverer.totals };
	const running = sandbox.activeTasks().length;
	await sandbox.close();
	process.stdout.write(JSON.stringify({ drift, totals, running, cpuMs: cpu }) + '\n');
	process.exit(0);
}

(o.bare ? bare() : engine()).catch((error) => {
	process.stdout.write(JSON.stringify({ error: String(error && error.stack) }) + '\n');
	process.exit(1);
});
