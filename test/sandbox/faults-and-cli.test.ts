// API fault injection as a client sees it, and the CLI as a user runs it.
import { ChildProcess, spawn } from 'child_process';
import path from 'path';

import { interpretRequestFailure, interpretStartResponse, interpretStopResponse, MemoriesApiError } from '../../core';
import { Sandbox, startSandbox } from '../../sandbox/src';
import { Sink, SinkRequest, startSink } from '../../scripts/lib/sink';
import { start, startParams, stop } from '../support/api';

const KEY = 'sk-test-1';

describe('API faults', () => {
	let sandbox: Sandbox;
	beforeEach(async () => {
		sandbox = await startSandbox({ intervalMs: 60000, keys: [KEY] });
	});
	afterEach(async () => {
		await sandbox.close();
	});
	const params = () => startParams('http://127.0.0.1:9/cb');

	async function startFailure(timeoutMs = 5000): Promise<MemoriesApiError> {
		try {
			const answer = await import('../support/api').then(({ send }) =>
				send(require('../../core').buildStartRequest(sandbox.url, params(), KEY), timeoutMs),
			);
			interpretStartResponse(answer);
		} catch (error) {
			if (error instanceof MemoriesApiError) return error;
			return interpretRequestFailure('start', (error as { code?: string }).code);
		}
		throw new Error('expected start to fail');
	}

	it.each([
		[{ kind: 'status', status: 5000 }, 'server', 200],
		[{ kind: 'status', status: 16, httpStatus: 503 }, 'capacity', 503],
		[{ kind: 'legacy', code: '0402', httpStatus: 402 }, 'credits', 402],
		[{ kind: 'legacy', code: '9009' }, 'permission', 200],
		[{ kind: 'http429' }, 'rate_limited', 429],
		[{ kind: 'html502' }, 'server', 502],
		[{ kind: 'invalid_json' }, 'bad_response', 200],
		[{ kind: 'empty' }, 'bad_response', 200],
	] as const)('start fault %j becomes a %s error and starts nothing', async (fault, kind, httpStatus) => {
		sandbox.injectFault({ on: 'start', ...fault } as never);
		const error = await startFailure();
		expect(error.kind).toBe(kind);
		expect(error.httpStatus).toBe(httpStatus);
		expect(sandbox.activeTasks()).toHaveLength(0);
		expect((await start(sandbox.url, KEY, params())).json).toMatchObject({ status: 0 }); // one-shot
	});

	it('resets the connection without handling the call', async () => {
		sandbox.injectFault({ on: 'start', kind: 'reset' });
		const error = await startFailure();
		expect(error.kind).toBe('network');
		expect(error.mayHaveStarted).toBe(true);
		expect(sandbox.activeTasks()).toHaveLength(0);
	});

	it('resets the connection after handling the call (handled: true): the task runs, its answer is lost', async () => {
		sandbox.injectFault({ on: 'start', kind: 'reset', handled: true });
		const error = await startFailure();
		expect(error).toMatchObject({ kind: 'network', mayHaveStarted: true });
		expect(sandbox.activeTasks()).toHaveLength(1);
		expect(() => sandbox.injectFault({ on: 'start', kind: 'slow', handled: true } as never)).toThrow(/"handled" is a boolean of a reset fault/);
	});

	it('answers slowly after starting the task, as a slow service would', async () => {
		sandbox.injectFault({ on: 'start', kind: 'slow', delayMs: 3000 });
		const started = sandbox.waitFor('task-started');
		const error = await startFailure(300); // undici's timers are coarse (≈0.5 s)
		expect(error.kind).toBe('timeout');
		expect(error.mayHaveStarted).toBe(true);
		await started;
		expect(sandbox.activeTasks()).toHaveLength(1); // the orphan a timed-out start can leave
	});

	it('applies stop faults to stop only, and counts "times"', async () => {
		const { taskId } = interpretStartResponse(await start(sandbox.url, KEY, params()));
		sandbox.injectFault({ on: 'stop', kind: 'status', status: 5000, times: 2 });
		for (let i = 0; i < 2; i++) {
			const answer = await stop(sandbox.url, KEY, taskId);
			expect(answer.json).toMatchObject({ status: 5000 });
			expect(() => interpretStopResponse(taskId, answer)).toThrow(/status 5000/);
		}
		expect((await stop(sandbox.url, KEY, taskId)).json).toMatchObject({ status: 14 });
	});

	it('refuses an invalid fault', () => {
		expect(() => sandbox.injectFault({ on: 'start', kind: 'status' } as never)).toThrow(/numeric "status"/);
		expect(() => sandbox.injectFault({ on: 'callback', kind: 'reset' } as never)).toThrow(/callback fault kind/);
	});
});

describe('CLI', () => {
	const cli = path.join(__dirname, '../../build/sandbox/cli.js');
	let child: ChildProcess | undefined;
	let sink: Sink;

	beforeAll(async () => {
		sink = await startSink();
	});
	afterAll(async () => {
		await sink.close();
	});
	afterEach(() => {
		if (child && child.exitCode === null) child.kill('SIGKILL');
	});

	function run(args: string[]): Promise<{ url: string; output: () => string }> {
		let output = '';
		child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
		child.stdout!.on('data', (chunk) => (output += chunk));
		child.stderr!.on('data', (chunk) => (output += chunk));
		return new Promise((resolve, reject) => {
			child!.once('exit', (code) => reject(new Error(`sandbox exited with ${code}: ${output}`)));
			child!.stdout!.on('data', () => {
				const match = /listening on (http:\/\/\S+)/.exec(output);
				if (match && output.includes('Ctrl-C')) resolve({ url: match[1], output: () => output });
			});
		});
	}

	it('serves the contract, delivers at the interval, and stops cleanly on Ctrl-C', async () => {
		const { url, output } = await run(['--port', '0', '--interval-ms', '30', '--key', 'sk-cli-1', '--key', 'sk-cli-2']);
		expect(output()).toMatch(/accepted API keys: sk-cli-1, sk-cli-2/);
		expect(output()).toMatch(/callbacks every 30 ms/);

		const ids: string[] = [];
		for (let i = 0; i < 4; i++) {
			ids.push(interpretStartResponse(await start(url, 'sk-cli-1', startParams(`${sink.url}/cli`))).taskId);
		}
		expect((await start(url, 'sk-cli-1', startParams(`${sink.url}/cli`))).json).toMatchObject({ status: 1001 });
		const fromFirst = (r: SinkRequest) => (r.json as { task_id: string }).task_id === ids[0];
		const [a, b] = (await sink.waitFor(2, fromFirst)).map((r) => Date.parse((r.json as { data: { timestamp: string } }).data.timestamp));
		expect(b - a).toBe(30);
		expect((await stop(url, 'sk-cli-1', ids[0])).json).toMatchObject({ status: 14 });
		expect((await stop(url, 'sk-cli-1', ids[0])).json).toMatchObject({ status: -1 });
		expect(output()).not.toContain('token');

		const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
		child!.kill('SIGINT');
		expect(await exited).toBe(0);
		expect(output()).toMatch(/SIGINT: stopping the sandbox \(3 tasks running end now\)/);
	});

	it('sends every callback with the --variant variants and numeric --task-ids', async () => {
		const { url, output } = await run(['--port', '0', '--interval-ms', '30', '--variant', 'text_plain,ts_no_zone', '--variant', 'task_id_number', '--task-ids', 'numeric']);
		expect(output()).toMatch(/task ids: numeric; delivery variants: text_plain, ts_no_zone, task_id_number/);
		expect(output()).toMatch(/foreign origin \(where redirect faults point\): http:\/\/127\.0\.0\.1:\d+/);
		expect(output()).toMatch(/scenarios \(\?scenario= in the RTMP URL\): boil, calm, flicker/);
		const answer = await start(url, 'sk-sandbox-key', startParams(`${sink.url}/cli-variants`));
		const taskId = (answer.json as { task_id: string }).task_id;
		expect(taskId).toMatch(/^\d+$/);
		const [callback] = await sink.waitFor(1, (r) => r.url === '/cli-variants');
		expect(callback.headers['content-type']).toBe('text/plain');
		expect(callback.body).toContain(`"task_id":${taskId},`);
		expect((callback.json as { data: { timestamp: string } }).data.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
	});

	it.each([
		[['--variant', 'xml'], /--variant: unknown variant "xml"/],
		[['--variant', 'ts_space,ts_epoch_s'], /--variant: .*same thing \(timestamp\)/],
		[['--variant', 'task_id_number'], /--variant: .*needs numeric task ids/],
		[['--task-ids', 'snowflake'], /--task-ids is uuid or numeric/],
	])('explains a bad variant or task id option: %j', async (args, message) => {
		child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
		let stderr = '';
		child.stderr!.on('data', (c) => (stderr += c));
		const code = await new Promise((resolve) => child!.once('exit', resolve));
		expect(code).toBe(2);
		expect(stderr).toMatch(message);
	});

	it('lists the delivery variants and the scenarios in --help', async () => {
		child = spawn(process.execPath, [cli, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		child.stdout!.on('data', (c) => (stdout += c));
		expect(await new Promise((resolve) => child!.once('exit', resolve))).toBe(0);
		const { VARIANT_NAMES, SCENARIO_NAMES } = await import('../../sandbox/src');
		for (const name of [...VARIANT_NAMES, ...SCENARIO_NAMES]) expect(stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
		expect(stdout).toMatch(/--variant V\[,V…\]/);
		expect(stdout).toMatch(/--task-ids uuid\|numeric/);
	});

	it('explains a bad option', async () => {
		child = spawn(process.execPath, [cli, '--interval-ms', 'soon'], { stdio: ['ignore', 'pipe', 'pipe'] });
		let stderr = '';
		child.stderr!.on('data', (c) => (stderr += c));
		const code = await new Promise((resolve) => child!.once('exit', resolve));
		expect(code).toBe(2);
		expect(stderr).toMatch(/--interval-ms needs a non-negative number/);
		expect(stderr).toMatch(/Options:/);
	});
});
