'use strict';
// The sandbox in its own process, for the API-client benchmark: counts the TCP connections its
// API server accepts. Prints {"url":…,"key":…} once listening; answers IPC messages
// {"cmd":"connections"} → {"connections":N} and {"cmd":"state"} → totals.
const path = require('node:path');

const root = process.env.BENCH_ROOT || path.join(__dirname, '..', '..');
// Older sandboxes do not expose their server: catch it as it is created.
const http = require('node:http');
const servers = [];
const createServer = http.createServer;
http.createServer = (...args) => {
	const server = createServer(...args);
	servers.push(server);
	return server;
};
const { startSandbox } = require(path.join(root, 'build/sandbox'));

const KEY = 'sk-bench-client-key';

(async () => {
	// Tasks never tick during the benchmark (an hour between frame windows): only API calls count.
	const sandbox = await startSandbox({ keys: [KEY], intervalMs: 3_600_000 });
	let connections = 0;
	(sandbox.server ?? servers[0]).on('connection', () => connections++);
	process.on('message', (m) => {
		if (m.cmd === 'connections') process.send({ connections });
		if (m.cmd === 'state') process.send({ totals: sandbox.engine.state().totals, active: sandbox.activeTasks().length });
	});
	const stop = async () => {
		await sandbox.close();
		process.exit(0);
	};
	process.on('SIGTERM', stop);
	process.on('disconnect', stop);
	process.stdout.write(JSON.stringify({ url: sandbox.url, key: KEY }) + '\n');
})();
