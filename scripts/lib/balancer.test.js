'use strict';
// The test load balancer (balancer.js) with stand-in backends: routing, round-robin, pinning, fail-over on a refused
// connection, 502 (never a second delivery) when a backend fails after it got a POST, forwarded headers, and a log
// without query strings. Fast: no real host.
const http = require('node:http');
const { startBalancer } = require('./balancer');
const { freePort } = require('./ports');

/** A backend that answers 200 with its name and what it saw, or destroys the socket for paths containing "die". */
async function backend(name) {
	const seen = [];
	const server = http.createServer((req, res) => {
		let body = '';
		req.on('data', (d) => (body += d));
		req.on('end', () => {
			seen.push({ url: req.url, body, headers: req.headers });
			if (req.url.includes('die')) return req.socket.destroy();
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ name }));
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${server.address().port}`,
		seen,
		close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }),
	};
}

async function call(url, { method = 'POST', body = '{"a":1}' } = {}) {
	const res = await fetch(url, { method, body: method === 'GET' ? undefined : body, headers: { 'content-type': 'application/json' } });
	const text = await res.text();
	return { status: res.status, name: res.status === 200 ? JSON.parse(text).name : undefined };
}

let main;
let hooks;
let lb;
beforeEach(async () => {
	main = await backend('main');
	hooks = [await backend('w1'), await backend('w2')];
	lb = await startBalancer({ main: main.url, webhooks: hooks.map((h) => h.url), label: ({ body }) => body.toString() || undefined });
});
afterEach(async () => {
	await lb.close();
	for (const b of [main, ...hooks]) await b.close();
});

it('sends webhook paths round-robin to the webhook processors and everything else to main', async () => {
	const names = [];
	for (let i = 0; i < 4; i++) names.push((await call(`${lb.url}/webhook/abc/results?token=secret`)).name);
	expect(names).toEqual(['w1', 'w2', 'w1', 'w2']);
	expect((await call(`${lb.url}/rest/login`)).name).toBe('main');
	expect((await call(`${lb.url}/webhook-test/abc/results`)).name).toBe('main');
	expect(lb.counters().map((c) => [c.name, c.requests, c.byStatus])).toEqual([
		['main', 2, { 200: 2 }],
		['webhook-1', 2, { 200: 2 }],
		['webhook-2', 2, { 200: 2 }],
	]);
	// The query string (a callback secret) reaches the backend, never the log.
	expect(hooks[0].seen[0].url).toBe('/webhook/abc/results?token=secret');
	expect(JSON.stringify(lb.log())).not.toContain('secret');
	expect(lb.log()[0]).toMatchObject({ method: 'POST', path: '/webhook/abc/results', backend: 'webhook-1', status: 200, label: '{"a":1}' });
});

it('adds the forwarded headers n8n reads behind a proxy', async () => {
	await call(`${lb.url}/webhook/abc`);
	expect(hooks[0].seen[0].headers).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': `127.0.0.1:${lb.port}` });
});

it('pins a path to one backend, failing over only while it is down', async () => {
	lb.pin('/webhook/abc/', 1);
	const names = [];
	for (let i = 0; i < 3; i++) names.push((await call(`${lb.url}/webhook/abc/results`)).name);
	expect(names).toEqual(['w2', 'w2', 'w2']);
	expect((await call(`${lb.url}/webhook/other`)).name).toBe('w1');
	lb.setWebhooks([hooks[0].url, `http://127.0.0.1:${await freePort()}`]); // webhook-2 is gone
	expect((await call(`${lb.url}/webhook/abc/results`)).name).toBe('w1');
	expect(lb.log().at(-1)).toMatchObject({ pinned: true, attempts: ['webhook-2', 'webhook-1'], backend: 'webhook-1' });
	lb.unpin();
});

it('skips a backend that refuses connections and leaves it out for a while', async () => {
	const dead = `http://127.0.0.1:${await freePort()}`;
	lb.setWebhooks([dead, hooks[1].url]);
	const names = [];
	for (let i = 0; i < 3; i++) names.push((await call(`${lb.url}/webhook/abc`)).name);
	expect(names).toEqual(['w2', 'w2', 'w2']);
	const [, first] = lb.counters();
	expect(first).toMatchObject({ requests: 1, errors: { ECONNREFUSED: 1 }, failedOver: 1, down: true });
});

it('answers 502 for a POST whose backend failed after receiving it, without sending it to another', async () => {
	const answer = await call(`${lb.url}/webhook/die`);
	expect(answer.status).toBe(502);
	expect(hooks[0].seen).toHaveLength(1);
	expect(hooks[1].seen).toHaveLength(0);
	expect(lb.log()[0]).toMatchObject({ backend: 'webhook-1', status: 502, attempts: ['webhook-1'] });
});

it('tells which backend a request is about to go to, then that it was handed to it', async () => {
	const events = [];
	lb.events.on('dispatch', (entry, name) => events.push(['dispatch', entry.path, name, hooks[0].seen.length]));
	lb.events.on('forward', (entry, name) => events.push(['forward', entry.path, name]));
	await call(`${lb.url}/webhook/abc`);
	expect(events).toEqual([
		['dispatch', '/webhook/abc', 'webhook-1', 0],
		['forward', '/webhook/abc', 'webhook-1'],
	]);
});
