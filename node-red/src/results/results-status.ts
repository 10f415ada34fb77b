// The results node's status: waiting, the last result's age and the counts, or "ended"; the
// refused count and the last reason as soon as a callback is refused. A busy stream updates it at
// most once a second (every status goes to every open editor).
import type { RefusalKind } from '../../../core';
import type { Node, NodeAPI } from '../lib/red';

const REFRESH_MS = 5000;
const MIN_INTERVAL_MS = 1000;

export class ResultsStatus {
	private received = 0;
	private rejected = 0;
	private lastRefusal: RefusalKind | undefined;
	/** The latest callback was refused: the status says so until a result arrives. */
	private refusedLast = false;
	private shownRefusedLast = false;
	private lastResultAt: number | undefined;
	private ended = false;
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

	/** A callback refused: the first at once, later ones soon. */
	countRejected(kind: RefusalKind): void {
		this.rejected++;
		this.lastRefusal = kind;
		this.refusedLast = true;
		this.showSoon();
	}

	/** A callback taken: a result, or the end of a stream. Shown soon. */
	countReceived(ended: boolean): void {
		this.received++;
		this.refusedLast = false;
		this.lastResultAt = Date.now();
		this.ended = ended;
		this.showSoon();
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
		this.shownRefusedLast = this.refusedLast;
		const { RED, node } = this;
		if (this.refusedLast && this.lastRefusal !== undefined) {
			// Refusals are what the user must see: results may be lost, or never arrive at all.
			const reason = RED._(`memories-live-results.status.reason.${this.lastRefusal}`);
			const counts = { received: this.received, rejected: this.rejected, reason };
			const key = this.received === 0 ? 'memories-live-results.status.refused' : 'memories-live-results.status.last-refused';
			node.status({ fill: this.received === 0 ? 'red' : 'yellow', shape: 'ring', text: RED._(key, counts) });
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

	/** At once when the state shown changes (an end, a first refusal), else at most once a second. */
	private showSoon(): void {
		const wait = this.shownAt + MIN_INTERVAL_MS - Date.now();
		if (this.shownEnded !== this.ended || this.shownRefusedLast !== this.refusedLast || wait <= 0) this.show();
		else this.timer ??= setTimeout(() => this.show(), wait);
	}
}
