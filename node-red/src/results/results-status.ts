// The results node's status: waiting, the last result's age and the counts, or "ended". A busy
// stream updates it at most once a second (every status goes to every open editor).
import type { Node, NodeAPI } from '../lib/red';

const REFRESH_MS = 5000;
const MIN_INTERVAL_MS = 1000;

export class ResultsStatus {
	private received = 0;
	private rejected = 0;
	private lastResultAt: number | undefined;
	private ended = false;
	/** Streams reported stalled and not heard from since. */
	private stalledStreams = 0;
	private shownAt = 0;
	private shownEnded: boolean | undefined;
	private timer: NodeJS.Timeout | undefined;
	private readonly refresh: NodeJS.Timeout;

	constructor(
		private readonly RED: NodeAPI,
		private readonly node: Node,
		private readonly path: string,
	) {
		this.refresh = setInterval(() => this.show(), REFRESH_MS);
		this.show();
	}

	/** A callback refused (it is only counted: the next status shows it). */
	countRejected(): void {
		this.rejected++;
	}

	/** A callback taken: a result, or the end of a stream. Shown soon. */
	countReceived(ended: boolean): void {
		this.received++;
		this.lastResultAt = Date.now();
		this.ended = ended;
		this.showSoon();
	}

	/** How many streams are stalled now. Shown now when it changes. */
	setStalled(count: number): void {
		if (count === this.stalledStreams) return;
		this.stalledStreams = count;
		this.show();
	}

	/** A stream this node's results belong to was stopped by its start node. Shown now. */
	streamStopped(): void {
		this.ended = true;
		this.show();
	}

	show(): void {
		clearTimeout(this.timer);
		this.timer = undefined;
		this.shownAt = Date.now();
		this.shownEnded = this.lastResultAt === undefined ? undefined : this.ended;
		const { RED, node } = this;
		if (this.stalledStreams > 0) {
			const seconds = this.lastResultAt === undefined ? undefined : Math.round((Date.now() - this.lastResultAt) / 1000);
			const key = seconds === undefined ? 'memories-live-results.events.status.stalled-waiting' : 'memories-live-results.events.status.stalled';
			node.status({ fill: 'yellow', shape: 'ring', text: RED._(key, { count: this.stalledStreams, seconds, path: this.path }) });
			return;
		}
		if (this.lastResultAt === undefined) {
			node.status({ fill: 'grey', shape: 'ring', text: RED._('memories-live-results.status.waiting', { path: this.path }) });
			return;
		}
		const seconds = Math.round((Date.now() - this.lastResultAt) / 1000);
		const key = this.ended ? 'memories-live-results.status.ended' : 'memories-live-results.status.last';
		const counts = { seconds, received: this.received, rejected: this.rejected };
		node.status({ fill: this.ended ? 'blue' : 'green', shape: this.ended ? 'ring' : 'dot', text: RED._(key, counts) });
	}

	close(): void {
		clearInterval(this.refresh);
		clearTimeout(this.timer);
		this.node.status({});
	}

	/** At once when the state shown changes, else at most once a second. */
	private showSoon(): void {
		const wait = this.shownAt + MIN_INTERVAL_MS - Date.now();
		if (this.shownEnded !== this.ended || wait <= 0) this.show();
		else this.timer ??= setTimeout(() => this.show(), wait);
	}
}
