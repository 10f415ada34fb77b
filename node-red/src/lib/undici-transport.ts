// The core's Transport over undici, with one keep-alive connection pool per config node. Sends
// the request exactly as the core built it and hands back what came; no protocol rule lives here.
import type * as Undici from 'undici';

import type { Transport } from '../../../core';

/** undici takes ≈60 ms to load: loaded by the first API call, not when Node-RED loads the nodes. */
let undici: typeof Undici | undefined;
function http(): typeof Undici {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	undici ??= require('undici') as typeof Undici;
	return undici;
}

function headerOf(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
	const value = headers[name];
	return Array.isArray(value) ? value[0] : value;
}

export interface UndiciTransport {
	send: Transport;
	/** Closes the pool; a call after it opens a new one (a start node closing after its config node still stops its tasks). */
	close(): Promise<void>;
}

export function createUndiciTransport(): UndiciTransport {
	let agent: Undici.Agent | undefined;
	const dispatcher = () => (agent ??= new (http().Agent)({ keepAliveTimeout: 30000, connections: 8 }));
	return {
		async send(request) {
			try {
				// undici.request follows no redirect: the key only ever goes to the Base URL's origin.
				const response = await http().request(request.url, {
					method: request.method,
					headers: request.headers,
					body: request.body,
					dispatcher: dispatcher(),
					headersTimeout: request.timeoutMs,
					bodyTimeout: request.timeoutMs,
				});
				const body = await response.body.text();
				// undici hands a connection back to the pool a tick after its answer was read: a call made
				// at once (a stop right after a start) would open a second socket. One tick keeps it to one.
				await new Promise((resolve) => setImmediate(resolve));
				return {
					httpStatus: response.statusCode,
					body,
					location: headerOf(response.headers, 'location'),
					retryAfter: headerOf(response.headers, 'retry-after'),
				};
			} catch (error) {
				return { errorCode: (error as { code?: string }).code };
			}
		},
		async close() {
			const closing = agent;
			agent = undefined;
			await closing?.close();
		},
	};
}
