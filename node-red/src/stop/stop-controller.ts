// Stops msg.task_id (or msg.payload.task_id), idempotently, or every stream that start nodes
// using the same account have running.
import { InputError, StopOutput, failedStopOutput, stopOutput } from '../../../core';
import { shortReason, toError } from '../lib/errors';
import type { ConfigNode, Node, NodeAPI, NodeMessage } from '../lib/red';
import { streamClientOf } from '../lib/stream-client';
import { tasks } from '../lib/tasks';
import type { StopProperties } from './properties';

function taskIdOf(msg: NodeMessage, fallback: unknown): unknown {
	if (msg.task_id !== undefined) return msg.task_id;
	const payload = msg.payload;
	if (payload && typeof payload === 'object' && 'task_id' in payload) return (payload as { task_id: unknown }).task_id;
	if (typeof payload === 'string' && payload.trim() !== '') return payload;
	return fallback;
}

export class StopController {
	private readonly config: ConfigNode | null;

	constructor(
		private readonly RED: NodeAPI,
		private readonly node: Node,
		private readonly props: StopProperties,
	) {
		this.config = RED.nodes.getNode(props.config) as ConfigNode | null;
	}

	async handle(msg: NodeMessage, send: (msg: NodeMessage) => void, done: (err?: Error) => void): Promise<void> {
		const { RED, node, config } = this;
		try {
			if (!config) throw new InputError('Account', RED._('memories-live-stop.errors.no-config'));
			const results = this.props.target === 'all' ? await this.stopAll(config, msg) : await this.stopNamed(config, msg);
			const missing = results.filter((r) => !r.stopped).map((r) => r.task_id);
			if (this.props.failIfNotFound === true && missing.length > 0) {
				throw new InputError('Task ID', RED._('memories-live-stop.errors.not-found', { taskIds: missing.join(', ') }));
			}
			node.status({
				fill: 'green',
				shape: 'dot',
				text: RED._('memories-live-stop.status.done', { stopped: results.length - missing.length, missing: missing.length }),
			});
			send(msg);
			done();
		} catch (error) {
			node.status({ fill: 'red', shape: 'ring', text: shortReason(error) });
			done(toError(error, config?.secrets() ?? []));
		}
	}

	private async stopOne(config: ConfigNode, taskId: unknown): Promise<StopOutput> {
		const outcome = await streamClientOf(this.RED, config).stop(taskId);
		tasks.remove(outcome.taskId);
		return stopOutput(outcome);
	}

	/** The task the message names (or the node's own Task ID). */
	private async stopNamed(config: ConfigNode, msg: NodeMessage): Promise<StopOutput[]> {
		const result = await this.stopOne(config, taskIdOf(msg, this.props.taskId));
		msg.payload = result;
		msg.task_id = result.task_id;
		return [result];
	}

	/**
	 * Every stop is tried, whatever the others do; msg.payload lists each outcome, failed ones
	 * included, and the first failure goes to Catch nodes.
	 */
	private async stopAll(config: ConfigNode, msg: NodeMessage): Promise<StopOutput[]> {
		const running = tasks.list((task) => task.configId === config.id);
		const settled = await Promise.allSettled(running.map((task) => this.stopOne(config, task.taskId)));
		const secrets = config.secrets();
		const results = settled.map((r, i) => (r.status === 'fulfilled' ? r.value : failedStopOutput(running[i].taskId, toError(r.reason, secrets).message)));
		msg.payload = results;
		const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
		if (failed) throw failed.reason;
		return results;
	}
}
