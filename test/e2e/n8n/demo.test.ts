// `npm run demo:n8n` as a new user runs it: a real n8n with the package installed as a community package, the
// Watch example active against the sandbox, each result printed as it arrives; SIGINT to the npm process alone
// deactivates the workflow (stopping the stream), stops n8n and the sandbox, and leaves no process and no task.
import { freePort } from '../../../scripts/lib/ports';
import { RESULT_LINE, listening, processesMentioning, startDemo } from '../support/demo';

jest.setTimeout(15 * 60 * 1000);

it('prints results as they arrive and stops everything on SIGINT to npm alone', async () => {
	const n8nPort = await freePort();
	const demo = startDemo('demo:n8n', { N8N_PORT: String(n8nPort), DEMO_SANDBOX_PORT: '0', DEMO_INTERVAL_MS: '300' });
	await demo.waitFor(RESULT_LINE, 3);
	const output = demo.output();
	expect(output).toMatch(/service: the local sandbox at http:\/\/127\.0\.0\.1:(\d+)/);
	const sandboxPort = Number(output.match(/local sandbox at http:\/\/127\.0\.0\.1:(\d+)/)![1]);
	expect(output).toContain(`editor: http://127.0.0.1:${n8nPort}/workflow/mlvExampleWatch01`);
	expect(output).toMatch(/log in as \S+@\S+ \/ \S+/);
	expect(output).toMatch(/installed as a community package/);
	expect(processesMentioning(`N8N_PORT=${n8nPort}`).length).toBeGreaterThan(0);

	demo.npm.kill('SIGINT'); // npm alone, not its process group
	expect(await demo.exited).toBe(0);
	expect(demo.output()).toMatch(/deactivating the workflow \(its trigger stops the stream\)…\nstopping n8n…\nstreams still running in the sandbox: 0\nstopped\./);
	expect(await listening(n8nPort)).toBe(false);
	expect(await listening(sandboxPort)).toBe(false);
	expect(processesMentioning(`N8N_PORT=${n8nPort}`)).toEqual([]);
	expect(demo.output()).not.toContain('sk-demo-sandbox-key');
});
