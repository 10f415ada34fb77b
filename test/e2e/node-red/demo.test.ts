// `npm run demo` as a new user runs it (after the build the npm script does first): results are
// printed as they arrive, and Ctrl-C leaves no process and no task behind.
import { spawn } from 'child_process';
import path from 'path';

import { freePort } from '../../../scripts/lib/ports';

jest.setTimeout(5 * 60 * 1000);

it('prints results as they arrive and stops everything on Ctrl-C', async () => {
	const demo = spawn(process.execPath, [path.join(__dirname, '../../../scripts/demo.js')], {
		env: { ...process.env, NODE_RED_PORT: String(await freePort()), DEMO_SANDBOX_PORT: '0', DEMO_INTERVAL_MS: '300' },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
	await new Promise<void>((resolve, reject) => {
		const onData = (chunk: Buffer) => {
			output += chunk.toString();
			if ((output.match(/^\d\d:\d\d:\d\d {2}[0-9a-f]{8}… {2}\S/gm) ?? []).length >= 3) resolve();
		};
		demo.stdout!.on('data', onData);
		demo.stderr!.on('data', onData);
		void exited.then((code) => reject(new Error(`demo exited early (${code}):\n${output}`)));
	});
	expect(output).toMatch(/service: the local sandbox at http:\/\/127\.0\.0\.1:\d+/);
	expect(output).toMatch(/Node-RED [\d.]+ editor: http:\/\/127\.0\.0\.1:\d+\//);
	demo.kill('SIGINT');
	expect(await exited).toBe(0);
	expect(output).toMatch(/streams still running in the sandbox: 0\nstopped\./);
	expect(output).not.toContain('sk-demo-sandbox-key');
});
