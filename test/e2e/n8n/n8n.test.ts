// A real n8n 2.x with our packed package installed as a community package, the credential and the
// example workflows imported, against the sandbox over HTTP.
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { Sandbox, startSandbox } from '../../../sandbox/src';
import { Sink, startSink } from '../../../scripts/lib/sink';
import { recordFigures } from '../support/figures';
import { endSuite } from '../../support/suite-end';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const host = require('../../../scripts/lib/n8n-host');

const ROOT = path.join(__dirname, '../../..');
const KEY = 'sk-e2e-n8n-key-1';
const WRONG_KEY = 'sk-e2e-n8n-wrong';
const TOKEN = 'e2e-receive-token-0123456789abcdef';
const CREDENTIAL = { id: 'mlvCredential0001', name: 'Memories.ai Live Video account' };
const BAD_CREDENTIAL = { id: 'mlvCredentialBad1', name: 'Memories.ai wrong key' };
const WATCH = 'mlvExampleWatch01';
const RECEIVE = 'mlvExampleReceive1';
const START_STOP = 'mlvExampleStartStop';
const START_STOP_BAD_KEY = 'mlvStartStopBadKey';

jest.setTimeout(15 * 60 * 1000);

let work: string;
let sandbox: Sandbox;
let sink: Sink;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let n8n: any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let api: any;

type Workflow = { id: string; name: string; nodes: Array<{ name: string; webhookId?: string; parameters: Record<string, unknown>; credentials?: Record<string, unknown> }> };

function example(file: string): Workflow {
	return JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/n8n', file), 'utf8'));
}
function nodeOf(workflow: Workflow, name: string) {
	const node = workflow.nodes.find((n) => n.name === name);
	if (!node) throw new Error(`no node ${name} in ${workflow.name}`);
	return node;
}

const webhookId = (workflow: Workflow, name: string) => nodeOf(workflow, name).webhookId as string;
let watchWebhook: string;
let receiveWebhook: string;

async function post(url: string, body: string, contentType = 'application/json', method = 'POST') {
	const res = await fetch(url, { method, headers: { 'content-type': contentType }, body: method === 'GET' ? undefined : body });
	return { status: res.status, text: await res.text() };
}

async function executions(workflowId: string): Promise<number> {
	return (await n8n.listExecutions(workflowId)).length;
}

beforeAll(async () => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-n8n-'));
	const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' }))[0];
	sandbox = await startSandbox({ intervalMs: 250, keys: [KEY] });
	sink = await startSink();
	n8n = await host.startN8n({ packageDirs: [path.join(work, packed.filename)] });

	const credentials = [
		{ ...CREDENTIAL, type: 'memoriesLiveVideoApi', data: { apiKey: KEY, baseUrl: sandbox.url } },
		{ ...BAD_CREDENTIAL, type: 'memoriesLiveVideoApi', data: { apiKey: WRONG_KEY, baseUrl: sandbox.url } },
	];
	fs.writeFileSync(path.join(work, 'credentials.json'), JSON.stringify(credentials));
	expect((await n8n.cli(['import:credentials', `--input=${path.join(work, 'credentials.json')}`])).code).toBe(0);

	// The examples as a user would adapt them: the sink instead of example.com, the sandbox's camera.
	const watch = example('watch-stream-post-matches.json');
	nodeOf(watch, 'Post the alert').parameters.url = `${sink.url}/alert`;
	const receive = example('receive-results.json');
	nodeOf(receive, 'Receive stream results').parameters.callbackToken = TOKEN;
	nodeOf(receive, 'Store the result').parameters.url = `${sink.url}/received`;
	watchWebhook = webhookId(watch, 'Watch the kitchen camera');
	receiveWebhook = webhookId(receive, 'Receive stream results');
	const startStop = example('start-then-stop.json');
	nodeOf(startStop, 'Start watching').parameters.callbackUrl = `${n8n.baseUrl}/webhook/${receiveWebhook}/results?token=${TOKEN}`;
	Object.assign(nodeOf(startStop, 'Watch for a minute').parameters, { amount: 2, unit: 'seconds' });
	const badKey = JSON.parse(JSON.stringify(startStop)) as Workflow;
	badKey.id = START_STOP_BAD_KEY;
	badKey.name = 'Start with a wrong key';
	for (const node of badKey.nodes) if (node.credentials) node.credentials = { memoriesLiveVideoApi: BAD_CREDENTIAL };
	for (const workflow of [watch, receive, startStop, badKey]) {
		const file = path.join(work, `${workflow.id}.json`);
		fs.writeFileSync(file, JSON.stringify(workflow));
		expect((await n8n.cli(['import:workflow', `--input=${file}`])).code).toBe(0);
	}
	api = await n8n.createOwnerAndApiKey();
});

afterAll(async () => {
	await n8n?.stop();
	await endSuite({ sandboxes: [sandbox], close: [sink], work });
});

describe('Watch a Stream trigger in a real n8n', () => {
	let taskId: string;

	it('starts exactly one task on activation, whose callback is its webhook with a secret', async () => {
		await api.activateWorkflow(WATCH);
		const tasks = sandbox.activeTasks(KEY);
		expect(tasks).toHaveLength(1);
		taskId = tasks[0].taskId;
		// The secret, and the deadline of the example's Stop After (120 minutes).
		expect(tasks[0].callback).toMatch(new RegExp(`^${n8n.baseUrl}/webhook/${watchWebhook}/results\\?token=[A-Za-z0-9_-]{43}&stop_at=\\d{10}$`));
		const stopAt = Number(new URL(tasks[0].callback).searchParams.get('stop_at')) * 1000;
		expect(Math.abs(stopAt - (Date.parse(tasks[0].startedAt) + 120 * 60000))).toBeLessThan(5000);
		expect(tasks[0].userPrompt).toMatch(/boiling over/);
	});

	it('delivers matching results through the workflow to the sink', async () => {
		const alerts = await sink.waitFor(3, (r) => r.url === '/alert', 60000);
		for (const alert of alerts) {
			expect(alert.json).toMatchObject({ alert: 'Kitchen alert', task_id: taskId, event: 'result', text: expect.stringMatching(/boiling over|smoke/i) });
		}
		const deliveries = sandbox.deliveries({ taskId });
		expect(deliveries.every((d) => d.ok && d.httpStatus === 200)).toBe(true);
		const runs = await executions(WATCH);
		recordFigures('n8n watch', {
			callbacksSent: deliveries.length,
			callbacksAnswered200: deliveries.filter((d) => d.httpStatus === 200).length,
			executions: runs,
			alertsAtSink: sink.received.filter((r) => r.url === '/alert').length,
		});
		expect(runs).toBeGreaterThanOrEqual(3);
	});

	it('answers a wrong secret with 401 and a malformed body with 4xx, starting nothing', async () => {
		const url = `${n8n.baseUrl}/webhook/${watchWebhook}/results`;
		const body = JSON.stringify({ status: 0, task_id: taskId, data: { text: 'INJECTED boiling over', timestamp: '2025-01-01T00:00:00Z' } });
		expect((await post(url, body)).status).toBe(401);
		expect((await post(`${url}?token=wrong`, body)).status).toBe(401);
		const token = new URL(sandbox.task(taskId)!.callback).searchParams.get('token');
		expect((await post(`${url}?token=${token}`, '{"status":0,')).status).toBe(422); // n8n's own JSON parser
		expect((await post(`${url}?token=${token}`, '{"status":"0"}')).status).toBe(400);
		// With the secret, only what cannot be read is refused (a JSON body as text/plain is read: test/e2e/n8n/variants).
		expect((await post(`${url}?token=${token}`, 'INJECTED boiling over', 'text/plain')).status).toBe(400);
		expect((await post(`${url}?token=${token}`, '', 'application/json', 'GET')).status).toBe(404);
		// The next real result reaches the sink; none of the injected ones did.
		const before = sink.received.length;
		await sink.waitFor(before + 1, () => true, 60000);
		expect(sink.received.some((r) => r.body.includes('INJECTED'))).toBe(false);
	});

	it('does not start a second task when n8n restarts', async () => {
		await n8n.restart();
		expect(sandbox.activeTasks(KEY).map((t) => t.taskId)).toEqual([taskId]);
		const before = sink.received.filter((r) => r.url === '/alert').length;
		await sink.waitFor(before + 1, (r) => r.url === '/alert', 60000);
		expect(sandbox.activeTasks(KEY).map((t) => t.taskId)).toEqual([taskId]);
	});

	it('stops the task on deactivation', async () => {
		await api.deactivateWorkflow(WATCH);
		expect(sandbox.activeTasks(KEY)).toHaveLength(0);
		expect(sandbox.task(taskId)).toMatchObject({ state: 'stopped', endReason: 'stopped' });
	});

	it('leaves no task running after "Listen for test event"', async () => {
		const ended = sandbox.waitFor('task-ended', undefined, 120000);
		const listen = await api.rest('POST', `/workflows/${WATCH}/run`, { triggerToStartFrom: { name: 'Watch the kitchen camera' } });
		expect(listen.status).toBe(200);
		const [task] = sandbox.activeTasks(KEY);
		expect(task.callback).toContain(`/webhook-test/${watchWebhook}/results?token=`);
		expect(await ended).toMatchObject({ taskId: task.taskId, endReason: 'stopped' });
		expect(sandbox.activeTasks(KEY)).toHaveLength(0);
	});
});

describe('Memories.ai Live Video action node in a real n8n', () => {
	it('starts and stops a stream whose results reach a Receive trigger', async () => {
		await api.activateWorkflow(RECEIVE);
		const run = await n8n.cli(['execute', `--id=${START_STOP}`, '--rawOutput']);
		expect(run.code).toBe(0);
		expect(run.stdout).toMatch(/"outcome": ?"stopped"/);
		const started = sandbox.engine.state() as { tasks: Array<{ taskId: string; state: string; callback: string }> };
		const task = started.tasks.find((t) => t.callback.includes(receiveWebhook));
		expect(task).toMatchObject({ state: 'stopped' });
		const received = await sink.waitFor(1, (r) => r.url === '/received', 60000);
		expect(received[0].json).toMatchObject({ task_id: task!.taskId, event: 'result', ended: false });
		recordFigures('n8n action', {
			callbacksSent: sandbox.deliveries({ taskId: task!.taskId }).length,
			receiveExecutions: await executions(RECEIVE),
		});
		expect(sandbox.activeTasks(KEY)).toHaveLength(0);
	});

	it('refuses bad callbacks to the Receive trigger without an execution', async () => {
		const url = `${n8n.baseUrl}/webhook/${receiveWebhook}/results`;
		const before = await executions(RECEIVE);
		const valid = JSON.stringify({ status: 0, task_id: 'outside-1', data: { text: 'hello', timestamp: '2025-01-01T00:00:00Z' } });
		const answers = [
			(await post(url, valid)).status,
			(await post(`${url}?token=${TOKEN.slice(0, -1)}`, valid)).status,
			(await post(`${url}?token=${TOKEN}`, '[]')).status,
			(await post(`${url}?token=${TOKEN}`, JSON.stringify({ __proto__: { status: 0 }, task_id: 'x' }))).status,
		];
		expect(answers).toEqual([401, 401, 400, 400]);
		expect(await executions(RECEIVE)).toBe(before);
		expect((await post(`${url}?token=${TOKEN}`, valid)).status).toBe(200);
		await n8n.waitForExecutions(RECEIVE, before + 1);
	});

	it('fails with the 1001 advice when the key already runs 4 streams, starting nothing', async () => {
		const occupied = [];
		for (let i = 0; i < 4; i++) {
			const outcome = sandbox.engine.start(KEY, { rtmpUrl: 'rtmp://cam.example/live/x', userPrompt: 'p', systemPrompt: 's', callback: `${sink.url}/ignored`, thinking: false });
			if (outcome.ok) occupied.push(outcome.taskId);
		}
		const run = await n8n.cli(['execute', `--id=${START_STOP}`]);
		expect(run.code).not.toBe(0);
		expect(`${run.stdout}${run.stderr}`).toMatch(/maximum of 4 streams/);
		expect(sandbox.activeTasks(KEY)).toHaveLength(4);
		for (const id of occupied) sandbox.engine.stop(KEY, id);
	});

	it('fails with the key advice for a wrong key, without printing the key', async () => {
		const run = await n8n.cli(['execute', `--id=${START_STOP_BAD_KEY}`]);
		expect(run.code).not.toBe(0);
		expect(`${run.stdout}${run.stderr}`).toMatch(/did not accept the API key/);
		expect(`${run.stdout}${run.stderr}${n8n.logs()}`).not.toContain(WRONG_KEY);
		expect(sandbox.activeTasks()).toHaveLength(0);
	});

	afterAll(async () => {
		await api.deactivateWorkflow(RECEIVE);
	});
});

describe('secrets', () => {
	it('never wrote the API key or a callback secret to the n8n log', () => {
		const logs: string = n8n.logs();
		expect(logs).not.toContain(KEY);
		expect(logs).not.toContain(TOKEN);
		for (const task of (sandbox.engine.state() as { tasks: Array<{ callback: string }> }).tasks) {
			const token = new URL(task.callback).searchParams.get('token');
			if (token) expect(logs).not.toContain(token);
		}
	});
});
