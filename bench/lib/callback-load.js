'use strict';
// Open-loop callback load, run in its own process: POSTs `rate` callbacks a second for `seconds`, as memories.ai does
// (the service does not wait for one answer before it sends the next), each with its own frame-window timestamp, and
// waits for every answer (none is abandoned at the end, so each callback's fate is known). Latency counts from the
// moment a callback was due, so a server that falls behind shows it (no coordinated omission).
// Input: one JSON argument { url, rate, seconds, taskId, baseMs, timeoutMs }; output: one JSON line on stdout.
const http = require('node:http');

const o = JSON.parse(process.argv[2]);
const count = Math.max(1, Math.round(o.rate * o.seconds));
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const url = new URL(o.url);
/** @type {Array<{ timestamp: string, status: number, ms: number, error?: string }>} */
const callbacks = [];
let inFlight = 0;
let maxInFlight = 0;
let answered = 0;
const started = performance.now();
let lastAnswerAt = 0;

function send(i) {
	const due = started + (i * 1000) / o.rate;
	const timestamp = new Date(o.baseMs + i * 5000).toISOString();
	const body = JSON.stringify({ status: 0, task_id: o.taskId, data: { text: `Frame window ${i}: the pan is on the stove, nothing is boiling over.`, timestamp } });
	const entry = { timestamp, status: 0, ms: 0 };
	callbacks.push(entry);
	inFlight++;
	maxInFlight = Math.max(maxInFlight, inFlight);
	const done = (status, error) => {
		if (entry.status !== 0 || entry.error) return;
		entry.status = status;
		if (error) entry.error = error;
		entry.ms = Math.round(performance.now() - due);
		lastAnswerAt = Date.now();
		inFlight--;
		answered++;
		if (answered === count) finish();
	};
	const req = http.request(
		{ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', agent, timeout: o.timeoutMs ?? 30_000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
		(res) => {
			res.resume();
			res.on('end', () => done(res.statusCode ?? 0));
			res.on('error', (e) => done(0, e.message));
		},
	);
	req.on('timeout', () => req.destroy(new Error('timeout')));
	req.on('error', (e) => done(0, e.message));
	req.end(body);
}

let next = 0;
function tick() {
	const elapsed = performance.now() - started;
	while (next < count && (next * 1000) / o.rate <= elapsed) send(next++);
	if (next < count) setTimeout(tick, Math.max(0, (next * 1000) / o.rate - (performance.now() - started)));
}

function finish() {
	const sentForMs = ((count - 1) * 1000) / o.rate;
	process.stdout.write(
		JSON.stringify({ count, sentForMs, startedAt: Date.now() - Math.round(performance.now() - started), lastAnswerAt, maxInFlight, callbacks }) + '\n',
		() => process.exit(0),
	);
}

// The bench died: nobody will read the figures.
process.on('disconnect', () => process.exit(0));
tick();
