// The real service's unknowns, in a real n8n 2.x (the packed package as a community package) running
// in America/New_York, against the sandbox's variants: redirects (the key never leaves the Base
// URL's origin), callbacks in every delivery variant (read, never refused on form; zone-less times
// as UTC), refusals logged, Stop After enforced by the Receive trigger, Retry-After honoured, and
// Watch activations whose start answer was lost (at most one task running afterwards).
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { Sandbox, analysisText, startSandbox } from '../../../sandbox/src';
import { Sink, startSink } from '../../../scripts/lib/sink';
import { postToSink, startStopWorkflow, triggerWorkflow, watchParameters, PACKAGE, CREDENTIAL_TYPE, Workflow } from '../../reliability/n8n/support/workflows';
import { executionResult, runManually } from '../../reliability/n8n/support/host';
import { recordFigures } from '../support/figures';
import { endSuite } from '../../support/suite-end';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const host = require('../../../scripts/lib/n8n-host');

const ROOT = path.join(__dirname, '../../..');
const TZ = 'America/New_York';
const KEYS = { api: 'sk-e2e-variants-api-0001', deliver: 'sk-e2e-variants-deliver-0001', activation: 'sk-e2e-variants-activation-0001' };
const CREDS = { api: 'mlvVariantsApi01', deliver: 'mlvVariantsDeliv1', activation: 'mlvVariantsActiv1' };
const TOKEN = 'e2e-variants-receive-token-0123456789abcdef';
const HOOKS = { receive: 'c7b0c1de-0001-4a5b-9c8d-7e6f5a4b3c21', watch: 'c7b0c1de-0002-4a5b-9c8d-7e6f5a4b3c21', watchRedirect: 'c7b0c1de-0003-4a5b-9c8d-7e6f5a4b3c21' };
const WF = { startStop: 'varStartStop0001', receive: 'varReceive000001', deadline: 'varDeadline00001', watch: 'varWatchLost0001', watchRedirect: 'varWatchRedir001' };
const PROMPT = 'Describe what happens at the door.';

jest.setTimeout(15 * 60 * 1000);

let work: string;
let sandboxes: Record<keyof typeof KEYS, Sandbox>;
let sink: Sink;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let n8n: any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let api: any;

/** Manual → Start (node version 1.1, Stop After as given) → sink; the error output → sink. */
function deadlineWorkflow(callbackUrl: string, minutes: number): Workflow {
	return {
		id: WF.deadline,
		name: 'variants: start with Stop After',
		active: false,
		nodes: [
			{ id: 'd-manual', name: 'Manual', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'd-start',
				name: 'Start',
				type: `${PACKAGE}.memoriesLiveVideo`,
				typeVersion: 1.1,
				position: [220, 0],
				onError: 'continueErrorOutput',
				parameters: { resource: 'stream', operation: 'start', rtmpUrl: 'rtmp://camera.example.com:1935/live/door', userPrompt: PROMPT, callbackUrl, maxDurationMinutes: minutes },
				credentials: { [CREDENTIAL_TYPE]: { id: CREDS.deliver, name: CREDS.deliver } },
			},
			postToSink('d-started', 'Started', `${sink.url}/deadline/started`, [440, 0]),
			postToSink('d-error', 'Start error', `${sink.url}/deadline/error`, [440, 200]),
		],
		connections: { Manual: { main: [[{ node: 'Start', type: 'main', index: 0 }]] }, Start: { main: [[{ node: 'Started', type: 'main', index: 0 }], [{ node: 'Start error', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

const items = (route: string) => sink.received.filter((r) => r.url === route).map((r) => r.json as Record<string, unknown>);

/** Runs a workflow from its Manual Trigger, as the editor does, and waits until it finished. */
async function run(workflowId: string): Promise<void> {
	await executionResult(api, await runManually(api, workflowId));
}

beforeAll(async () => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-n8n-variants-'));
	const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' }))[0];
	sandboxes = {
		api: await startSandbox({ intervalMs: 3_600_000, keys: [KEYS.api] }),
		// Over a second apart: timestamps sent to the second stay distinct (duplicates are dropped).
		deliver: await startSandbox({ intervalMs: 1100, keys: [KEYS.deliver], taskIds: 'numeric' }),
		activation: await startSandbox({ intervalMs: 250, keys: [KEYS.activation] }),
	};
	sink = await startSink();
	n8n = await host.startN8n({ packageDirs: [path.join(work, packed.filename)], env: { TZ, GENERIC_TIMEZONE: TZ } });
	const credentials = (Object.keys(KEYS) as Array<keyof typeof KEYS>).map((name) => ({
		id: CREDS[name],
		name: CREDS[name],
		type: CREDENTIAL_TYPE,
		data: { apiKey: KEYS[name], baseUrl: sandboxes[name].url },
	}));
	fs.writeFileSync(path.join(work, 'credentials.json'), JSON.stringify(credentials));
	expect((await n8n.cli(['import:credentials', `--input=${path.join(work, 'credentials.json')}`])).code).toBe(0);
	fs.rmSync(path.join(work, 'credentials.json'));
	const receiveUrl = `${n8n.baseUrl}/webhook/${HOOKS.receive}/results?token=${TOKEN}`;
	const nothing = { emit: 'regex', regex: '^this never matches$' };
	const workflows: Workflow[] = [
		startStopWorkflow({ id: WF.startStop, credentialId: CREDS.api, sinkUrl: sink.url, callbackUrl: `${sink.url}/ignored?token=${TOKEN}` }),
		triggerWorkflow({ id: WF.receive, webhookId: HOOKS.receive, parameters: { mode: 'receive', callbackToken: TOKEN }, sinkUrl: `${sink.url}/received`, credentialId: CREDS.deliver }),
		deadlineWorkflow(receiveUrl, 0.05),
		triggerWorkflow({ id: WF.watch, webhookId: HOOKS.watch, parameters: { ...watchParameters('rtmp://camera.example.com:1935/live/lost'), ...nothing }, sinkUrl: `${sink.url}/watch`, credentialId: CREDS.activation }),
		triggerWorkflow({ id: WF.watchRedirect, webhookId: HOOKS.watchRedirect, parameters: watchParameters('rtmp://camera.example.com:1935/live/redirect'), sinkUrl: `${sink.url}/watch-redirect`, credentialId: CREDS.api }),
	];
	fs.writeFileSync(path.join(work, 'workflows.json'), JSON.stringify(workflows));
	expect((await n8n.cli(['import:workflow', `--input=${path.join(work, 'workflows.json')}`])).code).toBe(0);
	api = await n8n.createOwnerAndApiKey();
});

afterAll(async () => {
	await n8n?.stop();
	await endSuite({ sandboxes: Object.values(sandboxes ?? {}), close: [sink], work });
});

describe('the API key never leaves the Base URL’s origin', () => {
	const sandbox = () => sandboxes.api;

	it.each([
		[307, 'other_port'],
		[307, 'localhost'],
		[301, 'other_port'],
		[302, 'other_port'],
		[308, 'other_port'],
	] as const)('Start answered with a %i to %s: a redirect error naming where it pointed; nothing started; nothing reached the other origin', async (httpStatus, to) => {
		sandbox().injectFault({ on: 'start', kind: 'redirect', httpStatus, to });
		const before = items(`/${WF.startStop}/start-error`).length;
		await run(WF.startStop);
		const [error] = items(`/${WF.startStop}/start-error`).slice(before);
		expect(error).toMatchObject({
			error: expect.stringMatching(new RegExp(`^The Base URL answered start with HTTP ${httpStatus}, a redirect to http://(127\\.0\\.0\\.1|localhost):${new URL(sandbox().foreignUrl).port}/v1/understand/streamConnect\\.$`)),
			details: { kind: 'redirect', retryable: false, description: expect.stringMatching(/only ever sent to the Base URL, so the redirect was not followed\. No stream was started\. Correct the Base URL/) },
		});
		expect(sandbox().activeTasks()).toEqual([]);
		expect(sandbox().foreignRequests()).toEqual([]);
	});

	it('Stop answered with a 307: a redirect error that says the stream may still bill; the key went nowhere else', async () => {
		sandbox().injectFault({ on: 'stop', kind: 'redirect', httpStatus: 307, to: 'localhost' });
		const before = items(`/${WF.startStop}/stop-error`).length;
		await run(WF.startStop);
		const [error] = items(`/${WF.startStop}/stop-error`).slice(before);
		expect(error).toMatchObject({ error: expect.stringMatching(/^The Base URL answered stop with HTTP 307, a redirect to http:\/\/localhost:\d+\/v1\/understand\/stop\//), details: { kind: 'redirect' } });
		expect(sandbox().foreignRequests()).toEqual([]);
		const [task] = sandbox().activeTasks();
		sandbox().engine.stop(KEYS.api, task.taskId);
	});

	it('the credential test fails on a redirect with the advice, and does not follow it', async () => {
		for (const [httpStatus, to] of [[307, 'other_port'], [308, 'localhost'], [302, 'other_port']] as const) {
			sandbox().injectFault({ on: 'stop', kind: 'redirect', httpStatus, to });
			const tested = await api.rest('POST', '/credentials/test', {
				credentials: { id: CREDS.api, name: CREDS.api, type: CREDENTIAL_TYPE, data: { apiKey: KEYS.api, baseUrl: sandbox().url } },
			});
			expect(tested.body.data).toEqual({ status: 'Error', message: expect.stringMatching(new RegExp(`^The Base URL answered the key check with HTTP ${httpStatus}, a redirect\\. The API key is only ever sent to the Base URL`)) });
		}
		expect(sandbox().foreignRequests()).toEqual([]);
	});

	it('a Watch activation answered with a redirect fails with the advice, starting nothing', async () => {
		sandbox().injectFault({ on: 'start', kind: 'redirect', httpStatus: 307, to: 'other_port', times: 10 });
		await expect(api.activateWorkflow(WF.watchRedirect)).rejects.toThrow(/did not activate/);
		const status = await api.publicationStatus(WF.watchRedirect);
		expect(status.triggers[0]?.errorMessage).toMatch(/^The Base URL answered start with HTTP 307, a redirect to/);
		sandbox().clearFaults();
		await api.deactivateWorkflow(WF.watchRedirect).catch(() => undefined);
		expect(sandbox().activeTasks()).toEqual([]);
		expect(sandbox().foreignRequests()).toEqual([]);
		recordFigures('n8n variants redirects', { foreignRequests: sandbox().foreignRequests().length, tasksStarted: (sandbox().engine.state() as { totals: { starts: number } }).totals.starts });
	});

	it('Stop answered 429 with Retry-After: 2 waits those 2 s before trying again (seconds and HTTP-date)', async () => {
		for (const form of ['seconds', 'date'] as const) {
			sandbox().injectFault({ on: 'stop', kind: 'http429', retryAfter: 2, retryAfterForm: form });
			const before = items(`/${WF.startStop}/stopped`).length;
			await run(WF.startStop);
			expect(items(`/${WF.startStop}/stopped`).slice(before)).toEqual([expect.objectContaining({ outcome: 'stopped' })]);
			const stops = sandbox().apiRequests().filter((r) => r.operation === 'stop').slice(-2);
			expect(stops.map((r) => r.httpStatus)).toEqual([429, 200]);
			expect(stops[1].receivedAt - stops[0].answeredAt).toBeGreaterThanOrEqual(1900);
		}
		expect(sandbox().activeTasks()).toEqual([]);
	});
});

describe('callbacks as the service may send them (n8n in America/New_York)', () => {
	const sandbox = () => sandboxes.deliver;
	const VARIANT_SETS = [
		['text_plain'], ['text_plain_charset'], ['form'], ['octet_stream'], ['no_content_type'], ['json_charset'],
		['bom'], ['chunked'], ['status_string'], ['task_id_number'], ['text_null'], ['text_missing'], ['extra_fields'],
		['ts_no_zone'], ['ts_space'], ['ts_offset'], ['ts_fraction'], ['ts_epoch_s'], ['ts_epoch_ms'], ['ts_epoch_s_string'], ['ts_epoch_ms_string'],
		['query_task_id'], ['query_task_id_amp'],
		['form', 'bom', 'status_string', 'ts_no_zone', 'query_task_id'],
		['text_plain', 'chunked', 'task_id_number', 'text_null', 'ts_space', 'extra_fields'],
	];

	beforeAll(async () => {
		await api.activateWorkflow(WF.receive);
	});
	afterAll(async () => {
		await api.deactivateWorkflow(WF.receive);
	});

	it('reads every variant as the documented payload: nothing refused, nothing lost, times in UTC', async () => {
		const callback = `${n8n.baseUrl}/webhook/${HOOKS.receive}/results?token=${TOKEN}`;
		const started = sandbox().engine.start(KEYS.deliver, { rtmpUrl: 'rtmp://camera.example.com/live/door', userPrompt: PROMPT, systemPrompt: 's', callback, thinking: false });
		if (!started.ok) throw new Error(started.text);
		const { taskId } = started;
		for (const variants of VARIANT_SETS) sandbox().injectFault({ on: 'callback', kind: 'variant', variants, taskId });
		await sandbox().waitFor('delivery', () => sandbox().deliveries({ taskId }).filter((d) => d.variants).length >= VARIANT_SETS.length, 120_000);
		const sent = new Set(sandbox().deliveries({ taskId }).filter((d) => d.variants).map((d) => new Date(d.timestampMs!).toISOString()));
		await sink.waitFor(VARIANT_SETS.length, (r) => r.url === '/received' && sent.has((r.json as { timestamp: string }).timestamp), 60_000);
		sandbox().injectFault({ on: 'callback', kind: 'variant', variants: ['data_null', 'form'], taskId });
		sandbox().endTask(taskId, 2001, 'Credit deduction failed.');
		await sink.waitFor(1, (r) => r.url === '/received' && (r.json as { event: string }).event === 'stream_ended', 60_000);
		const deliveries = sandbox().deliveries({ taskId });
		const received = items('/received').filter((i) => i.task_id === taskId);
		const withVariants = deliveries.filter((d) => d.variants);
		expect(withVariants.map((d) => d.variants)).toEqual([...VARIANT_SETS, ['data_null', 'form']]);
		expect(deliveries.every((d) => d.ok && d.httpStatus === 200)).toBe(true);
		for (const delivery of withVariants.filter((d) => d.status === 0)) {
			const timestamp = new Date(delivery.timestampMs!).toISOString();
			const item = received.find((i) => i.timestamp === timestamp);
			const textless = delivery.variants!.some((v) => v === 'text_null' || v === 'text_missing');
			expect({ variants: delivery.variants, item }).toEqual({
				variants: delivery.variants,
				item: { event: 'result', task_id: taskId, status: 0, text: textless ? '' : analysisText(PROMPT, delivery.frame), timestamp, ended: false },
			});
		}
		expect(received.filter((i) => i.event === 'stream_ended')).toEqual([{ event: 'stream_ended', task_id: taskId, status: 2001, text: '', timestamp: null, ended: true }]);
		expect(n8n.logs()).not.toMatch(/refused a callback/);
		recordFigures('n8n variants deliveries', { variantSets: VARIANT_SETS.length + 1, delivered: withVariants.length, answered200: withVariants.filter((d) => d.httpStatus === 200).length, items: received.length });
	});

	it('a refused callback is logged with the workflow and what to check', async () => {
		const url = `${n8n.baseUrl}/webhook/${HOOKS.receive}/results`;
		const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 0, task_id: 'x', data: { text: 'x' } }) });
		expect(answer.status).toBe(401);
		// n8n's log reaches the harness through a pipe, a moment after the answer: n8n has no event to await.
		const logged = () => n8n.logs().split('\n').find((l: string) => l.includes('refused a callback')) ?? '';
		for (let waited = 0; logged() === '' && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
		const line = logged();
		expect(line).toMatch(/Memories\.ai Live Video Trigger "Trigger" in workflow "reliability varReceive000001" \(varReceive000001\) refused a callback with HTTP 401: Missing or wrong "token" in the callback URL\. Check that the callback URL memories\.ai posts to still carries \?token=/);
	});
});

describe('Stop After: the deadline travels with a stream the action node started', () => {
	it('the Receive trigger stops it at the first result past its deadline and emits stream_ended (max_duration) once', async () => {
		await api.activateWorkflow(WF.receive);
		try {
			await run(WF.deadline);
			const [started] = items('/deadline/started');
			expect(started).toMatchObject({ max_duration_minutes: 0.05, stop_at: expect.stringMatching(/Z$/), callback_url: expect.stringMatching(/\?token=\*\*\*&stop_at=\d{10}$/) });
			const taskId = started.task_id as string;
			const ended = await sandboxes.deliver.waitFor('task-ended', (t) => t.taskId === taskId, 60_000);
			expect(ended).toMatchObject({ endReason: 'stopped' });
			await sink.waitFor(1, (r) => r.url === '/received' && (r.json as { task_id: string; reason?: string }).task_id === taskId && (r.json as { reason?: string }).reason === 'max_duration', 30_000);
			const endedItems = items('/received').filter((i) => i.task_id === taskId && i.ended);
			expect(endedItems).toEqual([expect.objectContaining({ event: 'stream_ended', status: 14, reason: 'max_duration', text: `Stopped at its deadline (Stop After), ${started.stop_at}.` })]);
			const results = items('/received').filter((i) => i.task_id === taskId && !i.ended);
			expect(results.every((i) => Date.parse(i.timestamp as string) < Date.parse(started.stop_at as string) + 1100)).toBe(true);
		} finally {
			await api.deactivateWorkflow(WF.receive);
		}
	});
});

describe('Watch activation whose answer to Start was lost: at most one task afterwards', () => {
	const sandbox = () => sandboxes.activation;
	const starts = () => (sandbox().engine.state() as { totals: { starts: number } }).totals.starts;

	async function activateAndCheck(label: string) {
		const before = starts();
		const logFrom = n8n.logs().length;
		await api.activateWorkflow(WF.watch);
		const data = await n8n.staticData(WF.watch);
		const state = data?.['node:Trigger'] as { taskId: string };
		// Any other task the attempts started is stopped by the activation or by its next result.
		const others = sandbox().activeTasks().filter((t) => t.taskId !== state.taskId);
		await Promise.all(others.map((t) => sandbox().waitFor('task-ended', (e) => e.taskId === t.taskId, 60_000)));
		expect(sandbox().activeTasks().map((t) => t.taskId)).toEqual([state.taskId]);
		const logs = n8n.logs().slice(logFrom);
		expect(logs).toMatch(/Memories\.ai Live Video Trigger "Trigger" in workflow "reliability varWatchLost0001" \(varWatchLost0001\): the answer to Start was lost/);
		const figures = { case: label, starts: starts() - before, runningAfterActivation: sandbox().activeTasks().length };
		await api.deactivateWorkflow(WF.watch);
		expect(sandbox().activeTasks()).toEqual([]);
		recordFigures('n8n variants lost start', figures);
		return figures;
	}

	it('answered after the 30 s timeout: its results reached the webhook meanwhile, that task is kept', async () => {
		sandbox().injectFault({ on: 'start', kind: 'slow', delayMs: 35_000 });
		expect(await activateAndCheck('slow beyond the timeout')).toEqual({ case: 'slow beyond the timeout', starts: 1, runningAfterActivation: 1 });
	});

	it('connection reset after the start was handled: kept as soon as its first result arrives', async () => {
		sandbox().injectFault({ on: 'start', kind: 'reset', handled: true });
		expect(await activateAndCheck('reset after handling')).toMatchObject({ starts: 1, runningAfterActivation: 1 });
	});

	it('reset after handling, its results delayed past the wait: n8n’s retry starts a second, the first is stopped when it calls back', async () => {
		sandbox().injectFault({ on: 'start', kind: 'reset', handled: true });
		sandbox().injectFault({ on: 'callback', kind: 'drop', times: 60 }); // 15 s of results at 250 ms
		expect(await activateAndCheck('reset after handling, results late')).toMatchObject({ starts: 2, runningAfterActivation: 1 });
		sandbox().clearFaults();
	});
});
