// The trigger against what the real service may do, with a stand-in n8n context (the real n8n is
// test/e2e/n8n and test/reliability/n8n/variants.test.ts): bodies n8n hands over raw, the
// deadline of Stop After in the callback URL, refusals logged, and Watch activations whose start
// answer was lost (at most one task is kept, none is started while a lost one may announce itself).
import type { IDataObject, IHookFunctions, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { generateSecret } from '../../core';
import { MemoriesLiveVideoTrigger } from '../../nodes/MemoriesLiveVideoTrigger/MemoriesLiveVideoTrigger.node';
import { forgetPendingStarts, lostStart } from '../../nodes/MemoriesLiveVideoTrigger/pending-starts';
import { Sandbox, startSandbox } from '../../sandbox/src';
import { fakeContext } from './support/context';

const KEY = 'sk-n8n-variants';
const WEBHOOK = 'http://127.0.0.1:5678/webhook/abc/results';
const TOKEN = generateSecret();
const trigger = new MemoriesLiveVideoTrigger();
const lifecycle = trigger.webhookMethods.default;
let sandbox: Sandbox;

beforeEach(async () => {
	sandbox = await startSandbox({ intervalMs: 60000, keys: [KEY] });
	forgetPendingStarts();
	lostStart.waitMs = 3000;
});
afterEach(async () => {
	await sandbox.close();
});

const receiveParams = { mode: 'receive', callbackToken: TOKEN, emit: 'all', options: {} };
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

type Logged = { logs: Array<{ level: string; message: string }> };

/** A callback as n8n hands it to the webhook: the raw bytes it read, and the request target. */
function webhook(
	parameters: Record<string, unknown>,
	request: { url: string; body: string | Buffer; contentType?: string; parsed?: unknown },
	options: { staticData?: IDataObject; withoutCredential?: boolean } = {},
) {
	const query = Object.fromEntries(new URL(request.url, 'http://x').searchParams);
	const context = fakeContext({
		credentials: { apiKey: KEY, baseUrl: sandbox.url },
		parameters,
		staticData: options.staticData ?? {},
		withoutCredential: options.withoutCredential,
		request: {
			method: 'POST',
			headers: request.contentType === undefined ? {} : { 'content-type': request.contentType },
			query,
			body: request.parsed ?? {},
			url: request.url,
			rawBody: Buffer.from(request.body),
		},
	});
	const answer = trigger.webhook.call(context as unknown as IWebhookFunctions) as Promise<IWebhookResponseData>;
	return { context: context as typeof context & Logged, answer };
}

const path = (query: string) => `/webhook/abc/results?${query}`;
const payload = (taskId: string, text: string, extra: Record<string, unknown> = {}) =>
	JSON.stringify({ status: 0, task_id: taskId, data: { text, timestamp: '2025-10-22T12:00:45Z' }, ...extra });

describe('bodies n8n hands over raw', () => {
	it.each([
		['text/plain', 'text/plain', payload('t1', 'a + b'), 't1'],
		['form, with the JSON as its body', 'application/x-www-form-urlencoded', payload('t2', 'a + b [c]'), 't2'],
		['octet-stream', 'application/octet-stream', payload('t3', 'x'), 't3'],
		['status "0" and a numeric task id', 'application/json', '{"status":"0","task_id":1761134445123001,"data":{"text":"x","timestamp":"2025-10-22 12:00:45"}}', '1761134445123001'],
		['the service’s second "?"', 'application/json', payload('t5', 'x'), 't5'],
	])('%s: read as the documented payload', async (name, contentType, body, taskId) => {
		const url = name.includes('second') ? path(`token=${TOKEN}?task_id=${taskId}`) : path(`token=${TOKEN}`);
		const { answer } = webhook(receiveParams, { url, body, contentType });
		const [[item]] = (await answer).workflowData!;
		expect(item.json).toEqual({ event: 'result', status: 0, timestamp: '2025-10-22T12:00:45.000Z', task_id: taskId, text: JSON.parse(body).data.text, ended: false });
	});

	it('what cannot be read is refused, and a throttled warning names the node, the workflow and the reason', async () => {
		const first = webhook(receiveParams, { url: path(`token=${TOKEN}`), body: '{"status": 0, "task_id": ', contentType: 'text/plain' });
		await first.answer;
		expect(first.context.response.statusCode).toBe(400);
		expect(first.context.logs).toEqual([
			{
				level: 'warn',
				message: expect.stringMatching(
					/^Memories\.ai Live Video Trigger "Memories\.ai Live Video" in workflow "test" \(workflow-1\) refused a callback with HTTP 400: The body is not valid JSON\. The secret matched/,
				),
			},
		]);
		const stranger = webhook(receiveParams, { url: path('token=wrong-token-wrong-token'), body: payload('t1', 'x'), contentType: 'application/json' });
		await stranger.answer;
		expect(stranger.context.response.statusCode).toBe(401);
		expect(stranger.context.logs.map((l) => l.message)).toEqual([expect.stringMatching(/HTTP 401: Missing or wrong "token".*still carries \?token=/)]);
		const again = webhook(receiveParams, { url: path('token=wrong-token-wrong-token'), body: payload('t1', 'x'), contentType: 'application/json' });
		await again.answer;
		expect(again.context.logs).toEqual([]); // within the minute: counted, not logged again
	});
});

describe('Stop After in Receive mode', () => {
	function runningTask(stopAt: number | undefined): string {
		const callback = `${WEBHOOK}?token=${TOKEN}${stopAt === undefined ? '' : `&stop_at=${stopAt}`}`;
		const started = sandbox.engine.start(KEY, { rtmpUrl: 'rtmp://x.example/live', userPrompt: 'p', systemPrompt: 's', callback, thinking: false });
		if (!started.ok) throw new Error(started.text);
		return started.taskId;
	}
	const past = () => Math.floor(Date.now() / 1000) - 1;

	it('with the credential: the first result past the deadline stops the stream and emits one ended item', async () => {
		const taskId = runningTask(past());
		const url = path(`token=${TOKEN}&stop_at=${past()}`);
		const first = await webhook(receiveParams, { url, body: payload(taskId, 'late'), contentType: 'application/json' }).answer;
		expect(first.workflowData?.[0][0].json).toMatchObject({ event: 'stream_ended', task_id: taskId, status: 14, reason: 'max_duration', text: expect.stringMatching(/^Stopped at its deadline/) });
		expect(sandbox.task(taskId)!.state).toBe('stopped');
		// A result still in flight: stopped already ("not found"), nothing more is emitted.
		expect((await webhook(receiveParams, { url, body: payload(taskId, 'later', { data: { text: 'later', timestamp: '2025-10-22T12:00:50Z' } }), contentType: 'application/json' }).answer).workflowData).toBeUndefined();
	});

	it('without the credential: the result is received, and a warning says the stream goes on billing', async () => {
		const taskId = runningTask(past());
		const { context, answer } = webhook(receiveParams, { url: path(`token=${TOKEN}&stop_at=${past()}`), body: payload(taskId, 'late'), contentType: 'application/json' }, { withoutCredential: true });
		expect((await answer).workflowData?.[0][0].json).toMatchObject({ event: 'result', text: 'late' });
		expect(context.logs.map((l) => l.message)).toEqual([expect.stringMatching(new RegExp(`stream ${taskId} past its Stop After deadline .* no credential to stop it: the stream goes on billing`))]);
		expect(sandbox.task(taskId)!.state).toBe('running');
	});

	it('a forged deadline without the secret stops nothing; a URL without one behaves as before', async () => {
		const taskId = runningTask(undefined);
		const forged = webhook(receiveParams, { url: path('token=not-the-secret-not-the-secret&stop_at=1'), body: payload(taskId, 'x'), contentType: 'application/json' });
		expect((await forged.answer).workflowData).toBeUndefined();
		expect(forged.context.response.statusCode).toBe(401);
		expect((await webhook(receiveParams, { url: path(`token=${TOKEN}`), body: payload(taskId, 'on time'), contentType: 'application/json' }).answer).workflowData?.[0][0].json).toMatchObject({ event: 'result' });
		expect(sandbox.task(taskId)!.state).toBe('running');
	});
});

describe('Watch activation whose start answer was lost', () => {
	function hook(staticData: IDataObject) {
		return fakeContext({ credentials: { apiKey: KEY, baseUrl: sandbox.url }, parameters: watchParams, staticData, webhookUrl: WEBHOOK }) as unknown as IHookFunctions & Logged;
	}
	/** The webhook receiving a result of `taskId`, sent to the URL that task was started with. */
	async function resultOf(taskId: string, staticData: IDataObject) {
		const url = new URL(sandbox.task(taskId)!.callback);
		return webhook(watchParams, { url: `${url.pathname}${url.search}`, body: payload(taskId, 'first result'), contentType: 'application/json' }, { staticData }).answer;
	}

	it('keeps the task a lost start created once its first result shows it, starting no second one', async () => {
		const staticData: IDataObject = {};
		sandbox.injectFault({ on: 'start', kind: 'reset', handled: true });
		const hidden = sandbox.waitFor('task-started');
		const context = hook(staticData);
		const created = lifecycle.create.call(context);
		const { taskId } = await hidden;
		await resultOf(taskId, staticData); // n8n routes it to the webhook while create() waits
		expect(await created).toBe(true);
		expect(staticData).toMatchObject({ taskId });
		expect(sandbox.activeTasks(KEY).map((t) => t.taskId)).toEqual([taskId]);
		expect(context.logs.map((l) => l.message)).toEqual([
			expect.stringMatching(/the answer to Start was lost .* waits up to 3 s for a result of it/),
			expect.stringMatching(new RegExp(`keeps stream ${taskId}`)),
		]);
	});

	it('a re-activation that first stops a leftover stream: results of its new stream are not taken for the leftover’s', async () => {
		const leftover = await (async () => {
			const staticData: IDataObject = {};
			expect(await lifecycle.create.call(hook(staticData))).toBe(true);
			return staticData;
		})();
		const saved = JSON.parse(JSON.stringify(leftover)) as IDataObject; // what the database still holds
		sandbox.injectFault({ on: 'start', kind: 'reset', handled: true });
		const hidden = sandbox.waitFor('task-started');
		const created = lifecycle.create.call(hook(leftover)); // stops the leftover, then starts anew
		const { taskId } = await hidden;
		const url = new URL(sandbox.task(taskId)!.callback);
		await webhook(watchParams, { url: `${url.pathname}${url.search}`, body: payload(taskId, 'new stream'), contentType: 'application/json' }, { staticData: saved }).answer;
		expect(await created).toBe(true);
		expect(leftover).toMatchObject({ taskId });
		expect(sandbox.task(saved.taskId as string)!.state).toBe('stopped');
		expect(sandbox.activeTasks(KEY).map((t) => t.taskId)).toEqual([taskId]);
	});

	it('fails when no result comes; a retry starts again only once the first had the time to call back, and one of all is kept', async () => {
		const staticData: IDataObject = {};
		lostStart.waitMs = 300;
		sandbox.injectFault({ on: 'start', kind: 'reset', handled: true, times: 2 });
		await expect(lifecycle.create.call(hook(staticData))).rejects.toThrow(/The stream may have started: n8n retries the activation/);
		await lifecycle.delete.call(hook(staticData)); // as n8n does after a failed create()
		await expect(lifecycle.create.call(hook(staticData))).rejects.toThrow(/may have started/); // the second attempt's answer is lost too
		expect(sandbox.activeTasks(KEY)).toHaveLength(2);
		// The third attempt waits for a result of the earlier ones: one comes, and no third stream starts.
		lostStart.waitMs = 3000;
		const [first, second] = sandbox.activeTasks(KEY).map((t) => t.taskId);
		const third = lifecycle.create.call(hook(staticData));
		await resultOf(second, staticData);
		await resultOf(first, staticData);
		expect(await third).toBe(true);
		expect(staticData).toMatchObject({ taskId: second });
		// The other is stopped: when the activation keeps one, or at its next result.
		if (sandbox.task(first)!.state === 'running') await resultOf(first, staticData);
		expect(sandbox.activeTasks(KEY).map((t) => t.taskId)).toEqual([second]);
		expect(sandbox.engine.state()).toMatchObject({ totals: { starts: 2 } });
	});
});
