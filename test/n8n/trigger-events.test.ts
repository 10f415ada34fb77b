// The trigger's events (answer format, conditions, episodes, summaries, gaps) and the action's
// Answer Format, against the sandbox with a stand-in n8n context. The real-n8n run of the example
// workflow is in test/e2e/n8n.
import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, IHookFunctions, ILoadOptionsFunctions, INodeExecutionData, INodeProperties, IWebhookFunctions } from 'n8n-workflow';

import { DEFAULT_EPISODE_OPTIONS, DEFAULT_STALL_SECONDS, EMIT_MODES, generateSecret } from '../../core';
import { MemoriesLiveVideo } from '../../nodes/MemoriesLiveVideo/MemoriesLiveVideo.node';
import { MemoriesLiveVideoTrigger } from '../../nodes/MemoriesLiveVideoTrigger/MemoriesLiveVideoTrigger.node';
import { Sandbox, startSandbox } from '../../sandbox/src';
import { fakeContext } from './support/context';

const KEY = 'sk-n8n-events';
const WEBHOOK = 'http://127.0.0.1:5678/webhook/abc/results';
const PROMPT = 'Watch the stove.';
let sandbox: Sandbox;
const trigger = new MemoriesLiveVideoTrigger();
const lifecycle = trigger.webhookMethods.default;

beforeEach(async () => {
	sandbox = await startSandbox({ intervalMs: 60000, keys: [KEY] });
});
afterEach(async () => {
	jest.restoreAllMocks();
	await sandbox.close();
});

const FIELDS = {
	field: [
		{ name: 'boiling_over', type: 'boolean', description: 'Is the pan boiling over?' },
		{ name: 'state', type: 'enum', options: 'calm, simmering, boiling', description: 'How the pan looks.' },
	],
};
/** ANSWER-FORMAT.md's instruction for these two fields, as the sandbox (a model) reads it. */
const INSTRUCTION = [
	'Answer with one JSON object only, and no other text. Use exactly these fields:',
	'- "boiling_over" (true or false): Is the pan boiling over?',
	'- "state" (one of: "calm", "simmering", "boiling"): How the pan looks.',
	'Example: {"boiling_over": false, "state": "calm"}',
].join('\n');

const episodes = {
	mode: 'receive',
	callbackToken: generateSecret(),
	answerFormat: 'json',
	answerFields: FIELDS,
	emit: 'episodes',
	conditionType: 'fields',
	rules: { rule: [{ field: 'boiling_over', operator: 'is_true' }] },
	combine: 'all',
	options: {},
};

function hook(parameters: Record<string, unknown>, staticData: IDataObject = {}) {
	return fakeContext({ credentials: { apiKey: KEY, baseUrl: sandbox.url }, parameters, staticData, webhookUrl: WEBHOOK }) as unknown as IHookFunctions;
}

let frame = 0;
const T0 = Date.UTC(2025, 9, 22, 12, 0, 0);
/** Posts one callback to the trigger; the items it starts an execution with (none: undefined). */
async function post(parameters: Record<string, unknown>, taskId: string, text: string, status = 0, staticData: IDataObject = {}, token = parameters.callbackToken) {
	const context = fakeContext({
		credentials: { apiKey: KEY, baseUrl: sandbox.url },
		parameters,
		staticData,
		request: {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			query: { token },
			body: { status, task_id: taskId, data: { text, timestamp: new Date(T0 + ++frame * 5000).toISOString() } },
		},
	});
	const answer = await trigger.webhook.call(context as unknown as IWebhookFunctions);
	return answer.workflowData?.[0].map((item) => item.json as IDataObject & { event: string });
}
const answer = (boiling: boolean) => JSON.stringify({ boiling_over: boiling, state: boiling ? 'boiling' : 'calm' });

describe('Answer Format', () => {
	it('Watch: the stream is started with our instruction after the prompt', async () => {
		const staticData: IDataObject = {};
		const params = { mode: 'watch', rtmpUrl: 'rtmp://camera.example.com/live/kitchen', userPrompt: PROMPT, answerFormat: 'json', answerFields: FIELDS, emit: 'all', options: {} };
		expect(await lifecycle.create.call(hook(params, staticData))).toBe(true);
		expect(sandbox.activeTasks(KEY)[0].userPrompt).toBe(`${PROMPT}\n\n${INSTRUCTION}`);
	});

	it('the action\'s Start sends the same prompt, so a Receive trigger with the same fields reads its results', async () => {
		const params = {
			operation: 'start',
			rtmpUrl: 'rtmp://camera.example.com/live/kitchen',
			userPrompt: PROMPT,
			callbackUrl: 'https://hooks.example.com/results?token=secret-token-123456',
			answerFormat: 'json',
			answerFields: FIELDS,
		};
		const context = fakeContext({ credentials: { apiKey: KEY, baseUrl: sandbox.url }, parameters: params });
		const [[item]] = (await new MemoriesLiveVideo().execute.call(context as unknown as IExecuteFunctions)) as INodeExecutionData[][];
		expect(item.json.user_prompt).toBe(`${PROMPT}\n\n${INSTRUCTION}`);
		expect(sandbox.task(item.json.task_id as string)?.userPrompt).toBe(`${PROMPT}\n\n${INSTRUCTION}`);
	});

	it('the action refuses an invalid field list before anything is sent, naming the field', async () => {
		const params = { operation: 'start', rtmpUrl: 'rtmp://camera.example.com/live/x', userPrompt: PROMPT, callbackUrl: 'https://h.example.com/r', answerFormat: 'json', answerFields: { field: [{ name: 'a b', type: 'boolean' }] } };
		const context = fakeContext({ credentials: { apiKey: KEY, baseUrl: sandbox.url }, parameters: params });
		const error = await new MemoriesLiveVideo().execute.call(context as unknown as IExecuteFunctions).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error).toMatchObject({ message: expect.stringMatching(/^Field 1 \("a b"\): Name is not a valid field name/), description: 'Check the Fields parameter.' });
		expect(sandbox.engine.state()).toMatchObject({ totals: { starts: 0 } });
	});

	it('gives every result its fields, and an unreadable answer goes out as a parse_error with the raw text', async () => {
		const params = { ...episodes, emit: 'all' };
		expect(await post(params, 'task-a', '```json\n{"boiling_over": "yes", "state": "Boiling"}\n```')).toEqual([
			expect.objectContaining({ event: 'result', fields: { boiling_over: true, state: 'boiling' } }),
		]);
		expect(await post(params, 'task-a', 'I cannot see the pan.')).toEqual([
			expect.objectContaining({ event: 'parse_error', text: 'I cannot see the pan.', reason: 'No JSON object found in the answer.' }),
		]);
		expect(await post({ ...params, options: { parseErrors: false } }, 'task-b', '{"boiling_over": true}')).toBeUndefined();
	});
});

describe('Emit: episodes', () => {
	it('starts the workflow once when an episode starts and once when it ends, then with the summary', async () => {
		const script = [false, false, true, true, false, true, true, false, false, false, true, false, false];
		const runs: string[][] = [];
		for (const boiling of script) {
			const items = await post(episodes, 'task-e', answer(boiling));
			if (items) runs.push(items.map((i) => i.event));
		}
		const end = await post(episodes, 'task-e', 'The RTMP source ended.', -1);
		expect(runs).toEqual([['episode_started'], ['episode_ended'], ['episode_started'], ['episode_ended']]);
		expect(end).toEqual([expect.objectContaining({ event: 'stream_summary', ended: true, status: -1, reason: 'source_ended' })]);
		expect(end![0].summary).toMatchObject({ windows_received: script.length, windows_matched: 5, episodes: 2, billed_estimate_basis: 'first_callback' });
	});

	it('Only Results That Meet the Condition, with a text condition; the end with the summary unless turned off', async () => {
		const params = { ...episodes, answerFormat: 'text', emit: 'condition', conditionType: 'keywords', keywords: 'boiling over' };
		expect(await post(params, 'task-c', 'The pan is calm.')).toBeUndefined();
		expect(await post(params, 'task-c', 'The pan is boiling over.')).toEqual([expect.objectContaining({ event: 'result', text: 'The pan is boiling over.' })]);
		expect((await post(params, 'task-c', 'stopped', 14))!.map((i) => i.event)).toEqual(['stream_summary']);
		const noSummary = { ...params, options: { streamSummary: false } };
		expect((await post(noSummary, 'task-d', 'stopped', 14))!.map((i) => i.event)).toEqual(['stream_ended']);
		// Today's Emit choices keep their stream_ended item, and get the summary when asked.
		expect((await post({ ...params, emit: 'all' }, 'task-f', 'stopped', 14))!.map((i) => i.event)).toEqual(['stream_ended']);
		expect((await post({ ...params, emit: 'all', options: { streamSummary: true } }, 'task-g', 'stopped', 14))!.map((i) => i.event)).toEqual(['stream_summary']);
	});

	it('reports a long gap as gap_s on the next item (n8n runs no timer in a trigger)', async () => {
		const params = { ...episodes, emit: 'all' };
		const now = jest.spyOn(Date, 'now').mockReturnValue(T0);
		await post(params, 'task-gap', answer(false));
		now.mockReturnValue(T0 + 5000);
		expect((await post(params, 'task-gap', answer(false)))![0].gap_s).toBeUndefined();
		now.mockReturnValue(T0 + 5000 + 95000);
		expect((await post(params, 'task-gap', answer(false)))![0]).toMatchObject({ event: 'result', gap_s: 95 });
		now.mockReturnValue(T0 + 200000);
		expect((await post({ ...params, options: { stallSeconds: 0 } }, 'task-gap2', answer(false)))![0].gap_s).toBeUndefined();
	});

	it.each([
		[{ answerFields: { field: [FIELDS.field[0], FIELDS.field[0]] } }, /Field 2 \("boiling_over"\): Name "boiling_over" is used twice/, 'Fields'],
		[{ rules: { rule: [{ field: 'smoke', operator: 'is_true' }] } }, /Rule 1 \(smoke is_true\): "smoke" is not a declared field/, 'Conditions'],
		[{ rules: { rule: [{ field: 'state', operator: 'greater_than', value: '2' }] } }, /">" does not apply to "state"/, 'Conditions'],
		[{ startAfterWindows: 0 }, /Start After \(Windows\) must be a whole number from 1 to 100/, 'Start After (Windows)'],
		[{ cooldownSeconds: -1 }, /Cooldown \(Seconds\) must be a number from 0 to 86400/, 'Cooldown (Seconds)'],
		[{ options: { stallSeconds: 5 } }, /Stalled After \(Seconds\) must be 0 \(off\)/, 'Stalled After (Seconds)'],
	])('refuses to activate with invalid event settings, naming the field (%#)', async (change, message, field) => {
		for (const mode of ['receive', 'watch']) {
			const params = { ...episodes, mode, rtmpUrl: 'rtmp://camera.example.com/live/kitchen', userPrompt: PROMPT, ...change };
			const error = await lifecycle.create.call(hook(params)).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(NodeOperationError);
			expect(error).toMatchObject({ message: expect.stringMatching(message), description: `Check the ${field} parameter.` });
		}
		expect(sandbox.engine.state()).toMatchObject({ totals: { starts: 0 } });
	});
});

describe('the parameters', () => {
	const properties = trigger.description.properties;
	const named = (name: string) => properties.filter((p) => p.name === name);

	it('offer every emit mode the core knows, sorted, the episode options with the core\'s defaults', () => {
		const emit = named('emit')[0].options as Array<{ name: string; value: string }>;
		expect(emit.map((o) => o.value).sort()).toEqual([...EMIT_MODES].sort());
		expect(emit.map((o) => o.name)).toEqual(emit.map((o) => o.name).sort((a, b) => a.localeCompare(b)));
		for (const key of Object.keys(DEFAULT_EPISODE_OPTIONS) as Array<keyof typeof DEFAULT_EPISODE_OPTIONS>) {
			expect(named(key)[0].default).toBe(DEFAULT_EPISODE_OPTIONS[key]);
		}
		const options = named('options')[0].options as INodeProperties[];
		expect(options.find((o) => o.name === 'stallSeconds')?.default).toBe(DEFAULT_STALL_SECONDS);
		expect(options.map((o) => o.displayName)).toEqual(options.map((o) => o.displayName).sort((a, b) => a.localeCompare(b)));
	});

	it('keep today\'s parameters in their order, and list the declared fields for the rules', async () => {
		const names = properties.map((p) => p.name);
		const today = ['mode', 'watchNotice', 'rtmpUrl', 'userPrompt', 'systemPrompt', 'thinking', 'maxDurationMinutes', 'callbackToken', 'receiveNotice', 'emit', 'keywords', 'regex', 'options'];
		expect(names.filter((n, i) => today.includes(n) && names.indexOf(n) === i)).toEqual(today);
		const context = { getCurrentNodeParameter: () => FIELDS } as unknown as ILoadOptionsFunctions;
		expect(await trigger.methods.loadOptions.getDeclaredFields.call(context)).toEqual([
			{ name: 'boiling_over', value: 'boiling_over', description: 'boolean' },
			{ name: 'state', value: 'state', description: 'enum' },
		]);
	});
});
