// The results node's events (JSON fields, conditions, episodes, summaries, parse errors, stalls),
// the start node's answer instruction and cost meter, and the account's daily budget, in the
// bundled nodes against the sandbox's scripted kitchen.
import { scenario, scenarioEpisodes } from '../../sandbox/src';
import * as h from './support/harness';
import { callbackUrl, result, send } from './support/http';

const env = h.useSuite();

const FIELDS = [
	{ name: 'boiling_over', type: 'boolean', description: 'Is the pan boiling over?' },
	{ name: 'state', type: 'enum', options: 'calm, simmering, boiling', description: 'How the pan looks.' },
];
const EPISODES = {
	answerFormat: 'json',
	answerFields: FIELDS,
	emit: 'episodes',
	conditionType: 'fields',
	rules: [{ field: 'boiling_over', operator: 'is_true' }],
	combine: 'all',
	startAfterWindows: 1,
	endAfterWindows: 2,
	reminderMinutes: 0,
	cooldownSeconds: 0,
	summary: true,
	stallSeconds: 0,
	wires: [['out'], ['end'], ['problems']],
};
const BOIL = 'rtmp://camera.example.com/live/kitchen?scenario=boil';

async function loadEvents(results: Record<string, unknown>, options: Parameters<typeof h.loopFlow>[1] = {}) {
	await h.load(h.loopFlow(env.sandbox, { ...options, results, extra: [h.helperNode('problems')] }), h.CREDENTIALS);
	return h.inboxes('started', 'out', 'end', 'problems', 'stopped');
}

let stamp = 0;
async function post(taskId: string, text: string, status = 0) {
	const timestamp = new Date(Date.UTC(2025, 9, 22, 12, 0, 0) + ++stamp * 5000).toISOString();
	const answer = await send(callbackUrl(h.nodeRedUrl(), h.RESULTS_PATH, { token: h.SECRET }), { body: result(taskId, text, timestamp, status) });
	expect(answer.status).toBe(200);
}

describe('answer format', () => {
	it('the start node adds the instruction of its results node’s fields to the prompt, and results carry the fields', async () => {
		const [started, out] = await loadEvents({ ...EPISODES, emit: 'all' }, { start: { rtmpUrl: BOIL } });
		const msg = await h.expectSent('start', started);
		const task = env.sandbox.task(msg.task_id!)!;
		expect(task.userPrompt).toBe(
			[
				h.PROMPT,
				'',
				'Answer with one JSON object only, and no other text. Use exactly these fields:',
				'- "boiling_over" (true or false): Is the pan boiling over?',
				'- "state" (one of: "calm", "simmering", "boiling"): How the pan looks.',
				'Example: {"boiling_over": false, "state": "calm"}',
			].join('\n'),
		);
		expect(msg.payload.user_prompt).toBe(task.userPrompt);
		const results = await out.waitFor(8);
		// The script: windows 1–6 calm, 7 on boiling over.
		expect(results.map((m) => m.payload.fields)).toEqual([
			...Array(6).fill({ boiling_over: false, state: 'calm' }),
			{ boiling_over: true, state: 'boiling' },
			{ boiling_over: true, state: 'boiling' },
		]);
	});

	it('sends an answer it cannot read to output 3 as parse_error, with the raw text', async () => {
		const [, out, , problems] = await loadEvents({ ...EPISODES, emit: 'all' });
		await post('t-parse', 'Sorry, the camera is dark.');
		await post('t-parse', '{"boiling_over": true, "state": "calm"}');
		const [error] = await problems.waitFor(1);
		expect(error).toMatchObject({ topic: 't-parse', payload: { event: 'parse_error', text: 'Sorry, the camera is dark.', reason: 'No JSON object found in the answer.' } });
		expect((await out.next()).payload).toMatchObject({ event: 'result', fields: { boiling_over: true, state: 'calm' } });
		expect(h.calls(h.node('res'), 'send').map((args) => args[0].length)).toEqual([3, 2]); // flows wired before output 3 see what they saw
	});
});

describe('episodes on the boil scenario', () => {
	it('one message when each real episode starts and one when it ends; the summary when the stream is stopped', async () => {
		const script = scenario('boil')!;
		const [started, out, end, problems, stopped] = await loadEvents(EPISODES, { start: { rtmpUrl: `${BOIL}&answer_faults=1` } });
		const taskId = (await h.expectSent('start', started)).task_id!;
		await h.deliveriesOf(env.sandbox, taskId, 2 * script.cycle + 10, 15000);
		await h.expectSent('stop', stopped, { task_id: taskId });
		const [summary] = await end.waitFor(1);
		expect(summary.payload).toMatchObject({ event: 'stream_summary', task_id: taskId, ended: true, reason: 'stopped', summary: { reason: 'stopped', billed_estimate_basis: 'start_request' } });
		const windows = summary.payload.summary.windows_received as number;
		const episodes = scenarioEpisodes(script, windows);
		expect(summary.payload.summary.episodes).toBe(episodes);
		const events = out.messages.map((m) => m.payload.event);
		expect(events.filter((e) => e === 'episode_started')).toHaveLength(episodes);
		// Every episode ends once: when its condition cleared, or (one still going) with the stream.
		expect(events).toEqual(Array.from({ length: episodes }, () => ['episode_started', 'episode_ended']).flat());
		// The scripted unreadable answers (2 a cycle, in calm stretches) went to output 3; they changed no episode.
		const faults = script.windows.filter((w) => w.answerFault === 'answer_invalid_json' || w.answerFault === 'answer_missing_field').map((w) => w.window);
		const expectedErrors = Array.from({ length: windows }, (_, i) => (i % script.cycle) + 1).filter((w) => faults.includes(w)).length;
		expect(problems.messages.map((m) => m.payload.event)).toEqual(Array(expectedErrors).fill('parse_error'));
		expect(summary.payload.summary.parse_errors).toBe(expectedErrors);
		expect(out.messages[0].payload.episode).toMatchObject({ id: `${taskId}:1`, number: 1, windows: 1, first_fields: { boiling_over: true, state: 'boiling' } });
	}, 30000);

	it('results that meet the condition: every boiling window, nothing else', async () => {
		const script = scenario('boil')!;
		const [started, out] = await loadEvents({ ...EPISODES, emit: 'condition' }, { start: { rtmpUrl: BOIL } });
		const taskId = (await h.expectSent('start', started)).task_id!;
		await h.deliveriesOf(env.sandbox, taskId, script.cycle, 10000);
		const expected = script.windows.filter((w) => w.event).length;
		const results = await out.waitFor(expected);
		expect(results.every((m) => m.payload.event === 'result' && m.payload.fields.boiling_over === true)).toBe(true);
	});
});

describe('stalls', () => {
	it('stream_stalled on output 3 after the limit without a callback, the status says so, stream_resumed with the next one', async () => {
		const [, out, , problems] = await loadEvents({ ...EPISODES, emit: 'all', stallSeconds: 10 });
		await post('t-stall', '{"boiling_over": false, "state": "calm"}');
		const [stalled] = await problems.waitFor(1, () => true, 15000);
		expect(stalled.payload).toMatchObject({ event: 'stream_stalled', task_id: 't-stall', gap_s: expect.any(Number), ended: false });
		expect(stalled.payload.gap_s).toBeGreaterThanOrEqual(10);
		// Nothing else arrives: the status says how long results have been missing.
		const stalledText = h.t('memories-live-results.status.stalled', { ago: h.t('memories-live-results.status.age.seconds', { count: 'N' }) });
		expect(h.lastStatus(h.node('res'))).toEqual({ fill: 'yellow', shape: 'ring', text: expect.stringMatching(new RegExp(`^${stalledText.replace('N', '\\d+')}$`)) });
		await post('t-stall', '{"boiling_over": false, "state": "calm"}');
		const resumed = await problems.next((m) => m.payload.event === 'stream_resumed');
		expect(resumed.payload.gap_s).toBeGreaterThanOrEqual(10);
		await out.waitFor(2);
		await h.waitForStatus(h.node('res'), (s) => s.fill === 'green');
	}, 30000);
});

describe('cost', () => {
	it('the start node shows its streams’ billed minutes (estimate) from the first minute', async () => {
		await loadEvents({ ...EPISODES, emit: 'all' });
		h.registry.add({ taskId: 'metered-1', startNodeId: 'start', configId: 'cfg', startedAt: Date.now() - 147000 });
		expect(h.lastStatus(h.node('start'))).toEqual({ fill: 'green', shape: 'dot', text: h.t('memories-live-start.status.running-billed', { count: 1, minutes: '2.5' }) });
		h.registry.remove('metered-1');
		expect(h.lastStatus(h.node('start'))?.text).toBe(h.t('memories-live-start.status.idle'));
	});

	it('a daily budget stops every stream of the account once used up, says so, and refuses new starts', async () => {
		const [started, , end] = await loadEvents(EPISODES, { config: { dailyBudget: '0.05' }, start: { rtmpUrl: BOIL } });
		const taskId = (await h.expectSent('start', started)).task_id!;
		const [summary] = await end.waitFor(1, () => true, 10000);
		expect(summary.payload).toMatchObject({ event: 'stream_summary', task_id: taskId, reason: 'budget', summary: { reason: 'budget' } });
		expect(env.sandbox.task(taskId)).toMatchObject({ state: 'stopped' });
		const [warning] = await h.waitForCall(h.node('cfg'), 'warn');
		expect(warning).toMatch(/^Daily budget of 0\.05 stream-minutes used up \(about 0\.0\d min today, an estimate\): stopping 1 stream\(s\)/);
		await h.waitForStatus(h.node('start'), (s) => s.fill === 'red' && s.text === h.t('memories-live-start.status.budget'));
		const error = await h.expectFailure('start', started);
		expect(error.message).toMatch(/daily budget of 0\.05 stream-minutes is used up/);
		expect(env.sandbox.activeTasks()).toHaveLength(0);
	}, 20000);

	it('an invalid budget refuses starts until it is fixed (a budget was meant)', async () => {
		const [started] = await loadEvents({ ...EPISODES, emit: 'all' }, { config: { dailyBudget: 'lots' } });
		const error = await h.expectFailure('start', started);
		expect(error.message).toMatch(/^Daily Budget \(Stream-Minutes\) must be a number of minutes/);
		expect(env.sandbox.activeTasks()).toHaveLength(0);
	});
});

describe('settings the runtime refuses', () => {
	it.each([
		[{ answerFields: [FIELDS[0], FIELDS[0]] }, /Name "boiling_over" is used twice/],
		[{ rules: [{ field: 'smoke', operator: 'is_true' }] }, /"smoke" is not a declared field/],
		[{ startAfterWindows: 0 }, /Start After \(Windows\) must be a whole number from 1 to 100/],
		[{ cooldownSeconds: 90000 }, /Cooldown \(Seconds\) must be a number from 0 to 86400/],
		[{ stallSeconds: 2 }, /Stalled After \(Seconds\) must be 0 \(off\)/],
	])('%#: the node says why and receives nothing; a start refuses to send results there', async (change, message) => {
		const [started] = await loadEvents({ ...EPISODES, ...change });
		expect(h.calls(h.node('res'), 'error').map((a) => String(a[0].message ?? a[0]))).toEqual([expect.stringMatching(message)]);
		expect(h.lastStatus(h.node('res'))).toMatchObject({ fill: 'red', shape: 'ring' });
		await h.expectFailure('start', started);
		expect(env.sandbox.activeTasks()).toHaveLength(0);
	});
});
