// What the sections of the n8n reliability suite share: the one n8n (with its sandboxes and sink)
// they all run in, in order, so that the leak search at the end covers everything the suite did,
// and the helpers they use to look into it.
import { MemoriesApiError, secretDigest } from '../../../../core';
import type { Suite } from './setup';

export const shared = {
	suite: undefined as unknown as Suite,
	/** n8n's process id when the suite started: no section may crash or restart it by accident. */
	pidAtStart: 0,
	/** Error texts the suite saw (error items, activation errors): searched for secrets at the end. */
	errorTexts: [] as string[],
};

export const SEED = Number(process.env.RELIABILITY_SEED ?? 20251125);
/** n8n's expression engine: 'default' (n8n's own choice, "vm"), or e.g. 'legacy'. */
export const ENGINE = process.env.RELIABILITY_N8N_ENGINE ?? 'legacy';

export const url = (hook: string) => `/webhook/${hook}/results`;
/** What n8n or Node print when the process dies or recovers from dying ("Last session crashed"). */
export const CRASH = /\bcrashed\b|uncaught ?exception|unhandled ?rejection|FATAL ERROR|heap out of memory/i;

export function coreError(fn: () => unknown): MemoriesApiError {
	try {
		fn();
	} catch (error) {
		if (error instanceof MemoriesApiError) return error;
	}
	throw new Error('expected a MemoriesApiError');
}

/**
 * A Watch trigger's state in its static data, which holds only the digest of the secret, and the
 * secret itself as memories.ai (the sandbox) received it in the task's callback URL.
 */
export async function watchState(workflowId: string): Promise<{ taskId: string; secret: string; secretDigest: string; startedAt: number }> {
	const data = await shared.suite.host.n8n.staticData(workflowId);
	const state = data?.['node:Trigger'] as { taskId: string; secretDigest: string; startedAt: number } | undefined;
	if (!state) throw new Error(`no watch state in ${workflowId}: ${JSON.stringify(data)}`);
	const task = Object.values(shared.suite.sandboxes)
		.map((sandbox) => sandbox.task(state.taskId))
		.find((found) => found !== undefined);
	const secret = task ? new URL(task.callback).searchParams.get('token') : null;
	if (!secret) throw new Error(`no sandbox task ${state.taskId} with a secret in its callback URL`);
	// Whether the raw secret is in static data is the leak search's to find (secret leakage, below).
	if (state.secretDigest !== secretDigest(secret)) throw new Error(`the static data of ${workflowId} holds no digest of its task's secret`);
	return { ...state, secret };
}

export function sinkItems(path: string): Array<Record<string, unknown>> {
	return shared.suite.sink.received.filter((r) => r.url === path).map((r) => r.json as Record<string, unknown>);
}
