// `npm run demo` as a new user runs it (npm builds, then execs the demo): results are printed as they arrive; a
// Deploy in the editor, which stops the stream, is explained with what to do next; pressing the inject button
// starts the next stream; SIGINT to the npm process alone (what a supervisor sends) leaves no process and no task.
import { freePort } from '../../../scripts/lib/ports';
import { RESULT_LINE, listening, startDemo } from '../support/demo';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const host = require('../../../scripts/lib/node-red-host');

jest.setTimeout(5 * 60 * 1000);

it('prints results, explains a Deploy that stopped the stream, and stops everything on SIGINT to npm alone', async () => {
	const nodeRedPort = await freePort();
	const demo = startDemo('demo', { NODE_RED_PORT: String(nodeRedPort), DEMO_SANDBOX_PORT: '0', DEMO_INTERVAL_MS: '300' });
	await demo.waitFor(RESULT_LINE, 3);
	const output = demo.output();
	expect(output).toMatch(/service: the local sandbox at http:\/\/127\.0\.0\.1:\d+/);
	const sandboxPort = Number(output.match(/local sandbox at http:\/\/127\.0\.0\.1:(\d+)/)![1]);
	const editor = `http://127.0.0.1:${nodeRedPort}`;
	expect(output).toMatch(new RegExp(`Node-RED [\\d.]+ editor: ${editor}/`));

	// The editor's Deploy button (a full deploy of the same flows).
	const flows = await host.request('GET', `${editor}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } });
	const deployed = demo.output().length;
	const deploy = await host.request('POST', `${editor}/flows`, {
		body: { flows: flows.json.flows, rev: flows.json.rev },
		headers: { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
	});
	expect(deploy.status).toBe(200);
	await demo.waitFor(/Deploy restarted the flow and its start node stopped the stream/, 1, deployed);
	expect(demo.output().slice(deployed)).toMatch(/Press the button of the inject node "start watching" in the editor to start a new stream\./);

	// What the message says: the inject button starts the next stream, whose results are printed again.
	const inject = flows.json.flows.find((n: { type: string; name: string }) => n.type === 'inject' && n.name === 'start watching');
	const pressed = demo.output().length;
	expect((await host.request('POST', `${editor}/inject/${inject.id}`)).status).toBe(200);
	await demo.waitFor(RESULT_LINE, 2, pressed);

	demo.npm.kill('SIGINT'); // npm alone, not its process group
	expect(await demo.exited).toBe(0);
	expect(demo.output()).toMatch(/stopping Node-RED \(it stops its streams on shutdown\)…\nstreams still running in the sandbox: 0\nstopped\./);
	expect(await listening(nodeRedPort)).toBe(false);
	expect(await listening(sandboxPort)).toBe(false);
	expect(demo.output()).not.toContain('sk-demo-sandbox-key');
});
