// Receives memories.ai callbacks on RED.httpNode, authenticated by the secret in this node's
// callback URL; the core's result gate decides what goes out: results (or episodes) on output 1,
// stream ends (or summaries) on output 2, parse errors and stalls on output 3.
import {
	AnswerFormat,
	CallbackCheck,
	CallbackEvent,
	CallbackRejection,
	GateDecision,
	LiveItem,
	REFUSAL_REPORT_INTERVAL_MS,
	ResultGate,
	StreamStop,
	buildCallbackUrl,
	createMemoryGateStore,
	createResultGate,
	generateSecret,
	isStrongSecret,
	maxDurationDeadline,
	newRefusalTally,
	normaliseReceiverPath,
	tallyRefusal,
} from '../../../core';
import { toError } from '../lib/errors';
import { stopHiddenTask } from '../lib/hidden-tasks';
import type { ConfigNode, NodeAPI, NodeMessage, ResultsNode } from '../lib/red';
import { addCallbackRoute } from '../lib/routes';
import { streamClientOf } from '../lib/stream-client';
import { Removal, StartAttempt, TrackedTask, tasks } from '../lib/tasks';
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
	/** Strangers (no secret) and results lost (the secret matched) are warned of apart: neither hides the other. */
	private readonly refusals = { stranger: newRefusalTally(), lost: newRefusalTally() };
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
			return new ResultsController(RED, node, path, secret, gate, props.config);
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
		/** The optional account (config node) that stops streams started elsewhere at their deadline. */
		private readonly accountId: string | undefined,
	) {
		this.removeRoute = addCallbackRoute(RED, path, {
			secret,
			receive: (check) => this.receive(check),
			unauthorised: (refusal) => this.refused(refusal),
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

	/** Counted and shown at once; logged with what to check, at most once a minute. */
	private refused(refusal: CallbackRejection & { matched?: number }): void {
		const report = tallyRefusal(refusal.matched === undefined ? this.refusals.stranger : this.refusals.lost, refusal, Date.now());
		this.status.countRejected(refusal.httpStatus);
		if (!report) return;
		const key = report.kind === 'token' || report.kind === 'method' ? report.kind : 'body';
		this.node.warn(
			this.RED._(`memories-live-results.warn.refused-${key}`, {
				path: this.path,
				httpStatus: report.httpStatus,
				reason: report.reason,
				since: report.since,
				total: report.total,
			}),
		);
	}

	private receive(check: CallbackCheck): void {
		if (!check.ok) {
			this.refused(check);
			return;
		}
		const { event } = check;
		const tracked = tasks.get(event.taskId);
		const attempt = event.startId === undefined ? undefined : tasks.startAttempt(event.startId);
		if (attempt && !tracked) tasks.noteTaskOfStart(attempt.startId, event.taskId);
		const account = this.accountFor(tracked?.configId ?? attempt?.configId);
		// A lost start's task, which nobody tracks, is a hidden one (core/hidden-tasks.ts).
		const claim = attempt ? { startedHere: attempt.lost, tracked: tracked !== undefined } : undefined;
		const gated = account || event.stopAt === undefined ? event : this.cannotStop(event);
		const now = Date.now();
		const decision = this.gate.receive(gated, now, undefined, claim);
		if (decision.kind === 'stop') {
			if (account) void this.stop(decision, account, attempt);
			return;
		}
		if (decision.kind === 'none' && decision.reason === 'duplicate') return;
		if (event.ended) tasks.markEnded(event.taskId);
		else this.stalls?.watch(event.taskId);
		if (this.stalled.delete(event.taskId)) this.showStalls();
		this.emit(decision);
		this.status.countReceived(event.ended, now);
	}

	/** The account that stops a task: its start node's, else this node's own (optional). */
	private accountFor(configId: string | undefined): ConfigNode | undefined {
		const account = this.RED.nodes.getNode(configId ?? this.accountId ?? '') as ConfigNode | null;
		return account && typeof account.transport === 'function' ? account : undefined;
	}

	/** Tasks being stopped from here: a burst of their results makes one stop. */
	private readonly stopping = new Set<string>();

	/** Stops a task past its deadline (and ends it on output 2), or a hidden one. Never throws. */
	private async stop(stop: StreamStop, account: ConfigNode, attempt: StartAttempt | undefined): Promise<void> {
		if (this.stopping.has(stop.taskId)) return;
		this.stopping.add(stop.taskId);
		try {
			const client = streamClientOf(this.RED, account);
			if (stop.reason === 'not_owned') {
				if (attempt) await stopHiddenTask(this.RED, this.node, 'memories-live-results', client, attempt, stop.taskId, account.secrets());
				return;
			}
			const { outcome } = await client.stop(stop.taskId);
			// The gate ends the stream first (reason max_duration), so that the plain removal that
			// follows finds it ended: the ended item and the summary go out here, once.
			const decision = this.gate.stopped(stop, outcome, Date.now());
			tasks.remove(stop.taskId);
			this.node.log(this.RED._('memories-live-results.log.deadline', { taskId: stop.taskId, outcome }));
			if (decision.kind !== 'emit') return;
			this.emit(decision);
			this.status.streamStopped();
		} catch (error) {
			// Still billing: the next result past the deadline tries again.
			this.node.error(this.RED._('memories-live-results.errors.deadline-not-stopped', { taskId: stop.taskId, reason: toError(error, account.secrets()).message }));
		} finally {
			this.stopping.delete(stop.taskId);
		}
	}

	/** When this node last said it cannot stop a stream past its deadline. */
	private cannotStopWarnedAt = 0;

	/** A result past its deadline, and no account to stop its stream: received as a result, said (once a minute). */
	private cannotStop(event: CallbackEvent): CallbackEvent {
		const now = Date.now();
		if (event.stopAt !== undefined && now >= event.stopAt && now - this.cannotStopWarnedAt >= REFUSAL_REPORT_INTERVAL_MS) {
			this.cannotStopWarnedAt = now;
			this.node.warn(this.RED._('memories-live-results.warn.no-account', { taskId: event.taskId, stopAt: new Date(event.stopAt).toISOString() }));
		}
		return { ...event, stopAt: undefined };
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
			const minutes = task.maxMinutes ?? 0;
			const stopAt = maxDurationDeadline(task.startedAt, minutes) ?? now;
			const stop = { taskId: task.taskId, reason: 'max_duration' as const, stopAt, maxDurationMinutes: minutes };
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
