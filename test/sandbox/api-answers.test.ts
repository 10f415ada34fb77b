// Odd API answers: redirects to another origin (and what reaches it), 429 with Retry-After,
// answers in variant shapes, and the record of every API call — over real HTTP.
import { request } from 'undici';

import { interpretStartResponse } from '../../core';
import { Sandbox, startSandbox } from '../../sandbox/src';
import { get, post, send, start, startParams, stop } from '../support/api';
import { decode } from './support/receiver';

const KEY = 'sk-test-1';
let sandbox: Sandbox;

beforeEach(async () => {
	sandbox = await startSandbox({ intervalMs: 60000, keys: [KEY] });
});
afterEach(async () => {
	await sandbox.close();
});

const params = () => startParams('http://127.0.0.1:9/cb?token=t');

/** The raw answer, headers and bytes included (undici's request never follows a redirect). */
async function raw(url: string, key: string | undefined, body = JSON.stringify({})) {
	const headers: Record<string, string> = { 'content-type': 'application/json' };
	if (key !== undefined) headers.authorization = key;
	const response = await request(url, { method: 'POST', headers, body });
	const bytes = Buffer.from(await response.body.arrayBuffer());
	return { status: response.statusCode, headers: response.headers, bytes, json: decode(bytes) };
}

const startBody = () =>
	JSON.stringify({ url: params().rtmpUrl, user_prompt: params().userPrompt, system_prompt: params().systemPrompt, callback: params().callbackUrl });

/** The requests the sandbox has answered, once there are `count` (a record follows the answer). */
async function answered(count: number) {
	while (sandbox.apiRequests().length < count) await sandbox.waitFor('api-request');
	return sandbox.apiRequests();
}

describe('redirects', () => {
	it.each([
		[301, 'other_port'],
		[302, 'other_port'],
		[303, 'other_port'],
		[307, 'other_port'],
		[308, 'other_port'],
		[307, 'localhost'],
		[308, 'localhost'],
	] as const)('start answered %i to %s: nothing starts, the Location names the foreign origin', async (httpStatus, to) => {
		sandbox.injectFault({ on: 'start', kind: 'redirect', httpStatus, to });
		const answer = await raw(`${sandbox.url}/v1/understand/streamConnect`, KEY, startBody());
		expect(answer.status).toBe(httpStatus);
		const location = new URL(String(answer.headers.location));
		expect(location.origin).not.toBe(new URL(sandbox.url).origin);
		expect(location.port).toBe(new URL(sandbox.foreignUrl).port);
		expect(location.hostname).toBe(to === 'localhost' ? 'localhost' : '127.0.0.1');
		expect(location.pathname).toBe('/v1/understand/streamConnect');
		expect(sandbox.activeTasks()).toHaveLength(0);
		expect(sandbox.foreignRequests()).toHaveLength(0);
		const [record] = await answered(1);
		expect(record).toMatchObject({ operation: 'start', fault: 'redirect', httpStatus, location: location.href, authorization: true });
	});

	it('records a client that follows with the API key, and one that follows without it', async () => {
		sandbox.injectFault({ on: 'start', kind: 'redirect', to: 'localhost', times: 2 });
		const first = await raw(`${sandbox.url}/v1/understand/streamConnect`, KEY, startBody());
		const leaked = sandbox.waitFor('foreign-request');
		const followed = await raw(String(first.headers.location), KEY, startBody()); // what a naive client does
		await leaked;
		// The foreign origin answers like a service that started a task: only a client that refuses
		// to follow (or refuses a foreign answer) reports the truth.
		expect(followed.json).toEqual({ status: 0, task_id: expect.stringMatching(/^foreign-task-/), text: '' });
		const second = await raw(`${sandbox.url}/v1/understand/streamConnect`, KEY, startBody());
		const clean = sandbox.waitFor('foreign-request');
		await raw(String(second.headers.location), undefined, startBody());
		await clean;
		expect(sandbox.foreignRequests()).toEqual([
			{ method: 'POST', path: '/v1/understand/streamConnect', host: `localhost:${new URL(sandbox.foreignUrl).port}`, authorization: true, knownKey: true, receivedAt: expect.any(Number) },
			expect.objectContaining({ authorization: false, knownKey: false }),
		]);
		expect(sandbox.activeTasks()).toHaveLength(0);
		const state = (await get(`${sandbox.url}/_sandbox/state`)).json as { foreign: unknown };
		expect(state.foreign).toEqual({ url: sandbox.foreignUrl, requests: 2, withAuthorization: 1 });
		const route = (await get(`${sandbox.url}/_sandbox/foreign`)).json as { url: string; requests: unknown[] };
		expect(route).toEqual({ url: sandbox.foreignUrl, requests: sandbox.foreignRequests() });
	});

	it('redirects a stop too, leaving the task running; reset forgets what reached the foreign origin', async () => {
		const { taskId } = interpretStartResponse(await start(sandbox.url, KEY, params()));
		sandbox.injectFault({ on: 'stop', kind: 'redirect', httpStatus: 308 });
		const answer = await raw(`${sandbox.url}/v1/understand/stop/${taskId}`, KEY);
		expect(answer.status).toBe(308);
		expect(String(answer.headers.location)).toBe(`${sandbox.foreignUrl}/v1/understand/stop/${taskId}`);
		expect(sandbox.task(taskId)?.state).toBe('running');
		const reached = sandbox.waitFor('foreign-request');
		expect((await raw(String(answer.headers.location), KEY)).json).toEqual({ status: 14, task_id: taskId });
		await reached;
		expect(sandbox.task(taskId)?.state).toBe('running'); // the foreign "14" stopped nothing
		sandbox.reset();
		expect(sandbox.foreignRequests()).toEqual([]);
	});

	it('refuses a redirect fault that is not a redirect', () => {
		expect(() => sandbox.injectFault({ on: 'start', kind: 'redirect', httpStatus: 200 })).toThrow(/301, 302, 303, 307, 308/);
		expect(() => sandbox.injectFault({ on: 'start', kind: 'redirect', to: 'example.com' as never })).toThrow(/other_port or localhost/);
	});
});

describe('429 with Retry-After', () => {
	it.each(['start', 'stop'] as const)('on %s, in seconds', async (operation) => {
		const { taskId } = interpretStartResponse(await start(sandbox.url, KEY, params()));
		sandbox.injectFault({ on: operation, kind: 'http429', retryAfter: 3 });
		const url = operation === 'start' ? `${sandbox.url}/v1/understand/streamConnect` : `${sandbox.url}/v1/understand/stop/${taskId}`;
		const answer = await raw(url, KEY, operation === 'start' ? startBody() : undefined);
		expect(answer.status).toBe(429);
		expect(answer.headers['retry-after']).toBe('3');
		expect(answer.json).toEqual({ code: 429, msg: 'Rate limit exceeded' });
		expect(sandbox.activeTasks().map((t) => t.taskId)).toEqual([taskId]); // neither started nor stopped
		const records = await answered(2);
		expect(records[1]).toMatchObject({ operation, fault: 'http429', httpStatus: 429, retryAfter: '3', status: 429 });
	});

	it.each(['start', 'stop'] as const)('on %s, as an HTTP-date at least that far ahead', async (operation) => {
		const { taskId } = interpretStartResponse(await start(sandbox.url, KEY, params()));
		sandbox.injectFault({ on: operation, kind: 'http429', retryAfter: 3, retryAfterForm: 'date' });
		const url = operation === 'start' ? `${sandbox.url}/v1/understand/streamConnect` : `${sandbox.url}/v1/understand/stop/${taskId}`;
		const answer = await raw(url, KEY, operation === 'start' ? startBody() : undefined);
		const header = String(answer.headers['retry-after']);
		expect(header).toMatch(/^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/);
		const [, record] = await answered(2);
		const waitMs = Date.parse(header) - record.receivedAt;
		expect(waitMs).toBeGreaterThanOrEqual(3000);
		expect(waitMs).toBeLessThan(4000 + (record.answeredAt - record.receivedAt));
	});

	it('sends no Retry-After unless asked (the documented answer)', async () => {
		sandbox.injectFault({ on: 'start', kind: 'http429' });
		const answer = await raw(`${sandbox.url}/v1/understand/streamConnect`, KEY, startBody());
		expect(answer.status).toBe(429);
		expect(answer.headers['retry-after']).toBeUndefined();
	});

	it('refuses a Retry-After that is not whole seconds', () => {
		expect(() => sandbox.injectFault({ on: 'stop', kind: 'http429', retryAfter: 1.5 })).toThrow(/whole number of seconds/);
		expect(() => sandbox.injectFault({ on: 'stop', kind: 'http429', retryAfter: 2, retryAfterForm: 'ms' as never })).toThrow(/seconds or date/);
	});
});

describe('answers in variant shapes', () => {
	it('handles the start and answers text/plain with a BOM, the status as a string and extra fields', async () => {
		sandbox.injectFault({ on: 'start', kind: 'variant', variants: ['text_plain', 'bom', 'status_string', 'extra_fields'] });
		const answer = await raw(`${sandbox.url}/v1/understand/streamConnect`, KEY, startBody());
		expect(answer.status).toBe(200);
		expect(answer.headers['content-type']).toBe('text/plain');
		expect(answer.bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
		const json = answer.json as Record<string, unknown>;
		expect(json).toMatchObject({ status: '0', task_id: expect.any(String), text: '' });
		expect(Object.keys(json).length).toBeGreaterThan(3);
		expect(sandbox.activeTasks().map((t) => t.taskId)).toEqual([json.task_id]);
	});

	it('answers chunked, without Content-Type, and a business error in the same shape', async () => {
		sandbox.injectFault({ on: 'stop', kind: 'variant', variants: ['chunked', 'no_content_type', 'status_string'] });
		const answer = await raw(`${sandbox.url}/v1/understand/stop/no-such-task`, KEY);
		expect(answer.headers['transfer-encoding']).toBe('chunked');
		expect(answer.headers['content-length']).toBeUndefined();
		expect(answer.headers['content-type']).toBeUndefined();
		expect(answer.json).toMatchObject({ status: '-1', task_id: 'no-such-task' });
	});

	it('answers a numeric task id as a JSON number, when task ids are numeric', async () => {
		expect(() => sandbox.injectFault({ on: 'start', kind: 'variant', variants: ['task_id_number'] })).toThrow(/numeric task ids/);
		await sandbox.close();
		sandbox = await startSandbox({ intervalMs: 60000, keys: [KEY], taskIds: 'numeric' });
		sandbox.injectFault({ on: 'any', kind: 'variant', variants: ['task_id_number'], times: 2 });
		const started = await raw(`${sandbox.url}/v1/understand/streamConnect`, KEY, startBody());
		const taskId = (started.json as { task_id: unknown }).task_id;
		expect(typeof taskId).toBe('number');
		expect(started.bytes.toString()).toMatch(/"task_id":\d+,/);
		expect(sandbox.activeTasks().map((t) => t.taskId)).toEqual([String(taskId)]);
		const stopped = await raw(`${sandbox.url}/v1/understand/stop/${taskId}`, KEY);
		expect(stopped.json).toEqual({ status: 14, task_id: taskId });
	});
});

describe('the record of API calls', () => {
	it('keeps each call with its answer, without the key, and an unanswered one as such', async () => {
		const { taskId } = interpretStartResponse(await start(sandbox.url, KEY, params()));
		await stop(sandbox.url, KEY, taskId);
		await start(sandbox.url, 'sk-wrong', params());
		sandbox.injectFault({ on: 'start', kind: 'reset' });
		await expect(send({ method: 'POST', url: `${sandbox.url}/v1/understand/streamConnect`, headers: { authorization: KEY }, body: startBody() })).rejects.toThrow();
		const records = await answered(4);
		expect(records.map(({ operation, httpStatus, status, fault, authorization }) => ({ operation, httpStatus, status, fault, authorization }))).toEqual([
			{ operation: 'start', httpStatus: 200, status: 0, fault: undefined, authorization: true },
			{ operation: 'stop', httpStatus: 200, status: 14, fault: undefined, authorization: true },
			{ operation: 'start', httpStatus: 401, status: '0401', fault: undefined, authorization: true },
			{ operation: 'start', httpStatus: null, status: undefined, fault: 'reset', authorization: true },
		]);
		expect(records[1].path).toBe(`/v1/understand/stop/${taskId}`);
		expect(JSON.stringify(records)).not.toContain(KEY);
		const route = (await get(`${sandbox.url}/_sandbox/requests?limit=2`)).json as { requests: unknown[] };
		expect(route.requests).toEqual(records.slice(2));
		await post(`${sandbox.url}/_sandbox/reset`, {});
		expect(sandbox.apiRequests()).toEqual([]);
	});
});
