'use strict';
// A small HTTP load balancer for real-host tests, in front of an n8n queue-mode deployment as a user's reverse proxy
// would be: production webhook paths go round-robin to the webhook processors, everything else (editor, REST, test
// webhooks) to main. It behaves like nginx's defaults where that matters to callbacks: a backend that refuses the
// connection is skipped and the request goes to the next one (nothing reached it, so a POST may be retried), a
// backend that fails after it got the request gives 502 (a POST is never sent twice), and a refusing backend is
// left out for a short while (passive health check). A path prefix can be pinned to one backend (the "sticky"
// deployment: our callback path always on the same webhook processor, failing over only when it is down).
// Adds X-Forwarded-For/-Proto/-Host (n8n reads them with N8N_PROXY_HOPS=1). Keeps counters per backend and a log of
// requests without their query strings (callback URLs carry secrets there). node: builtins only.
//
//   const lb = await startBalancer({ main: 'http://127.0.0.1:5678', webhooks: [urlA, urlB] });
//   lb.pin('/webhook/abc/', 0);  …  lb.counters();  lb.log();  await lb.close();

const http = require('node:http');
const { EventEmitter } = require('node:events');

/** Paths n8n's webhook processors serve (`n8n webhook`: WebhookServer); /webhook-test/ is served by mains only. */
const WEBHOOK_PREFIXES = ['/webhook/', '/webhook-waiting/', '/form/', '/form-waiting/'];
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
const MAX_BODY = 32 * 1024 * 1024;

/**
 * @typedef {{ name: string, url: string, pool: 'main' | 'webhook', agent: http.Agent, downUntil: number,
 *   requests: number, byStatus: Record<string, number>, errors: Record<string, number>, failedOver: number }} Backend
 * @typedef {{ at: number, method: string, path: string, backend: string | null, attempts: string[], status: number, ms: number, label?: string, pinned: boolean }} LogEntry
 * @typedef {{ name: string, url: string, requests: number, byStatus: Record<string, number>, errors: Record<string, number>, failedOver: number, down: boolean }} BackendCounters
 */

/**
 * @param {{
 *   main: string,
 *   webhooks: string[],
 *   webhookPrefixes?: string[],
 *   label?: (request: { method: string, path: string, body: Buffer }) => string | undefined,  // tags a log entry (e.g. which callback)
 *   downForMs?: number,           // how long a backend that refused a connection is left out (default 2000)
 *   timeoutMs?: number,           // a backend that does not answer in time gives 504 (default 60000)
 *   port?: number,
 * }} opts
 */
async function startBalancer(opts) {
	const prefixes = opts.webhookPrefixes ?? WEBHOOK_PREFIXES;
	const downForMs = opts.downForMs ?? 2000;
	const timeoutMs = opts.timeoutMs ?? 60_000;
	/** @param {string} name @param {string} url @param {'main' | 'webhook'} pool @returns {Backend} */
	const backend = (name, url, pool) => ({
		name,
		url: url.replace(/\/$/, ''),
		pool,
		// Idle sockets close before n8n's (Node's default 5 s keep-alive), so a request rarely meets a socket n8n just closed.
		agent: new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 }),
		downUntil: 0,
		requests: 0,
		byStatus: {},
		errors: {},
		failedOver: 0,
	});
	const main = backend('main', opts.main, 'main');
	/** @type {Backend[]} */
	let webhooks = opts.webhooks.map((url, i) => backend(`webhook-${i + 1}`, url, 'webhook'));
	/** @type {Map<string, number>} path prefix → index into webhooks */
	const pins = new Map();
	/** @type {LogEntry[]} */
	let entries = [];
	let next = 0;
	// 'dispatch' (log entry, backend name): a backend was chosen, nothing sent yet; 'forward': the request was handed
	// to it. Listeners run synchronously, so a test can freeze a backend that is about to get a request, then kill it.
	const events = new EventEmitter();
	events.setMaxListeners(0);

	/** The backends to try for a request, in order: pinned (or the round-robin turn) first, the others after. @returns {{ order: Backend[], pinned: boolean }} */
	function route(/** @type {string} */ pathname) {
		if (!prefixes.some((p) => pathname.startsWith(p))) return { order: [main], pinned: false };
		const now = Date.now();
		const up = (/** @type {Backend} */ b) => b.downUntil <= now;
		let start;
		let pinned = false;
		for (const [prefix, index] of pins) {
			if (pathname.startsWith(prefix)) {
				start = index;
				pinned = true;
				break;
			}
		}
		if (start === undefined) {
			// Round-robin over the backends that are up (a load balancer's health check leaves the others out).
			const count = webhooks.length;
			for (let i = 0; i < count && start === undefined; i++) {
				const candidate = (next + i) % count;
				if (up(webhooks[candidate])) start = candidate;
			}
			start ??= next % count;
			next = (start + 1) % count;
		}
		const order = webhooks.map((_, i) => webhooks[(start + i) % webhooks.length]);
		return { order: [...order.filter(up), ...order.filter((b) => !up(b))], pinned };
	}

	/**
	 * One attempt on one backend. Resolves with the upstream response, or with the error and whether the request can
	 * go to another backend (nothing was received by this one).
	 * @returns {Promise<{ res: http.IncomingMessage } | { error: NodeJS.ErrnoException, retryable: boolean }>}
	 */
	function attempt(/** @type {Backend} */ b, /** @type {http.IncomingMessage} */ req, /** @type {Buffer} */ body, /** @type {LogEntry} */ entry) {
		return new Promise((resolve) => {
			const headers = /** @type {http.OutgoingHttpHeaders} */ ({});
			for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
			const client = req.socket.remoteAddress ?? '127.0.0.1';
			headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${client}` : client;
			headers['x-forwarded-proto'] = 'http';
			headers['x-forwarded-host'] = req.headers.host ?? '';
			headers['content-length'] = String(body.length);
			events.emit('dispatch', entry, b.name);
			const target = new URL(b.url);
			const upstream = http.request({
				host: target.hostname,
				port: target.port,
				method: req.method,
				path: req.url,
				headers,
				agent: b.agent,
				timeout: timeoutMs,
			});
			let settled = false;
			upstream.on('response', (res) => {
				settled = true;
				resolve({ res });
			});
			upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('upstream timeout'), { code: 'ETIMEDOUT' })));
			upstream.on('error', (error) => {
				if (settled) return;
				settled = true;
				const code = /** @type {NodeJS.ErrnoException} */ (error).code;
				// Refused: nothing reached the backend, any request may go to the next one. A reset on a reused keep-alive
				// socket may come after the backend read the request: only idempotent requests are retried (as nginx
				// does), a POST that may have been received gets 502, never a second delivery.
				const retryable = code === 'ECONNREFUSED' || (code === 'ECONNRESET' && upstream.reusedSocket && IDEMPOTENT.has(req.method ?? ''));
				resolve({ error: /** @type {NodeJS.ErrnoException} */ (error), retryable });
			});
			upstream.end(body, () => events.emit('forward', entry, b.name));
		});
	}

	const server = http.createServer((req, res) => {
		const started = Date.now();
		const chunks = /** @type {Buffer[]} */ ([]);
		let size = 0;
		req.on('data', (chunk) => {
			size += chunk.length;
			if (size > MAX_BODY) req.destroy();
			else chunks.push(chunk);
		});
		req.on('end', async () => {
			const body = Buffer.concat(chunks);
			const pathname = (req.url ?? '/').split('?')[0];
			const { order, pinned } = route(pathname);
			/** @type {LogEntry} */
			const entry = { at: started, method: req.method ?? 'GET', path: pathname, backend: null, attempts: [], status: 0, ms: 0, pinned };
			try {
				entry.label = opts.label?.({ method: entry.method, path: pathname, body });
			} catch {
				/* a label is only a tag */
			}
			entries.push(entry);
			for (const b of order) {
				entry.attempts.push(b.name);
				b.requests++;
				const outcome = await attempt(b, req, body, entry);
				if ('res' in outcome) {
					const { res: up } = outcome;
					entry.backend = b.name;
					entry.status = up.statusCode ?? 0;
					b.byStatus[entry.status] = (b.byStatus[entry.status] ?? 0) + 1;
					const headers = /** @type {http.OutgoingHttpHeaders} */ ({});
					for (const [name, value] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
					res.writeHead(entry.status, headers);
					up.pipe(res);
					up.on('end', () => (entry.ms = Date.now() - started));
					up.on('error', () => res.destroy());
					return;
				}
				const code = outcome.error.code ?? 'error';
				b.errors[code] = (b.errors[code] ?? 0) + 1;
				if (code === 'ECONNREFUSED') b.downUntil = Date.now() + downForMs;
				if (!outcome.retryable) {
					entry.backend = b.name;
					entry.status = code === 'ETIMEDOUT' ? 504 : 502;
					break;
				}
				b.failedOver++;
			}
			if (entry.status === 0) entry.status = 502; // every backend refused
			entry.ms = Date.now() - started;
			if (!res.headersSent) res.writeHead(entry.status, { 'content-type': 'text/plain' });
			res.end(entry.status === 504 ? 'Gateway Timeout' : 'Bad Gateway');
		});
	});
	server.keepAliveTimeout = 30_000;
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(opts.port ?? 0, '127.0.0.1', () => resolve(undefined));
	});
	const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());

	/** @param {Backend} b @returns {BackendCounters} */
	const countersOf = (b) => ({
		name: b.name,
		url: b.url,
		requests: b.requests,
		byStatus: { ...b.byStatus },
		errors: { ...b.errors },
		failedOver: b.failedOver,
		down: b.downUntil > Date.now(),
	});
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		/** Emits 'dispatch' (log entry, backend name) before a request goes to a backend, 'forward' once it was handed to it. */
		events,
		/** Counters of main and each webhook processor (requests, answers by status, errors, requests failed over). */
		counters: () => [main, ...webhooks].map(countersOf),
		/** @param {{ since?: number, prefix?: string }} [filter] @returns {LogEntry[]} */
		log: ({ since = 0, prefix } = {}) => entries.filter((e) => e.at >= since && (!prefix || e.path.startsWith(prefix))),
		/** Sends every request whose path starts with prefix to webhook processor `index` (0-based) while it is up. */
		pin(/** @type {string} */ prefix, /** @type {number} */ index) {
			if (!webhooks[index]) throw new Error(`no webhook backend ${index}`);
			pins.set(prefix, index);
		},
		unpin(/** @type {string} [prefix] */ prefix) {
			if (prefix === undefined) pins.clear();
			else pins.delete(prefix);
		},
		/** Forgets counters and log (backends and pins stay). */
		reset() {
			entries = [];
			for (const b of [main, ...webhooks]) Object.assign(b, { requests: 0, byStatus: {}, errors: {}, failedOver: 0, downUntil: 0 });
		},
		/** Replaces the webhook processors' URLs (e.g. after one was started on a new port). */
		setWebhooks(/** @type {string[]} */ urls) {
			for (const b of webhooks) b.agent.destroy();
			webhooks = urls.map((url, i) => backend(`webhook-${i + 1}`, url, 'webhook'));
		},
		async close() {
			await new Promise((resolve) => {
				server.close(() => resolve(undefined));
				server.closeAllConnections();
			});
			for (const b of [main, ...webhooks]) b.agent.destroy();
		},
	};
}

module.exports = { startBalancer, WEBHOOK_PREFIXES };
