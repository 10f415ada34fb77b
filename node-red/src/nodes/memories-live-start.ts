// Start node: starts analysing a live stream for each input message, remembers the task (the
// API cannot list them), and stops its tasks on redeploy/shutdown and after a maximum duration.
import {
	InputError,
	StartInput,
	backoffDelayMs,
	maxDurationEndEvent,
	validateMaxDuration,
	validatePublicUrl,
	validateStartInput,
	maskCallbackToken,
} from '../core';
import { shortReason, toError } from '../lib/errors';
import { CLOSE_BUDGET_MS, stopOptionsBefore } from '../lib/close-budget';
import type { ConfigNode, Node, NodeAPI, NodeDef, NodeMessage, ResultsNode } from '../lib/red';
import { RemovalReason, TrackedTask, tasks } from '../lib/tasks';

/** Message properties that override the node's settings. */
const OVERRIDES = ['rtmpUrl', 'userPrompt', 'systemPrompt', 'callbackUrl', 'thinking', 'maxDuration'] as const;

export = function register(RED: NodeAPI): void {
	function MemoriesLiveStart(this: Node, def: NodeDef): void {
		RED.nodes.createNode(this, def);
		const node = this;
		const config = RED.nodes.getNode(def.config as string) as ConfigNode | null;
		const stopOnClose = def.stopOnClose !== false;
		const timers = new Map<string, NodeJS.Timeout>();
		/** Input messages still being handled (a start waiting for its answer, mostly). */
		const handling = new Set<Promise<void>>();
		let closed = false;
		const mine = () => tasks.list((task) => task.startNodeId === node.id);
		const secrets = () => config?.secrets() ?? [];

		const showStatus = () => {
			if (closed) return; // the status now belongs to the node that replaced this one
			const count = mine().filter((task) => task.endedAt === undefined).length;
			node.status(
				count > 0
					? { fill: 'green', shape: 'dot', text: RED._('memories-live-start.status.running', { count }) }
					: { fill: 'grey', shape: 'ring', text: RED._('memories-live-start.status.idle') },
			);
		};

		const onTaskRemoved = (task: TrackedTask, _reason: RemovalReason) => {
			if (task.startNodeId !== node.id) return;
			clearTimeout(timers.get(task.taskId));
			timers.delete(task.taskId);
			showStatus();
		};
		tasks.on('removed', onTaskRemoved);
		const onTaskEnded = (task: TrackedTask) => {
			if (task.startNodeId === node.id) showStatus();
		};
		tasks.on('ended', onTaskEnded);

		const stopForMaxDuration = async (taskId: string, minutes: number, failures = 0) => {
			timers.delete(taskId);
			try {
				const outcome = await config!.client().stop(taskId);
				node.log(RED._('memories-live-start.log.max-duration', { taskId, minutes, outcome: outcome.outcome }));
			} catch (error) {
				node.error(toError(error, secrets()));
				// Still billing: try again later (back-off up to 32 s) while this node lives; a redeploy
				// or a stop node can stop it too.
				if (!closed && tasks.get(taskId)) {
					timers.set(taskId, setTimeout(() => void stopForMaxDuration(taskId, minutes, failures + 1), backoffDelayMs(failures + 1)));
				}
				return;
			}
			tasks.remove(taskId, 'max_duration', maxDurationEndEvent(taskId, minutes, Date.now()));
		};

		const armMaxDuration = (task: TrackedTask) => {
			const minutes = task.maxMinutes ?? 0;
			if (closed || minutes <= 0 || !config || task.configId !== config.id) return;
			const wait = Math.max(0, task.startedAt + minutes * 60000 - Date.now());
			clearTimeout(timers.get(task.taskId));
			timers.set(task.taskId, setTimeout(() => void stopForMaxDuration(task.taskId, minutes), wait));
		};
		// Streams an earlier instance of this node left running (Stop on close off, or a failed
		// stop) keep their maximum duration across the redeploy, and so do those whose start it
		// still had waiting for an answer when it closed (they are added afterwards).
		for (const task of mine()) armMaxDuration(task);
		const onTaskAdded = (task: TrackedTask) => {
			if (task.startNodeId !== node.id) return;
			armMaxDuration(task);
			showStatus();
		};
		tasks.on('added', onTaskAdded);

		const callbackUrlFor = (msg: NodeMessage): { url: unknown; resultsNodeId?: string } => {
			if (msg.callbackUrl !== undefined) return { url: msg.callbackUrl };
			if (def.callbackMode === 'url') return { url: def.callbackUrl };
			const results = RED.nodes.getNode(def.results as string) as ResultsNode | null;
			if (!results || typeof results.callbackUrl !== 'function') {
				throw new InputError('Results node', RED._('memories-live-start.errors.no-results-node'));
			}
			const publicUrl = validatePublicUrl(config?.publicUrl);
			if (!publicUrl) throw new InputError('Public URL', RED._('memories-live-start.errors.no-public-url'));
			return { url: results.callbackUrl(publicUrl), resultsNodeId: results.id };
		};

		/** When this node's close must be over (set when it closes). */
		let closeDeadline = Infinity;

		/**
		 * A start answered after this node closed (redeploy, deletion, shutdown): the stream must not
		 * outlive the node that started it. Stopped at once; tracked only if that fails.
		 */
		const stopStartedAfterClose = async (task: TrackedTask) => {
			try {
				await config!.client().stop(task.taskId, stopOptionsBefore(closeDeadline));
				node.log(RED._('memories-live-start.log.stopped-after-close', { taskId: task.taskId }));
			} catch (error) {
				tasks.add(task); // still known, so that a stop node ("every stream") can stop it
				node.error(RED._('memories-live-start.errors.stop-on-close', { taskId: task.taskId, reason: toError(error, secrets()).message }));
			}
		};

		node.on('input', (msg, send, done) => {
			const handled = (async () => {
				try {
					if (!config) throw new InputError('Account', RED._('memories-live-start.errors.no-config'));
					const pick = (name: (typeof OVERRIDES)[number]) => (msg[name] !== undefined ? msg[name] : def[name]);
					const callback = callbackUrlFor(msg);
					const input: StartInput = {
						rtmpUrl: pick('rtmpUrl'),
						userPrompt: pick('userPrompt'),
						systemPrompt: pick('systemPrompt'),
						callbackUrl: callback.url,
						thinking: pick('thinking'),
					};
					const params = validateStartInput(input);
					const maxMinutes = validateMaxDuration(pick('maxDuration'));
					const client = config.client();
					node.status({ fill: 'yellow', shape: 'dot', text: RED._('memories-live-start.status.starting') });
					const { taskId } = await client.start(params);
					const startedAt = Date.now();
					const task = { taskId, startNodeId: node.id, configId: config.id, resultsNodeId: callback.resultsNodeId, startedAt, maxMinutes };
					if (closed && stopOnClose) {
						await stopStartedAfterClose(task);
						done();
						return;
					}
					tasks.add(task); // armed and shown by onTaskAdded (or by the node that replaced this one)
					msg.task_id = taskId;
					msg.payload = {
						task_id: taskId,
						started_at: new Date(startedAt).toISOString(),
						rtmp_url: params.rtmpUrl,
						user_prompt: params.userPrompt,
						callback_url: maskCallbackToken(params.callbackUrl),
						max_duration_minutes: maxMinutes,
					};
					send(msg);
					done();
				} catch (error) {
					if (!closed) node.status({ fill: 'red', shape: 'ring', text: shortReason(error) });
					done(toError(error, secrets()));
				}
			})();
			handling.add(handled);
			void handled.finally(() => handling.delete(handled));
		});

		node.on('close', (_removed, done) => {
			closed = true;
			closeDeadline = Date.now() + CLOSE_BUDGET_MS;
			tasks.off('removed', onTaskRemoved);
			tasks.off('ended', onTaskEnded);
			tasks.off('added', onTaskAdded);
			for (const timer of timers.values()) clearTimeout(timer);
			timers.clear();
			node.status({});
			const running = mine();
			// Starts still waiting for their answer stop their stream as soon as it comes (above):
			// wait for them too, or a shutdown would leave those streams running.
			const pending = stopOnClose && config ? [...handling] : [];
			if (!stopOnClose || !config || (running.length === 0 && pending.length === 0)) return done();
			let waitTimer: NodeJS.Timeout | undefined;
			const pendingSettled = Promise.race([
				Promise.all(pending),
				new Promise<void>((resolve) => (waitTimer = setTimeout(resolve, CLOSE_BUDGET_MS))),
			]).finally(() => clearTimeout(waitTimer));
			void Promise.all([
				pendingSettled,
				...running.map(async (task) => {
					try {
						await config.client().stop(task.taskId, stopOptionsBefore(closeDeadline));
						tasks.remove(task.taskId, 'stopped');
					} catch (error) {
						node.error(RED._('memories-live-start.errors.stop-on-close', { taskId: task.taskId, reason: toError(error, secrets()).message }));
					}
				}),
			]).then(() => done());
		});

		showStatus();
	}

	RED.nodes.registerType('memories-live-start', MemoriesLiveStart);
};
