// The example "Alert once when the pan boils over" in real Node-RED processes (4.1 and 5, our
// packed tarball installed as the palette manager does), deployed as a user imports it (with
// their account), against the sandbox's scripted kitchen (`?scenario=boil`) at a fast interval:
// one message per episode start and end, the summary when the start node's "Stop after" ends the
// stream, where "every result" would send one per window.
import fs from 'fs';
import path from 'path';

import { Sandbox, scenario } from '../../../sandbox/src';
import { Sink, SinkRequest } from '../../../scripts/lib/sink';
import { useNodeRedSuite } from './support/suite';
import { expectedEpisodes } from '../support/episodes';
import { recordFigures } from '../support/figures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const host = require('../../../scripts/lib/node-red-host');

const ROOT = path.join(__dirname, '../../..');
const KEY = 'sk-e2e-node-red-episodes';
const INTERVAL_MS = 200;
/** The example's settings are for 5 s windows: its cooldown scales with the interval, as time does here. */
const SCALE = INTERVAL_MS / 5000;
const EXAMPLE = path.join(ROOT, 'node-red/examples/04 - Alert once when the pan boils over.json');

jest.setTimeout(10 * 60 * 1000);

let tarball: string;
let sandbox: Sandbox;
let sink: Sink;

const suite = useNodeRedSuite('e2e-node-red-episodes', { intervalMs: INTERVAL_MS, keys: [KEY] });
beforeAll(() => ({ tarball, sandbox, sink } = suite));

type Node = { id: string; type: string; z?: string; wires?: string[][]; [key: string]: unknown };

/** Example 04 with the user's account and a sink beside each debug node; time scaled to the interval. */
function exampleFlow(publicUrl: string) {
	const nodes = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as Node[];
	const tab = nodes.find((n) => n.z)!.z!;
	const one = (type: string) => nodes.find((n) => n.type === type)!;
	Object.assign(one('memories-live-config'), { baseUrl: sandbox.url, publicUrl, credentials: { apiKey: KEY } });
	const results = one('memories-live-results');
	results.credentials = { secret: 'e2e-episodes-secret-0123456789abcdefXYZ' };
	results.cooldownSeconds = Number(results.cooldownSeconds) * SCALE;
	const start = one('memories-live-start');
	start.maxDuration = (2.2 * 36 * INTERVAL_MS) / 60000; // a little over two cycles of the script
	const alert = nodes.find((n) => n.name === 'make alert')!;
	const sinks = ['episode', 'summary', 'problems', 'alert'].map((route) => host.sinkRequestNode({ id: `sink-${route}`, z: tab, url: `${sink.url}/${route}` }));
	results.wires = results.wires!.map((outputs, i) => [...outputs, sinks[i].id]);
	alert.wires = [[...alert.wires![0], 'sink-alert']];
	const inject = nodes.find((n) => n.type === 'inject' && n.wires!.flat().includes(start.id))!;
	return { flows: [{ id: tab, type: 'tab', label: 'example 04' }, ...nodes, ...sinks], inject: inject.id, results, start };
}

describe.each(['4.1', '5'])('Node-RED %s', (version) => {
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	let red: any;

	beforeAll(async () => {
		sink.clear();
		red = await host.startNodeRed({ version, tarballs: [tarball] });
	});

	afterAll(async () => {
		await red?.stop();
	});

	it('sends one message per episode start and end, then the summary, where every result would send one per window', async () => {
		const script = scenario('boil')!;
		const flow = exampleFlow(red.baseUrl);
		await red.deploy(flow.flows);
		await red.injectNode(flow.inject);
		const at = (route: string) => (r: SinkRequest) => r.url === `/${route}`;
		const [summary] = await sink.waitFor(1, at('summary'), 60000);
		const payload = summary.json as { event: string; reason: string; task_id: string; summary: { windows_received: number; episodes: number; parse_errors: number; reason: string } };
		expect(payload).toMatchObject({ event: 'stream_summary', reason: 'max_duration', summary: { reason: 'max_duration', parse_errors: 0 } });
		expect(sandbox.task(payload.task_id)).toMatchObject({ state: 'stopped' });
		const windows = payload.summary.windows_received;
		const expected = expectedEpisodes(script, windows, {
			startAfter: Number(flow.results.startAfterWindows),
			endAfter: Number(flow.results.endAfterWindows),
			cooldownWindows: Number(flow.results.cooldownSeconds) / (INTERVAL_MS / 1000),
		});
		expect(expected.length).toBeGreaterThanOrEqual(4);
		expect(payload.summary.episodes).toBe(expected.length);
		const episodes = sink.received.filter(at('episode')).map((r) => r.json as { event: string; reason?: string; episode: { number: number } });
		expect(episodes.map((e) => `${e.event}:${e.episode.number}`)).toEqual(expected.flatMap((_, i) => [`episode_started:${i + 1}`, `episode_ended:${i + 1}`]));
		expect(episodes[episodes.length - 1].reason).toBe(expected[expected.length - 1].endFrame === null ? 'stream_ended' : 'condition_cleared');
		const alerts = await sink.waitFor(episodes.length, at('alert'));
		expect(alerts.filter((r) => /^The pan is boiling over!$/.test((r.json as { alert: string }).alert))).toHaveLength(expected.length);
		expect(sink.received.filter(at('problems'))).toEqual([]);
		const callbacks = sandbox.deliveries({ taskId: payload.task_id }).length;
		recordFigures(`node-red ${version} episodes`, { callbacksSent: callbacks, windows, scriptedEpisodes: expected.length, messages: episodes.length + 1 });
		expect(callbacks / (episodes.length + 1)).toBeGreaterThan(5);
		expect(sandbox.activeTasks(KEY)).toHaveLength(0);
	});
});
