// The programmatic face of the sandbox, for tests, benchmarks and the CLI.
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';

import { DeliveryRecord } from './delivery';
import { Engine, EngineEvents, TaskIdStyle, TaskInfo } from './engine';
import { Fault, faultProblem } from './faults';
import { startForeignListener } from './foreign';
import { BusinessErrorHttp, SandboxHttp } from './http';
import { ApiRequestRecord, ForeignRequestRecord } from './recent';
import { Scenario, SCENARIOS } from './scenarios';
import { variantsProblem } from './variants';

export interface SandboxOptions {
	/** 0 (default) picks a free port. */
	port?: number;
	host?: string;
	/** Time between callbacks of one task (the real service: about 5000 ms). */
	intervalMs?: number;
	/** Accepted API keys. */
	keys?: readonly string[];
	/** Credit balance of each key; `null` or omitted: unlimited. */
	credits?: number | null;
	/** Credits deducted per task and frame window. */
	creditsPerInterval?: number;
	/** How long a receiver may take to answer a callback. */
	callbackTimeoutMs?: number;
	/** Whether business errors come with HTTP 200 (default) or a matching HTTP error status. */
	businessErrorHttp?: BusinessErrorHttp;
	/** Receives one line per notable event; default: silent. */
	log?: (line: string) => void;
	/** `uuid` (default, as documented) or `numeric`: digits, as a backend with numeric keys issues them. */
	taskIds?: TaskIdStyle;
	/**
	 * Delivery variants every callback of the run is sent with (see variants.ts and README), e.g.
	 * `['text_plain', 'ts_no_zone']`; a callback fault of kind `variant` replaces them per dimension.
	 * Default: none, the documented shape.
	 */
	deliveryVariants?: readonly string[];
	/** Port of the foreign listener that redirect faults point to; 0 (default) picks a free one. */
	foreignPort?: number;
}

export const DEFAULT_KEY = 'sk-sandbox-key';

export interface Sandbox {
	/** e.g. `http://127.0.0.1:4010`: use it as the Base URL. */
	readonly url: string;
	readonly port: number;
	readonly keys: readonly string[];
	readonly engine: Engine;
	/** The HTTP server of the API (e.g. to count its 'connection' events). */
	readonly server: Server;
	/** The foreign listener's origin (another port of the same host): where redirect faults point. */
	readonly foreignUrl: string;
	readonly taskIds: TaskIdStyle;
	readonly deliveryVariants: readonly string[];
	activeTasks(key?: string): TaskInfo[];
	task(taskId: string): TaskInfo | undefined;
	deliveries(filter?: { taskId?: string; limit?: number }): DeliveryRecord[];
	/** API calls on the Base URL, oldest first, each once answered (or closed unanswered). */
	apiRequests(limit?: number): ApiRequestRecord[];
	/** Requests that reached the foreign listener (e.g. a client that followed a redirect). */
	foreignRequests(): ForeignRequestRecord[];
	/** The scripted scenarios an RTMP URL can choose with `?scenario=<name>`. */
	scenarios(): readonly Scenario[];
	injectFault(fault: Fault): number;
	clearFaults(): void;
	/** Simulates the source ending: a final callback with `status` (default -1), then the task ends. */
	endTask(taskId: string, status?: number, text?: string): boolean;
	setCredits(key: string, credits: number | null): boolean;
	reset(): void;
	/** Resolves on the next event for which `predicate` holds (no polling, no sleeps). */
	waitFor<E extends keyof EngineEvents>(
		event: E,
		predicate?: (...args: EngineEvents[E]) => boolean,
		timeoutMs?: number,
	): Promise<EngineEvents[E][0]>;
	close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
	const keys = options.keys && options.keys.length > 0 ? [...options.keys] : [DEFAULT_KEY];
	const log = options.log ?? (() => undefined);
	const taskIds = options.taskIds ?? 'uuid';
	if (taskIds !== 'uuid' && taskIds !== 'numeric') throw new Error('taskIds is uuid or numeric');
	const deliveryVariants = [...(options.deliveryVariants ?? [])];
	if (deliveryVariants.length > 0) {
		const problem = variantsProblem(deliveryVariants, 'callback', taskIds === 'numeric');
		if (problem) throw new Error(`deliveryVariants: ${problem}`);
	}
	const engine = new Engine({
		intervalMs: options.intervalMs ?? 5000,
		keys,
		credits: options.credits ?? null,
		creditsPerInterval: options.creditsPerInterval ?? 1,
		callbackTimeoutMs: options.callbackTimeoutMs ?? 10000,
		log,
		taskIds,
		deliveryVariants,
	});
	engine.setMaxListeners(0);
	const host = options.host ?? '127.0.0.1';
	const foreign = await startForeignListener(engine, host, options.foreignPort ?? 0, log);
	const http = new SandboxHttp(engine, options.businessErrorHttp ?? 'ok', log, (to) =>
		to === 'localhost' ? `http://localhost:${foreign.port}` : foreign.url,
	);
	const server: Server = createServer(http.handle);
	server.keepAliveTimeout = 30000;
	try {
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(options.port ?? 0, host, () => resolve());
		});
	} catch (error) {
		await foreign.close();
		throw error;
	}
	const { port } = server.address() as AddressInfo;
	const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

	return {
		url,
		port,
		keys,
		engine,
		server,
		foreignUrl: foreign.url,
		taskIds,
		deliveryVariants,
		activeTasks: (key) => engine.activeTasks(key),
		task: (taskId) => engine.task(taskId),
		deliveries: (filter) => engine.deliverer.list(filter),
		apiRequests: (limit) => engine.apiRequests.list(limit),
		foreignRequests: () => engine.foreignRequests.list(),
		scenarios: () => SCENARIOS,
		injectFault(fault) {
			const problem = faultProblem(fault, taskIds === 'numeric');
			if (problem) throw new Error(problem);
			return engine.faults.add(fault);
		},
		clearFaults: () => engine.faults.clear(),
		endTask: (taskId, status, text) => engine.endTask(taskId, status, text),
		setCredits: (key, credits) => engine.setCredits(key, credits),
		reset: () => engine.reset(),
		waitFor(event, predicate, timeoutMs = 15000) {
			return new Promise((resolve, reject) => {
				const listener = (...args: unknown[]) => {
					if (predicate && !(predicate as (...a: unknown[]) => boolean)(...args)) return;
					clearTimeout(timer);
					engine.off(event, listener as never);
					resolve(args[0] as never);
				};
				const timer = setTimeout(() => {
					engine.off(event, listener as never);
					reject(new Error(`sandbox: no "${event}" event within ${timeoutMs} ms`));
				}, timeoutMs);
				engine.on(event, listener as never);
			});
		},
		async close() {
			await engine.close();
			await new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			});
			await foreign.close();
		},
	};
}
