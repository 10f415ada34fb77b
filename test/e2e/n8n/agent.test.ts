// n8n's AI Agent drives the Memories.ai Live Video action node as a tool, in a real n8n 2.40.7 with our packed
// package installed as a community package, against the sandbox. The model is a scripted fake of an
// OpenAI-compatible API (scripts/lib/fake-openai.js): no real model, no network. Each run is one POST to a Webhook
// that starts the agent (response mode "last node": one JSON answer, nothing streamed).
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { Sandbox, startSandbox } from '../../../sandbox/src';
import type { FakeOpenAi, ModelRequest, ToolSpec } from '../../../scripts/lib/fake-openai';
import { Sink, SinkRequest, startSink } from '../../../scripts/lib/sink';
import { triggerWorkflow } from '../../reliability/n8n/support/workflows';
import { agentWorkflow, AgentWorkflowOptions, fromAi, Workflow } from '../support/agent-workflows';
import { recordFigures } from '../support/figures';
import { endSuite } from '../../support/suite-end';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const host = require('../../../scripts/lib/n8n-host');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startFakeOpenAi } = require('../../../scripts/lib/fake-openai') as { startFakeOpenAi: () => Promise<FakeOpenAi> };

const ROOT = path.join(__dirname, '../../..');
const KEY = 'sk-e2e-agent-key-1';
const OPENAI_KEY = 'sk-fake-openai-e2e';
const TOKEN = 'e2e-agent-receive-token-0123456789';
const MEMORIES = { id: 'mlvAgentCredential1', name: 'Memories.ai Live Video account' };
const OPENAI = { id: 'openAiFakeCredent1', name: 'Fake OpenAI' };
const ACTION_TYPE = 'n8n-nodes-memories-live-video.memoriesLiveVideo';
const RECEIVE = { id: 'mlvAgentReceive001', webhookId: '6e1d8b9a-4c1e-4f0a-9b7d-aa0000000001' };
const RUN_A = { id: 'mlvAgentRunA000001', path: 'agent-run-a' };
const RUN_B = { id: 'mlvAgentRunB000001', path: 'agent-run-b' };
const DEADLINE = { id: 'mlvAgentDeadline01', path: 'agent-deadline' };
const RTMP = 'rtmp://cam.example/live/kitchen';
const PROMPT = 'Tell me when the pan is boiling over.';
/** The deadline run's Stop After: 15 s (the parameter takes fractions of a minute; the deadline is rounded up to the second). */
const STOP_AFTER_MINUTES = 0.25;
/** The action node's version the workflows use: what a node added today gets. */
const ACTION_VERSION = 1.1;

jest.setTimeout(10 * 60 * 1000);

type StartItem = { task_id: string; message: string; callback_url: string; max_duration_minutes: number; stop_at?: unknown };
type StopItem = { task_id: string; outcome: string; stopped: boolean; message: string };
type Property = { name: string; displayName: string; type: string; default?: unknown; typeOptions?: { minValue?: number }; displayOptions?: { show?: Record<string, unknown[]> } };
type NodeType = { name: string; displayName: string; properties: Property[] };

let work: string;
let sandbox: Sandbox;
let sink: Sink;
let fake: FakeOpenAi;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let n8n: any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let api: any;
let types: NodeType[];
let receiveUrl: string;

const actionType = () => types.find((t) => t.name === ACTION_TYPE) as NodeType;
/** The option of the action's Operation parameter, as n8n serves the node's description. */
const operation = (value: string) => {
	const options = actionType().properties.find((p) => p.name === 'operation') as unknown as { options: Array<{ value: string; action: string }> };
	return options.options.find((o) => o.value === value)!;
};
/** Start's "Stop After (Minutes)" as the workflows' node version shows it. */
const stopAfterParameter = () =>
	actionType().properties.find(
		(p) => /^stop after/i.test(p.displayName) && (p.displayOptions?.show?.['@version'] ?? [ACTION_VERSION]).includes(ACTION_VERSION),
	);
/** How Start's message ends: with the deadline once the node has one (item 1), else with today's warning. */
const expectedEnding = () => (stopAfterParameter() ? /If nobody stops it, it stops itself at \S+\.$/ : /Nothing else stops it before its video source ends\.$/);
/** A callback URL without the deadline item 1 adds next to the secret (`&stop_at=<epoch seconds>`). */
const withoutDeadline = (url: string) => url.replace(/&stop_at=\d+(?=&|$)/, '');
const toolNamed = (request: ModelRequest, name: string) => request.tools.find((t) => t.name === name) as ToolSpec;
const resultsOf = (taskId: string) => (r: SinkRequest) => r.url === '/received' && (r.json as { task_id?: string })?.task_id === taskId;

async function importWorkflow(workflow: Workflow | ReturnType<typeof triggerWorkflow>) {
	const file = path.join(work, `${workflow.id}.json`);
	fs.writeFileSync(file, JSON.stringify(workflow));
	expect((await n8n.cli(['import:workflow', `--input=${file}`])).code).toBe(0);
}

function agent(o: Pick<AgentWorkflowOptions, 'id' | 'path' | 'responsesApi' | 'callbackUrl' | 'startParameters'>) {
	return agentWorkflow({ ...o, openAi: OPENAI, memories: MEMORIES });
}

/** The model starts a stream, tells the user it is watching, and never stops it. */
function scriptStartWithoutStop(started: (taskId: string) => void) {
	fake.script([
		{ name: 'start the stream', reply: () => ({ toolCalls: [{ name: 'start_stream', arguments: { rtmp_url: RTMP, prompt: PROMPT } }] }) },
		{
			name: 'answer without stopping',
			reply: (request) => {
				const [{ task_id: taskId }] = fake.toolResult(request, 'start_stream') as StartItem[];
				started(taskId);
				return { text: `I am watching the kitchen camera (task ${taskId}).` };
			},
		},
	]);
}

/** Asks the agent, as a chat front end or another workflow would: one POST, the agent's answer in the response. */
async function askAgent(webhookPath: string, prompt: string): Promise<{ status: number; body: { output?: string } }> {
	const res = await fetch(n8n.webhookUrl(webhookPath), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt }) });
	const text = await res.text();
	return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** What the fake received in a run, for reading (and quoting) after the run: build/agent-e2e/<run>.json. */
function saveRequests(run: string, requests: ModelRequest[]) {
	const dir = path.join(ROOT, 'build/agent-e2e');
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(path.join(dir, `${run}.json`), JSON.stringify(requests, null, 2));
}

/** Stops a task the way any client of the API would (the test's own cleanup, not the product's). */
async function stopThroughTheApi(taskId: string): Promise<unknown> {
	const res = await fetch(`${sandbox.url}/v1/understand/stop/${taskId}`, { method: 'POST', headers: { authorization: KEY } });
	return await res.json();
}

async function executions(workflowId: string): Promise<Array<{ status: string }>> {
	return await n8n.listExecutions(workflowId);
}

beforeAll(async () => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-agent-'));
	const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' }))[0];
	sandbox = await startSandbox({ intervalMs: 250, keys: [KEY] });
	sink = await startSink();
	fake = await startFakeOpenAi();
	n8n = await host.startN8n({ packageDirs: [path.join(work, packed.filename)] });

	const credentials = [
		{ ...MEMORIES, type: 'memoriesLiveVideoApi', data: { apiKey: KEY, baseUrl: sandbox.url } },
		{ ...OPENAI, type: 'openAiApi', data: { apiKey: OPENAI_KEY, url: fake.url } },
	];
	fs.writeFileSync(path.join(work, 'credentials.json'), JSON.stringify(credentials));
	expect((await n8n.cli(['import:credentials', `--input=${path.join(work, 'credentials.json')}`])).code).toBe(0);

	receiveUrl = `${n8n.webhookUrl(`${RECEIVE.webhookId}/results`)}?token=${TOKEN}`;
	// The Receive trigger gets the credential, unused by today's Receive mode: with issue 15 item 1 any receiver, this
	// one included, stops a stream at its deadline.
	await importWorkflow(triggerWorkflow({ ...RECEIVE, parameters: { mode: 'receive', callbackToken: TOKEN }, sinkUrl: `${sink.url}/received`, credentialId: MEMORIES.id }));
	// Run A leaves the callback URL to the model; run B fixes it in the node (the secret then never reaches the model).
	await importWorkflow(agent({ ...RUN_A, responsesApi: true, callbackUrl: fromAi('callback_url', 'The callback URL the user gave, exactly as given') }));
	await importWorkflow(agent({ ...RUN_B, responsesApi: false, callbackUrl: receiveUrl }));
	api = await n8n.createOwnerAndApiKey();
	for (const id of [RECEIVE.id, RUN_A.id, RUN_B.id]) await api.activateWorkflow(id);
	types = (await (await fetch(`${n8n.baseUrl}/types/nodes.json`, { headers: { cookie: api.cookie } })).json()) as NodeType[];
});

afterAll(async () => {
	await n8n?.stop();
	await endSuite({ sandboxes: [sandbox], close: [sink, fake], work });
});

afterEach(() => {
	expect(fake.failures).toEqual([]);
});

describe('the action node as an AI Agent tool in a real n8n', () => {
	it('is "Memories.ai Live Video Tool" in the Agent\'s tool picker, with actions that name the billing and the task ID', () => {
		const tool = types.find((t) => t.name === `${ACTION_TYPE}Tool`) as NodeType & { outputs: unknown };
		expect(tool).toMatchObject({ displayName: 'Memories.ai Live Video Tool', outputs: ['ai_tool'] }); // n8n made it of usableAsTool
		expect(tool.properties.find((p) => p.name === 'descriptionType')).toMatchObject({ default: 'auto' }); // the tool's description: the action
		expect(operation('start').action).toMatch(/billed every 5 seconds until you stop it by its task ID/);
		expect(operation('stop').action).toMatch(/by its task ID/);
	});

	it('run A (Responses API): starts a stream, watches results reach a Receive trigger, stops it by the task_id it read, and again', async () => {
		const receiveBefore = (await executions(RECEIVE.id)).length;
		let taskId = '';
		const started = Date.now();
		fake.script([
			{ name: 'start the stream', reply: () => ({ toolCalls: [{ name: 'start_stream', arguments: { rtmp_url: RTMP, prompt: PROMPT, callback_url: receiveUrl } }] }) },
			{
				name: 'watch three results, then stop the task whose id the Start result gave',
				reply: async (request) => {
					[{ task_id: taskId }] = fake.toolResult(request, 'start_stream') as StartItem[];
					await sink.waitFor(3, resultsOf(taskId), 60_000);
					return { toolCalls: [{ name: 'stop_stream', arguments: { task_id: taskId } }] };
				},
			},
			// A model unsure whether the stop worked stops again: that must be harmless.
			{ name: 'stop it again', reply: () => ({ toolCalls: [{ name: 'stop_stream', arguments: { task_id: taskId } }] }) },
			{ name: 'report', reply: () => ({ text: `Watched the kitchen camera and stopped task ${taskId}.` }) },
		]);

		const answer = await askAgent(RUN_A.path, `Watch ${RTMP} and tell me when the pan is boiling over. Send the results to ${receiveUrl}`);
		saveRequests('run-a', fake.requests.slice(-4));
		expect(answer).toEqual({ status: 200, body: { output: `Watched the kitchen camera and stopped task ${taskId}.` } });
		expect(fake.remaining()).toEqual([]);
		const [first, second, third, fourth] = fake.requests.slice(-4);

		// What the model was offered: the tools are the node names; each description is "<action> in Memories.ai Live Video".
		expect(first).toMatchObject({ api: 'responses', authorization: `Bearer ${OPENAI_KEY}`, model: 'fake-model' });
		expect(first.body.stream).toBeFalsy();
		expect(first.tools.map((t) => t.name).sort()).toEqual(['start_stream', 'stop_stream']);
		expect(toolNamed(first, 'start_stream').description).toBe(`${operation('start').action} in Memories.ai Live Video`);
		expect(toolNamed(first, 'stop_stream').description).toBe(`${operation('stop').action} in Memories.ai Live Video`);
		expect(toolNamed(first, 'start_stream').parameters).toMatchObject({
			type: 'object',
			properties: { rtmp_url: { type: 'string' }, prompt: { type: 'string' }, callback_url: { type: 'string' } },
			required: expect.arrayContaining(['rtmp_url', 'prompt', 'callback_url']),
		});
		expect(toolNamed(first, 'stop_stream').parameters).toMatchObject({ properties: { task_id: { type: 'string' } }, required: ['task_id'] });

		// What Start told the model: the task, what it costs, how to stop it; the callback secret masked.
		const task = sandbox.task(taskId)!;
		expect(task).toMatchObject({ rtmpUrl: RTMP, userPrompt: PROMPT });
		expect(withoutDeadline(task.callback)).toBe(receiveUrl);
		const [startResult] = fake.toolResult(second, 'start_stream') as StartItem[];
		expect(startResult.task_id).toBe(task.taskId);
		expect(withoutDeadline(startResult.callback_url)).toBe(receiveUrl.replace(TOKEN, '***'));
		expect(startResult.message).toContain(`billed every 5 seconds until it is stopped: when its results are no longer needed, stop it with Stop and task_id ${taskId}`);
		expect(startResult.message).toMatch(expectedEnding());
		expect(fake.toolResult(third, 'stop_stream')).toEqual([{ task_id: taskId, outcome: 'stopped', stopped: true, message: expect.stringMatching(/^Stopped/) }]);
		expect(fake.toolResult(fourth, 'stop_stream')).toEqual([{ task_id: taskId, outcome: 'not_found', stopped: false, message: expect.stringMatching(/already stopped/) }]);

		// The stream stopped by the agent's Stop; every result it delivered started one execution of the Receive workflow.
		expect(sandbox.task(taskId)).toMatchObject({ state: 'stopped', endReason: 'stopped' });
		expect(sandbox.activeTasks(KEY)).toEqual([]);
		const delivered = sandbox.deliveries({ taskId }).filter((d) => d.ok).length;
		expect(delivered).toBeGreaterThanOrEqual(3);
		await n8n.waitForExecutions(RECEIVE.id, receiveBefore + delivered);
		expect((await executions(RECEIVE.id)).length).toBe(receiveBefore + delivered);
		expect(sink.received.filter(resultsOf(taskId)).map((r) => (r.json as { event: string }).event)).toEqual(Array(delivered).fill('result'));
		expect((await executions(RUN_A.id)).map((e) => e.status)).toEqual(['success']);
		recordFigures('n8n agent run A', { modelRequests: 4, callbacksDelivered: delivered, receiveExecutions: delivered, agentRunMs: Date.now() - started });
	});

	it('run B (Chat Completions): a stream the agent never stops keeps running and billing after the agent is done', async () => {
		let taskId = '';
		scriptStartWithoutStop((id) => (taskId = id));
		const answer = await askAgent(RUN_B.path, `Watch ${RTMP} and tell me when the pan is boiling over.`);
		saveRequests('run-b', fake.requests.slice(-2));
		try {
			expect(answer).toEqual({ status: 200, body: { output: `I am watching the kitchen camera (task ${taskId}).` } });
			const [first, second] = fake.requests.slice(-2);
			expect(first.api).toBe('chat.completions');
			expect(toolNamed(first, 'start_stream').description).toBe(`${operation('start').action} in Memories.ai Live Video`);
			expect(Object.keys((toolNamed(first, 'start_stream').parameters as { properties: object }).properties).sort()).toEqual(['prompt', 'rtmp_url']);
			const [startResult] = fake.toolResult(second, 'start_stream') as StartItem[];
			expect(startResult.message).toContain(`stop it with Stop and task_id ${taskId}`);
			expect(startResult.message).toMatch(expectedEnding());
			// With the Callback URL fixed in the node, its secret never reached the model API.
			expect(JSON.stringify([first, second])).not.toContain(TOKEN);

			// The agent is done; its stream is not: results keep arriving and it keeps billing.
			const seen = sink.received.filter(resultsOf(taskId)).length;
			await sink.waitFor(seen + 8, resultsOf(taskId), 60_000);
			expect(sandbox.activeTasks(KEY).map((t) => t.taskId)).toEqual([taskId]);
			expect((await executions(RUN_B.id)).map((e) => e.status)).toEqual(['success']);
		} finally {
			// So the test stops it itself, as the user would have to: today nothing else ever would.
			if (taskId) expect(await stopThroughTheApi(taskId)).toEqual({ status: 14, task_id: taskId });
		}
		expect(sandbox.activeTasks(KEY)).toEqual([]);
	});

	it('a Start the API refuses (the key already runs 4 streams) reaches the model as the tool\'s error; nothing starts', async () => {
		const occupied: string[] = [];
		for (let i = 0; i < 4; i++) {
			const outcome = sandbox.engine.start(KEY, { rtmpUrl: RTMP, userPrompt: 'p', systemPrompt: 's', callback: `${sink.url}/ignored`, thinking: false });
			if (outcome.ok) occupied.push(outcome.taskId);
		}
		expect(occupied).toHaveLength(4);
		try {
			let refusal: unknown;
			fake.script([
				{ name: 'start the stream', reply: () => ({ toolCalls: [{ name: 'start_stream', arguments: { rtmp_url: RTMP, prompt: PROMPT } }] }) },
				{
					name: 'tell the user why not',
					reply: (request) => {
						refusal = fake.toolResult(request, 'start_stream');
						return { text: 'I could not start watching: 4 streams are already running.' };
					},
				},
			]);
			const answer = await askAgent(RUN_B.path, `Watch ${RTMP} and tell me when the pan is boiling over.`);
			saveRequests('refused-start', fake.requests.slice(-2));
			expect(answer).toEqual({ status: 200, body: { output: 'I could not start watching: 4 streams are already running.' } });
			expect(refusal).toEqual([{ error: expect.stringMatching(/^This API key already runs the maximum of 4 streams \(status 1001\)/) }]);
			expect(sandbox.activeTasks(KEY).map((t) => t.taskId).sort()).toEqual([...occupied].sort());
		} finally {
			for (const id of occupied) sandbox.engine.stop(KEY, id);
		}
	});
});

// The deadline that travels with the stream stops what an agent forgot.
describe('deadline', () => {
	it('run B with Stop After: the stream the agent never stopped is stopped at its deadline by the Receive trigger', async () => {
		const stopAfter = stopAfterParameter();
		if (!stopAfter) throw new Error(`Start has no "Stop After (Minutes)" for version ${ACTION_VERSION}: ${actionType().properties.map((p) => p.name).join(', ')}`);
		expect(stopAfter.displayOptions?.show?.operation).toEqual(['start']);
		expect(stopAfter.default).toBe(60); // the safe default (README: Using the node from an AI Agent)
		const minutes = Math.max(STOP_AFTER_MINUTES, stopAfter.typeOptions?.minValue ?? 0);
		await importWorkflow(agent({ ...DEADLINE, responsesApi: false, callbackUrl: receiveUrl, startParameters: { [stopAfter.name]: minutes } }));
		await api.activateWorkflow(DEADLINE.id);

		let taskId = '';
		scriptStartWithoutStop((id) => (taskId = id));
		const askedAt = Date.now();
		const answer = await askAgent(DEADLINE.path, `Watch ${RTMP} and tell me when the pan is boiling over.`);
		saveRequests('deadline', fake.requests.slice(-2));
		expect(answer.status).toBe(200);

		// Start told the model its deadline, and the deadline went out with the callback URL.
		const [startResult] = fake.toolResult(fake.requests[fake.requests.length - 1], 'start_stream') as StartItem[];
		const stopAt = Number(new URL(sandbox.task(taskId)!.callback).searchParams.get('stop_at'));
		expect(startResult.stop_at).toBe(new Date(stopAt * 1000).toISOString());
		expect(startResult.message).toMatch(new RegExp(`If nobody stops it, it stops itself at ${new Date(stopAt * 1000).toISOString().replace(/\./g, '\\.')}\\.$`));
		expect(stopAt * 1000).toBeGreaterThanOrEqual(askedAt + minutes * 60_000 - 1000);
		expect(stopAt * 1000).toBeLessThanOrEqual(Date.now() + minutes * 60_000 + 1000);

		// Nobody stops it; the first result past the deadline makes the Receive trigger stop it and say why.
		const ended = await sandbox.waitFor('task-ended', (t) => t.taskId === taskId, (minutes * 60 + 60) * 1000);
		expect(ended).toMatchObject({ taskId, endReason: 'stopped' });
		expect(Date.parse(ended.endedAt!)).toBeGreaterThanOrEqual(stopAt * 1000);
		const [endItem] = await sink.waitFor(1, (r) => resultsOf(taskId)(r) && (r.json as { event: string }).event === 'stream_ended', 30_000);
		expect(endItem.json).toMatchObject({ event: 'stream_ended', task_id: taskId, ended: true, reason: 'max_duration' });
		expect(sandbox.activeTasks(KEY)).toEqual([]);
	});
});
