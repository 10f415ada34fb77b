// The sandbox against the contract: endpoints, envelopes, auth, limits and credits, over real HTTP.
import { interpretStartResponse, interpretStopResponse, MemoriesApiError } from '../../core';
import { Sandbox, startSandbox } from '../../sandbox/src';
import { Sink, startSink } from '../../scripts/lib/sink';
import { get, post, send, start, startParams, stop } from '../support/api';

const KEY = 'sk-test-1';
let sandbox: Sandbox;
let sink: Sink;

beforeAll(async () => {
	sink = await startSink();
});
afterAll(async () => {
	await sink.close();
});
beforeEach(async () => {
	sandbox = await startSandbox({ intervalMs: 60000, keys: [KEY, 'sk-test-2'] });
	sink.clear();
});
afterEach(async () => {
	await sandbox.close();
});

const params = () => startParams(`${sink.url}/cb?token=t`);

describe('start', () => {
	it('answers status 0 with a task id and records the task', async () => {
		const answer = await start(sandbox.url, KEY, params());
		expect(answer.httpStatus).toBe(200);
		expect(answer.json).toEqual({ status: 0, task_id: expect.stringMatching(/^[0-9a-f-]{36}$/), text: '' });
		const { taskId } = interpretStartResponse(answer);
		expect(sandbox.activeTasks(KEY).map((t) => t.taskId)).toEqual([taskId]);
		expect(sandbox.task(taskId)).toMatchObject({ state: 'running', userPrompt: params().userPrompt, thinking: false });
	});

	it('refuses a fifth concurrent stream on one key with 1001, but not on another key', async () => {
		for (let i = 0; i < 4; i++) expect((await start(sandbox.url, KEY, params())).json).toMatchObject({ status: 0 });
		const fifth = await start(sandbox.url, KEY, params());
		expect(fifth.httpStatus).toBe(200);
		expect(fifth.json).toMatchObject({ status: 1001, task_id: null });
		expect(() => interpretStartResponse(fifth)).toThrow(/maximum of 4 streams/);
		expect(sandbox.activeTasks(KEY)).toHaveLength(4);
		expect((await start(sandbox.url, 'sk-test-2', params())).json).toMatchObject({ status: 0 });
	});

	it('frees a slot when a task stops', async () => {
		const ids = [];
		for (let i = 0; i < 4; i++) ids.push(interpretStartResponse(await start(sandbox.url, KEY, params())).taskId);
		await stop(sandbox.url, KEY, ids[0]);
		expect((await start(sandbox.url, KEY, params())).json).toMatchObject({ status: 0 });
	});

	it.each([
		['a file URL', { rtmpUrl: 'https://example.com/video.mp4' }, /url must be an rtmp/],
		['an empty user prompt', { userPrompt: ' ' }, /user_prompt is required/],
		['a relative callback', { callbackUrl: '/cb' }, /callback must be an http/],
	])('answers -1 to %s', async (_name, override, text) => {
		const answer = await start(sandbox.url, KEY, { ...params(), ...override });
		expect(answer.json).toMatchObject({ status: -1, text: expect.stringMatching(text) });
		expect(sandbox.activeTasks()).toHaveLength(0);
	});

	it('answers -1 to a body that is not JSON', async () => {
		const req = { ...(await import('../../core')).buildStartRequest(sandbox.url, params(), KEY), body: '{nope' };
		expect((await send(req)).json).toMatchObject({ status: -1 });
	});

	it('can carry business errors with an HTTP error status', async () => {
		await sandbox.close();
		sandbox = await startSandbox({ intervalMs: 60000, keys: [KEY], businessErrorHttp: 'mapped' });
		for (let i = 0; i < 4; i++) await start(sandbox.url, KEY, params());
		const fifth = await start(sandbox.url, KEY, params());
		expect(fifth.httpStatus).toBe(429);
		expect(fifth.json).toMatchObject({ status: 1001 });
		expect(() => interpretStartResponse(fifth)).toThrow(expect.objectContaining({ kind: 'max_streams' }));
	});
});

describe('authentication', () => {
	it.each([
		['no key', undefined, /Missing API key/],
		['an unknown key', 'sk-nope', /Invalid API key/],
		['a Bearer prefix', `Bearer ${KEY}`, /without "Bearer "/],
	])('refuses %s with 0401 in the older envelope', async (_name, key, msg) => {
		const answer = await start(sandbox.url, key, params());
		expect(answer.httpStatus).toBe(401);
		expect(answer.json).toEqual({ code: '0401', msg: expect.stringMatching(msg), data: null, success: false });
		expect(() => interpretStartResponse(answer)).toThrow(expect.objectContaining({ kind: 'auth' }));
		expect(sandbox.activeTasks()).toHaveLength(0);
	});

	it('does not let one key stop another key’s task', async () => {
		const { taskId } = interpretStartResponse(await start(sandbox.url, KEY, params()));
		const answer = await stop(sandbox.url, 'sk-test-2', taskId);
		expect(interpretStopResponse(taskId, answer).outcome).toBe('not_found');
		expect(sandbox.task(taskId)?.state).toBe('running');
	});
});

describe('stop', () => {
	it('answers 14, then -1 for the same task (idempotent for the user)', async () => {
		const { taskId } = interpretStartResponse(await start(sandbox.url, KEY, params()));
		const first = await stop(sandbox.url, KEY, taskId);
		expect(first.json).toEqual({ status: 14, task_id: taskId });
		const second = await stop(sandbox.url, KEY, taskId);
		expect(second.json).toMatchObject({ status: -1, task_id: taskId });
		expect(interpretStopResponse(taskId, second)).toEqual({ outcome: 'not_found', taskId });
		expect(sandbox.task(taskId)).toMatchObject({ state: 'stopped', endReason: 'stopped' });
	});

	it('answers -1 for a task that never existed', async () => {
		expect((await stop(sandbox.url, KEY, 'no-such-task')).json).toMatchObject({ status: -1 });
	});
});

describe('inspection routes', () => {
	it('shows keys, active tasks, totals and faults', async () => {
		const { taskId } = interpretStartResponse(await start(sandbox.url, KEY, params()));
		sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000 });
		const state = (await get(`${sandbox.url}/_sandbox/state`)).json as {
			keys: Array<{ key: string; activeTasks: string[] }>;
			totals: { starts: number; activeTasks: number };
			faults: unknown[];
		};
		expect(state.keys.find((k) => k.key === KEY)?.activeTasks).toEqual([taskId]);
		expect(state.totals).toMatchObject({ starts: 1, activeTasks: 1 });
		expect(state.faults).toHaveLength(1);
	});

	it('adds faults and keys over HTTP and refuses nonsense', async () => {
		const bad = await post(`${sandbox.url}/_sandbox/faults`, { on: 'start', kind: 'explode' });
		expect(bad.httpStatus).toBe(400);
		const good = await post(`${sandbox.url}/_sandbox/faults`, { on: 'start', kind: 'status', status: 16 });
		expect(good.json).toEqual({ id: expect.any(Number) });
		expect((await start(sandbox.url, KEY, params())).json).toMatchObject({ status: 16 });
		await post(`${sandbox.url}/_sandbox/keys`, { key: 'sk-new', credits: 5 });
		expect((await start(sandbox.url, 'sk-new', params())).json).toMatchObject({ status: 0 });
	});

	it('answers 404 in the envelope for unknown paths', async () => {
		const answer = await post(`${sandbox.url}/v2/whatever`, {});
		expect(answer.httpStatus).toBe(404);
	});
});

it('core and sandbox agree on every error the sandbox can produce', async () => {
	const errors: MemoriesApiError[] = [];
	for (const status of [-1, 16, 1001, 2001, 5000]) {
		sandbox.injectFault({ on: 'start', kind: 'status', status });
		try {
			interpretStartResponse(await start(sandbox.url, KEY, params()));
		} catch (error) {
			errors.push(error as MemoriesApiError);
		}
	}
	expect(errors.map((e) => e.kind)).toEqual(['invalid_request', 'capacity', 'max_streams', 'credits', 'server']);
});
