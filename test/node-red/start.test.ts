// The start node: its settings and the message properties that override them, the callback URL it
// hands out, input validation, its output and its status.
import { analysisText } from '../../sandbox/src';
import { Sink, startSink } from '../../scripts/lib/sink';
import * as h from './support/harness';

const env = h.useSuite();

function totals() {
	return (env.sandbox.engine.state() as { totals: { starts: number; rejectedStarts: number } }).totals;
}

const NODE_SETTINGS = {
	rtmpUrl: 'rtmp://camera.example.com:1935/live/kitchen',
	userPrompt: 'Tell me when the pan is boiling over.',
	systemPrompt: 'You watch a kitchen.',
	thinking: false,
	maxDuration: 0,
};

describe('settings and message overrides', () => {
	let sink: Sink;
	beforeEach(async () => {
		sink = await startSink();
	});
	afterEach(async () => {
		await sink.close();
	});

	it('without overrides, the node’s settings are sent', async () => {
		await h.load(h.loopFlow(env.sandbox, { start: NODE_SETTINGS }), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		const taskId = (await h.expectSent('start', started)).task_id!;
		expect(env.sandbox.task(taskId)).toMatchObject({
			rtmpUrl: NODE_SETTINGS.rtmpUrl,
			userPrompt: NODE_SETTINGS.userPrompt,
			systemPrompt: NODE_SETTINGS.systemPrompt,
			thinking: false,
			state: 'running',
			key: h.KEY,
		});
		expect(h.withoutStartId(env.sandbox.task(taskId)!.callback)).toBe(`${h.nodeRedUrl()}${h.RESULTS_PATH}?token=${h.SECRET}`);
	});

	it('an empty system prompt means the default one; prompts are trimmed', async () => {
		await h.load(h.loopFlow(env.sandbox, { start: { ...NODE_SETTINGS, systemPrompt: '', userPrompt: '  Watch the door.  ' } }), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		const taskId = (await h.expectSent('start', started)).task_id!;
		expect(env.sandbox.task(taskId)).toMatchObject({ systemPrompt: 'You are a real-time video monitoring system.', userPrompt: 'Watch the door.' });
	});

	it.each([
		['rtmpUrl', 'rtmps://other.example.com/live/door', { rtmpUrl: 'rtmps://other.example.com/live/door' }],
		['userPrompt', 'Is anyone at the door?', { userPrompt: 'Is anyone at the door?' }],
		['systemPrompt', 'You watch a front door.', { systemPrompt: 'You watch a front door.' }],
		['thinking', true, { thinking: true }],
		['thinking', 'TRUE', { thinking: true }],
	])('msg.%s overrides the setting', async (property, value, expected) => {
		await h.load(h.loopFlow(env.sandbox, { start: NODE_SETTINGS }), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		const taskId = (await h.expectSent('start', started, { [property]: value })).task_id!;
		const { maxDuration: _unused, ...sent } = NODE_SETTINGS;
		expect(env.sandbox.task(taskId)).toMatchObject({ ...sent, ...expected });
	});

	it('msg.thinking false overrides a node set to think', async () => {
		await h.load(h.loopFlow(env.sandbox, { start: { ...NODE_SETTINGS, thinking: true } }), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		expect(env.sandbox.task((await h.expectSent('start', started)).task_id!)!.thinking).toBe(true);
		expect(env.sandbox.task((await h.expectSent('start', started, { thinking: false })).task_id!)!.thinking).toBe(false);
	});

	it('msg.userPrompt reaches the analysis: the results quote it', async () => {
		await h.load(h.loopFlow(env.sandbox, { start: NODE_SETTINGS }), h.CREDENTIALS);
		const [started, out] = h.inboxes('started', 'out');
		const taskId = (await h.expectSent('start', started, { userPrompt: 'Is anyone at the door?' })).task_id!;
		const first = await out.next((m) => m.topic === taskId);
		expect(first.payload.text).toBe(analysisText('Is anyone at the door?', 1));
	});

	it('msg.maxDuration overrides the setting', async () => {
		await h.load(h.loopFlow(env.sandbox, { start: NODE_SETTINGS }), h.CREDENTIALS);
		const [started, end] = h.inboxes('started', 'end');
		const msg = await h.expectSent('start', started, { maxDuration: '0.002' });
		expect(msg.payload.max_duration_minutes).toBe(0.002);
		expect((await end.next((m) => m.topic === msg.task_id)).payload.reason).toBe('max_duration');
	});

	it('msg.callbackUrl overrides the results node: results go there', async () => {
		await h.load(h.loopFlow(env.sandbox, { start: NODE_SETTINGS }), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		const callbackUrl = `${sink.url}/elsewhere?token=abc123`;
		const msg = await h.expectSent('start', started, { callbackUrl });
		expect(h.withoutStartId(env.sandbox.task(msg.task_id!)!.callback)).toBe(callbackUrl);
		expect(h.withoutStartId(msg.payload.callback_url)).toBe(`${sink.url}/elsewhere?token=***`);
		const [first] = await sink.waitFor(1);
		expect(h.withoutStartId(first.url)).toBe('/elsewhere?token=abc123');
		expect(first.json).toMatchObject({ status: 0, task_id: msg.task_id });
		expect(h.registry.list()[0]).toMatchObject({ taskId: msg.task_id, resultsNodeId: undefined });
	});

	it('callback mode "url": the node’s Callback URL, without any results node', async () => {
		const callbackUrl = `${sink.url}/hook?token=s3cret-value`;
		await h.load(
			h.flow(h.configNode(env.sandbox, { publicUrl: '' }), h.startNode({ ...NODE_SETTINGS, callbackMode: 'url', callbackUrl, results: '' }), h.helperNode('started')),
			h.CREDENTIALS,
		);
		const [started] = h.inboxes('started');
		const msg = await h.expectSent('start', started);
		expect(h.withoutStartId(env.sandbox.task(msg.task_id!)!.callback)).toBe(callbackUrl);
		expect(h.withoutStartId(msg.payload.callback_url)).toBe(`${sink.url}/hook?token=***`);
		expect((await sink.waitFor(2)).map((r) => h.withoutStartId(r.url))).toEqual(['/hook?token=s3cret-value', '/hook?token=s3cret-value']);
		expect(h.everythingShown()).not.toContain('s3cret-value');
	});

	it('callback mode "url" without a URL: a validation error', async () => {
		await h.load(h.flow(h.configNode(env.sandbox), h.startNode({ callbackMode: 'url', callbackUrl: '' }), h.helperNode('started')), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		expect((await h.expectFailure('start', started)).message).toMatch(/^Callback URL is empty\./);
		expect(totals().starts + totals().rejectedStarts).toBe(0);
	});
});

describe('callback URL from the results node', () => {
	it('is the Public URL + httpNodeRoot + the node’s path + its secret; the loop closes', async () => {
		await h.load(h.loopFlow(env.sandbox), h.CREDENTIALS);
		const [started, out] = h.inboxes('started', 'out');
		const msg = await h.expectSent('start', started);
		expect(h.withoutStartId(env.sandbox.task(msg.task_id!)!.callback)).toBe(`${h.nodeRedUrl()}/memories/results?token=${h.SECRET}`);
		const results = await out.waitFor(3, (m) => m.topic === msg.task_id);
		expect(results.map((m) => m.payload.text)).toEqual([1, 2, 3].map((frame) => analysisText(h.PROMPT, frame)));
		expect(env.sandbox.deliveries({ taskId: msg.task_id }).slice(0, 3).every((d) => d.ok && d.httpStatus === 200)).toBe(true);
	});

	it('keeps a path in the Public URL (a reverse proxy) and trims it', async () => {
		await h.load(h.loopFlow(env.sandbox, { config: { publicUrl: '  https://proxy.example.com/nodered/  ' } }), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		const msg = await h.expectSent('start', started);
		expect(h.withoutStartId(env.sandbox.task(msg.task_id!)!.callback)).toBe(`https://proxy.example.com/nodered/memories/results?token=${h.SECRET}`);
		expect(h.withoutStartId(msg.payload.callback_url)).toBe('https://proxy.example.com/nodered/memories/results?token=***');
	});

	it.each([
		['no results node selected', { results: '' }],
		['a results node that is not in the flows', { results: 'gone' }],
		['a node that is not a results node', { results: 'out' }],
	])('%s: a clear error, nothing started', async (_label, start) => {
		await h.load(h.loopFlow(env.sandbox, { start }), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		const error = await h.expectFailure('start', started);
		expect(error.message).toBe(h.t('memories-live-start.errors.no-results-node'));
		expect(h.lastStatus(h.node('start'))).toEqual({ fill: 'red', shape: 'ring', text: 'check Results node' });
		expect(totals().starts + totals().rejectedStarts).toBe(0);
	});

	it('no Public URL in the account: a clear error, nothing started', async () => {
		await h.load(h.loopFlow(env.sandbox, { config: { publicUrl: '   ' } }), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		const error = await h.expectFailure('start', started);
		expect(error.message).toBe(h.t('memories-live-start.errors.no-public-url'));
		expect(h.lastStatus(h.node('start'))?.text).toBe('check Public URL');
		expect(totals().starts + totals().rejectedStarts).toBe(0);
	});

	it('a Public URL the core refuses (saved without the editor’s check): its message, nothing started', async () => {
		await h.load(h.loopFlow(env.sandbox, { config: { publicUrl: 'ftp://nodered.example.com/?x=1' } }), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		const error = await h.expectFailure('start', started);
		expect(error).toMatchObject({ field: 'Public URL' });
		expect(error.message).toMatch(/^Public URL must start with http:\/\/ or https:\/\//);
		expect(totals().starts + totals().rejectedStarts).toBe(0);
	});
});

describe('validation', () => {
	it.each([
		['an http RTMP URL', { rtmpUrl: 'http://camera.example.com/live/streamkey123' }, 'RTMP URL', /^RTMP URL must start with rtmp:\/\/ or rtmps:\/\/ \(this one starts with "http:"\)/],
		['an empty RTMP URL', { rtmpUrl: '  ' }, 'RTMP URL', /^RTMP URL is empty\./],
		['a numeric RTMP URL', { rtmpUrl: 42 }, 'RTMP URL', /^RTMP URL must be text/],
		['an RTMP URL with spaces', { rtmpUrl: 'rtmp://camera.example.com/live/my stream' }, 'RTMP URL', /contains spaces/],
		['an empty user prompt', { userPrompt: '   ' }, 'User Prompt', /^User Prompt is empty\./],
		['a user prompt too long', { userPrompt: 'x'.repeat(20001) }, 'User Prompt', /longer than 20000 characters/],
		['a system prompt that is not text', { systemPrompt: 5 }, 'System Prompt', /^System Prompt must be text\.$/],
		['thinking that is not a boolean', { thinking: 'maybe' }, 'Thinking', /^Thinking must be true or false\.$/],
		['an ftp callback URL', { callbackUrl: 'ftp://example.com/cb' }, 'Callback URL', /^Callback URL must start with http:\/\/ or https:\/\//],
		['a negative maximum duration', { maxDuration: -1 }, 'Stop After', /^Stop After must be a number of minutes from 0 \(never\) to 10080\.$/],
		['a maximum duration that is not a number', { maxDuration: 'soon' }, 'Stop After', /^Stop After must be/],
		['a maximum duration over a week', { maxDuration: 10081 }, 'Stop After', /^Stop After must be/],
		['several problems at once', { rtmpUrl: 'file:///video.mp4', userPrompt: '' }, 'RTMP URL, User Prompt', /^RTMP URL must start with .* User Prompt is empty\./],
	])('%s: done(err) naming the field, red status, nothing sent', async (_label, msg, field, message) => {
		await h.load(h.loopFlow(env.sandbox), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		const error = (await h.expectFailure('start', started, msg)) as Error & { field?: string };
		expect(error.message).toMatch(message);
		expect(error.field).toBe(field);
		expect(error.message).not.toContain('streamkey123');
		expect(h.lastStatus(h.node('start'))).toEqual({ fill: 'red', shape: 'ring', text: `check ${field}` });
		expect(totals().starts + totals().rejectedStarts).toBe(0);
		expect(h.registry.list()).toHaveLength(0);
		expect(started.messages).toHaveLength(0);
	});

	it('a node whose own settings are invalid fails the same way', async () => {
		await h.load(h.loopFlow(env.sandbox, { start: { rtmpUrl: 'https://youtube.com/watch?v=x' } }), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		expect((await h.expectFailure('start', started)).message).toMatch(/^RTMP URL must start with rtmp:\/\//);
		expect(totals().starts).toBe(0);
	});
});

describe('output and status', () => {
	it('sends msg.task_id and a payload describing the stream, keeping other properties', async () => {
		await h.load(h.loopFlow(env.sandbox, { start: { maxDuration: '30' } }), h.CREDENTIALS);
		const [started] = h.inboxes('started');
		const before = Date.now();
		const msg = await h.expectSent('start', started, { topic: 'kitchen', payload: 'go', extra: { keep: true } });
		expect(msg.task_id).toMatch(/^[0-9a-f-]{36}$/);
		expect(msg.payload).toEqual({
			task_id: msg.task_id,
			message: expect.stringMatching(/billed every 5 seconds .* stop it with Stop and task_id [0-9a-f-]{36} .* stops itself at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z\.$/),
			started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
			rtmp_url: h.RTMP,
			user_prompt: h.PROMPT,
			system_prompt: 'You are a real-time video monitoring system.',
			callback_url: expect.stringMatching(new RegExp(`^${h.nodeRedUrl()}${h.RESULTS_PATH}\\?token=\\*\\*\\*&stop_at=\\d+&start_id=[A-Za-z0-9_-]{22}$`)),
			thinking: false,
			max_duration_minutes: 30,
			stop_at: expect.stringMatching(/Z$/),
		});
		expect(Date.parse(msg.payload.stop_at) - before).toBeGreaterThanOrEqual(30 * 60000 - 1000);
		expect(msg.payload.message).toContain(`it stops itself at ${msg.payload.stop_at}.`);
		expect(Date.parse(msg.payload.started_at)).toBeGreaterThanOrEqual(before - 1);
		expect(msg).toMatchObject({ topic: 'kitchen', extra: { keep: true } });
		expect(JSON.stringify(msg)).not.toContain(h.SECRET);
	});

	it('shows idle, starting, then the number of streams it runs; the registry knows them', async () => {
		await h.load(h.loopFlow(env.sandbox), h.CREDENTIALS);
		const start = h.node('start');
		expect(h.statuses(start)).toEqual([{ fill: 'grey', shape: 'ring', text: h.t('memories-live-start.status.idle') }]);
		const [started] = h.inboxes('started');
		const one = (await h.expectSent('start', started)).task_id;
		expect(h.statuses(start).slice(-2)).toEqual([
			{ fill: 'yellow', shape: 'dot', text: h.t('memories-live-start.status.starting') },
			{ fill: 'green', shape: 'dot', text: h.t('memories-live-start.status.running', { count: 1 }) },
		]);
		const two = (await h.expectSent('start', started)).task_id;
		expect(h.lastStatus(start)).toEqual({ fill: 'green', shape: 'dot', text: h.t('memories-live-start.status.running', { count: 2 }) });
		expect(h.lastStatus(start)?.text).toContain('2');
		expect(h.registry.list()).toEqual([
			expect.objectContaining({ taskId: one, startNodeId: 'start', configId: 'cfg', resultsNodeId: 'res' }),
			expect.objectContaining({ taskId: two, startNodeId: 'start', configId: 'cfg', resultsNodeId: 'res' }),
		]);
		expect(env.sandbox.activeTasks(h.KEY)).toHaveLength(2);
	});
});
