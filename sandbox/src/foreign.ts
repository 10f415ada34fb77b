// The "foreign" listener: another origin that redirect faults point to. It records every request
// that reaches it — and whether it carried an Authorization header — so a test can assert that the
// API key never left the Base URL's origin. It answers like a successful service on purpose: a
// client that follows a redirect would otherwise report the foreign answer as a started task.
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';

import { Engine } from './engine';

export interface ForeignListener {
	/** e.g. `http://127.0.0.1:41234`. */
	readonly url: string;
	readonly port: number;
	close(): Promise<void>;
}

function answer(req: IncomingMessage, res: ServerResponse, sequence: number): void {
	const path = (req.url ?? '/').split('?')[0];
	let body: unknown = { error: 'not found' };
	let status = 404;
	if (path === '/v1/understand/streamConnect') [status, body] = [200, { status: 0, task_id: `foreign-task-${sequence}`, text: '' }];
	else if (path.startsWith('/v1/understand/stop/')) [status, body] = [200, { status: 14, task_id: decodeURIComponent(path.slice(20)) }];
	const text = JSON.stringify(body);
	res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
	res.end(text);
}

async function listen(server: Server, port: number, host: string): Promise<number> {
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
	return new Promise((resolve) => {
		if (!server.listening) return resolve();
		server.close(() => resolve());
		server.closeAllConnections();
	});
}

/**
 * Listens on `host` (and, for 127.0.0.1, best effort on ::1 at the same port too, so that
 * `localhost` reaches it whichever address a client resolves first).
 */
export async function startForeignListener(engine: Engine, host: string, port: number, log: (line: string) => void): Promise<ForeignListener> {
	let sequence = 0;
	const handle = (req: IncomingMessage, res: ServerResponse) => {
		const header = req.headers.authorization;
		const authorization = header !== undefined;
		const knownKey = header !== undefined && engine.hasKey(header.replace(/^bearer\s+/i, ''));
		const path = (req.url ?? '/').split('?')[0];
		log(`foreign ${req.method} ${path}${authorization ? ` WITH an Authorization header${knownKey ? ' (a sandbox API key)' : ''}` : ''}`);
		req.resume();
		req.on('end', () => {
			engine.recordForeignRequest({ method: req.method ?? '', path, host: req.headers.host ?? '', authorization, knownKey, receivedAt: Date.now() });
			answer(req, res, ++sequence);
		});
	};
	const servers = [createServer(handle)];
	const bound = await listen(servers[0], port, host);
	if (host === '127.0.0.1') {
		const v6 = createServer(handle);
		try {
			await listen(v6, bound, '::1');
			servers.push(v6);
		} catch {
			// No IPv6 loopback here, or the port is taken on it: localhost resolves to 127.0.0.1 then.
		}
	}
	return {
		url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
		port: bound,
		close: async () => {
			await Promise.all(servers.map(close));
		},
	};
}
