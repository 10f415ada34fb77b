// Unit-level guards for what the real-n8n reliability suite (test/reliability/n8n) found: error
// items that n8n routes to the error output, the core's message kept on network errors, a stop
// whose first answer was lost, a webhook that never throws, filters refused at activation.
import type { IDataObject, IHookFunctions, IWebhookFunctions, INode } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { generateSecret, interpretRequestFailure } from '../../core';
import { MemoriesLiveVideoTrigger } from '../../nodes/MemoriesLiveVideoTrigger/MemoriesLiveVideoTrigger.node';
import { errorItemJson, toNodeError } from '../../nodes/shared/errors';
import { streamClient } from '../../nodes/shared/streams';
import type { ApiContext } from '../../nodes/shared/transport';
import { Sandbox, startSandbox } from '../../sandbox/src';
import { fakeContext, node } from './support/context';

const KEY = 'sk-n8n-robustness';
let sandbox: Sandbox;
const trigger = new MemoriesLiveVideoTrigger();

beforeEach(async () => {
	sandbox = await startSandbox({ intervalMs: 60000, keys: [KEY] });
});
afterEach(async () => {
	await sandbox.close();
});

describe('errors as n8n shows and routes them', () => {
	it("keeps the core's message when the code is one NodeApiError would replace with its own text", () => {
		for (const code of ['ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ECONNREFUSED']) {
			const core = interpretRequestFailure('start', code);
			const error = toNodeError(node as INode, core);
			expect(error).toBeInstanceOf(NodeApiError);
			expect(error.message).toBe(core.summary);
			expect(error.description).toBe(core.advice);
		}
	});

	it('makes error items whose keys n8n accepts for "Continue (using error output)"', () => {
		const json = errorItemJson(toNodeError(node as INode, interpretRequestFailure('stop', 'ECONNRESET')));
		expect(Object.keys(json).every((key) => ['error', 'message', 'details'].includes(key))).toBe(true);
		expect(json).toEqual({
			error: expect.stringMatching(/Could not reach memories.ai to stop/),
			details: { description: expect.any(String), kind: 'network', code: 'ECONNRESET', retryable: true },
		});
	});
});

describe('stop after a lost answer', () => {
	/** An API context whose HTTP helper plays back scripted outcomes. */
	function scripted(outcomes: Array<{ code: string } | { statusCode: number; body: string }>): { context: ApiContext; calls: () => number } {
		let calls = 0;
		const context = {
			getCredentials: async () => ({ apiKey: KEY, baseUrl: sandbox.url }),
			helpers: {
				httpRequestWithAuthentication: async () => {
					const outcome = outcomes[calls++];
					if ('code' in outcome) throw Object.assign(new Error('request failed'), { code: outcome.code });
					return outcome;
				},
			},
		};
		return { context: context as unknown as ApiContext, calls: () => calls };
	}
	const session = { baseUrl: 'http://127.0.0.1:1', secrets: [KEY] };
	const notFound = { statusCode: 200, body: '{"status":-1,"task_id":"t-1","text":"Task not found or already stopped."}' };

	it('reports "stopped" when the retry hears "not found" after an answer that was lost', async () => {
		const { context, calls } = scripted([{ code: 'ECONNRESET' }, notFound]);
		await expect(streamClient(context, session).stop('t-1')).resolves.toEqual({ outcome: 'stopped', taskId: 't-1' });
		expect(calls()).toBe(2);
	});

	it('still reports "not found" when the earlier attempt was refused (nothing can have been stopped)', async () => {
		const { context } = scripted([{ statusCode: 429, body: '{"code":429,"msg":"Rate limit exceeded"}' }, notFound]);
		await expect(streamClient(context, session).stop('t-1')).resolves.toEqual({ outcome: 'not_found', taskId: 't-1' });
	});
});

describe('the webhook never throws', () => {
	function webhook(parameters: Record<string, unknown>, staticData: IDataObject, query: Record<string, unknown>, body: unknown) {
		const context = fakeContext({
			credentials: { apiKey: KEY, baseUrl: sandbox.url },
			parameters,
			staticData,
			request: { method: 'POST', headers: { 'content-type': 'application/json' }, query, body },
		});
		const warnings: string[] = [];
		Object.assign(context, { logger: { warn: (message: string) => warnings.push(message) } });
		return { context, warnings, result: trigger.webhook.call(context as unknown as IWebhookFunctions) };
	}

	it('answers a hidden task 200 at once and only logs a stop that fails', async () => {
		const secret = generateSecret();
		const state = { taskId: 'our-task', secret, startedAt: Date.now() };
		sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000, times: 3 });
		const { context, warnings, result } = webhook(
			{ mode: 'watch', emit: 'all', options: {}, maxDurationMinutes: 0 },
			state as unknown as IDataObject,
			{ token: secret },
			{ status: 0, task_id: 'hidden-task', data: { text: 'x', timestamp: '2025-01-01T00:00:00Z' } },
		);
		await expect(result).resolves.toEqual({ noWebhookResponse: true });
		expect(context.response).toMatchObject({ statusCode: 200, ended: true });
		expect(warnings).toEqual([expect.stringMatching(/could not stop stream hidden-task .*status 5000/)]);
	});

	it('answers 500 without details when its settings cannot work, instead of throwing', async () => {
		const token = generateSecret();
		const { context, warnings, result } = webhook(
			{ mode: 'receive', callbackToken: token, emit: 'regex', regex: 'boil(ing', options: {} },
			{},
			{ token },
			{ status: 0, task_id: 't-1', data: { text: 'x' } },
		);
		await expect(result).resolves.toEqual({ noWebhookResponse: true });
		expect(context.response).toMatchObject({ statusCode: 500, body: { error: 'The callback could not be processed.' } });
		expect(warnings).toEqual([expect.stringMatching(/Regular Expression is not valid/)]);
	});
});

describe('activation refuses filters that could never work', () => {
	const hook = (parameters: Record<string, unknown>) =>
		fakeContext({ credentials: { apiKey: KEY, baseUrl: sandbox.url }, parameters, staticData: {} }) as unknown as IHookFunctions;

	it.each([
		['receive', { mode: 'receive', callbackToken: generateSecret(), emit: 'regex', regex: '(unclosed', options: {} }, /Regular Expression is not valid/],
		['watch', { mode: 'watch', rtmpUrl: 'rtmp://camera.example.com/live/a', userPrompt: 'p', maxDurationMinutes: 0, emit: 'keywords', keywords: ' , ', options: {} }, /Keywords is empty/],
	])('in %s mode, before any stream starts', async (_mode, parameters, message) => {
		await expect(trigger.webhookMethods.default.create.call(hook(parameters))).rejects.toThrow(message);
		expect(sandbox.engine.state()).toMatchObject({ totals: { starts: 0 } });
	});
});
