// Results node: receives memories.ai callbacks on RED.httpNode, authenticated by the secret in
// its callback URL, and sends each result (output 1) or stream end (output 2) into the flow.
import {
	CallbackCheck,
	CallbackEvent,
	FilterMode,
	buildCallbackUrl,
	createDuplicateGuard,
	createResultFilter,
	generateSecret,
	isStrongSecret,
	normaliseReceiverPath,
	toResultPayload,
} from '../core';
import { toError } from '../lib/errors';
import type { NodeAPI, NodeDef, NodeMessage, ResultsNode } from '../lib/red';
import { addCallbackRoute } from '../lib/routes';
import { RemovalReason, TrackedTask, tasks } from '../lib/tasks';

const STATUS_REFRESH_MS = 5000;
/** A busy stream updates the status at most this often (it goes to every open editor). */
const STATUS_MIN_INTERVAL_MS = 1000;

export = function register(RED: NodeAPI): void {
	function MemoriesLiveResults(this: ResultsNode, def: NodeDef): void {
		RED.nodes.createNode(this, def);
		const node = this;
		let path: string;
		try {
			path = normaliseReceiverPath(def.path);
		} catch (error) {
			node.error(toError(error));
			node.status({ fill: 'red', shape: 'ring', text: RED._('memories-live-results.status.bad-path') });
			return;
		}
		let secret = node.credentials?.secret;
		if (!isStrongSecret(secret)) {
			secret = generateSecret();
			node.warn(RED._('memories-live-results.warn.temporary-secret'));
		}

		let received = 0;
		let rejected = 0;
		let lastResultAt: number | undefined;
		let ended = false;
		let shownAt = 0;
		let shownEnded: boolean | undefined;
		let statusTimer: NodeJS.Timeout | undefined;
		const showStatus = () => {
			clearTimeout(statusTimer);
			statusTimer = undefined;
			shownAt = Date.now();
			shownEnded = lastResultAt === undefined ? undefined : ended;
			if (lastResultAt === undefined) {
				node.status({ fill: 'grey', shape: 'ring', text: RED._('memories-live-results.status.waiting', { path }) });
				return;
			}
			const seconds = Math.round((Date.now() - lastResultAt) / 1000);
			const key = ended ? 'memories-live-results.status.ended' : 'memories-live-results.status.last';
			node.status({ fill: ended ? 'blue' : 'green', shape: ended ? 'ring' : 'dot', text: RED._(key, { seconds, received, rejected }) });
		};
		/** After a result: at once when the state shown changes, else at most once a second. */
		const showStatusSoon = () => {
			const wait = shownAt + STATUS_MIN_INTERVAL_MS - Date.now();
			if (shownEnded !== ended || wait <= 0) showStatus();
			else statusTimer ??= setTimeout(showStatus, wait);
		};

		let accepts: (event: CallbackEvent) => boolean;
		try {
			const filter = createResultFilter({
				mode: (def.emit as FilterMode) || 'all',
				keywords: def.keywords as string,
				pattern: def.regex as string,
				caseSensitive: def.caseSensitive === true,
			});
			accepts = (event) => filter.accepts(event);
		} catch (error) {
			node.error(toError(error));
			node.status({ fill: 'red', shape: 'ring', text: RED._('memories-live-results.status.bad-filter') });
			return;
		}
		const guard = def.ignoreDuplicates === false ? undefined : createDuplicateGuard();

		const messageFor = (event: CallbackEvent, extra: Record<string, unknown> = {}): NodeMessage => ({
			payload: { ...toResultPayload(event), ...extra },
			topic: event.taskId,
		});

		const receive = (check: CallbackCheck) => {
			if (!check.ok) {
				rejected++;
				node.debug(`refused a callback: ${check.httpStatus} ${check.reason}`);
				return;
			}
			const event = check.event;
			if (guard?.isDuplicate(event)) return;
			received++;
			lastResultAt = Date.now();
			if (event.ended) {
				ended = true;
				accepts(event); // lets "only on change" forget the stream
				tasks.markEnded(event.taskId, event);
				node.send([null, messageFor(event)]);
			} else {
				ended = false;
				if (accepts(event)) node.send([messageFor(event), null]);
			}
			showStatusSoon();
		};

		let removeRoute: () => void;
		try {
			removeRoute = addCallbackRoute(RED, path, { secret, receive, unauthorised: () => rejected++ });
		} catch (error) {
			node.error(toError(error));
			node.status({ fill: 'red', shape: 'ring', text: RED._('memories-live-results.status.no-http') });
			return;
		}
		// Only a node that receives hands out callback URLs: a start node refuses to start a
		// (billed) stream whose results would go nowhere.
		const root = typeof RED.settings.httpNodeRoot === 'string' ? RED.settings.httpNodeRoot : '/';
		node.callbackUrl = (publicUrl) => buildCallbackUrl(publicUrl, [root, path], secret as string);

		// A stream a start node stopped for its maximum duration ends here too, like in n8n.
		const onTaskRemoved = (task: TrackedTask, reason: RemovalReason, event: CallbackEvent | undefined) => {
			if (reason !== 'max_duration' || task.resultsNodeId !== node.id || !event) return;
			ended = true;
			node.send([null, messageFor(event, { reason: 'max_duration' })]);
			showStatus();
		};
		tasks.on('removed', onTaskRemoved);
		const refresh = setInterval(showStatus, STATUS_REFRESH_MS);
		showStatus();

		node.on('close', (_removed, done) => {
			clearInterval(refresh);
			clearTimeout(statusTimer);
			tasks.off('removed', onTaskRemoved);
			removeRoute();
			node.status({});
			done();
		});
	}

	RED.nodes.registerType('memories-live-results', MemoriesLiveResults, {
		credentials: { secret: { type: 'password' } },
	});
};
