// How long a stream lives: stopped when its start node closes (or not), stopped after its maximum
// duration, and marked ended (still stopped on close) when it ends by itself at the service.
import * as h from './support/harness';

const env = h.useSuite();

async function loadLoop(options: Parameters<typeof h.loopFlow>[1] = {}) {
	await h.load(h.loopFlow(env.sandbox, options), h.CREDENTIALS);
	return h.inboxes('started', 'out', 'end', 'stopped');
}

describe('stop on close', () => {
	it('on (the default): a redeploy stops every stream the node started', async () => {
		const [started] = await loadLoop({ start: { stopOnClose: undefined } });
		const ids = [(await h.expectSent('start', started)).task_id, (await h.expectSent('start', started)).task_id];
		const start = h.node('start');
		await h.redeploy(h.flow(h.configNode(env.sandbox)));
		expect(env.sandbox.activeTasks()).toHaveLength(0);
		for (const id of ids) expect(env.sandbox.task(id!)).toMatchObject({ state: 'stopped', endReason: 'stopped' });
		expect(h.registry.list()).toHaveLength(0);
		expect(h.lastStatus(start)).toEqual({});
		expect(h.calls(start, 'error')).toHaveLength(0);
	});

	it('on: unloading the flows (shutdown) stops them too', async () => {
		const [started] = await loadLoop({ start: { stopOnClose: true } });
		const id = (await h.expectSent('start', started)).task_id!;
		const ended = env.sandbox.waitFor('task-ended', (t) => t.taskId === id);
		await h.unload();
		expect(await ended).toMatchObject({ state: 'stopped' });
		expect(env.sandbox.activeTasks()).toHaveLength(0);
	});

	it('on: a redeploy of other nodes only leaves the streams running', async () => {
		const [started] = await loadLoop();
		const id = (await h.expectSent('start', started)).task_id!;
		await h.redeploy(h.loopFlow(env.sandbox, { stop: { name: 'changed' } }), h.CREDENTIALS, 'nodes');
		expect(env.sandbox.task(id)!.state).toBe('running');
		expect(h.lastStatus(h.node('start'))?.text).toBe(h.t('memories-live-start.status.running', { count: 1 }));
	});

	it('off: the stream keeps running and stays known, so a Stop node can still stop it', async () => {
		const [started] = await loadLoop({ start: { stopOnClose: false } });
		const id = (await h.expectSent('start', started)).task_id!;
		await h.redeploy(h.loopFlow(env.sandbox, { start: { stopOnClose: false, name: 'redeployed' }, stop: { target: 'all' } }), h.CREDENTIALS);
		expect(env.sandbox.task(id)!.state).toBe('running');
		expect(h.registry.list().map((t) => t.taskId)).toEqual([id]);
		// The new instance of the same node counts it.
		expect(h.lastStatus(h.node('start'))?.text).toBe(h.t('memories-live-start.status.running', { count: 1 }));
		// Clean up the way a user would.
		const [stopped] = h.inboxes('stopped');
		const msg = await h.expectSent('stop', stopped);
		expect(msg.payload).toEqual([{ task_id: id, outcome: 'stopped', stopped: true, message: h.STOPPED }]);
		expect(env.sandbox.activeTasks()).toHaveLength(0);
	});

	it('off, and the node removed: the stream keeps billing (the user chose so)', async () => {
		const [started] = await loadLoop({ start: { stopOnClose: false } });
		const id = (await h.expectSent('start', started)).task_id!;
		await h.redeploy(h.flow(h.configNode(env.sandbox)));
		expect(env.sandbox.task(id)!.state).toBe('running');
		expect(env.sandbox.engine.stop(h.KEY, id)).toBe(true); // clean up
	});

	it('on: a start still waiting for its answer when the node closes has its stream stopped as soon as it comes', async () => {
		await loadLoop();
		env.sandbox.injectFault({ on: 'start', kind: 'slow', delayMs: 300 });
		const created = env.sandbox.waitFor('task-started');
		const start = h.node('start');
		start.receive({ payload: 'go' });
		const { taskId } = await created;
		await h.redeploy(h.flow(h.configNode(env.sandbox))); // the node goes; its close waits for the answer
		expect(env.sandbox.task(taskId)).toMatchObject({ state: 'stopped', endReason: 'stopped' });
		expect(h.registry.list()).toHaveLength(0);
		expect(h.calls(start, 'log')).toContainEqual([h.t('memories-live-start.log.stopped-after-close', { taskId })]);
		expect(h.calls(start, 'error')).toHaveLength(0);
		expect(h.lastStatus(start)).toEqual({});
	});

	it('on, but the service fails the stops: the node reports each stream that may still bill', async () => {
		const [started] = await loadLoop();
		const id = (await h.expectSent('start', started)).task_id!;
		const start = h.node('start');
		env.sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000, times: 3 }); // every try on close
		await h.redeploy(h.flow(h.configNode(env.sandbox)));
		const [[message]] = h.calls(start, 'error');
		expect(message).toMatch(new RegExp(`^Could not stop stream ${id} while closing; it may still be running and billing: memories\\.ai reported an internal error \\(status 5000\\)`));
		expect(message).toBe(
			h.t('memories-live-start.errors.stop-on-close', { taskId: id, reason: message.slice(message.indexOf('memories.ai reported'), message.indexOf(' Stop it with')) }),
		);
		expect(env.sandbox.task(id)!.state).toBe('running');
		expect(env.sandbox.engine.stop(h.KEY, id)).toBe(true); // clean up
	});
});

describe('maximum duration', () => {
	it('stops the stream at the service and ends it on the results node’s output 2 with reason max_duration', async () => {
		const [started, out, end] = await loadLoop({ start: { maxDuration: 0.002 } }); // 120 ms
		const msg = await h.expectSent('start', started);
		const taskId = msg.task_id!;
		expect(msg.payload.max_duration_minutes).toBe(0.002);
		const ended = await end.next((m) => m.topic === taskId);
		expect(ended.payload).toEqual({
			event: 'stream_ended',
			task_id: taskId,
			status: 14,
			text: 'Stopped after the maximum duration of 0.002 minutes.',
			timestamp: expect.stringMatching(/Z$/),
			ended: true,
			reason: 'max_duration',
		});
		const task = env.sandbox.task(taskId)!;
		expect(task).toMatchObject({ state: 'stopped', endReason: 'stopped' });
		expect(Date.parse(task.endedAt!) - Date.parse(task.startedAt)).toBeGreaterThanOrEqual(110);
		expect(out.messages.filter((m) => m.topic === taskId).length).toBeGreaterThan(0);
		expect(h.registry.list()).toHaveLength(0);
		const start = h.node('start');
		expect(h.lastStatus(start)).toEqual({ fill: 'grey', shape: 'ring', text: h.t('memories-live-start.status.idle') });
		expect(h.calls(start, 'log')).toContainEqual([h.t('memories-live-start.log.max-duration', { taskId, minutes: 0.002, outcome: 'stopped' })]);
		// The results node showed the end (a callback already in flight may turn it green again).
		expect(h.statuses(h.node('res'))).toContainEqual(expect.objectContaining({ fill: 'blue', shape: 'ring' }));
	});

	it('a stop that fails is tried again with back-off until the stream is stopped', async () => {
		const [started, , end] = await loadLoop({ start: { maxDuration: 0.002 } });
		// The client's 3 tries, for each of the two that stop at the deadline (the start node's timer, the results node).
		env.sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000, times: 6 });
		const taskId = (await h.expectSent('start', started)).task_id!;
		// 3 failed tries (1 s + 2 s back-off), the next attempt 2 s later.
		const ended = await end.next((m) => m.topic === taskId && m.payload.reason === 'max_duration', 15000);
		expect(ended.payload.status).toBe(14);
		expect(env.sandbox.task(taskId)).toMatchObject({ state: 'stopped', endReason: 'stopped' });
		// Whichever tried first (the start node's timer, or the results node at a result past the
		// deadline the URL carries) said so, and a later try stopped it.
		const errors = [...h.calls(h.node('start'), 'error'), ...h.calls(h.node('res'), 'error')].map(([e]) => String((e as Error).message ?? e));
		expect(errors).toContainEqual(expect.stringMatching(/status 5000/));
		expect(h.registry.list()).toHaveLength(0);
	}, 20000);

	it('only the stream that reached it is stopped', async () => {
		const [started, , end] = await loadLoop();
		const short = (await h.expectSent('start', started, { maxDuration: 0.002 })).task_id!;
		const long = (await h.expectSent('start', started)).task_id!;
		await end.next((m) => m.topic === short && m.payload.reason === 'max_duration');
		expect(env.sandbox.task(long)!.state).toBe('running');
		expect(h.lastStatus(h.node('start'))?.text).toBe(h.t('memories-live-start.status.running', { count: 1 }));
	});

	it('survives a redeploy of a start node that leaves its streams running', async () => {
		const [started] = await loadLoop({ start: { stopOnClose: false, maxDuration: 0.003 } }); // 180 ms
		const taskId = (await h.expectSent('start', started)).task_id!;
		const stoppedAtService = env.sandbox.waitFor('task-ended', (t) => t.taskId === taskId, 3000);
		await h.redeploy(h.loopFlow(env.sandbox, { start: { stopOnClose: false, maxDuration: 0.003, name: 'edited' } }), h.CREDENTIALS);
		const [end] = h.inboxes('end');
		expect(env.sandbox.task(taskId)!.state).toBe('running');
		expect(await stoppedAtService).toMatchObject({ state: 'stopped' });
		expect((await end.next((m) => m.topic === taskId)).payload.reason).toBe('max_duration');
		expect(h.registry.list()).toHaveLength(0);
	});

	it('is enforced by the redeployed node for a start answered after the redeploy (stop on close off)', async () => {
		await loadLoop({ start: { stopOnClose: false, maxDuration: 0.005 } }); // 300 ms
		env.sandbox.injectFault({ on: 'start', kind: 'slow', delayMs: 1500 }); // answered after the redeploy
		const created = env.sandbox.waitFor('task-started');
		h.node('start').receive({ payload: 'go' });
		const { taskId } = await created; // started at the service, its answer still on the way
		const stoppedAtService = env.sandbox.waitFor('task-ended', (t) => t.taskId === taskId, 5000);
		// Modified nodes only: the account's config node (and its pending request) stays.
		await h.redeploy(h.loopFlow(env.sandbox, { start: { stopOnClose: false, maxDuration: 0.005, name: 'edited' } }), h.CREDENTIALS, 'nodes');
		expect(h.registry.list()).toHaveLength(0); // the answer is still on its way
		expect(await stoppedAtService).toMatchObject({ state: 'stopped', endReason: 'stopped' });
		const [end] = h.inboxes('end');
		expect((await end.next((m) => m.topic === taskId)).payload.reason).toBe('max_duration');
		expect(h.registry.list()).toHaveLength(0);
	}, 10000);

	it('with a callback URL of its own (no results node), the stream is still stopped', async () => {
		const [started] = await loadLoop();
		const taskId = (await h.expectSent('start', started, { maxDuration: 0.002, callbackUrl: 'http://127.0.0.1:9/nowhere' })).task_id!;
		const ended = await env.sandbox.waitFor('task-ended', (t) => t.taskId === taskId);
		expect(ended.state).toBe('stopped');
		await h.waitForStatus(h.node('start'), (s) => s.text === h.t('memories-live-start.status.idle'));
	});
});

describe('streams that end by themselves', () => {
	it('a source that ends (sandbox endTask): output 2, and the start node no longer counts it', async () => {
		const [started, out, end] = await loadLoop();
		const one = (await h.expectSent('start', started)).task_id!;
		const two = (await h.expectSent('start', started)).task_id!;
		await out.next((m) => m.topic === one);
		expect(env.sandbox.endTask(one)).toBe(true);
		const ended = await end.next((m) => m.topic === one);
		expect(ended.payload).toMatchObject({ task_id: one, status: -1, text: 'The RTMP source ended.', ended: true });
		expect(ended.payload.reason).toBeUndefined();
		await h.waitForStatus(h.node('start'), (s) => s.text === h.t('memories-live-start.status.running', { count: 1 }));
		// Both stay listed until stopped; only the one still streaming counts as running.
		expect(h.registry.list().map((t) => [t.taskId, t.endedAt !== undefined])).toEqual([
			[one, true],
			[two, false],
		]);
	});

	it('a stream reported ended is still stopped on close: the end is assumed API behaviour', async () => {
		const [started, , end] = await loadLoop();
		const taskId = (await h.expectSent('start', started)).task_id!;
		env.sandbox.endTask(taskId);
		await end.next((m) => m.topic === taskId);
		const before = (env.sandbox.engine.state() as { totals: { notFoundStops: number } }).totals.notFoundStops;
		await h.redeploy(h.flow(h.configNode(env.sandbox)));
		expect((env.sandbox.engine.state() as { totals: { notFoundStops: number } }).totals.notFoundStops).toBe(before + 1);
		expect(h.registry.list()).toHaveLength(0);
	});

	it('an RTMP source with two frame windows (?frames=2): two results, then the end', async () => {
		const [started, out, end] = await loadLoop();
		const taskId = (await h.expectSent('start', started, { rtmpUrl: `${h.RTMP}?frames=2` })).task_id!;
		await end.next((m) => m.topic === taskId);
		await h.waitForStatus(h.node('start'), (s) => s.text === h.t('memories-live-start.status.idle'));
		await h.deliveriesOf(env.sandbox, taskId, 3);
		expect(out.messages.filter((m) => m.topic === taskId)).toHaveLength(2);
		// Still listed, marked ended: the end is assumed API behaviour, so a stop on close still goes out.
		expect(h.registry.list()).toEqual([expect.objectContaining({ taskId, endedAt: expect.any(Number) })]);
		// A stop now finds nothing to stop, and says so without failing.
		const [stopped] = h.inboxes('stopped');
		expect((await h.expectSent('stop', stopped, { task_id: taskId })).payload).toEqual({ task_id: taskId, outcome: 'not_found', stopped: false, message: h.NOT_FOUND });
	});

	it('credits that run out: a final 2001 callback on output 2, and a new start is refused', async () => {
		await env.sandbox.close();
		env.sandbox = await h.newSandbox({ credits: 2 });
		const [started, , end] = await loadLoop();
		const taskId = (await h.expectSent('start', started)).task_id!;
		const ended = await end.next((m) => m.topic === taskId);
		expect(ended.payload).toMatchObject({ status: 2001, ended: true, text: 'Credit deduction failed: the stream was stopped.' });
		await h.waitForStatus(h.node('start'), (s) => s.text === h.t('memories-live-start.status.idle'));
		expect(await h.expectFailure('start', started)).toMatchObject({ kind: 'credits', code: '2001' });
	});

	it('an unreachable source ends at once', async () => {
		const [started, out, end] = await loadLoop();
		const taskId = (await h.expectSent('start', started, { rtmpUrl: 'rtmp://camera.invalid/live/x' })).task_id!;
		expect((await end.next((m) => m.topic === taskId)).payload).toMatchObject({ status: -1, text: 'Could not pull the RTMP source: it is not reachable.' });
		expect(out.messages).toHaveLength(0);
		await h.waitForStatus(h.node('start'), (s) => s.text === h.t('memories-live-start.status.idle'));
	});
});
