// The trigger's lifecycle (checkExists/create/delete) and webhook handler against the sandbox,
// with a stand-in n8n context. The real-n8n behaviour is proven in test/e2e/n8n.
import type { IDataObject, IHookFunctions, IWebhookFunctions } from 'n8n-workflow';

import { generateSecret, secretDigest } from '../../core';
import { MemoriesLiveVideoTrigger } from '../../nodes/MemoriesLiveVideoTrigger/MemoriesLiveVideoTrigger.node';
import { forgetPendingStarts, lostStart } from '../../nodes/MemoriesLiveVideoTrigger/pending-starts';
import { Sandbox, startSandbox } from '../../sandbox/src';
import { ContextOptions, fakeContext } from './support/context';

const KEY = 'sk-n8n-trigger';
const WEBHOOK = 'http://127.0.0.1:5678/webhook/abc/results';
let sandbox: Sandbox;
const trigger = new MemoriesLiveVideoTrigger();
const lifecycle = trigger.webhookMethods.default;

beforeEach(async () => {
	sandbox = await startSandbox({ intervalMs: 60000, keys: [KEY] });
	forgetPendingStarts();
	lostStart.waitMs = 300;
});
afterEach(async () => {
	await sandbox.close();
});

const watchParams = {
	mode: 'watch',
	rtmpUrl: 'rtmp://camera.example.com/live/kitchen',
	userPrompt: 'Is the pan boiling over?',
	systemPrompt: 'You watch a kitchen.',
	thinking: false,
	maxDurationMinutes: 0,
	emit: 'all',
	options: {},
};

function hook(parameters: Record<string, unknown>, staticData: IDataObject, activationMode = 'activate') {
	return fakeContext({
		credentials: { apiKey: KEY, baseUrl: sandbox.url },
		parameters,
		staticData,
		activationMode,
		webhookUrl: WEBHOOK,
	}) as unknown as IHookFunctions & { staticData: IDataObject };
}

function callback(
	parameters: Record<string, unknown>,
	staticData: IDataObject,
	request: Partial<NonNullable<ContextOptions['request']>>,
) {
	const context = fakeContext({
		credentials: { apiKey: KEY, baseUrl: sandbox.url },
		parameters,
		staticData,
		request: { method: 'POST', headers: { 'content-type': 'application/json' }, query: {}, body: {}, ...request },
	});
	return { context, result: trigger.webhook.call(context as unknown as IWebhookFunctions) };
}

const result = (taskId: string, text: string, timestamp = '2025-10-22T12:00:45Z', status = 0) => ({
	status,
	task_id: taskId,
	data: { text, timestamp },
});

type WatchData = { taskId: string; secretDigest: string; startedAt: number };

async function activate(parameters = watchParams) {
	const staticData: IDataObject = {};
	expect(await lifecycle.checkExists.call(hook(parameters, staticData))).toBe(false);
	expect(await lifecycle.create.call(hook(parameters, staticData))).toBe(true);
	return staticData as WatchData;
}

/** The secret of a task's callback URL, as memories.ai (here the sandbox) received it: static data holds only its digest. */
function tokenOf(state: { taskId: string }): string {
	const task = sandbox.task(state.taskId);
	if (!task) throw new Error(`no task ${state.taskId}`);
	return new URL(task.callback).searchParams.get('token') ?? '';
}

describe('watch mode lifecycle', () => {
	it("starts one task whose callback is the webhook URL with a fresh secret, and remembers the secret's digest", async () => {
		const state = await activate();
		const [task] = sandbox.activeTasks(KEY);
		expect(state.taskId).toBe(task.taskId);
		const token = tokenOf(state);
		expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(task.callback).toBe(`${WEBHOOK}?token=${token}`);
		expect(state).toEqual({ taskId: task.taskId, secretDigest: secretDigest(token), startedAt: expect.any(Number) });
		expect(task).toMatchObject({ userPrompt: watchParams.userPrompt, systemPrompt: watchParams.systemPrompt });
	});

	it('keeps no raw secret in static data (exported with the workflow), and still accepts callbacks carrying it', async () => {
		const state = await activate();
		const token = tokenOf(state);
		const persisted = JSON.stringify(state);
		expect(persisted).not.toContain(token);
		expect(persisted).not.toContain(token.slice(0, 16));
		// As n8n stores and reloads it (or a copy imported elsewhere).
		const reloaded = JSON.parse(persisted) as IDataObject;
		const accepted = callback(watchParams, reloaded, { query: { token }, body: result(state.taskId, 'Steam rises.') });
		expect((await accepted.result).workflowData).toBeDefined();
		expect(accepted.context.response.statusCode).toBeUndefined(); // n8n answers 200 once the execution exists
		const again = callback(watchParams, reloaded, { query: { token }, body: result(state.taskId, 'Steam rises.') });
		expect((await again.result).workflowData).toBeUndefined(); // a duplicate, answered 200 by the node itself
		expect(again.context.response.statusCode).toBe(200);
		for (const wrong of [state.secretDigest, generateSecret(), `${token}x`]) {
			const refused = callback(watchParams, reloaded, { query: { token: wrong }, body: result(state.taskId, 'INJECTED') });
			expect((await refused.result).workflowData).toBeUndefined();
			expect(refused.context.response.statusCode).toBe(401);
		}
		expect(JSON.stringify(reloaded)).toBe(persisted); // the webhook never writes static data
	});

	it('accepts the raw secret an earlier version stored, and replaces it with its digest at the next hook', async () => {
		const state = await activate();
		const token = tokenOf(state);
		const legacy: IDataObject = { taskId: state.taskId, secret: token, startedAt: state.startedAt };
		const ok = callback(watchParams, legacy, { query: { token }, body: result(state.taskId, 'still mine') });
		expect((await ok.result).workflowData).toBeDefined();
		const bad = callback(watchParams, legacy, { query: { token: generateSecret() }, body: result(state.taskId, 'x') });
		expect((await bad.result).workflowData).toBeUndefined();
		expect(bad.context.response.statusCode).toBe(401);
		expect(legacy.secret).toBe(token); // the webhook only reads

		// n8n restarts: checkExists runs for the active workflow and may write.
		expect(await lifecycle.checkExists.call(hook(watchParams, legacy, 'init'))).toBe(true);
		expect(legacy).toEqual({ taskId: state.taskId, secretDigest: secretDigest(token), startedAt: state.startedAt });
		const after = callback(watchParams, legacy, { query: { token }, body: result(state.taskId, 'after the upgrade', '2025-10-22T12:00:50Z') });
		expect((await after.result).workflowData).toBeDefined();

		// A stop that fails keeps the state: upgraded too.
		const failing: IDataObject = { taskId: state.taskId, secret: token, startedAt: state.startedAt };
		sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000, times: 3 });
		await expect(lifecycle.delete.call(hook(watchParams, failing))).rejects.toThrow(/Could not stop stream/);
		expect(JSON.stringify(failing)).not.toContain(token);
		expect(failing).toMatchObject({ taskId: state.taskId, secretDigest: secretDigest(token) });
		expect(await lifecycle.delete.call(hook(watchParams, failing))).toBe(true);
		expect(sandbox.task(state.taskId)?.state).toBe('stopped');
		expect(failing).toEqual({});
	}, 20000);

	it('does not start a second task when n8n restarts', async () => {
		const state = await activate();
		expect(await lifecycle.checkExists.call(hook(watchParams, state as never, 'init'))).toBe(true);
		expect(sandbox.activeTasks(KEY)).toHaveLength(1);
	});

	it('stops a leftover task before starting anew on a new activation', async () => {
		const state = await activate();
		const old = state.taskId;
		expect(await lifecycle.checkExists.call(hook(watchParams, state as never, 'activate'))).toBe(false);
		await lifecycle.create.call(hook(watchParams, state as never));
		expect(sandbox.task(old)?.state).toBe('stopped');
		expect(sandbox.activeTasks(KEY).map((t) => t.taskId)).toEqual([state.taskId]);
	});

	it('stops the task on deactivation and forgets it; a second deactivation is harmless', async () => {
		const state = await activate();
		const taskId = state.taskId;
		expect(await lifecycle.delete.call(hook(watchParams, state as never))).toBe(true);
		expect(sandbox.task(taskId)?.state).toBe('stopped');
		expect(state).toEqual({});
		expect(await lifecycle.delete.call(hook(watchParams, state as never))).toBe(true);
	});

	it('keeps the task when stopping fails, says so, and stops it on the next activation', async () => {
		const state = await activate();
		const taskId = state.taskId;
		sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000, times: 3 });
		await expect(lifecycle.delete.call(hook(watchParams, state as never))).rejects.toThrow(
			new RegExp(`Could not stop stream ${taskId}; it may still be running and billing`),
		);
		expect(state.taskId).toBe(taskId);
		await lifecycle.create.call(hook(watchParams, state as never));
		expect(sandbox.task(taskId)?.state).toBe('stopped');
		expect(sandbox.activeTasks(KEY)).toHaveLength(1);
	}, 20000);

	it('reuses the secret of a start whose answer was lost, so the webhook can stop a task it hides', async () => {
		sandbox.injectFault({ on: 'start', kind: 'invalid_json' });
		const first = hook(watchParams, {});
		await expect(lifecycle.create.call(first)).rejects.toMatchObject({
			message: expect.stringMatching(/The stream may have started: n8n retries the activation with the same callback secret/),
			description: expect.stringMatching(/may have started anyway/),
		});
		expect((first as unknown as { logs: Array<{ message: string }> }).logs.map((l) => l.message)).toEqual([
			expect.stringMatching(/^Memories\.ai Live Video Trigger "Memories\.ai Live Video" in workflow "test" \(workflow-1\): the answer to Start was lost .* n8n retries it with the same secret/),
		]);
		const lostUrl = JSON.parse((first as unknown as { requests: Array<{ body: string }> }).requests[0].body).callback;
		const state = await activate();
		expect(sandbox.task(state.taskId)?.callback).toBe(lostUrl);
		expect(JSON.stringify(state)).not.toContain(tokenOf(state));
		const fresh = await activate();
		expect(`${WEBHOOK}?token=${tokenOf(fresh)}`).not.toBe(lostUrl); // only the retry reuses it
	});

	it("never stops the active workflow's stream for 'Listen for test event'", async () => {
		const production = await activate();
		const testCopy: IDataObject = { ...production };
		expect(await lifecycle.create.call(hook(watchParams, testCopy, 'manual'))).toBe(true);
		expect(sandbox.task(production.taskId)?.state).toBe('running');
		expect(testCopy.taskId).not.toBe(production.taskId);
		// The test's in-memory copy holds a digest too, never the secret.
		expect(testCopy).toEqual({ taskId: testCopy.taskId, secretDigest: secretDigest(tokenOf(testCopy as { taskId: string })), startedAt: expect.any(Number) });
		await lifecycle.delete.call(hook(watchParams, testCopy, 'manual'));
		expect(sandbox.activeTasks(KEY).map((t) => t.taskId)).toEqual([production.taskId]);
	});

	it('refuses to activate with invalid parameters and starts nothing', async () => {
		await expect(lifecycle.create.call(hook({ ...watchParams, userPrompt: ' ' }, {}))).rejects.toThrow(/User Prompt is empty/);
		await expect(lifecycle.create.call(hook({ ...watchParams, maxDurationMinutes: -3 }, {}))).rejects.toThrow(/Stop After/);
		expect(sandbox.activeTasks()).toHaveLength(0);
	});

	it('fails activation with the API error when the key runs 4 streams', async () => {
		for (let i = 0; i < 4; i++) await activate();
		await expect(lifecycle.create.call(hook(watchParams, {}))).rejects.toThrow(/maximum of 4 streams/);
	});
});

describe('webhook', () => {
	it('emits a valid result with the documented fields; n8n answers it 200 with an empty body once the execution is registered', async () => {
		const state = await activate();
		const { context, result: response } = callback(watchParams, state as never, {
			query: { token: tokenOf(state) },
			body: result(state.taskId, 'Steam rises.'),
		});
		const answer = await response;
		// Left to n8n ("Respond Immediately", no data): back-pressure, and no answer before an execution exists.
		expect(context.response.ended).toBeFalsy();
		expect(answer.noWebhookResponse).toBeUndefined();
		expect(trigger.description.webhooks).toEqual([expect.objectContaining({ responseMode: 'onReceived', responseData: 'noData' })]);
		expect(answer.workflowData).toEqual([
			[{ json: { task_id: state.taskId, status: 0, text: 'Steam rises.', timestamp: '2025-10-22T12:00:45.000Z', ended: false, event: 'result' } }],
		]);
	});

	it.each([
		['missing', undefined],
		['wrong', 'not-the-secret-at-all'],
		['truncated', 'SECRET'.slice(0, 3)],
	])('answers 401 to a %s secret and starts nothing', async (_name, token) => {
		const state = await activate();
		const { context, result: response } = callback(watchParams, state as never, {
			query: token === undefined ? {} : { token },
			body: result(state.taskId, 'x'),
		});
		const answer = await response;
		expect(context.response.statusCode).toBe(401);
		expect(answer.workflowData).toBeUndefined();
	});

	it('answers 401 when no activation stored a secret', async () => {
		const { context, result: response } = callback(watchParams, {}, { query: { token: '' }, body: result('t', 'x') });
		expect((await response).workflowData).toBeUndefined();
		expect(context.response.statusCode).toBe(401);
	});

	it.each([
		['no task_id', { status: 0, data: { text: 'x' } }, 'application/json', 400],
		['XML', '<callback><status>0</status></callback>', 'application/xml', 415],
		['an array', [result('t', 'x')], 'application/json', 400],
	])('answers 4xx to a body with %s', async (_name, body, contentType, httpStatus) => {
		const state = await activate();
		const { context, result: response } = callback(watchParams, state as never, {
			query: { token: tokenOf(state) },
			headers: { 'content-type': contentType },
			body,
		});
		expect((await response).workflowData).toBeUndefined();
		expect(context.response.statusCode).toBe(httpStatus);
	});

	it('parses the raw body itself when n8n provides one', async () => {
		const state = await activate();
		const raw = Buffer.from('{"status":0,"task_id":');
		const { context, result: response } = callback(watchParams, state as never, { query: { token: tokenOf(state) }, body: {} });
		(context.getRequestObject() as unknown as { rawBody: Buffer }).rawBody = raw;
		expect((await response).workflowData).toBeUndefined();
		expect(context.response.statusCode).toBe(400);
	});

	it('emits stream-ended events distinguishably', async () => {
		const state = await activate();
		const { result: response } = callback(watchParams, state as never, {
			query: { token: tokenOf(state) },
			body: { status: 2001, task_id: state.taskId, data: { text: 'credits' } },
		});
		expect((await response).workflowData?.[0][0].json).toMatchObject({ ended: true, event: 'stream_ended', status: 2001 });
	});

	it('drops duplicates unless asked not to', async () => {
		const state = await activate();
		const send = (params = watchParams) =>
			callback(params, state as never, { query: { token: tokenOf(state) }, body: result(state.taskId, 'same', '2025-01-01T00:00:00Z') }).result;
		expect((await send()).workflowData).toBeDefined();
		expect((await send()).workflowData).toBeUndefined();
		const keepAll = { ...watchParams, options: { ignoreDuplicates: false } };
		expect((await send(keepAll)).workflowData).toBeDefined();
		expect((await send(keepAll)).workflowData).toBeDefined();
	});

	it('filters by change, keyword and regular expression', async () => {
		const state = await activate();
		const emitted = async (params: Record<string, unknown>, texts: string[]) => {
			const out: boolean[] = [];
			for (const [i, text] of texts.entries()) {
				const { result: response } = callback({ ...watchParams, ...params }, state as never, {
					query: { token: tokenOf(state) },
					body: result(state.taskId, text, `2025-01-01T00:00:0${i}Z`),
				});
				out.push((await response).workflowData !== undefined);
			}
			return out;
		};
		expect(await emitted({ emit: 'changes' }, ['calm', 'calm', 'boiling', 'calm'])).toEqual([true, false, true, true]);
		expect(await emitted({ emit: 'keywords', keywords: 'smoke, Boiling Over' }, ['calm', 'the pan is boiling over', 'smoke!'])).toEqual([false, true, true]);
		expect(await emitted({ emit: 'regex', regex: '/^pan/' }, ['Pan up', 'pan down'])).toEqual([false, true]);
	});

	it('stops a task that carries our secret but is not ours (a start whose answer was lost)', async () => {
		const state = await activate();
		const orphan = sandbox.engine.start(KEY, {
			rtmpUrl: 'rtmp://x.example/live',
			userPrompt: 'p',
			systemPrompt: 's',
			callback: `${WEBHOOK}?token=${tokenOf(state)}`,
			thinking: false,
		});
		if (!orphan.ok) throw new Error('could not start');
		const { context, result: response } = callback(watchParams, state as never, {
			query: { token: tokenOf(state) },
			body: result(orphan.taskId, 'x'),
		});
		expect((await response).workflowData).toBeUndefined();
		expect(context.response.statusCode).toBe(200);
		expect(sandbox.task(orphan.taskId)?.state).toBe('stopped');
		expect(sandbox.task(state.taskId)?.state).toBe('running');
	});

	it('stops the stream after the maximum duration and emits one ended item', async () => {
		const params = { ...watchParams, maxDurationMinutes: 1 };
		const state = await activate(params);
		state.startedAt -= 61000;
		const send = (ts: string) =>
			callback(params, state as never, { query: { token: tokenOf(state) }, body: result(state.taskId, 'x', ts) }).result;
		const first = await send('2025-01-01T00:00:01Z');
		expect(first.workflowData?.[0][0].json).toMatchObject({
			task_id: state.taskId,
			ended: true,
			event: 'stream_ended',
			status: 14,
			reason: 'max_duration',
			text: 'Stopped after the maximum duration of 1 minute.',
		});
		expect(sandbox.task(state.taskId)?.state).toBe('stopped');
		expect((await send('2025-01-01T00:00:02Z')).workflowData).toBeUndefined();
	});
});

describe('receive mode', () => {
	const receiveParams = { mode: 'receive', callbackToken: generateSecret(), emit: 'all', options: {} };

	it('activates without starting anything, and refuses a weak token', async () => {
		expect(await lifecycle.checkExists.call(hook(receiveParams, {}))).toBe(false);
		expect(await lifecycle.create.call(hook(receiveParams, {}))).toBe(true);
		await expect(lifecycle.create.call(hook({ ...receiveParams, callbackToken: 'short' }, {}))).rejects.toThrow(/at least 16 characters/);
		expect(await lifecycle.delete.call(hook(receiveParams, {}))).toBe(true);
		expect(sandbox.engine.state()).toMatchObject({ totals: { starts: 0, stops: 0 } });
	});

	it('accepts callbacks carrying the configured token, for any task', async () => {
		const ok = callback(receiveParams, {}, { query: { token: receiveParams.callbackToken }, body: result('any-task', 'hello') });
		expect((await ok.result).workflowData?.[0][0].json).toMatchObject({ task_id: 'any-task', text: 'hello' });
		const bad = callback(receiveParams, {}, { query: { token: 'x'.repeat(43) }, body: result('any-task', 'hello') });
		expect((await bad.result).workflowData).toBeUndefined();
		expect(bad.context.response.statusCode).toBe(401);
	});
});
