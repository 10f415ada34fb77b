// The action node's execute() against the sandbox, with a stand-in n8n context.
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { MemoriesLiveVideo } from '../../nodes/MemoriesLiveVideo/MemoriesLiveVideo.node';
import { Sandbox, startSandbox } from '../../sandbox/src';
import { fakeContext } from './support/context';

const KEY = 'sk-n8n-unit';
let sandbox: Sandbox;

beforeEach(async () => {
	sandbox = await startSandbox({ intervalMs: 60000, keys: [KEY] });
});
afterEach(async () => {
	await sandbox.close();
});

const startParams = {
	operation: 'start',
	rtmpUrl: 'rtmp://camera.example.com/live/kitchen',
	userPrompt: 'Is the pan boiling over?',
	systemPrompt: 'You watch a kitchen.',
	callbackUrl: 'https://hooks.example.com/results?token=secret-token-123456',
	thinking: false,
};

function run(parameters: Record<string, unknown> | Array<Record<string, unknown>>, options: { key?: string; continueOnFail?: boolean } = {}) {
	const context = fakeContext({
		credentials: { apiKey: options.key ?? KEY, baseUrl: `${sandbox.url}/` },
		parameters,
		continueOnFail: options.continueOnFail,
	});
	const result = new MemoriesLiveVideo().execute.call(context as unknown as IExecuteFunctions);
	return { context, result };
}

async function failure(promise: Promise<unknown>): Promise<NodeApiError | NodeOperationError> {
	try {
		await promise;
	} catch (error) {
		return error as NodeApiError | NodeOperationError;
	}
	throw new Error('expected the node to fail');
}

describe('Start', () => {
	it('starts a task and outputs its id and what was started, with the token masked', async () => {
		const [[item]] = (await run(startParams).result) as INodeExecutionData[][];
		expect(item.pairedItem).toEqual({ item: 0 });
		// The documented Start output, the same as Node-RED's; this action never stops a stream by itself.
		expect(item.json).toEqual({
			task_id: sandbox.activeTasks(KEY)[0].taskId,
			message: expect.stringMatching(/billed every 5 seconds until it is stopped: .* stop it with Stop and task_id [0-9a-f-]{36} .*Nothing else stops it/),
			started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
			rtmp_url: startParams.rtmpUrl,
			user_prompt: startParams.userPrompt,
			system_prompt: startParams.systemPrompt,
			callback_url: 'https://hooks.example.com/results?token=***',
			thinking: false,
			max_duration_minutes: 0,
			stop_at: null,
		});
		expect(sandbox.task(item.json.task_id as string)).toMatchObject({
			callback: startParams.callbackUrl,
			userPrompt: startParams.userPrompt,
		});
	});

	it('Stop After puts the deadline into the callback URL, next to the secret, and says it in the output', async () => {
		const before = Date.now();
		const [[item]] = (await run({ ...startParams, maxDurationMinutes: 60 }).result) as INodeExecutionData[][];
		const callback = new URL(sandbox.task(item.json.task_id as string)!.callback);
		expect(callback.searchParams.get('token')).toBe('secret-token-123456');
		const stopAt = Number(callback.searchParams.get('stop_at')) * 1000;
		expect(stopAt).toBeGreaterThanOrEqual(before + 3600_000);
		expect(stopAt).toBeLessThanOrEqual(Date.now() + 3600_000 + 1000);
		expect(item.json).toMatchObject({ max_duration_minutes: 60, stop_at: new Date(stopAt).toISOString() });
		expect(item.json.callback_url).toBe(`https://hooks.example.com/results?token=***&stop_at=${stopAt / 1000}`);
	});

	it('Stop After defaults to an hour for new nodes (1.1) and stays "never" for version 1 workflows', () => {
		const node = new MemoriesLiveVideo();
		const fields = node.description.properties.filter((p) => p.name === 'maxDurationMinutes');
		expect(fields.map((f) => [f.displayOptions?.show?.['@version'], f.default, f.displayName])).toEqual([
			[[1], 0, 'Stop After (Minutes)'],
			[[1.1], 60, 'Stop After (Minutes)'],
		]);
		expect(node.description).toMatchObject({ version: [1, 1.1], defaultVersion: 1.1 });
	});

	it.each([
		['TRUE', true],
		[' true ', true],
		['False', false],
		['', false],
	])('outputs what was sent: thinking %j as the core reads it, strings trimmed', async (thinking, expected) => {
		const [[item]] = (await run({
			...startParams,
			thinking,
			rtmpUrl: ` ${startParams.rtmpUrl}\n`,
			userPrompt: `  ${startParams.userPrompt} `,
			callbackUrl: ` ${startParams.callbackUrl} `,
		}).result) as INodeExecutionData[][];
		const task = sandbox.task(item.json.task_id as string)!;
		expect(task.thinking).toBe(expected);
		expect(item.json).toMatchObject({
			thinking: task.thinking,
			rtmp_url: task.rtmpUrl,
			user_prompt: task.userPrompt,
			system_prompt: task.systemPrompt,
			callback_url: 'https://hooks.example.com/results?token=***',
		});
		expect(task).toMatchObject({ callback: startParams.callbackUrl, rtmpUrl: startParams.rtmpUrl, userPrompt: startParams.userPrompt });
	});

	it('sends the raw key, normalising a Base URL with a trailing slash', async () => {
		const { context, result } = run(startParams);
		await result;
		expect(context.requests[0].url).toBe(`${sandbox.url}/v1/understand/streamConnect`);
		expect(context.requests[0].headers).not.toHaveProperty('Authorization'); // the credential adds it
	});

	it('handles each item with its own parameters and pairs the outputs', async () => {
		const [items] = (await run([startParams, { ...startParams, userPrompt: 'Anyone at the door?' }]).result) as INodeExecutionData[][];
		expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(sandbox.activeTasks(KEY).map((t) => t.userPrompt).sort()).toEqual(['Anyone at the door?', 'Is the pan boiling over?']);
	});

	it('refuses bad input before calling the API', async () => {
		const { context, result } = run({ ...startParams, rtmpUrl: 'https://example.com/video.mp4' });
		const error = await failure(result);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(/RTMP URL must start with rtmp:\/\/ or rtmps:\/\//);
		expect(error.description).toBe('Check the RTMP URL parameter.');
		expect(context.requests).toHaveLength(0);
	});

	it('turns a fifth stream into a NodeApiError that says what to do', async () => {
		for (let i = 0; i < 4; i++) await run(startParams).result;
		const error = await failure(run(startParams).result);
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe(
			'This API key already runs the maximum of 4 streams (status 1001): "Maximum concurrent streams reached: this key already runs 4 of 4.".',
		);
		expect(error.description).toMatch(/Stop one of them with Stop and its task ID/);
		expect(sandbox.activeTasks(KEY)).toHaveLength(4);
	});

	it('reports a wrong key without repeating it', async () => {
		const error = await failure(run(startParams, { key: 'sk-wrong-key-123' }).result);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).httpCode).toBe('401');
		expect(error.message).toMatch(/did not accept the API key/);
		expect(JSON.stringify({ message: error.message, description: error.description })).not.toContain('sk-wrong-key-123');
	});

	it('continues on fail with an error item per failed item', async () => {
		sandbox.injectFault({ on: 'start', kind: 'html502' });
		const [items] = (await run([startParams, startParams], { continueOnFail: true }).result) as INodeExecutionData[][];
		expect(items[0].json).toEqual({
			error: expect.stringMatching(/HTTP 502/),
			details: { description: expect.any(String), kind: 'server', code: 'HTTP 502', retryable: true },
		});
		expect(items[0].pairedItem).toEqual({ item: 0 });
		expect(items[1].json.task_id).toEqual(expect.any(String));
	});

	it('says a start whose connection was reset may have started', async () => {
		sandbox.injectFault({ on: 'start', kind: 'reset' });
		const error = await failure(run(startParams).result);
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toMatch(/Could not reach memories.ai to start/);
		expect(error.description).toMatch(/may have started anyway/);
	});
});

describe('Stop', () => {
	async function started(): Promise<string> {
		const [[item]] = (await run(startParams).result) as INodeExecutionData[][];
		return item.json.task_id as string;
	}

	it('stops a task, then reports the second stop as not running without failing', async () => {
		const taskId = await started();
		const [[first]] = (await run({ operation: 'stop', taskId }).result) as INodeExecutionData[][];
		expect(first.json).toEqual({ task_id: taskId, outcome: 'stopped', stopped: true, message: 'Stopped: no more results will arrive and billing has ended.' });
		expect(sandbox.activeTasks()).toHaveLength(0);
		const [[second]] = (await run({ operation: 'stop', taskId }).result) as INodeExecutionData[][];
		expect(second.json).toEqual({
			task_id: taskId,
			outcome: 'not_found',
			stopped: false,
			message: 'Not found or already stopped: nothing was running under this task ID.',
		});
	});

	it('fails on "not running" when asked to', async () => {
		const error = await failure(run({ operation: 'stop', taskId: 'never-started', options: { failIfNotFound: true } }).result);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(/No running task has the ID never-started/);
	});

	it('retries a stop that failed with 5000', async () => {
		const taskId = await started();
		sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000 });
		const [[item]] = (await run({ operation: 'stop', taskId }).result) as INodeExecutionData[][];
		expect(item.json.outcome).toBe('stopped');
	});

	it('refuses a task id that cannot be one', async () => {
		const error = await failure(run({ operation: 'stop', taskId: '../../etc' }).result);
		expect(error.message).toMatch(/Task ID is not one that Start returns/);
	});
});
