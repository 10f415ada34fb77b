// A real n8n (scripts/lib/n8n-host.js) with our packed package installed as a community package,
// credentials and workflows imported with n8n's CLI, the owner and a public-API key created, and
// the helpers the reliability tests share: the n8n process id, manual runs through the REST API,
// execution counts and execution data.
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { recordReliability } from '../../support/record';
import type { Workflow } from './workflows';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const harness = require('../../../../scripts/lib/n8n-host');

export const ROOT = path.join(__dirname, '../../../..');

/** Every figure of the n8n half goes to the shared results file with `host: 'n8n'`. */
export function record(section: string, data: Record<string, unknown>): void {
	recordReliability(section, { host: 'n8n', ...data });
}

export interface ExecutionRow {
	id: number;
	workflowId: string;
	mode: string;
	status: string;
	finished: number;
	startedAt: string | null;
	stoppedAt: string | null;
}

/** What scripts/lib/n8n-host.js returns (a JavaScript module, typed here for what the tests use). */
export interface N8nInstance {
	baseUrl: string;
	port: number;
	userFolder: string;
	paths: { version: string; nodeBin: string };
	logs(): string;
	stop(opts?: { signal?: NodeJS.Signals }): Promise<void>;
	restart(opts?: { signal?: NodeJS.Signals }): Promise<void>;
	cli(args: string[], opts?: { timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }>;
	sql(query: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
	listExecutions(workflowId?: string): Promise<ExecutionRow[]>;
	waitForExecutions(workflowId: string, count: number, timeoutMs?: number): Promise<ExecutionRow[]>;
	staticData(workflowId: string): Promise<Record<string, Record<string, unknown>> | null>;
	webhookUrl(webhookPath: string, opts?: { test?: boolean }): string;
	createOwnerAndApiKey(): Promise<N8nApi>;
}

export interface N8nApi {
	apiKey: string;
	api(method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
	rest(method: string, restPath: string, body?: unknown): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
	activateWorkflow(id: string, opts?: { wait?: boolean }): Promise<unknown>;
	deactivateWorkflow(id: string, opts?: { wait?: boolean }): Promise<unknown>;
	publicationStatus(id: string): Promise<{ status: string; triggers: Array<{ nodeId: string; status: string; errorMessage: string | null }> }>;
}

export interface Credential {
	id: string;
	name: string;
	apiKey: string;
	baseUrl: string;
}

export interface Host {
	n8n: N8nInstance;
	api: N8nApi;
	work: string;
	tarball: string;
	/** n8n's own process (not the harness's watchdog), for "same process, no restart". */
	pid(): number;
	stop(): Promise<void>;
}

/** The package as users get it: `npm pack` of the built repository. */
export function packTarball(work: string): string {
	const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' });
	return path.join(work, (JSON.parse(out) as Array<{ filename: string }>)[0].filename);
}

/** The `n8n start` process of this user folder, found through /proc (Linux). */
export function n8nPid(n8n: N8nInstance): number {
	const found: number[] = [];
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
			if (cmdline[0] !== n8n.paths.nodeBin || cmdline[2] !== 'start' || !cmdline[1]?.endsWith('/bin/n8n')) continue;
			const environ = fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
			if (environ.includes(`N8N_USER_FOLDER=${n8n.userFolder}`)) found.push(Number(entry));
		} catch {
			// a process that ended while we looked
		}
	}
	if (found.length !== 1) throw new Error(`expected one n8n process for ${n8n.userFolder}, found ${found.join(', ') || 'none'}`);
	return found[0];
}

export async function startHost(options: {
	credentials: Credential[];
	workflows: Workflow[];
	env?: Record<string, string>;
}): Promise<Host> {
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-n8n-'));
	const tarball = packTarball(work);
	const n8n: N8nInstance = await harness.startN8n({ packageDirs: [tarball], env: options.env });
	try {
		const credentials = options.credentials.map(({ id, name, apiKey, baseUrl }) => ({
			id,
			name,
			type: 'memoriesLiveVideoApi',
			data: { apiKey, baseUrl },
		}));
		if (credentials.length > 0) {
			const credentialFile = path.join(work, 'credentials.json');
			fs.writeFileSync(credentialFile, JSON.stringify(credentials), { mode: 0o600 });
			const imported = await n8n.cli(['import:credentials', `--input=${credentialFile}`]);
			// The file holds the API keys in plain text (n8n encrypts them on import): gone at once.
			fs.rmSync(credentialFile);
			if (imported.code !== 0) throw new Error(`import:credentials: ${imported.stdout}${imported.stderr}`);
		}
		const workflowFile = path.join(work, 'workflows.json');
		fs.writeFileSync(workflowFile, JSON.stringify(options.workflows));
		const workflows = await n8n.cli(['import:workflow', `--input=${workflowFile}`]);
		if (workflows.code !== 0) throw new Error(`import:workflow: ${workflows.stdout}${workflows.stderr}`);
		const api = await n8n.createOwnerAndApiKey();
		return {
			n8n,
			api,
			work,
			tarball,
			pid: () => n8nPid(n8n),
			async stop() {
				await n8n.stop();
				fs.rmSync(work, { recursive: true, force: true });
			},
		};
	} catch (error) {
		await n8n.stop();
		fs.rmSync(work, { recursive: true, force: true });
		throw error;
	}
}

/** Runs a workflow from its Manual Trigger as the editor's "Execute workflow" does; resolves with its id. */
export async function runManually(api: N8nApi, workflowId: string, trigger = 'Manual'): Promise<string> {
	const run = await api.rest('POST', `/workflows/${workflowId}/run`, { triggerToStartFrom: { name: trigger } });
	const executionId = run.body?.data?.executionId;
	if (run.status !== 200 || typeof executionId !== 'string') {
		throw new Error(`run ${workflowId}: ${run.status} ${JSON.stringify(run.body)}`);
	}
	return executionId;
}

export interface NodeRun {
	/** Items per output (0: main, 1: error output), as JSON. */
	outputs: Array<Array<Record<string, unknown>>>;
	error?: { message?: string; description?: string };
}

/** Waits until the execution is finished (n8n's API, polled) and returns each node's first run. */
export async function executionResult(
	api: N8nApi,
	executionId: string,
	timeoutMs = 120_000,
): Promise<{ status: string; nodes: Record<string, NodeRun> }> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const response = await api.api('GET', `/executions/${executionId}?includeData=true`);
		const body = response.body;
		if (response.status === 200 && body?.stoppedAt) {
			const runData = (body.data?.resultData?.runData ?? {}) as Record<
				string,
				Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> }; error?: NodeRun['error'] }>
			>;
			const nodes: Record<string, NodeRun> = {};
			for (const [name, runs] of Object.entries(runData)) {
				nodes[name] = {
					outputs: (runs[0]?.data?.main ?? []).map((items) => (items ?? []).map((item) => item.json)),
					error: runs[0]?.error,
				};
			}
			return { status: body.status as string, nodes };
		}
		if (Date.now() > deadline) throw new Error(`execution ${executionId} not finished after ${timeoutMs} ms`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
