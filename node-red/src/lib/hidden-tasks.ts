// Stopping a hidden task: one a start whose answer was lost created (core/hidden-tasks.ts). Its
// start's account stops it; if that fails, it is tracked like any task its start node started, so
// that the node's close (redeploy, shutdown) and a stop node ("every stream") stop it.
import { StreamClient, redact } from '../../../core';
import type { Node, NodeAPI } from './red';
import { StartAttempt, tasks } from './tasks';

/**
 * @param namespace the calling node's message catalogue (Node-RED gives each node set its own):
 *   it must have `log.hidden-stopped` and `errors.hidden-not-stopped`
 */
export async function stopHiddenTask(
	RED: NodeAPI,
	node: Node,
	namespace: 'memories-live-start' | 'memories-live-results',
	client: StreamClient,
	attempt: StartAttempt,
	taskId: string,
	secrets: readonly string[],
): Promise<void> {
	try {
		const { outcome } = await client.stop(taskId);
		node.warn(RED._(`${namespace}.log.hidden-stopped`, { taskId, outcome }));
	} catch (error) {
		const reason = error instanceof Error ? error.message : String(error);
		if (!tasks.get(taskId)) {
			tasks.add({ taskId, startNodeId: attempt.startNodeId, configId: attempt.configId, resultsNodeId: attempt.resultsNodeId, startedAt: attempt.at });
		}
		node.error(RED._(`${namespace}.errors.hidden-not-stopped`, { taskId, reason: redact(reason, secrets) }));
	}
}
