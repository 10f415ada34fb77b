// A real callback receiver for sandbox tests that keeps what came over the wire exactly: the raw
// body bytes (a BOM included), the headers as sent, the request target. Waiting is event-based.
import { EventEmitter } from 'events';
import { createServer, IncomingHttpHeaders } from 'http';
import { AddressInfo } from 'net';

export interface Received {
	method: string;
	/** The request target as sent, query included. */
	url: string;
	headers: IncomingHttpHeaders;
	raw: Buffer;
	/** The body decoded as UTF-8 after removing a leading BOM, then parsed; `undefined` when not JSON. */
	json: unknown;
}

export interface Receiver {
	url: string;
	received: Received[];
	waitFor(count: number, predicate?: (r: Received) => boolean, timeoutMs?: number): Promise<Received[]>;
	close(): Promise<void>;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export function decode(raw: Buffer): unknown {
	const body = raw.subarray(0, 3).equals(BOM) ? raw.subarray(3) : raw;
	try {
		return JSON.parse(body.toString('utf8'));
	} catch {
		return undefined;
	}
}

/** The callback's task id, whether the service sent it as a string or a number. */
export const taskIdOf = (r: Received): string | undefined => {
	const id = (r.json as { task_id?: unknown } | undefined)?.task_id;
	return id === undefined || id === null ? undefined : String(id);
};

export const forTask = (taskId: string) => (r: Received) => taskIdOf(r) === taskId;

export async function startReceiver(): Promise<Receiver> {
	const received: Received[] = [];
	const events = new EventEmitter();
	events.setMaxListeners(0);
	const server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const raw = Buffer.concat(chunks);
			const entry: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, raw, json: decode(raw) };
			received.push(entry);
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end('{}');
			events.emit('request');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		received,
		waitFor(count, predicate = () => true, timeoutMs = 10000) {
			return new Promise((resolve, reject) => {
				const matching = () => received.filter(predicate);
				const check = () => {
					if (matching().length < count) return;
					clearTimeout(timer);
					events.off('request', check);
					resolve(matching().slice(0, count));
				};
				const timer = setTimeout(() => {
					events.off('request', check);
					reject(new Error(`receiver: ${matching().length} of ${count} expected callbacks within ${timeoutMs} ms`));
				}, timeoutMs);
				events.on('request', check);
				check();
			});
		},
		close: () =>
			new Promise((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
