// The sandbox's HTTP face: the two API endpoints with the real service's envelopes and auth rule,
// plus the /_sandbox routes that tests and users inspect and steer it with.
import { IncomingMessage, ServerResponse, STATUS_CODES } from 'http';

import { Engine, describeKey } from './engine';
import { ApiFault, Fault, faultProblem, RedirectTarget } from './faults';
import { ApiOperation, ApiRequestRecord } from './recent';
import { scenario, SCENARIOS, scenarioSummary } from './scenarios';
import { apiAnswerJson, VARIANTS, wireBody } from './variants';

export type BusinessErrorHttp = 'ok' | 'mapped';

const BODY_LIMIT = 1024 * 1024;
const START_PATH = '/v1/understand/streamConnect';
const STOP_PREFIX = '/v1/understand/stop/';

/** With `mapped`, business errors also carry an HTTP error status (the doc says: handle both). */
const MAPPED_HTTP: Record<number, number> = { [-1]: 400, 16: 503, 1001: 429, 2001: 402, 5000: 500 };

class HttpError extends Error {
	constructor(
		readonly httpStatus: number,
		readonly body: unknown,
	) {
		super(`HTTP ${httpStatus}`);
	}
}

const JSON_TYPE = 'application/json; charset=utf-8';

function sendJson(res: ServerResponse, httpStatus: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = JSON.stringify(body);
	res.writeHead(httpStatus, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
	res.end(text);
}

/** An API answer with answer variants (content type, BOM, chunked, numbers as strings, …). */
function sendVariantJson(res: ServerResponse, httpStatus: number, body: unknown, variants: readonly string[]): void {
	const wire = wireBody(apiAnswerJson(body, variants), variants, JSON_TYPE);
	const headers: Record<string, string | number> = {};
	if (wire.contentType !== undefined) headers['content-type'] = wire.contentType;
	if (!wire.chunked) headers['content-length'] = wire.body.length;
	res.writeHead(httpStatus, headers);
	if (wire.chunked) {
		const half = Math.ceil(wire.body.length / 2);
		res.write(wire.body.subarray(0, half));
		res.end(wire.body.subarray(half));
	} else {
		res.end(wire.body);
	}
}

/** `Retry-After` as an HTTP-date `seconds` ahead, rounded up to a whole second so no less is asked. */
function retryAfterDate(seconds: number): string {
	return new Date(Math.ceil((Date.now() + seconds * 1000) / 1000) * 1000).toUTCString();
}

function envelopeStatus(body: unknown): number | string | undefined {
	if (typeof body !== 'object' || body === null) return undefined;
	const { status, code } = body as { status?: unknown; code?: unknown };
	if (typeof status === 'number' || typeof status === 'string') return status;
	return typeof code === 'number' || typeof code === 'string' ? code : undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > BODY_LIMIT) {
				reject(new HttpError(413, { status: -1, task_id: null, text: 'Request body too large.' }));
				req.destroy();
				return;
			}
			chunks.push(chunk);
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
	if (text.trim() === '') return {};
	try {
		const value = JSON.parse(text) as unknown;
		return typeof value === 'object' && value !== null && !Array.isArray(value)
			? (value as Record<string, unknown>)
			: undefined;
	} catch {
		return undefined;
	}
}

function legacyAuthError(msg: string): HttpError {
	return new HttpError(401, { code: '0401', msg, data: null, success: false });
}

function isUrl(value: unknown, schemes: string[]): boolean {
	if (typeof value !== 'string') return false;
	try {
		const url = new URL(value);
		return schemes.includes(url.protocol) && url.hostname !== '';
	} catch {
		return false;
	}
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SandboxHttp {
	/** The record of each API call being answered (the foreign origin's records live elsewhere). */
	private readonly records = new WeakMap<ServerResponse, ApiRequestRecord>();

	constructor(
		private readonly engine: Engine,
		private readonly businessErrorHttp: BusinessErrorHttp,
		private readonly log: (line: string) => void,
		/** Where a redirect fault points: the foreign listener's origin for each target. */
		private readonly foreignOrigin: (to: RedirectTarget) => string,
	) {}

	readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
		const path = (req.url ?? '/').split('?')[0];
		if (!path.startsWith('/_sandbox/')) this.track(req, res, path);
		this.route(req, res).catch((error: unknown) => {
			if (res.headersSent || res.destroyed) return;
			if (error instanceof HttpError) {
				this.noteStatus(res, error.body);
				sendJson(res, error.httpStatus, error.body);
			} else {
				this.log(`internal error: ${error instanceof Error ? error.message : String(error)}`);
				sendJson(res, 500, { status: 5000, task_id: null, text: 'Sandbox internal error.' });
			}
		});
	};

	/** Records the API call once it is answered, or once its connection closes without an answer. */
	private track(req: IncomingMessage, res: ServerResponse, path: string): void {
		const operation: ApiOperation = path === START_PATH ? 'start' : path.startsWith(STOP_PREFIX) ? 'stop' : 'other';
		const record: ApiRequestRecord = {
			operation,
			method: req.method ?? '',
			path,
			authorization: req.headers.authorization !== undefined,
			httpStatus: null,
			receivedAt: Date.now(),
			answeredAt: 0,
		};
		this.records.set(res, record);
		let recorded = false;
		const done = () => {
			if (recorded) return;
			recorded = true;
			record.answeredAt = Date.now();
			if (res.writableFinished) record.httpStatus = res.statusCode;
			this.engine.recordApiRequest(record);
		};
		res.once('finish', done);
		res.once('close', done);
	}

	private noteStatus(res: ServerResponse, body: unknown): void {
		const record = this.records.get(res);
		const status = envelopeStatus(body);
		if (record && status !== undefined) record.status = status;
	}

	private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://sandbox');
		const path = url.pathname;
		if (path === START_PATH || path.startsWith(STOP_PREFIX)) {
			if (req.method !== 'POST') throw new HttpError(405, { status: -1, task_id: null, text: 'Use POST.' });
			const operation = path === START_PATH ? 'start' : 'stop';
			const fault = this.engine.faults.takeApiFault(operation);
			const record = this.records.get(res);
			if (fault && record) record.fault = fault.kind;
			const afterHandling = fault?.kind === 'slow' || fault?.kind === 'variant' || (fault?.kind === 'reset' && fault.handled === true);
			if (fault && !afterHandling) return this.answerFault(req, res, fault);
			const body = await readBody(req);
			const [httpStatus, answer] =
				operation === 'start'
					? this.start(req, body)
					: this.stop(req, decodeURIComponent(path.slice(STOP_PREFIX.length)));
			if (fault?.kind === 'slow') await delay(fault.delayMs ?? 5000);
			if (fault?.kind === 'reset') {
				this.log(`fault  reset after handling ${req.method} ${path}`);
				req.socket.destroy();
				return;
			}
			this.noteStatus(res, answer);
			if (fault?.kind === 'variant') return sendVariantJson(res, httpStatus, answer, fault.variants ?? []);
			return sendJson(res, httpStatus, answer);
		}
		if (path.startsWith('/_sandbox/')) return this.inspect(req, res, url);
		throw new HttpError(404, { status: -1, task_id: null, text: `No such endpoint: ${req.method} ${path}` });
	}

	private authenticate(req: IncomingMessage): string {
		const header = req.headers.authorization;
		if (header === undefined || header.trim() === '') {
			throw legacyAuthError('Missing API key: send it in the Authorization header.');
		}
		if (/^bearer\s/i.test(header) && this.engine.hasKey(header.replace(/^bearer\s+/i, ''))) {
			throw legacyAuthError('Send the raw API key in the Authorization header, without "Bearer ".');
		}
		if (!this.engine.hasKey(header)) throw legacyAuthError('Invalid API key.');
		return header;
	}

	private business(status: number, text: string, taskId: string | null = null): [number, unknown] {
		const httpStatus = this.businessErrorHttp === 'mapped' ? (MAPPED_HTTP[status] ?? 400) : 200;
		return [httpStatus, { status, task_id: taskId, text }];
	}

	private start(req: IncomingMessage, rawBody: string): [number, unknown] {
		const key = this.authenticate(req);
		const body = parseJsonObject(rawBody);
		if (!body) return this.business(-1, 'Invalid parameters: the body must be a JSON object.');
		const problems: string[] = [];
		if (!isUrl(body.url, ['rtmp:', 'rtmps:'])) problems.push('url must be an rtmp:// or rtmps:// stream URL');
		for (const field of ['user_prompt', 'system_prompt'] as const) {
			if (typeof body[field] !== 'string' || (body[field] as string).trim() === '') problems.push(`${field} is required`);
		}
		if (!isUrl(body.callback, ['http:', 'https:'])) problems.push('callback must be an http(s) URL');
		if (body.thinking !== undefined && typeof body.thinking !== 'boolean') problems.push('thinking must be a boolean');
		if (problems.length > 0) return this.business(-1, `Invalid parameters: ${problems.join('; ')}.`);
		const outcome = this.engine.start(key, {
			rtmpUrl: body.url as string,
			userPrompt: body.user_prompt as string,
			systemPrompt: body.system_prompt as string,
			callback: body.callback as string,
			thinking: body.thinking === true,
		});
		if (!outcome.ok) {
			this.log(`start  rejected for key ${describeKey(key)}: ${outcome.status} ${outcome.text}`);
			return this.business(outcome.status, outcome.text);
		}
		return [200, { status: 0, task_id: outcome.taskId, text: '' }];
	}

	private stop(req: IncomingMessage, taskId: string): [number, unknown] {
		const key = this.authenticate(req);
		if (this.engine.stop(key, taskId)) return [200, { status: 14, task_id: taskId }];
		return this.business(-1, 'Task not found or already stopped.', taskId);
	}

	private answerFault(req: IncomingMessage, res: ServerResponse, fault: ApiFault): void {
		this.log(`fault  ${fault.kind} on ${req.method} ${req.url?.split('?')[0]}`);
		req.resume();
		const record = this.records.get(res);
		const json = (httpStatus: number, body: unknown, headers?: Record<string, string>) => {
			this.noteStatus(res, body);
			sendJson(res, httpStatus, body, headers);
		};
		switch (fault.kind) {
			case 'status':
				return json(fault.httpStatus ?? 200, { status: fault.status, task_id: null, text: `Injected status ${fault.status}.` });
			case 'legacy':
				return json(fault.httpStatus ?? 200, { code: fault.code, msg: `Injected code ${fault.code}.`, data: null, success: false });
			case 'http429': {
				const headers: Record<string, string> = {};
				if (fault.retryAfter !== undefined) {
					headers['retry-after'] = fault.retryAfterForm === 'date' ? retryAfterDate(fault.retryAfter) : String(fault.retryAfter);
					if (record) record.retryAfter = headers['retry-after'];
				}
				return json(429, { code: 429, msg: 'Rate limit exceeded' }, headers);
			}
			case 'redirect': {
				// Like a proxy or a moved host would answer: nothing handled here, a page for browsers.
				const httpStatus = fault.httpStatus ?? 307;
				const title = `${httpStatus} ${STATUS_CODES[httpStatus]}`;
				const html = `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center></body></html>`;
				const location = `${this.foreignOrigin(fault.to ?? 'other_port')}${req.url ?? '/'}`;
				if (record) record.location = location;
				res.writeHead(httpStatus, {
					location,
					'content-type': 'text/html',
					'content-length': Buffer.byteLength(html),
				});
				res.end(html);
				return;
			}
			case 'reset':
				req.socket.destroy();
				return;
			case 'html502': {
				const html = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';
				res.writeHead(502, { 'content-type': 'text/html' });
				res.end(html);
				return;
			}
			case 'slow':
			case 'variant':
				return; // answered by the normal path
			case 'invalid_json':
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end('{"status": 0, "task_id": ');
				return;
			case 'empty':
				res.writeHead(200, { 'content-type': 'application/json', 'content-length': 0 });
				res.end();
				return;
		}
	}

	private async inspect(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
		const path = url.pathname;
		const method = req.method ?? 'GET';
		if (path === '/_sandbox/health' && method === 'GET') return sendJson(res, 200, { ok: true });
		if (path === '/_sandbox/state' && method === 'GET') {
			const foreign = this.engine.foreignRequests.list();
			return sendJson(res, 200, {
				...this.engine.state(),
				foreign: { url: this.foreignOrigin('other_port'), requests: foreign.length, withAuthorization: foreign.filter((r) => r.authorization).length },
			});
		}
		if (path === '/_sandbox/requests' && method === 'GET') {
			const limit = Number(url.searchParams.get('limit') ?? '') || undefined;
			return sendJson(res, 200, { requests: this.engine.apiRequests.list(limit) });
		}
		if (path === '/_sandbox/foreign' && method === 'GET') {
			return sendJson(res, 200, { url: this.foreignOrigin('other_port'), requests: this.engine.foreignRequests.list() });
		}
		if (path === '/_sandbox/variants' && method === 'GET') return sendJson(res, 200, { variants: VARIANTS });
		if (path === '/_sandbox/scenarios' && method === 'GET') return sendJson(res, 200, { scenarios: SCENARIOS });
		const named = /^\/_sandbox\/scenarios\/([^/]+)$/.exec(path);
		if (named && method === 'GET') {
			const script = scenario(decodeURIComponent(named[1]));
			if (!script) throw new HttpError(404, { error: `No such scenario: ${named[1]} (known: ${SCENARIOS.map((s) => s.name).join(', ')})` });
			const frames = Number(url.searchParams.get('frames') ?? script.cycle);
			if (!Number.isInteger(frames) || frames < 0) throw new HttpError(400, { error: '"frames" must be a non-negative whole number' });
			return sendJson(res, 200, { ...script, summary: scenarioSummary(script, frames) });
		}
		if (path === '/_sandbox/deliveries' && method === 'GET') {
			const limit = Number(url.searchParams.get('limit') ?? '') || undefined;
			const taskId = url.searchParams.get('task_id') ?? undefined;
			return sendJson(res, 200, { deliveries: this.engine.deliverer.list({ taskId, limit }) });
		}
		if (path === '/_sandbox/faults') {
			if (method === 'GET') return sendJson(res, 200, { faults: this.engine.faults.list() });
			if (method === 'DELETE') {
				this.engine.faults.clear();
				return sendJson(res, 200, { faults: [] });
			}
			if (method === 'POST') {
				const body = parseJsonObject(await readBody(req));
				const problem = faultProblem(body, this.engine.taskIds === 'numeric');
				if (problem) throw new HttpError(400, { error: problem });
				return sendJson(res, 200, { id: this.engine.faults.add(body as Fault) });
			}
		}
		if (path === '/_sandbox/reset' && method === 'POST') {
			this.engine.reset();
			return sendJson(res, 200, { ok: true });
		}
		if (path === '/_sandbox/keys' && method === 'POST') {
			const body = parseJsonObject(await readBody(req));
			const credits = body?.credits === undefined || body.credits === null ? null : Number(body.credits);
			if (typeof body?.key !== 'string' || body.key === '' || (credits !== null && !Number.isFinite(credits))) {
				throw new HttpError(400, { error: 'send {"key": "...", "credits": number|null}' });
			}
			if (this.engine.hasKey(body.key)) this.engine.setCredits(body.key, credits);
			else this.engine.setAccount(body.key, credits);
			return sendJson(res, 200, { ok: true });
		}
		const end = /^\/_sandbox\/tasks\/([^/]+)\/end$/.exec(path);
		if (end && method === 'POST') {
			const body = parseJsonObject(await readBody(req)) ?? {};
			const status = typeof body.status === 'number' ? body.status : undefined;
			const text = typeof body.text === 'string' ? body.text : undefined;
			const ended = this.engine.endTask(decodeURIComponent(end[1]), status, text);
			return sendJson(res, ended ? 200 : 404, { ended });
		}
		throw new HttpError(404, { error: `No such sandbox route: ${method} ${path}` });
	}
}
