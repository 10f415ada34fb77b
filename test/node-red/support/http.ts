// Plain HTTP requests to the results node's route on the helper's server, as memories.ai (or an
// attacker) would send them.
import http from 'http';
import { request } from 'undici';

export interface Answer {
	status: number;
	body: string;
	json: unknown;
}

export interface CallbackRequest {
	method?: string;
	/** The `token` query value; `undefined` leaves it out. */
	token?: string;
	/** Extra query string, appended as is (e.g. `token=a&token=b`). */
	query?: string;
	contentType?: string | null;
	/** An object is sent as JSON; a string or Buffer as is. */
	body?: unknown;
}

export function callbackUrl(baseUrl: string, path: string, req: CallbackRequest = {}): string {
	const url = new URL(path, baseUrl);
	const params: string[] = [];
	if (req.token !== undefined) params.push(`token=${encodeURIComponent(req.token)}`);
	if (req.query) params.push(req.query);
	return `${url.origin}${url.pathname}${params.length ? `?${params.join('&')}` : ''}`;
}

export async function send(url: string, req: CallbackRequest = {}): Promise<Answer> {
	const method = req.method ?? 'POST';
	const body =
		req.body === undefined ? undefined : typeof req.body === 'string' || Buffer.isBuffer(req.body) ? req.body : JSON.stringify(req.body);
	const headers: Record<string, string> = {};
	const contentType = req.contentType === undefined ? 'application/json' : req.contentType;
	if (contentType !== null && body !== undefined) headers['content-type'] = contentType;
	const response = await request(url, { method: method as 'POST', headers, body, headersTimeout: 5000, bodyTimeout: 5000 });
	const text = await response.body.text();
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: response.statusCode, body: text, json };
}

/**
 * Streams `bytes` bytes of JSON-ish body, optionally without a Content-Length (chunked), over a
 * keep-alive connection, and resolves with the status the server answered (it may answer before
 * the body is complete) and whether it closes the connection. `declaredOnly`: the Content-Length
 * says `bytes`, but only the first 64 KiB are sent before the answer.
 */
export function sendLarge(
	url: string,
	bytes: number,
	options: { chunked?: boolean; declaredOnly?: boolean } = {},
): Promise<{ status: number; closes: boolean }> {
	return new Promise((resolve, reject) => {
		const body = Buffer.alloc(bytes, 0x20);
		body.write('{"status":0,"task_id":"big","data":{"text":"');
		const headers: Record<string, string | number> = { 'content-type': 'application/json' };
		if (!options.chunked) headers['content-length'] = bytes;
		const agent = new http.Agent({ keepAlive: true });
		const req = http.request(url, { method: 'POST', headers, agent }, (res) => {
			res.resume();
			if (options.declaredOnly) req.destroy();
			agent.destroy();
			resolve({ status: res.statusCode ?? 0, closes: res.headers.connection === 'close' });
		});
		req.on('error', (error: NodeJS.ErrnoException) => {
			agent.destroy();
			reject(error);
		});
		if (options.declaredOnly) {
			req.write(body.subarray(0, 64 * 1024));
			return;
		}
		if (options.chunked) {
			// Several chunks, so that the limit is crossed while reading, not from the header.
			const size = 64 * 1024;
			for (let offset = 0; offset < bytes; offset += size) req.write(body.subarray(offset, offset + size));
		} else {
			req.write(body);
		}
		req.end();
	});
}

export const result = (taskId: string, text: string, timestamp = '2025-10-22T12:00:45Z', status = 0) => ({
	status,
	task_id: taskId,
	data: { text, timestamp },
});
