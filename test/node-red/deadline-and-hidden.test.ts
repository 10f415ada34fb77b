// The deadline that travels with a stream (Stop After, `&stop_at=` next to the secret), enforced by
// the results node with no state of its own; hidden tasks (a start whose answer was lost) stopped
// by their first result, across redeploys and at shutdown; redirects and Retry-After.
import * as h from './support/harness';
import { callbackUrl, result, send } from './support/http';

const env = h.useSuite();

/** A stream started by someone else (n8n, a script) whose callback URL carries this node's secret and a deadline. */
function startedElsewhere(stopAtSeconds: number | undefined, key = h.KEY) {
	const url = `${callbackUrl(h.nodeRedUrl(), h.RESULTS_PATH, { token: h.SECRET })}${stopAtSeconds === undefined ? '' : `&stop_at=${stopAtSeconds}`}`;
	const outcome = env.sandbox.engine.start(key, { rtmpUrl: h.RTMP, userPrompt: h.PROMPT, systemPrompt: 's', callback: url, thinking: false });
	if (!outcome.ok) throw new Error(outcome.text);
	return outcome.taskId;
}
const past = () => Math.floor(Date.now() / 1000) - 1;

describe('Stop After: the deadline in the callback URL', () => {
	it('a stream started here stops at the first result past its deadline, once, with reason max_duration', async () => {
		// Whichever comes first stops it (the start node's timer, or the results node at a result past
		// the URL's deadline, rounded up to the second); only the stop that ended it reports it.
		await h.load(h.loopFlow(env.sandbox, { start: { maxDuration: 0.02 } }), h.CREDENTIALS); // 1.2 s
		const [started, out, end] = h.inboxes('started', 'out', 'end');
		const msg = await h.expectSent('start', started);
		const stopAt = Number(new URL(env.sandbox.task(msg.task_id!)!.callback).searchParams.get('stop_at')) * 1000;
		expect(msg.payload.stop_at).toBe(new Date(stopAt).toISOString());
		const ended = await end.next((m) => m.topic === msg.task_id, 8000);
		expect(ended.payload).toMatchObject({ event: 'stream_ended', status: 14, ended: true, reason: 'max_duration' });
		expect(env.sandbox.task(msg.task_id!)).toMatchObject({ state: 'stopped', endReason: 'stopped' });
		expect(out.messages.every((m) => Date.parse(m.payload.timestamp) < stopAt + 1000)).toBe(true);
		expect(end.messages.filter((m) => m.topic === msg.task_id)).toHaveLength(1);
		expect(h.registry.list()).toHaveLength(0);
	});

	it('a stream started elsewhere is stopped with the results node’s optional account', async () => {
		await h.load(h.flow(h.configNode(env.sandbox), h.resultsNode({ config: 'cfg' }), h.helperNode('out'), h.helperNode('end')), h.CREDENTIALS);
		const [end] = h.inboxes('end');
		const taskId = startedElsewhere(past());
		expect((await end.next((m) => m.topic === taskId)).payload).toMatchObject({ reason: 'max_duration', text: expect.stringMatching(/^Stopped at its deadline \(Stop After\), /) });
		expect(env.sandbox.task(taskId)!.state).toBe('stopped');
	});

	it('with summaries on, the deadline stop sends one stream_summary whose reason is max_duration', async () => {
		await h.load(h.flow(h.configNode(env.sandbox), h.resultsNode({ config: 'cfg', summary: true }), h.helperNode('out'), h.helperNode('end')), h.CREDENTIALS);
		const [end] = h.inboxes('end');
		const taskId = startedElsewhere(past());
		const summary = await end.next((m) => m.topic === taskId);
		expect(summary.payload).toMatchObject({ event: 'stream_summary', reason: 'max_duration', summary: { reason: 'max_duration' } });
		expect(env.sandbox.task(taskId)!.state).toBe('stopped');
		expect(end.messages.filter((m) => m.topic === taskId)).toHaveLength(1);
	});

	it('without an account it cannot stop: results still arrive, and a warning says so (once)', async () => {
		await h.load(h.flow(h.configNode(env.sandbox), h.resultsNode(), h.helperNode('out'), h.helperNode('end')), h.CREDENTIALS);
		const [out] = h.inboxes('out');
		const taskId = startedElsewhere(past());
		await out.waitFor(3, (m) => m.topic === taskId);
		expect(env.sandbox.task(taskId)!.state).toBe('running');
		const warnings = h.calls(h.node('res'), 'warn').map(([w]) => String(w));
		expect(warnings).toEqual([expect.stringMatching(new RegExp(`^A result of stream ${taskId} came past its Stop After deadline .* no account to stop it`))]);
		env.sandbox.engine.stop(h.KEY, taskId);
	});

	it('a forged deadline stops nobody’s stream without the secret; a stripped one lets it run', async () => {
		await h.load(h.flow(h.configNode(env.sandbox), h.resultsNode({ config: 'cfg' }), h.helperNode('out'), h.helperNode('end')), h.CREDENTIALS);
		const [out] = h.inboxes('out');
		const taskId = startedElsewhere(undefined); // no deadline: as before
		const forged = `${callbackUrl(h.nodeRedUrl(), h.RESULTS_PATH, { token: 'not-the-secret-not-the-secret' })}&stop_at=1`;
		expect((await send(forged, { body: result(taskId, 'forged') })).status).toBe(401);
		expect((await send(`${h.nodeRedUrl()}${h.RESULTS_PATH}?stop_at=1`, { body: result(taskId, 'no token') })).status).toBe(401);
		await out.waitFor(3, (m) => m.topic === taskId);
		expect(env.sandbox.task(taskId)!.state).toBe('running');
		expect(out.messages.some((m) => m.payload.text === 'forged')).toBe(false);
		env.sandbox.engine.stop(h.KEY, taskId);
	});
});

describe('hidden tasks: a start whose answer was lost', () => {
	it('its task is stopped by its first result; the flow never sees it', async () => {
		await h.load(h.loopFlow(env.sandbox), h.CREDENTIALS);
		const [started, out] = h.inboxes('started', 'out');
		env.sandbox.injectFault({ on: 'start', kind: 'reset', handled: true });
		const error = (await h.expectFailure('start', started)) as Error & { cause?: { mayHaveStarted?: boolean } };
		expect(error.cause).toMatchObject({ kind: 'network', mayHaveStarted: true });
		const [hidden] = env.sandbox.activeTasks(h.KEY);
		const ended = await env.sandbox.waitFor('task-ended', (t) => t.taskId === hidden.taskId);
		expect(ended).toMatchObject({ endReason: 'stopped' });
		expect(out.messages.filter((m) => m.topic === hidden.taskId)).toEqual([]);
		expect(h.calls(h.node('start'), 'warn').map(([w]) => String(w))).toEqual([expect.stringMatching(/The answer to a start was lost/)]);
		await h.waitForCall(h.node('res'), 'warn', ([w]) => String(w).startsWith(`Stopped stream ${hidden.taskId} (stopped): a start whose answer was lost`));
		expect(env.sandbox.activeTasks()).toEqual([]);
	});

	it('another sender’s task with the same secret is not one: its results are received', async () => {
		await h.load(h.loopFlow(env.sandbox), h.CREDENTIALS);
		const [started, out] = h.inboxes('started', 'out');
		env.sandbox.injectFault({ on: 'start', kind: 'reset', handled: true });
		await h.expectFailure('start', started);
		const other = startedElsewhere(undefined);
		await out.waitFor(2, (m) => m.topic === other);
		expect(env.sandbox.task(other)!.state).toBe('running');
		env.sandbox.engine.stop(h.KEY, other);
	});

	it('kept across a redeploy: the new results node stops it when its results come', async () => {
		await h.load(h.loopFlow(env.sandbox), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		env.sandbox.injectFault({ on: 'callback', kind: 'drop', times: 1000 }); // no results until after the redeploy
		env.sandbox.injectFault({ on: 'start', kind: 'reset', handled: true });
		await h.expectFailure('start', started);
		const [hidden] = env.sandbox.activeTasks(h.KEY);
		await h.redeploy(h.loopFlow(env.sandbox), h.CREDENTIALS);
		expect(env.sandbox.task(hidden.taskId)!.state).toBe('running'); // its id was not known at the redeploy
		env.sandbox.clearFaults();
		expect(await env.sandbox.waitFor('task-ended', (t) => t.taskId === hidden.taskId)).toMatchObject({ endReason: 'stopped' });
	});

	it('stopped at shutdown if its id is known by then (its stop had failed)', async () => {
		await h.load(h.loopFlow(env.sandbox), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		env.sandbox.injectFault({ on: 'start', kind: 'reset', handled: true });
		env.sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000, times: 3 }); // the results node's stop fails
		await h.expectFailure('start', started);
		const [hidden] = env.sandbox.activeTasks(h.KEY);
		await h.waitForCall(h.node('res'), 'error', ([e]) => String(e).startsWith(`Could not stop stream ${hidden.taskId}`), 10000);
		expect(h.registry.get(hidden.taskId)).toMatchObject({ startNodeId: 'start', configId: 'cfg' });
		env.sandbox.clearFaults();
		env.sandbox.injectFault({ on: 'callback', kind: 'drop', times: 1000 }); // nothing else stops it first
		await h.unload(); // a shutdown closes every node
		expect(env.sandbox.task(hidden.taskId)).toMatchObject({ state: 'stopped', endReason: 'stopped' });
	}, 20000);
});

describe('the API’s answers the contract leaves open', () => {
	it.each([
		[307, 'other_port'],
		[307, 'localhost'],
		[301, 'other_port'],
		[308, 'other_port'],
	] as const)('a %i to %s on start: a redirect error (not "may have started"), nothing started, the key sent nowhere else', async (httpStatus, to) => {
		await h.load(h.loopFlow(env.sandbox), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		env.sandbox.injectFault({ on: 'start', kind: 'redirect', httpStatus, to });
		const error = (await h.expectFailure('start', started)) as Error & { cause?: Record<string, unknown> };
		expect(error.message).toMatch(new RegExp(`^The Base URL answered start with HTTP ${httpStatus}, a redirect to http://(127\\.0\\.0\\.1|localhost):\\d+/v1/understand/streamConnect\\. The API key is only ever sent to the Base URL, so the redirect was not followed\\. No stream was started\\.`));
		expect(error.message).not.toMatch(/may have started/i);
		expect(error.cause).toMatchObject({ kind: 'redirect', mayHaveStarted: false, retryable: false });
		expect(h.lastStatus(h.node('start'))?.text).toBe(`redirect (HTTP ${httpStatus})`);
		expect(env.sandbox.activeTasks()).toEqual([]);
		expect(env.sandbox.foreignRequests()).toEqual([]);
		expect(h.registry.startAttempts(() => true)).toEqual([]);
	});

	it('a stop node waits what a 429’s Retry-After asks, then stops', async () => {
		await h.load(h.loopFlow(env.sandbox), h.CREDENTIALS);
		const [started, stopped] = h.inboxes('started', 'stopped');
		const taskId = (await h.expectSent('start', started)).task_id!;
		env.sandbox.injectFault({ on: 'stop', kind: 'http429', retryAfter: 2 });
		const before = Date.now();
		const msg = await h.expectSent('stop', stopped, { task_id: taskId });
		expect(msg.payload).toMatchObject({ outcome: 'stopped' });
		expect(Date.now() - before).toBeGreaterThanOrEqual(2000);
		const stops = env.sandbox.apiRequests().filter((r) => r.operation === 'stop');
		expect(stops.map((r) => r.httpStatus)).toEqual([429, 200]);
		expect(stops[1].receivedAt - stops[0].answeredAt).toBeGreaterThanOrEqual(1900);
	});
});
