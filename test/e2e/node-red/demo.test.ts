// `npm run demo` as a new user runs it (npm builds, then execs the demo): the example "Alert once when the pan boils
// over" against the sandbox's scripted kitchen prints the stream's start, one line per episode start and end (not
// one per window) and, when "stop all" stops the stream, its summary; a Deploy in the editor, which stops the
// stream, is explained with what to do next; pressing the inject button starts the next stream; SIGINT to the npm
// process alone (what a supervisor sends) leaves no process and no task.
import fs from 'fs';
import path from 'path';

import { scenario } from '../../../sandbox/src';
import { freePort } from '../../../scripts/lib/ports';
import { EPISODE_ENDED_LINE, EPISODE_STARTED_LINE, STREAM_STARTED_LINE, SUMMARY_LINE, expectEpisodesOf, lines, listening, startDemo, stopDemosLeftRunning } from '../support/demo';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const host = require('../../../scripts/lib/node-red-host');

jest.setTimeout(5 * 60 * 1000);

const EXAMPLE = path.join(__dirname, '../../../node-red/examples/04 - Alert once when the pan boils over.json');
const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as Array<{ type: string; [key: string]: unknown }>;
const results = example.find((n) => n.type === 'memories-live-results')!;
const INTERVAL_MS = 300;

afterEach(stopDemosLeftRunning);

it('prints episodes and the summary, explains a Deploy that stopped the stream, and stops everything on SIGINT to npm alone', async () => {
	const nodeRedPort = await freePort();
	const demo = startDemo('demo', { NODE_RED_PORT: String(nodeRedPort), DEMO_SANDBOX_PORT: '0', DEMO_INTERVAL_MS: String(INTERVAL_MS) });
	await demo.waitFor(STREAM_STARTED_LINE, 1, 0, 5 * 60_000); // a first run installs the host first
	await demo.waitFor(EPISODE_ENDED_LINE);
	const output = demo.output();
	expect(output).toMatch(/service: the local sandbox at http:\/\/127\.0\.0\.1:\d+/);
	expect(output).toContain('camera: rtmp://camera.example.com/live/kitchen?scenario=boil');
	const sandboxPort = Number(output.match(/local sandbox at http:\/\/127\.0\.0\.1:(\d+)/)![1]);
	const editor = `http://127.0.0.1:${nodeRedPort}`;
	expect(output).toMatch(new RegExp(`Node-RED [\\d.]+ editor: ${editor}/  \\(flow "Alert once when the pan boils over"\\)`));
	const [[task]] = lines(STREAM_STARTED_LINE, output);
	expect(lines(EPISODE_STARTED_LINE, output)).toEqual([[task, '1']]);
	expect(lines(EPISODE_ENDED_LINE, output)[0].slice(0, 2)).toEqual([task, '1']);
	expect(output.indexOf('episode 1 started')).toBeLessThan(output.indexOf('episode 1 ended'));

	// The example's "stop all" button: the stop node stops the stream, the results node sends its summary.
	const flows = await host.request('GET', `${editor}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } });
	const injectNamed = (name: string) => flows.json.flows.find((n: { type: string; name: string }) => n.type === 'inject' && n.name === name);
	expect((await host.request('POST', `${editor}/inject/${injectNamed('stop all').id}`)).status).toBe(200);
	await demo.waitFor(SUMMARY_LINE);
	await demo.waitFor(/Stopped: no more results will arrive and billing has ended\.\n/);
	const stopped = demo.output();
	expect(stopped).toMatch(new RegExp(`stream ${task}… Stopped: no more results will arrive and billing has ended\\.`));
	expect(lines(SUMMARY_LINE, stopped)[0].slice(0, 2)).toEqual([task, 'stopped']);
	const seen = expectEpisodesOf(stopped, task, scenario('boil')!, {
		startAfter: Number(results.startAfterWindows),
		endAfter: Number(results.endAfterWindows),
		cooldownWindows: Number(results.cooldownSeconds) / 5, // the example's seconds at 5 s windows
	});
	// Episodes, not a line per window: the stream's lines are its start, its episodes' starts and ends, the stop, the summary.
	const taskLines = stopped.split('\n').filter((line) => line.includes(`${task}…`));
	expect(taskLines).toHaveLength(1 + 2 * seen.episodes + 1 + 1);
	expect(seen.windows).toBeGreaterThan(taskLines.length);

	// The editor's Deploy button (a full deploy of the same flows), with a stream running again.
	const pressed = demo.output().length;
	expect((await host.request('POST', `${editor}/inject/${injectNamed('start watching').id}`)).status).toBe(200);
	await demo.waitFor(EPISODE_STARTED_LINE, 1, pressed);
	expect(lines(STREAM_STARTED_LINE, demo.output().slice(pressed))).toHaveLength(1);
	const deployed = demo.output().length;
	const deploy = await host.request('POST', `${editor}/flows`, {
		body: { flows: flows.json.flows, rev: flows.json.rev },
		headers: { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
	});
	expect(deploy.status).toBe(200);
	await demo.waitFor(/Press the button of the inject node "start watching" in the editor to start a new stream\./, 1, deployed);
	expect(demo.output().slice(deployed)).toMatch(/Deploy restarted the flow and its start node stopped the stream \(its "stop when redeployed" setting\)\.\n +Press the button/);

	// What the message says: the inject button starts the next stream, whose episodes are printed again.
	const again = demo.output().length;
	expect((await host.request('POST', `${editor}/inject/${injectNamed('start watching').id}`)).status).toBe(200);
	await demo.waitFor(EPISODE_STARTED_LINE, 1, again);

	demo.npm.kill('SIGINT'); // npm alone, not its process group
	expect(await demo.exited).toBe(0);
	expect(demo.output()).toMatch(/stopping Node-RED \(it stops its streams on shutdown\)…\nstreams still running in the sandbox: 0\nstopped\./);
	expect(await listening(nodeRedPort)).toBe(false);
	expect(await listening(sandboxPort)).toBe(false);
	expect(demo.output()).not.toContain('sk-demo-sandbox-key');
});
