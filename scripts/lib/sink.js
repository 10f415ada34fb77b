'use strict';
// A local HTTP server that collects what is POSTed to it: the callback receiver in sandbox tests
// and the "end of the flow" in real-host tests. Waiting is event-based, never by sleeping.
const http = require('node:http');
const { EventEmitter } = require('node:events');

/**
 * @typedef {{ method: string, url: string, headers: import('node:http').IncomingHttpHeaders, body: string, json: unknown, at: number }} SinkRequest
 * @param {{ status?: number | ((req: SinkRequest) => number), delayMs?: number }} [options]
 */
async function startSink(options = {}) {
	/** @type {SinkRequest[]} */
	const received = [];
	const events = new EventEmitter();
	events.setMaxListeners(0);
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const body = Buffer.concat(chunks).toString('utf8');
			let json;
			try {
				json = body === '' ? undefined : JSON.parse(body);
			} catch {
				json = undefined;
			}
			/** @type {SinkRequest} */
			const entry = { method: req.method || '', url: req.url || '', headers: req.headers, body, json, at: Date.now() };
			received.push(entry);
			const status = typeof options.status === 'function' ? options.status(entry) : (options.status ?? 200);
			const answer = () => {
				res.writeHead(status, { 'content-type': 'application/json' });
				res.end('{}');
				events.emit('request', entry);
			};
			if (options.delayMs) setTimeout(answer, options.delayMs);
			else answer();
		});
	});
	server.keepAliveTimeout = 30000;
	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
	const url = `http://127.0.0.1:${port}`;

	/**
	 * Resolves once `count` requests matching `predicate` have arrived.
	 * @param {number} count
	 * @param {(r: SinkRequest) => boolean} [predicate]
	 * @param {number} [timeoutMs]
	 * @returns {Promise<SinkRequest[]>}
	 */
	function waitFor(count, predicate = () => true, timeoutMs = 20000) {
		return new Promise((resolve, reject) => {
			const matching = () => received.filter(predicate);
			if (matching().length >= count) return resolve(matching());
			const timer = setTimeout(() => {
				events.off('request', check);
				reject(new Error(`sink: ${matching().length} of ${count} expected requests within ${timeoutMs} ms`));
			}, timeoutMs);
			function check() {
				if (matching().length < count) return;
				clearTimeout(timer);
				events.off('request', check);
				resolve(matching());
			}
			events.on('request', check);
		});
	}

	return {
		url,
		port,
		received,
		events,
		waitFor,
		clear: () => void received.splice(0, received.length),
		close: () =>
			new Promise((resolve) => {
				server.close(() => resolve(undefined));
				server.closeAllConnections();
			}),
	};
}

module.exports = { startSink };
