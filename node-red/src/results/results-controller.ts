// Receives memories.ai callbacks on RED.httpNode, authenticated by the secret in this node's
// callback URL; the core's result gate decides what goes out: results (or episodes) on output 1,
// stream ends (or summaries) on output 2, parse errors and stalls on output 3.
import {
	AnswerFormat,
	CallbackCheck,
	GateDecision,
	LiveItem,
	ResultGate,
	buildCallbackUrl,
	createMemoryGateStore,
	createResultGate,
	generateSecret,
	isStrongSecret,
	normaliseReceiverPath,
} from '../../../core';
import { toError } from '../lib/errors';
import type { NodeAPI, NodeMessage, ResultsNode } from '../lib/red';
import { addCallbackRoute } from '../lib/routes';
import { Removal, TrackedTask, tasks } from '../lib/tasks';
import { resultsGateSettings } from './gate-settings';
import type { ResultsProperties } from './properties';
import { ResultsStatus } from './results-status';
import { StallWatch } from './stall-watch';

/** Which output an item goes to: 0 results and episodes, 1 the stream's end, 2 parse errors and stalls. */
export function outputOf(item: LiveItem): 0 | 1 | 2 {
	switch (item.event) {
		case 'stream_ended':
		case 'stream_summary':
			return 1;
		case 'parse_error':
		case 'stream_stalled':
		case 'stream_resumed':
			return 2;
		default:
			return 0;
	}
}

export class ResultsController {
	private readonly status: ResultsStatus;
	private readonly removeRoute: () => void;
	private readonly stalls: StallWatch | undefined;
	/** Streams reported stalled and not heard from since, with their last callback (epoch ms), for the status. */
	private readonly stalled = new Map<string, number>();

	/** A controller for the node, or undefined when its settings keep it from receiving (shown on the node). */
	static open(RED: NodeAPI, node: ResultsNode, props: ResultsProperties): ResultsController | undefined {
		const failed = (error: unknown, statusKey: string) => {
			node.error(toError(error));
			node.status({ fill: 'red', shape: 'ring', text: RED._(`memories-live-results.status.${statusKey}`) });
			return undefined;
		};
		let path: string;
		try {
			path = normaliseReceiverPath(props.path);
		} catch (error) {
			return failed(error, 'bad-path');
		}
		let secret = node.credentials?.secret;
		if (!isStrongSecret(secret)) {
			secret = generateSecret();
			node.warn(RED._('memories-live-results.warn.temporary-secret'));
		}
		let gate: ResultGate;
		try {
			gate = createResultGate(resultsGateSettings(props), createMemoryGateStore());
		} catch (error) {
			return failed(error, 'bad-filter');
		}
		try {
			return new ResultsController(RED, node, path, secret, gate);
		} catch (error) {
			return failed(error, 'no-http');
		}
	}

	private constructor(
		private readonly RED: NodeAPI,
		private readonly node: ResultsNode,
		private readonly path: string,
		private readonly secret: string,
		private readonly gate: ResultGate,
	) {
		this.removeRoute = addCallbackRoute(RED, path, {
			secret,
			receive: (check) => this.receive(check),
			unauthorised: () => this.status.countRejected(),
		});
		tasks.on('removed', this.onTaskRemoved);
		tasks.on('added', this.onTaskAdded);
		this.status = new ResultsStatus(RED, node);
		this.stalls = gate.settings.stallSeconds > 0 ? new StallWatch(gate, (decision) => this.emit(decision)) : undefined;
		// Streams already running for this node (started before a redeploy of it): billed from their
		// start, watched for stalls from now (nothing was heard while this node did not exist).
		const now = Date.now();
		for (const task of tasks.list((t) => t.resultsNodeId === node.id && t.endedAt === undefined)) {
			gate.started(task.taskId, task.startedAt, now);
			this.stalls?.watch(task.taskId);
		}
	}

	/** How answers are to be given: a start node that sends results here composes its prompt with it. */
	answerFormat(): AnswerFormat {
		return this.gate.settings.answerFormat;
	}

	/** The callback URL that delivers here, under the account's Public URL. */
	callbackUrl(publicUrl: string): string {
		const root = typeof this.RED.settings.httpNodeRoot === 'string' ? this.RED.settings.httpNodeRoot : '/';
		return buildCallbackUrl(publicUrl, [root, this.path], this.secret);
	}

	close(): void {
		tasks.off('removed', this.onTaskRemoved);
		tasks.off('added', this.onTaskAdded);
		this.stalls?.close();
		this.removeRoute();
		this.status.close();
	}

	private receive(check: CallbackCheck): void {
		if (!check.ok) {
			this.status.countRejected();
			this.node.debug(`refused a callback: ${check.httpStatus} ${check.reason}`);
			return;
		}
		const { event } = check;
		const now = Date.now();
		const decision = this.gate.receive(event, now);
		if (decision.kind === 'none' && decision.reason === 'duplicate') return;
		if (event.ended) tasks.markEnded(event.taskId);
		else this.stalls?.watch(event.taskId);
		if (this.stalled.delete(event.taskId)) this.showStalls();
		this.emit(decision);
		this.status.countReceived(event.ended, now);
	}

	/** A stream a start node started for this node: its summary and stall clock count from its start. */
	private readonly onTaskAdded = (task: TrackedTask) => {
		if (task.resultsNodeId !== this.node.id) return;
		this.gate.started(task.taskId, task.startedAt);
		this.stalls?.watch(task.taskId);
	};

	/**
	 * A stream a start node stopped for its maximum duration ends here too, like in n8n; one that
	 * a stop node or the daily budget stopped ends its episode and sends its summary (if any).
	 */
	private readonly onTaskRemoved = (task: TrackedTask, removal: Removal) => {
		if (task.resultsNodeId !== this.node.id) return;
		const now = Date.now();
		let decision: GateDecision;
		if (removal.reason === 'max_duration') {
			const stop = { taskId: task.taskId, reason: 'max_duration' as const, maxDurationMinutes: task.maxMinutes ?? 0 };
			decision = this.gate.stopped(stop, removal.outcome, now);
		} else {
			decision = this.gate.ended(task.taskId, removal.reason, now);
		}
		if (this.stalled.delete(task.taskId)) this.showStalls();
		if (decision.kind !== 'emit') return;
		this.emit(decision);
		this.status.streamStopped();
	};

	/** The status tells of stalls by the most recent last callback among the stalled streams. */
	private showStalls(): void {
		this.status.setStalled(this.stalled.size === 0 ? undefined : Math.max(...this.stalled.values()));
	}

	private emit(decision: GateDecision): void {
		if (decision.kind !== 'emit') return;
		for (const item of decision.items) {
			const msg: NodeMessage = { payload: item, topic: item.task_id };
			// As short as the output's position allows: flows wired before output 3 existed see what they saw.
			const output = outputOf(item);
			this.node.send(output === 0 ? [msg, null] : output === 1 ? [null, msg] : [null, null, msg]);
			if (item.event === 'stream_stalled') {
				this.stalled.set(item.task_id, Date.parse(item.since));
				this.showStalls();
			}
		}
	}
}
