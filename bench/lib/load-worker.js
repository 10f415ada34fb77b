'use strict';
// Load generator, run in its own process (the server under test never shares its CPU time with
// autocannon's event loop). Input: one JSON argument; output: one JSON line on stdout.
const autocannon = require('autocannon');

const o = JSON.parse(process.argv[2]);
let n = 0;
const base = Date.parse('2030-01-01T00:00:00Z');
// Every request carries a new frame-window timestamp (and every run its own task id), so duplicate
// guards never drop one and every accepted callback does the full work (a message into the flow,
// an n8n execution).
const taskId = o.taskId || `bench-task-${process.pid}-${Date.now().toString(36)}`;
const bodyFor = (i) =>
	JSON.stringify({
		status: 0,
		task_id: taskId,
		data: { text: o.text || 'The pan is on the stove; nothing is boiling over.', timestamp: new Date(base + i * 1000).toISOString() },
	});

autocannon(
	{
		url: o.url,
		connections: o.connections || 10,
		pipelining: 1,
		duration: o.duration || 10,
		timeout: 10,
		requests: [
			{
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				setupRequest: (req) => ({ ...req, body: bodyFor(n++) }),
			},
		],
	},
	(err, r) => {
		if (err) {
			process.stdout.write(JSON.stringify({ error: String(err) }) + '\n');
			process.exit(1);
		}
		process.stdout.write(
			JSON.stringify({
				rps: r.requests.average,
				total: r.requests.total,
				p50: r.latency.p50,
				p99: r.latency.p99,
				mean: r.latency.average,
				ok: r['2xx'],
				non2xx: r.non2xx,
				errors: r.errors,
				timeouts: r.timeouts,
				duration: r.duration,
			}) + '\n',
		);
	},
);
