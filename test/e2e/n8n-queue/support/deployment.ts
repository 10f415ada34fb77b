// The queue-mode deployment the suite runs against (scripts/lib/n8n-queue-host.js, a JavaScript module typed here
// for what the tests use), and the workflows it imports.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const queueHost = require('../../../../scripts/lib/n8n-queue-host');

export interface LogEntry {
	at: number;
	method: string;
	path: string;
	backend: string | null;
	attempts: string[];
	status: number;
	ms: number;
	label?: string;
	pinned: boolean;
}

export interface BackendCounters {
	name: string;
	requests: number;
	byStatus: Record<string, number>;
	errors: Record<string, number>;
	failedOver: number;
	down: boolean;
}

export interface Balancer {
	url: string;
	events: import('events').EventEmitter;
	counters(): BackendCounters[];
	log(filter?: { since?: number; prefix?: string }): LogEntry[];
	pin(prefix: string, index: number): void;
	unpin(prefix?: string): void;
}

export interface QueueProcess {
	name: string;
	role: 'main' | 'webhook' | 'worker';
	url: string;
	logs(): string;
	pid(): number | undefined;
	pgid(): number | undefined;
	running(): boolean;
	start(): Promise<number>;
	stop(opts?: { signal?: NodeJS.Signals }): Promise<void>;
	restart(opts?: { signal?: NodeJS.Signals }): Promise<number>;
}

export interface ExecutionRow {
	id: string;
	workflowId: string;
	mode: string;
	status: string;
	startedAt: string | null;
	stoppedAt: string | null;
}

export interface Api {
	apiKey: string;
	activateWorkflow(id: string): Promise<unknown>;
	deactivateWorkflow(id: string): Promise<unknown>;
}

export interface QueueN8n {
	baseUrl: string;
	balancer: Balancer;
	processes: QueueProcess[];
	main: QueueProcess;
	webhooks: QueueProcess[];
	workers: QueueProcess[];
	startupMs: Record<string, number>;
	memory(): Record<string, unknown> & { peakRssMiB: number; peakPssMiB: number };
	logs(): string;
	logFiles(): Array<{ file: string; text: string }>;
	sql(query: string, params?: unknown[]): Promise<Record<string, any>[]>;
	listExecutions(workflowId?: string): Promise<ExecutionRow[]>;
	executionData(workflowId: string): Promise<Array<{ id: string; status: string; mode: string; data: string }>>;
	waitForExecutions(workflowId: string, count: number, timeoutMs?: number): Promise<ExecutionRow[]>;
	waitForIdle(workflowId: string, timeoutMs?: number): Promise<ExecutionRow[]>;
	staticData(workflowId: string): Promise<Record<string, any> | null>;
	webhookRows(workflowId: string): Promise<Record<string, any>[]>;
	webhookUrl(path: string, opts?: { on?: number }): string;
	cli(args: string[], opts?: { timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }>;
	createOwnerAndApiKey(): Promise<Api>;
	stop(): Promise<Record<string, unknown>>;
}

export function startQueueN8n(opts: {
	packageDirs: string[];
	webhookProcessors?: number;
	workers?: number;
	label?: (request: { method: string; path: string; body: Buffer }) => string | undefined;
}): Promise<QueueN8n> {
	return queueHost.startQueueN8n(opts);
}

/** Tags each callback in the balancer's log as "<task id>|<frame window timestamp>|<status>". */
export function callbackLabel({ body }: { body: Buffer }): string | undefined {
	try {
		const json = JSON.parse(body.toString('utf8'));
		if (typeof json?.task_id !== 'string') return undefined;
		return `${json.task_id}|${json.data?.timestamp ?? ''}|${json.status}`;
	} catch {
		return undefined;
	}
}

export const CREDENTIAL = { id: 'mlvQueueCredent01', name: 'Memories.ai Live Video (sandbox)' };
export const TRIGGER = 'Memories.ai Live Video Trigger';
const TRIGGER_TYPE = 'n8n-nodes-memories-live-video.memoriesLiveVideoTrigger';

export interface WorkflowSpec {
	id: string;
	webhookId: string;
	trigger: Record<string, unknown>;
	/** A Code node between trigger and sink that writes the workflow's static data (what users' nodes may do). */
	writesStaticData?: boolean;
	/** Receive mode with the optional credential (Watch always has it): the trigger can stop streams. */
	credential?: boolean;
}

/** Trigger → (Code) → HTTP Request that posts each item to the sink at /<workflow id>. */
export function workflow(spec: WorkflowSpec, sinkUrl: string) {
	const watch = spec.trigger.mode === 'watch';
	const nodes: Array<Record<string, unknown>> = [
		{
			id: `${spec.id}-trigger`,
			name: TRIGGER,
			type: TRIGGER_TYPE,
			typeVersion: 1.1,
			position: [0, 0],
			webhookId: spec.webhookId,
			parameters: { options: {}, ...spec.trigger },
			...(watch || spec.credential ? { credentials: { memoriesLiveVideoApi: CREDENTIAL } } : {}),
		},
		{
			id: `${spec.id}-post`,
			name: 'Post to the sink',
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			position: [440, 0],
			parameters: {
				method: 'POST',
				url: `${sinkUrl}/${spec.id}`,
				sendBody: true,
				specifyBody: 'json',
				jsonBody: '={{ JSON.stringify($json) }}',
				options: {},
			},
		},
	];
	const connections: Record<string, unknown> = {};
	if (spec.writesStaticData) {
		nodes.splice(1, 0, {
			id: `${spec.id}-code`,
			name: 'Remember the last text',
			type: 'n8n-nodes-base.code',
			typeVersion: 2,
			position: [220, 0],
			parameters: { jsCode: "const memory = $getWorkflowStaticData('global');\nmemory.lastText = $input.first().json.text;\nreturn $input.all();" },
		});
		connections[TRIGGER] = { main: [[{ node: 'Remember the last text', type: 'main', index: 0 }]] };
		connections['Remember the last text'] = { main: [[{ node: 'Post to the sink', type: 'main', index: 0 }]] };
	} else {
		connections[TRIGGER] = { main: [[{ node: 'Post to the sink', type: 'main', index: 0 }]] };
	}
	return { id: spec.id, name: `queue ${spec.id}`, active: false, nodes, connections, settings: { executionOrder: 'v1' }, pinData: {} };
}
