// The example "Alert once when the pan boils over" in a real n8n 2.x (our packed package installed
// as a community package), against the sandbox's scripted kitchen (`?scenario=boil`), at a fast
// interval: the workflow runs once per episode start and end, and once with the summary when the
// maximum duration stops the stream, where "every result" would run once per window.
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { Sandbox, scenario, startSandbox } from '../../../sandbox/src';
import { Sink, startSink } from '../../../scripts/lib/sink';
import { expectedEpisodes } from '../support/episodes';
import { recordFigures } from '../support/figures';
import { endSuite } from '../../support/suite-end';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const host = require('../../../scripts/lib/n8n-host');

const ROOT = path.join(__dirname, '../../..');
const KEY = 'sk-e2e-n8n-episodes';
const CREDENTIAL = { id: 'mlvCredential0001', name: 'Memories.ai Live Video account' };
const INTERVAL_MS = 250;
/** The example's settings are for 5 s windows: its cooldown scales with the interval, as time does here. */
const SCALE = INTERVAL_MS / 5000;

jest.setTimeout(15 * 60 * 1000);

let work: string;
let sandbox: Sandbox;
let sink: Sink;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let n8n: any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let api: any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let workflow: any;

beforeAll(async () => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-n8n-episodes-'));
	const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' }))[0];
	sandbox = await startSandbox({ intervalMs: INTERVAL_MS, keys: [KEY] });
	sink = await startSink();
	n8n = await host.startN8n({ packageDirs: [path.join(work, packed.filename)] });
	fs.writeFileSync(path.join(work, 'credentials.json'), JSON.stringify([{ ...CREDENTIAL, type: 'memoriesLiveVideoApi', data: { apiKey: KEY, baseUrl: sandbox.url } }]));
	expect((await n8n.cli(['import:credentials', `--input=${path.join(work, 'credentials.json')}`])).code).toBe(0);
	// The example as a user adapts it: the channel is the sink, the time scaled to the sandbox's interval.
	workflow = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/n8n/alert-once-pan-boils-over.json'), 'utf8'));
	const [trigger, post] = workflow.nodes;
	post.parameters.url = `${sink.url}/kitchen`;
	trigger.parameters.cooldownSeconds *= SCALE;
	trigger.parameters.maxDurationMinutes = (2.2 * 36 * INTERVAL_MS) / 60000; // a little over two cycles of the script
	fs.writeFileSync(path.join(work, 'workflow.json'), JSON.stringify(workflow));
	expect((await n8n.cli(['import:workflow', `--input=${path.join(work, 'workflow.json')}`])).code).toBe(0);
	api = await n8n.createOwnerAndApiKey();
});

afterAll(async () => {
	await n8n?.stop();
	await endSuite({ sandboxes: [sandbox], close: [sink], work });
});

it('runs once per episode start and end, then with the summary, where every result would run once per window', async () => {
	const script = scenario('boil')!;
	const trigger = workflow.nodes[0].parameters;
	await api.activateWorkflow(workflow.id);
	const [task] = sandbox.activeTasks(KEY);
	expect(task.userPrompt).toMatch(/^Watch the pan on the stove\.\n\nAnswer with one JSON object only, and no other text\. Use exactly these fields:\n- "boiling_over" \(true or false\): Is the pan boiling over\?\n/);
	const [summary] = await sink.waitFor(1, (r) => r.url === '/kitchen' && (r.json as { event: string }).event === 'stream_summary', 120000);
	expect(sandbox.task(task.taskId)).toMatchObject({ state: 'stopped' });
	const posts = sink.received.filter((r) => r.url === '/kitchen').map((r) => r.json as { event: string; reason?: string; message: string; summary?: Record<string, number | string>; episode?: { number: number } });
	const windows = summary.json && (summary.json as { summary: { windows_received: number } }).summary.windows_received;
	const expected = expectedEpisodes(script, windows, { startAfter: trigger.startAfterWindows, endAfter: trigger.endAfterWindows, cooldownWindows: 30 / 5 });
	expect(expected.length).toBeGreaterThanOrEqual(4);
	// One start and one end per episode, in order; the last two posts (an execution's items) may arrive either way.
	const byEpisode = (event: string) => posts.filter((p) => p.event === event).map((p) => p.episode!.number).sort((a, b) => a - b);
	const numbers = expected.map((_, i) => i + 1);
	expect([byEpisode('episode_started'), byEpisode('episode_ended')]).toEqual([numbers, numbers]);
	expect(posts.filter((p) => !p.episode).map((p) => p.event)).toEqual(['stream_summary']);
	expect(posts.slice(0, -2).map((p) => p.event)).toEqual(expected.flatMap(() => ['episode_started', 'episode_ended']).slice(0, -1));
	expect(posts.filter((p) => p.event === 'episode_started').map((p) => p.message)).toEqual(expected.map(() => 'The pan is boiling over!'));
	// The last episode, if the stream stopped during it, ended with the stream.
	const lastEnd = posts.find((p) => p.event === 'episode_ended' && p.episode!.number === expected.length)!;
	expect(lastEnd.reason).toBe(expected[expected.length - 1].endFrame === null ? 'stream_ended' : 'condition_cleared');
	expect(summary.json).toMatchObject({
		event: 'stream_summary',
		reason: 'max_duration',
		summary: { reason: 'max_duration', episodes: expected.length, windows_matched: expect.any(Number), billed_estimate_basis: 'start_request', parse_errors: 0 },
	});
	const executions = (await n8n.listExecutions(workflow.id)).length;
	expect(executions).toBe(posts.length - (lastEnd.reason === 'stream_ended' ? 1 : 0)); // the stop's episode end and summary run together
	const callbacks = sandbox.deliveries({ taskId: task.taskId }).length;
	recordFigures('n8n episodes', { callbacksSent: callbacks, executions, scriptedEpisodes: expected.length, windows, itemsPosted: posts.length });
	expect(callbacks / executions).toBeGreaterThan(5);
	await api.deactivateWorkflow(workflow.id);
	expect(sandbox.activeTasks(KEY)).toHaveLength(0);
});
