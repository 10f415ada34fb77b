// n8n 2.40.7 in queue mode, as users scale it out: Postgres, Redis, `n8n start` (main), two `n8n webhook`
// processors behind a round-robin load balancer and an `n8n worker`, our packed package installed as a community
// package, against the sandbox over HTTP. What must hold is asserted; what the trigger's per-process memory does
// across processors is measured (asserted as the per-processor rule, recorded for RELIABILITY.md), and asserted
// exact with the trigger's path pinned to one processor.
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { Sandbox, scenario, scenarioEpisodes, startSandbox } from '../../../sandbox/src';
import { Sink, SinkRequest, startSink } from '../../../scripts/lib/sink';
import { Audit, audit, callbacksOf, deliveries, onlyOnChange, sendCallback } from './support/callbacks';
import { Api, CREDENTIAL, LogEntry, QueueN8n, TRIGGER, WorkflowSpec, callbackLabel, startQueueN8n, workflow } from './support/deployment';
import { episodesSeen } from './support/episodes';
import { recordQueue } from './support/record';

const ROOT = path.join(__dirname, '../../..');
const KEY = 'sk-queue-e2e-key-0001';
const RECEIVE_TOKEN = 'queue-receive-token-0123456789abcdef';
const CHANGES_TOKEN = 'queue-changes-token-0123456789abcdef';
const DEADLINE_TOKEN = 'queue-deadline-token-0123456789abcdef';
const INTERVAL_MS = 400;

const watchStream = { mode: 'watch', rtmpUrl: 'rtmp://camera.example.com:1935/live/kitchen', userPrompt: 'Describe the stove.', systemPrompt: 'You watch a kitchen.' };
const WATCH: WorkflowSpec = { id: 'mlvQueueWatch0001', webhookId: '6a1f0c1e-7b2d-4e01-9a55-4a1f6c00a001', trigger: { ...watchStream, emit: 'all' } };
const WATCH_MAX: WorkflowSpec = {
	id: 'mlvQueueWatchMax1',
	webhookId: '6a1f0c1e-7b2d-4e01-9a55-4a1f6c00a002',
	trigger: { ...watchStream, emit: 'all', maxDurationMinutes: 0.05 }, // 3 s
};
const WATCH_STATIC: WorkflowSpec = { id: 'mlvQueueWatchStat', webhookId: '6a1f0c1e-7b2d-4e01-9a55-4a1f6c00a003', trigger: { ...watchStream, emit: 'all' }, writesStaticData: true };
const RECEIVE: WorkflowSpec = { id: 'mlvQueueReceive01', webhookId: '6a1f0c1e-7b2d-4e01-9a55-4a1f6c00a004', trigger: { mode: 'receive', callbackToken: RECEIVE_TOKEN, emit: 'all' } };
const CHANGES: WorkflowSpec = { id: 'mlvQueueChanges01', webhookId: '6a1f0c1e-7b2d-4e01-9a55-4a1f6c00a005', trigger: { mode: 'receive', callbackToken: CHANGES_TOKEN, emit: 'changes' } };
/** The example "alert once when the pan boils over" (JSON fields, episodes of boiling_over), on the scripted kitchen. */
const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../examples/n8n/alert-once-pan-boils-over.json'), 'utf8')).nodes[0].parameters;
const BOIL: WorkflowSpec = {
	id: 'mlvQueueEpisodes1',
	webhookId: '6a1f0c1e-7b2d-4e01-9a55-4a1f6c00a006',
	// No cooldown (a time, which two processors each see half of) and no deadline: the test stops the stream after one cycle.
	trigger: { ...example, cooldownSeconds: 0, maxDurationMinutes: 0 },
};
const DEADLINE: WorkflowSpec = {
	id: 'mlvQueueDeadline1',
	webhookId: '6a1f0c1e-7b2d-4e01-9a55-4a1f6c00a007',
	trigger: { mode: 'receive', callbackToken: DEADLINE_TOKEN, emit: 'all' },
	credential: true,
};
const LOST_START: WorkflowSpec = { id: 'mlvQueueLostStar1', webhookId: '6a1f0c1e-7b2d-4e01-9a55-4a1f6c00a008', trigger: { ...watchStream, emit: 'all' } };

jest.setTimeout(20 * 60 * 1000);

const suiteStarted = Date.now();
let work: string;
let sandbox: Sandbox;
let sink: Sink;
let n8n: QueueN8n;
let api: Api;

const totals = () => (sandbox.engine.state() as { totals: { starts: number; stops: number; notFoundStops: number } }).totals;
/**
 * Every processor that found the stream due sends its own stop, some after the stream has ended:
 * until `count` stops since `before` are answered (at most 30 s), so none is still on its way when counted.
 */
async function stopsAnswered(before: ReturnType<typeof totals>, count: number) {
	const answered = () => totals().stops + totals().notFoundStops - before.stops - before.notFoundStops;
	const until = Date.now() + 30_000;
	while (answered() < count && Date.now() < until) {
		await sandbox.waitFor('api-request', (r) => r.operation === 'stop', until - Date.now()).catch(() => undefined);
	}
}
const log = (): LogEntry[] => n8n.balancer.log();
const sinkOf = (spec: WorkflowSpec) => sink.received.filter((r) => r.url === `/${spec.id}`);
/** Waits until the sandbox has no callback in flight, then until the workflow's executions all finished. */
async function settled(spec: WorkflowSpec) {
	await sandbox.engine.deliverer.settle();
	await n8n.waitForIdle(spec.id);
}
/** A callback as the service sends it, for a frame window no stream of the sandbox has (2025, not now). */
let frame = 0;
function result(taskId: string, text: string) {
	frame += 1;
	return { status: 0, task_id: taskId, data: { text, timestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, 0) + frame * 5000).toISOString() } };
}
/** Executions of the workflow holding the callback's frame window, after the queue drained. */
async function executionsOf(spec: WorkflowSpec, timestamps: string[]) {
	await n8n.waitForIdle(spec.id);
	const rows = await n8n.executionData(spec.id);
	return timestamps.map((ts) => rows.filter((r) => r.data.includes(`"${ts}"`)).length);
}
/** For what only the database can tell (n8n has no event for it). */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
/** The API key, both Receive tokens and the secret of every callback URL the sandbox was given. */
function secrets(): string[] {
	const tasks = (sandbox.engine.state() as { tasks: Array<{ callback: string }> }).tasks;
	const tokens = tasks.map((t) => new URL(t.callback).searchParams.get('token')).filter((t): t is string => !!t);
	return [...new Set([KEY, RECEIVE_TOKEN, CHANGES_TOKEN, DEADLINE_TOKEN, ...tokens])];
}
/** The tasks whose callback URL is the workflow's trigger's (started by it, or for it). */
const tasksOf = (spec: WorkflowSpec) =>
	(sandbox.engine.state() as { tasks: Array<{ taskId: string; callback: string; state: string; endReason?: string }> }).tasks.filter((t) => t.callback.includes(`/webhook/${spec.webhookId}/`));
const eventsAt = (spec: WorkflowSpec, taskId: string, event: string) =>
	sinkOf(spec).filter((r) => (r.json as { task_id?: string; event?: string }).task_id === taskId && (r.json as { event?: string }).event === event);
const startTask = (callback: string) => {
	const outcome = sandbox.engine.start(KEY, { rtmpUrl: 'rtmp://camera.example.com/live/elsewhere', userPrompt: 'Describe the hall.', systemPrompt: 'You watch a hall.', callback, thinking: false });
	if (!outcome.ok) throw new Error(`sandbox start: ${outcome.text}`);
	return outcome.taskId;
};
const pick = (a: Audit) => {
	const { perCallback, ...figures } = a;
	return figures;
};

beforeAll(async () => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-n8n-queue-'));
	const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' }))[0];
	sandbox = await startSandbox({ intervalMs: INTERVAL_MS, keys: [KEY] });
	sink = await startSink();
	n8n = await startQueueN8n({ packageDirs: [path.join(work, packed.filename)], webhookProcessors: 2, workers: 1, label: callbackLabel });

	const credentialFile = path.join(work, 'credentials.json');
	fs.writeFileSync(credentialFile, JSON.stringify([{ ...CREDENTIAL, type: 'memoriesLiveVideoApi', data: { apiKey: KEY, baseUrl: sandbox.url } }]));
	const imported = await n8n.cli(['import:credentials', `--input=${credentialFile}`]);
	fs.rmSync(credentialFile); // the API key in plain text: gone once n8n has it encrypted
	expect(imported.code).toBe(0);
	const workflowFile = path.join(work, 'workflows.json');
	fs.writeFileSync(workflowFile, JSON.stringify([WATCH, WATCH_MAX, WATCH_STATIC, RECEIVE, CHANGES, BOIL, DEADLINE, LOST_START].map((spec) => workflow(spec, sink.url))));
	expect((await n8n.cli(['import:workflow', `--input=${workflowFile}`])).code).toBe(0);
	api = await n8n.createOwnerAndApiKey();
});

afterAll(async () => {
	const leftover = sandbox?.activeTasks() ?? [];
	if (n8n) {
		// Every process' output and the balancer's log, for a failure's post-mortem (secrets masked, should a leak fail the suite).
		let text = `${n8n.logs()}\n----- balancer -----\n${log().map((e) => JSON.stringify(e)).join('\n')}\n`;
		for (const secret of secrets()) text = text.split(secret).join('<secret>');
		fs.mkdirSync(path.join(ROOT, 'build'), { recursive: true });
		fs.writeFileSync(path.join(ROOT, 'build/n8n-queue-e2e.log'), text);
	}
	const memory = n8n ? await n8n.stop() : {};
	if (n8n) {
		recordQueue('queue', {
			case: 'deployment',
			layout: 'Postgres 15 + Redis 7 (Debian), n8n 2.40.7: 1 main, 2 webhook processors behind a round-robin balancer, 1 worker',
			callbackIntervalMs: INTERVAL_MS,
			startupMs: n8n.startupMs,
			...memory,
			suiteMs: Date.now() - suiteStarted,
		});
		process.stdout.write(`queue suite: ${Math.round((Date.now() - suiteStarted) / 1000)} s, start-up ${JSON.stringify(n8n.startupMs)}, memory ${JSON.stringify(memory)}\n`);
	}
	await sandbox?.close();
	await sink?.close();
	if (work) fs.rmSync(work, { recursive: true, force: true });
	expect(leftover).toEqual([]);
});

describe('the queue-mode deployment', () => {
	it('runs main, two webhook processors and a worker on Postgres and Redis, webhooks round-robin behind the balancer', async () => {
		expect(n8n.processes.map((p) => [p.name, p.running()])).toEqual([
			['main', true],
			['webhook-1', true],
			['webhook-2', true],
			['worker-1', true],
		]);
		const since = Date.now();
		for (let i = 0; i < 4; i++) expect((await fetch(n8n.webhookUrl('no-such-webhook'), { method: 'POST' })).status).toBe(404);
		expect((await fetch(`${n8n.baseUrl}/healthz/readiness`)).status).toBe(200);
		expect(log()
			.filter((e) => e.at >= since)
			.map((e) => e.backend)).toEqual(['webhook-1', 'webhook-2', 'webhook-1', 'webhook-2', 'main']);
	});
});

describe('Watch a Stream in queue mode, through the balancer', () => {
	let taskId: string;
	const figures: Record<string, unknown> = {};

	it("starts exactly one stream on activation, whose callback URL is the balancer's", async () => {
		const before = totals().starts;
		await api.activateWorkflow(WATCH.id);
		const tasks = sandbox.activeTasks(KEY);
		expect(tasks).toHaveLength(1);
		expect(totals().starts - before).toBe(1);
		taskId = tasks[0].taskId;
		const lb = n8n.baseUrl.replace(/[.:/]/g, '\\$&');
		expect(tasks[0].callback).toMatch(new RegExp(`^${lb}/webhook/${WATCH.webhookId}/results\\?token=[A-Za-z0-9_-]{43}$`));
		expect(await n8n.webhookRows(WATCH.id)).toHaveLength(1);
	});

	it('spreads its callbacks over both webhook processors; the worker executes them', async () => {
		const answers = await deliveries(sandbox.engine, taskId, 8);
		expect(answers.map((d) => d.httpStatus)).toEqual(Array(8).fill(200));
		const backends = new Set(callbacksOf(log(), taskId).flatMap((c) => c.deliveries.map((d) => d.backend)));
		expect([...backends].sort()).toEqual(['webhook-1', 'webhook-2']);
		await n8n.waitForExecutions(WATCH.id, 4);
	});

	it('starts no second stream when main restarts, and callbacks are executed while main is down', async () => {
		const before = { starts: totals().starts, state: await n8n.staticData(WATCH.id) };
		await n8n.main.stop();
		const whileDown = await deliveries(sandbox.engine, taskId, 3);
		const restartMs = await n8n.main.start();
		expect(whileDown.map((d) => d.httpStatus)).toEqual([200, 200, 200]);
		expect(sandbox.activeTasks(KEY).map((t) => t.taskId)).toEqual([taskId]);
		await deliveries(sandbox.engine, taskId, 3);
		expect(sandbox.activeTasks(KEY).map((t) => t.taskId)).toEqual([taskId]);
		expect(totals().starts).toBe(before.starts);
		expect(await n8n.staticData(WATCH.id)).toEqual(before.state);
		Object.assign(figures, { callbacksAnsweredWhileMainDown: whileDown.length, mainRestartMs: restartMs, streamsStartedByRestart: totals().starts - before.starts });
	});

	it('loses no callback it answered 200 when a webhook processor is killed (SIGKILL) holding one', async () => {
		const [victim] = n8n.webhooks;
		// The moment the balancer has chosen the victim for one of this stream's callbacks, the victim is frozen
		// (SIGSTOP: it cannot answer, whatever this process' event loop does), gets the callback, and is killed.
		const killed = new Promise<string>((resolve) => {
			let label = '';
			const onDispatch = (entry: LogEntry, backend: string) => {
				if (label || backend !== victim.name || !entry.label?.startsWith(`${taskId}|`)) return;
				label = entry.label;
				process.kill(-(victim.pgid() as number), 'SIGSTOP');
			};
			const onForward = (entry: LogEntry, backend: string) => {
				if (!label || entry.label !== label || backend !== victim.name) return;
				n8n.balancer.events.off('dispatch', onDispatch);
				n8n.balancer.events.off('forward', onForward);
				void victim.stop({ signal: 'SIGKILL' });
				resolve(label);
			};
			n8n.balancer.events.on('dispatch', onDispatch);
			n8n.balancer.events.on('forward', onForward);
		});
		const killedLabel = await killed;
		await victim.stop({ signal: 'SIGKILL' });
		const afterKill = await deliveries(sandbox.engine, taskId, 6);
		// The callback the victim held is answered 502 by the balancer (never sent to another: it was received);
		// the next ones find the victim's port closed and go to webhook-2.
		expect(log().find((e) => e.label === killedLabel)).toMatchObject({ backend: victim.name, status: 502 });
		expect(afterKill.filter((d) => d.httpStatus !== 200).length).toBeLessThanOrEqual(1);
		const restartedAt = Date.now();
		const restartMs = await victim.start();
		const backAt = Date.now();
		while (!log().some((e) => e.at >= restartedAt && e.backend === victim.name && e.status === 200 && e.label?.startsWith(`${taskId}|`))) {
			await deliveries(sandbox.engine, taskId, 1);
		}
		const counters = Object.fromEntries(n8n.balancer.counters().map((c) => [c.name, c]));
		Object.assign(figures, {
			killedMidCallbackAnsweredWith: log().find((e) => e.label === killedLabel)?.status,
			requestsFailedOverFromKilledProcessor: counters[victim.name].failedOver,
			webhookProcessorRestartMs: restartMs,
			backInRotationAfterMs: Date.now() - backAt,
			balancer: n8n.balancer.counters().map((c) => ({ backend: c.name, requests: c.requests, byStatus: c.byStatus, errors: c.errors })),
		});
	});

	it('stops the stream on deactivation', async () => {
		figures.deactivatedAt = Date.now();
		await api.deactivateWorkflow(WATCH.id);
		expect(sandbox.activeTasks(KEY)).toHaveLength(0);
		expect(sandbox.task(taskId)).toMatchObject({ state: 'stopped', endReason: 'stopped' });
		expect(await n8n.webhookRows(WATCH.id)).toHaveLength(0);
	});

	it('executed every callback it answered 200 exactly once (executions counted in Postgres)', async () => {
		await settled(WATCH);
		const result = await audit(n8n, WATCH.id, callbacksOf(log(), taskId), sinkOf(WATCH));
		expect(result.answered200).toBeGreaterThanOrEqual(20);
		expect(result.answered200NotExecuted).toBe(0);
		expect(result.executedMoreThanOnce).toBe(0);
		expect(result.executedOnce).toBe(result.answered200);
		expect(result.executionsNotSucceeded).toBe(0);
		expect(result.sinkArrivals).toBe(result.executions);
		expect(result.sinkDuplicates).toBe(0);
		expect(result.notAnsweredButExecuted).toBe(0); // the killed processor never read the callback it held
		expect(sandbox.deliveries({ taskId }).length).toBe(result.deliveries);
		// n8n deletes the webhook rows before it runs the trigger's delete() (the stop): what arrives meanwhile is a 404.
		const refusedWhileDeactivating = log().filter((e) => e.at >= (figures.deactivatedAt as number) && e.label?.startsWith(`${taskId}|`) && e.status === 404).length;
		delete figures.deactivatedAt;
		recordQueue('queue-watch', {
			case: 'Watch a Stream, emit all: activation, main restart, webhook processor SIGKILL, deactivation',
			...pick(result),
			...figures,
			answered404WhileDeactivating: refusedWhileDeactivating,
		});
	});
});

describe('Receive mode in queue mode, through the balancer', () => {
	const receiveUrl = (spec: WorkflowSpec, token: string, on?: number) => n8n.webhookUrl(`${spec.webhookId}/results?token=${token}`, { on });
	const prefix = `/webhook/${RECEIVE.webhookId}/`;
	const duplicates: Record<string, unknown> = {};

	beforeAll(async () => {
		await api.activateWorkflow(RECEIVE.id);
		await api.activateWorkflow(CHANGES.id);
	});
	afterAll(async () => {
		n8n.balancer.unpin();
		sandbox.clearFaults();
		await api.deactivateWorkflow(RECEIVE.id);
		await api.deactivateWorkflow(CHANGES.id);
		recordQueue('queue-duplicates', { case: 'the same callback twice (Receive mode, Ignore Duplicates on)', ...duplicates });
	});

	it('executes every callback of a stream it answered 200 exactly once', async () => {
		const taskId = startTask(receiveUrl(RECEIVE, RECEIVE_TOKEN));
		await deliveries(sandbox.engine, taskId, 12);
		expect(sandbox.engine.stop(KEY, taskId)).toBe(true);
		await settled(RECEIVE);
		const callbacks = callbacksOf(log(), taskId);
		const result = await audit(n8n, RECEIVE.id, callbacks, sinkOf(RECEIVE));
		expect(result.answered200).toBe(result.callbacks);
		expect(result.executedOnce).toBe(result.answered200);
		expect(result.executedMoreThanOnce + result.answered200NotExecuted + result.executionsNotSucceeded + result.sinkDuplicates).toBe(0);
		expect(new Set(callbacks.map((c) => c.deliveries[0].backend)).size).toBe(2);
		recordQueue('queue-receive', { case: 'Receive mode, emit all, a stream started elsewhere', ...pick(result) });
	});

	it('measures: the same callback on two webhook processors runs twice (the duplicate guard is per process), on one processor once', async () => {
		// Sent straight to the processors: twice to webhook-1, then once to each.
		const same = result('direct-duplicates', 'A person walks into view from the left.');
		const spread = result('direct-duplicates', 'A person is stirring the pan.');
		const answers = [
			await sendCallback(receiveUrl(RECEIVE, RECEIVE_TOKEN, 0), same),
			await sendCallback(receiveUrl(RECEIVE, RECEIVE_TOKEN, 0), same),
			await sendCallback(receiveUrl(RECEIVE, RECEIVE_TOKEN, 0), spread),
			await sendCallback(receiveUrl(RECEIVE, RECEIVE_TOKEN, 1), spread),
		];
		expect(answers).toEqual([200, 200, 200, 200]);
		expect(await executionsOf(RECEIVE, [same.data.timestamp, spread.data.timestamp])).toEqual([1, 2]);

		// The sandbox's duplicate delivery fault through the balancer: round-robin, then with the path pinned.
		const measure = async (pinned: boolean) => {
			if (pinned) n8n.balancer.pin(prefix, 0);
			const taskId = startTask(receiveUrl(RECEIVE, RECEIVE_TOKEN));
			sandbox.injectFault({ on: 'callback', kind: 'duplicate', taskId, times: 6 });
			await deliveries(sandbox.engine, taskId, 12);
			sandbox.engine.stop(KEY, taskId);
			sandbox.clearFaults();
			n8n.balancer.unpin();
			await settled(RECEIVE);
			const callbacks = callbacksOf(log(), taskId).filter((c) => c.deliveries.length === 2);
			expect(callbacks.length).toBeGreaterThanOrEqual(5);
			const { perCallback } = await audit(n8n, RECEIVE.id, callbacks, sinkOf(RECEIVE));
			// Exactly the per-process rule: one execution per webhook processor that got a copy.
			for (const c of perCallback) expect(c.executions).toBe(c.processors);
			return {
				duplicatedCallbacks: perCallback.length,
				onTwoProcessors: perCallback.filter((c) => c.processors === 2).length,
				executions: perCallback.reduce((n, c) => n + c.executions, 0),
			};
		};
		const roundRobin = await measure(false);
		const sticky = await measure(true);
		expect(roundRobin.onTwoProcessors).toBe(roundRobin.duplicatedCallbacks);
		expect(roundRobin.executions).toBe(2 * roundRobin.duplicatedCallbacks);
		expect(sticky).toMatchObject({ onTwoProcessors: 0, executions: sticky.duplicatedCallbacks });
		Object.assign(duplicates, {
			sentTwiceToOneProcessor: { deliveries: 2, executions: 1 },
			sentToEachProcessor: { deliveries: 2, executions: 2 },
			sandboxDuplicatesRoundRobin: roundRobin,
			sandboxDuplicatesPinnedToOneProcessor: sticky,
		});
	});

	it('measures: "only on change" decides per webhook processor: behind round-robin, repeats pass and a change can be lost', async () => {
		const A = 'The scene is calm; nothing has changed.';
		const B = 'The pan is boiling over and liquid spills onto the stove.';
		const C = 'Smoke is visible above the stove.';
		const sequences = { pairs: [A, A, B, B, C, C], back: [A, B, A] };
		const changesPrefix = `/webhook/${CHANGES.webhookId}/`;
		const rows: Array<Record<string, unknown>> = [];
		for (const routing of ['round-robin', 'pinned'] as const) {
			for (const [name, texts] of Object.entries(sequences)) {
				if (routing === 'pinned') n8n.balancer.pin(changesPrefix, 0);
				const taskId = `changes-${name}-${routing}`;
				const since = Date.now();
				const sent = [];
				for (const text of texts) {
					const callback = result(taskId, text);
					expect(await sendCallback(receiveUrl(CHANGES, CHANGES_TOKEN), callback)).toBe(200);
					sent.push(callback);
				}
				n8n.balancer.unpin();
				const backends = sent.map((c) => log().find((e) => e.at >= since && e.label === `${taskId}|${c.data.timestamp}|0`)?.backend ?? '?');
				const emitted = (await executionsOf(CHANGES, sent.map((c) => c.data.timestamp))).map((n) => n > 0);
				const perProcessor = onlyOnChange(texts.map((text, i) => ({ text, backend: backends[i] })), true);
				const exact = onlyOnChange(texts.map((text) => ({ text, backend: 'one' })), false);
				expect(emitted).toEqual(perProcessor);
				if (routing === 'pinned') expect(emitted).toEqual(exact);
				rows.push({
					routing,
					sequence: name,
					texts: texts.map((t) => 'ABC'[[A, B, C].indexOf(t)]).join(''),
					processors: backends.map((b) => b.replace('webhook-', '')).join(''),
					exactEmits: exact.filter(Boolean).length,
					emitted: emitted.filter(Boolean).length,
					extra: emitted.filter((e, i) => e && !exact[i]).length,
					lost: emitted.filter((e, i) => !e && exact[i]).length,
				});
			}
		}
		const roundRobin = rows.filter((r) => r.routing === 'round-robin');
		// Alternating processors: every repeat of a pair passes, and "back to A" is lost (webhook-1 saw A last).
		expect(roundRobin.map((r) => [r.sequence, r.extra, r.lost])).toEqual([
			['pairs', 3, 0],
			['back', 0, 1],
		]);
		recordQueue('queue-only-on-change', { case: '"only on change" (Emit: changes), Receive mode', sequences: rows });
	});
});

describe('Maximum duration in queue mode', () => {
	it('stops the stream once, with one stream-ended item, though both webhook processors see it reached', async () => {
		// Every callback twice: each copy goes to another processor, both find the duration reached and stop.
		sandbox.injectFault({ on: 'callback', kind: 'duplicate', times: 1000 });
		const before = totals();
		await api.activateWorkflow(WATCH_MAX.id);
		const [task] = sandbox.activeTasks(KEY);
		const ended = await sandbox.waitFor('task-ended', (t) => t.taskId === task.taskId, 60_000);
		sandbox.clearFaults();
		expect(ended).toMatchObject({ endReason: 'stopped' });
		// The stream-ended execution is created by the processor whose stop ended the stream, after
		// that stop: awaited at the sink, then (everything drained) counted.
		const isEnded = (r: SinkRequest) => r.url === `/${WATCH_MAX.id}` && (r.json as { event?: string }).event === 'stream_ended';
		await sink.waitFor(1, isEnded, 30_000);
		await settled(WATCH_MAX);
		await stopsAnswered(before, 2);
		const afterStop = totals();
		const endedItems = sinkOf(WATCH_MAX).filter(isEnded);
		expect(endedItems).toHaveLength(1);
		expect(endedItems[0].json).toMatchObject({ task_id: task.taskId, ended: true, reason: 'max_duration', status: 14 });
		expect(afterStop.stops - before.stops).toBe(1);
		expect(afterStop.notFoundStops - before.notFoundStops).toBeGreaterThanOrEqual(1);
		await api.deactivateWorkflow(WATCH_MAX.id); // its stop finds the task gone: "already stopped", not an error
		expect(sandbox.activeTasks(KEY)).toHaveLength(0);
		const callbacks = callbacksOf(log(), task.taskId);
		recordQueue('queue-max-duration', {
			case: 'Maximum Duration 0.05 min (3 s), every callback delivered twice (one copy per processor)',
			stopRequests: afterStop.stops + afterStop.notFoundStops - before.stops - before.notFoundStops,
			streamsStopped: afterStop.stops - before.stops,
			streamEndedItems: endedItems.length,
			resultCallbacks: callbacks.length,
			resultItemsAtSink: sinkOf(WATCH_MAX).length - endedItems.length,
		});
	});
});

describe('episodes in queue mode (the example: Watch a Stream, JSON fields, episodes of boiling_over, on the scripted kitchen)', () => {
	const script = scenario('boil')!;
	const options = { startAfter: example.startAfterWindows as number, endAfter: example.endAfterWindows as number };
	const runs: Record<string, unknown>[] = [];

	/** Stops the stream (as the sandbox's API would) the moment frame window `frames` was answered. */
	function stopAfterFrame(taskId: string, frames: number): Promise<void> {
		return new Promise((resolve) => {
			const listener = (record: { taskId: string; frame: number }) => {
				if (record.taskId !== taskId || record.frame < frames) return;
				sandbox.engine.off('delivery', listener);
				sandbox.engine.stop(KEY, taskId);
				resolve();
			};
			sandbox.engine.on('delivery', listener);
			const last = sandbox.deliveries({ taskId }).at(-1);
			if (last) listener(last);
		});
	}

	/** One activation for one cycle of the script (two real episodes, both over before it ends); what reached the sink. */
	async function run(routing: 'round-robin' | 'pinned') {
		if (routing === 'pinned') n8n.balancer.pin(`/webhook/${BOIL.webhookId}/`, 0);
		await api.activateWorkflow(BOIL.id);
		const [task] = tasksOf(BOIL).filter((t) => t.state === 'running');
		await stopAfterFrame(task.taskId, script.cycle);
		await api.deactivateWorkflow(BOIL.id); // its stop finds the task gone
		n8n.balancer.unpin();
		await settled(BOIL);
		const delivered = sandbox.deliveries({ taskId: task.taskId });
		const frameOf = new Map(delivered.map((d) => [d.timestampMs, d.frame]));
		const framesOn: Record<string, number[]> = {};
		for (const c of callbacksOf(log(), task.taskId)) {
			for (const d of c.deliveries.filter((x) => x.status === 200)) (framesOn[d.backend ?? '?'] ??= []).push(frameOf.get(Date.parse(c.timestamp)) as number);
		}
		const seen = Object.values(framesOn).flat();
		expect(seen.every((f) => f !== undefined)).toBe(true);
		expect(seen.sort((a, b) => a - b)).toEqual(delivered.map((d) => d.frame));
		const perProcessor = Object.fromEntries(Object.entries(framesOn).map(([backend, frames]) => [backend, episodesSeen(script, frames, options)]));
		const emitted = { started: eventsAt(BOIL, task.taskId, 'episode_started').length, ended: eventsAt(BOIL, task.taskId, 'episode_ended').length };
		expect(eventsAt(BOIL, task.taskId, 'episode_ended').map((r) => (r.json as { reason?: string }).reason)).toEqual(Array(emitted.ended).fill('condition_cleared'));
		const figures = {
			routing,
			frames: delivered.length,
			realEpisodes: scenarioEpisodes(script, delivered.length),
			exact: episodesSeen(script, delivered.map((d) => d.frame), options),
			emitted,
			processors: Object.keys(framesOn).length,
			perProcessorPrediction: Object.values(perProcessor).reduce((sum, c) => ({ started: sum.started + c.started, ended: sum.ended + c.ended }), { started: 0, ended: 0 }),
		};
		runs.push(figures);
		return figures;
	}

	afterAll(() => {
		n8n.balancer.unpin();
		recordQueue('queue-episodes', {
			case: 'Episodes (the example, cooldown 0), one cycle of ?scenario=boil per run, round-robin vs the path pinned to one processor',
			runs,
		});
	});

	it('measures: behind round-robin each processor runs its own episode machine: every real episode starts and ends once per processor', async () => {
		const figures = await run('round-robin');
		expect(figures.frames).toBe(script.cycle);
		expect(figures.processors).toBe(2);
		expect(figures.exact).toEqual({ started: figures.realEpisodes, ended: figures.realEpisodes });
		// Exactly the per-process rule: the episodes each processor finds in the windows it got, summed.
		expect(figures.emitted).toEqual(figures.perProcessorPrediction);
		expect(figures.emitted.started).toBeGreaterThan(figures.exact.started);
	});

	it('with the path pinned to one webhook processor: exact, one start and one end per real episode', async () => {
		const figures = await run('pinned');
		expect(figures.processors).toBe(1);
		expect(figures.realEpisodes).toBe(script.episodesPerCycle);
		expect(figures.emitted).toEqual(figures.exact);
		expect(figures.emitted).toEqual({ started: figures.realEpisodes, ended: figures.realEpisodes });
	});
});

describe('Stop After in queue mode: a deadline in the callback URL, Receive mode, every callback on both processors', () => {
	const deadlineUrl = (spec: WorkflowSpec, token: string, stopAtS: number) => `${n8n.webhookUrl(`${spec.webhookId}/results?token=${token}`)}&stop_at=${stopAtS}`;
	beforeAll(async () => {
		await api.activateWorkflow(DEADLINE.id);
		await api.activateWorkflow(RECEIVE.id);
	});
	afterAll(async () => {
		sandbox.clearFaults();
		await api.deactivateWorkflow(DEADLINE.id);
		await api.deactivateWorkflow(RECEIVE.id);
	});

	it('with the credential: the stream is stopped at its first result past the deadline, once, with one stream-ended item', async () => {
		const before = totals();
		const stopAt = Math.ceil(Date.now() / 1000) + 2;
		const taskId = startTask(deadlineUrl(DEADLINE, DEADLINE_TOKEN, stopAt));
		sandbox.injectFault({ on: 'callback', kind: 'duplicate', taskId, times: 1000 });
		const ended = await sandbox.waitFor('task-ended', (t) => t.taskId === taskId, 30_000);
		sandbox.clearFaults();
		expect(ended).toMatchObject({ state: 'stopped', endReason: 'stopped' });
		// Queued after the stop, which follows the 200 (as for Maximum Duration above).
		await sink.waitFor(1, (r) => r.url === `/${DEADLINE.id}` && (r.json as { task_id?: string; event?: string }).task_id === taskId && (r.json as { event?: string }).event === 'stream_ended', 30_000);
		await settled(DEADLINE);
		await stopsAnswered(before, 2);
		const after = totals();
		const endedItems = eventsAt(DEADLINE, taskId, 'stream_ended');
		expect(endedItems).toHaveLength(1);
		expect(endedItems[0].json).toMatchObject({ task_id: taskId, ended: true, reason: 'max_duration' });
		expect(after.stops - before.stops).toBe(1);
		expect(after.notFoundStops - before.notFoundStops).toBeGreaterThanOrEqual(1);
		const callbacks = callbacksOf(log(), taskId);
		const pastDeadline = callbacks.filter((c) => c.deliveries.length === 2 && Date.parse(c.timestamp) >= stopAt * 1000);
		expect(pastDeadline.length).toBeGreaterThanOrEqual(1);
		for (const c of pastDeadline) expect(new Set(c.deliveries.map((d) => d.backend)).size).toBe(2);
		expect(tasksOf(DEADLINE).filter((t) => t.state === 'running')).toEqual([]);
		recordQueue('queue-stop-after', {
			case: 'Stop After: stop_at 2 s ahead in the callback URL (a stream started elsewhere), Receive mode with the credential, every callback delivered twice',
			stoppedAfterDeadlineMs: Date.parse(ended.endedAt as string) - stopAt * 1000,
			stopRequests: after.stops + after.notFoundStops - before.stops - before.notFoundStops,
			streamsStopped: after.stops - before.stops,
			streamEndedItems: endedItems.length,
			resultItemsAtSink: eventsAt(DEADLINE, taskId, 'result').length,
			callbacksPastDeadlineOnBothProcessors: pastDeadline.length,
		});
	});

	it('without the credential: nothing is stopped, the results past the deadline are received, each processor warns in its log', async () => {
		const stopAt = Math.floor(Date.now() / 1000) - 60;
		const taskId = startTask(deadlineUrl(RECEIVE, RECEIVE_TOKEN, stopAt));
		sandbox.injectFault({ on: 'callback', kind: 'duplicate', taskId, times: 4 });
		const answers = await deliveries(sandbox.engine, taskId, 10);
		expect(answers.map((d) => d.httpStatus)).toEqual(Array(10).fill(200));
		expect(sandbox.task(taskId)?.state).toBe('running');
		const warning = `received a result of stream ${taskId} past its Stop After deadline`;
		const warnings = await until("each processor's warning", async () => {
			const counts = n8n.webhooks.map((w) => w.logs().split(warning).length - 1);
			return counts.every((n) => n > 0) ? counts : undefined;
		});
		expect(warnings).toEqual([1, 1]); // once a minute per processor
		expect(sandbox.engine.stop(KEY, taskId)).toBe(true);
		await settled(RECEIVE);
		const results = eventsAt(RECEIVE, taskId, 'result').length;
		expect(results).toBeGreaterThanOrEqual(6);
		recordQueue('queue-stop-after-no-credential', {
			case: 'Stop After: stop_at 60 s past, Receive mode without the credential',
			callbacksAnswered200: answers.length,
			resultItemsAtSink: results,
			streamStoppedByTrigger: false,
			warningsPerProcessor: warnings,
		});
	});
});

describe('a lost start answer at activation in queue mode', () => {
	it("leaves one stream running, the one static data records: the other's callbacks reach a webhook processor, which stops it", async () => {
		const before = totals();
		const logFrom = n8n.main.logs().length;
		sandbox.injectFault({ on: 'start', kind: 'reset', handled: true });
		const activatedAt = Date.now();
		await api.activateWorkflow(LOST_START.id);
		const activationMs = Date.now() - activatedAt;
		const recorded = ((await n8n.staticData(LOST_START.id))?.[`node:${TRIGGER}`] as { taskId?: string } | undefined)?.taskId;
		expect(recorded).toEqual(expect.any(String));
		const started = tasksOf(LOST_START);
		const others = started.filter((t) => t.taskId !== recorded);
		await Promise.all(others.filter((t) => t.state === 'running').map((t) => sandbox.waitFor('task-ended', (e) => e.taskId === t.taskId, 60_000)));
		const settledMs = Date.now() - activatedAt;
		expect(tasksOf(LOST_START).filter((t) => t.state === 'running').map((t) => t.taskId)).toEqual([recorded]);
		expect(n8n.main.logs().slice(logFrom)).toMatch(/Memories\.ai Live Video Trigger "Memories\.ai Live Video Trigger" in workflow "queue mlvQueueLostStar1" \(mlvQueueLostStar1\): the answer to Start was lost/);
		// The lost attempt's results carry the activation's secret: refused until the activation recorded its task, then they stop it.
		const lostCallbacks = others.flatMap((t) => callbacksOf(log(), t.taskId));
		const figures = {
			case: 'Watch a Stream: the first start handled, its answer lost (connection reset)',
			tasksStarted: totals().starts - before.starts,
			stoppedAsHidden: others.filter((t) => sandbox.task(t.taskId)?.endReason === 'stopped').length,
			runningAfter: tasksOf(LOST_START).filter((t) => t.state === 'running').length,
			activationMs,
			settledMs,
			lostTaskCallbacks: lostCallbacks.length,
			lostTaskCallbacksAnswered: Object.fromEntries([...new Set(lostCallbacks.map((c) => c.deliveries[0].status))].map((st) => [st, lostCallbacks.filter((c) => c.deliveries[0].status === st).length])),
		};
		// Main serves no webhooks here: the stop came from a webhook processor that accepted one of the lost stream's results.
		expect(lostCallbacks.some((c) => c.deliveries.some((d) => d.status === 200 && d.backend?.startsWith('webhook-')))).toBe(true);
		await api.deactivateWorkflow(LOST_START.id);
		expect(tasksOf(LOST_START).filter((t) => t.state === 'running')).toEqual([]);
		expect(figures).toMatchObject({ runningAfter: 1 });
		recordQueue('queue-lost-start', figures);
	});
});

describe('workflow static data in queue mode', () => {
	it("measures: a node that writes static data in the worker erases the trigger's state: later callbacks are refused and deactivation cannot stop the stream", async () => {
		await api.activateWorkflow(WATCH_STATIC.id);
		const [task] = sandbox.activeTasks(KEY);
		const key = `node:${TRIGGER}`;
		expect((await n8n.staticData(WATCH_STATIC.id))?.[key]).toMatchObject({ taskId: task.taskId });
		await n8n.waitForExecutions(WATCH_STATIC.id, 1);
		const after = await until('static data saved by the worker', async () => {
			const data = await n8n.staticData(WATCH_STATIC.id);
			return data?.global ? data : undefined;
		});
		// The worker ran the execution with empty static data and saved it whole: the Code node's value only.
		expect(after).toEqual({ global: { lastText: expect.any(String) } });
		const later = await deliveries(sandbox.engine, task.taskId, 4);
		expect(later.slice(1).map((d) => d.httpStatus)).toEqual([401, 401, 401]);
		await api.deactivateWorkflow(WATCH_STATIC.id);
		const orphaned = sandbox.task(task.taskId);
		expect(orphaned?.state).toBe('running');
		// What n8n could not do: stop the billing stream.
		expect(sandbox.engine.stop(KEY, task.taskId)).toBe(true);
		await settled(WATCH_STATIC);
		recordQueue('queue-static-data', {
			case: 'Watch trigger + a Code node writing $getWorkflowStaticData in the worker',
			triggerStateAfterFirstExecution: after?.[key] === undefined ? 'erased' : 'kept',
			laterCallbacksAnswered: later.slice(1).map((d) => d.httpStatus).join(', '),
			streamRunningAfterDeactivation: orphaned?.state === 'running',
			executions: (await n8n.listExecutions(WATCH_STATIC.id)).length,
		});
	});
});

describe('secrets in queue mode', () => {
	it('the API key and the callback secrets appear in no log of any process, nor in the balancer log, execution data or static data', async () => {
		const places = [
			{ place: 'output of main, webhook processors, worker, postgres, redis', text: n8n.logs() },
			...n8n.logFiles().map((f) => ({ place: path.basename(f.file), text: f.text })),
			{ place: 'balancer log', text: JSON.stringify(log()) },
			{ place: 'execution data', text: JSON.stringify(await n8n.sql('SELECT data FROM execution_data')) },
			{ place: 'static data', text: JSON.stringify(await n8n.sql('SELECT "staticData" FROM workflow_entity')) },
		];
		const hits = places.flatMap(({ place, text }) => secrets().filter((s) => text.includes(s)).map((s) => `${place}: ${s.slice(0, 6)}…`));
		expect(hits).toEqual([]);
		recordQueue('queue-leaks', {
			case: 'API key, Receive tokens and every Watch callback secret',
			secrets: secrets().length,
			places: places.length,
			bytesSearched: places.reduce((n, p) => n + p.text.length, 0),
			hits: hits.length,
		});
	});
});
