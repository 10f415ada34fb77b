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
		const stalled = this.stalledStreams > 0 ? RED._('memories-live-results.events.status.stalled', { count: this.stalledStreams }) : undefined;
		if (this.lastResultAt === undefined) {
			const text = RED._('memories-live-results.status.waiting', { path: this.path });
			node.status(stalled ? { fill: 'yellow', shape: 'ring', text: `${text}; ${stalled}` } : { fill: 'grey', shape: 'ring', text });
			return;
		}
		const seconds = Math.round((Date.now() - this.lastResultAt) / 1000);
		const key = this.ended ? 'memories-live-results.status.ended' : 'memories-live-results.status.last';
		const counts = { seconds, received: this.received, rejected: this.rejected };
		const text = RED._(key, counts);
		// A stall is added to what the status says, never hides it.
		if (stalled) node.status({ fill: 'yellow', shape: 'ring', text: `${text}; ${stalled}` });
		else node.status({ fill: this.ended ? 'blue' : 'green', shape: this.ended ? 'ring' : 'dot', text });
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
