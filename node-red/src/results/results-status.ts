// The results node's status: waiting, the count and the last result's age (or the refused count), "ended", or
// "no result for 45s" once a stalled stream is all there was; the refused count and the reason as soon as a callback
// is refused, until the next result. A busy stream updates it at most once a second (every status goes to every open
// editor).
import type { CallbackRejection } from '../../../core';
import type { Node, NodeAPI } from '../lib/red';

const REFRESH_MS = 5000;
const MIN_INTERVAL_MS = 1000;

export class ResultsStatus {
	private received = 0;
	private rejected = 0;
	/** The HTTP status of the last refusal, while the latest callback was a refused one. */
	private refusedLast: CallbackRejection['httpStatus'] | undefined;
	private shownRefusedLast: CallbackRejection['httpStatus'] | undefined;
	private lastResultAt: number | undefined;
	private ended = false;
	/** The most recent last callback among streams reported stalled (epoch ms); undefined: none stalled. */
	private stalledSince: number | undefined;
	private shownAt = 0;
	private shownEnded: boolean | undefined;
	private timer: NodeJS.Timeout | undefined;
	private readonly refresh: NodeJS.Timeout;

	constructor(
		private readonly RED: NodeAPI,
		private readonly node: Node,
	) {
		this.refresh = setInterval(() => this.show(), REFRESH_MS);
		this.show();
	}

	/** A callback refused: the first one shown at once, later ones soon (at most once a second). */
	countRejected(httpStatus: CallbackRejection['httpStatus']): void {
		this.rejected++;
		this.refusedLast = httpStatus;
		this.showSoon();
	}

	/** A callback taken (at `at`, the time the gate was given): a result, or the end of a stream. Shown soon. */
	countReceived(ended: boolean, at = Date.now()): void {
		this.received++;
		this.refusedLast = undefined;
		this.lastResultAt = at;
		this.ended = ended;
		this.showSoon();
	}

	/** Streams stalled now: the most recent last callback among them, or undefined. Shown now when it changes. */
	setStalled(since: number | undefined): void {
		if (since === this.stalledSince) return;
		this.stalledSince = since;
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
		this.shownRefusedLast = this.refusedLast;
		const { RED, node } = this;
		const now = Date.now();
		if (this.refusedLast !== undefined) {
			// Refusals are what the user must see: results may be lost, or never arrive at all.
			const reason = RED._(`memories-live-results.status.reason.${this.refusedLast}`);
			const text = RED._('memories-live-results.status.refused', { rejected: this.rejected, reason });
			node.status({ fill: this.received === 0 ? 'red' : 'yellow', shape: 'ring', text });
			return;
		}
		// A stalled stream shows when nothing else arrives either (one stream, typically); with
		// other streams still sending, output 3 reports it and the counts stay.
		if (this.stalledSince !== undefined && (this.lastResultAt === undefined || this.lastResultAt <= this.stalledSince)) {
			const ago = this.age(now - (this.lastResultAt ?? this.stalledSince));
			node.status({ fill: 'yellow', shape: 'ring', text: RED._('memories-live-results.status.stalled', { ago }) });
			return;
		}
		if (this.lastResultAt === undefined) {
			node.status({ fill: 'grey', shape: 'ring', text: RED._('memories-live-results.status.waiting') });
			return;
		}
		// Short enough to stay under the node (see the editor test): the refused count, once
		// there is one, matters more than the age.
		const key = this.ended ? 'ended' : this.rejected > 0 ? 'last-refused' : 'last';
		const counts = { ago: this.age(now - this.lastResultAt), received: this.received, rejected: this.rejected };
		node.status({ fill: this.ended ? 'blue' : 'green', shape: this.ended ? 'ring' : 'dot', text: RED._(`memories-live-results.status.${key}`, counts) });
	}

	/** "3s", "5m", "2h", "4d": an age that fits under a node. */
	private age(ms: number): string {
		const seconds = Math.max(0, Math.round(ms / 1000));
		const [unit, count] =
			seconds < 60 ? ['seconds', seconds]
			: seconds < 3600 ? ['minutes', Math.floor(seconds / 60)]
			: seconds < 86400 ? ['hours', Math.floor(seconds / 3600)]
			: ['days', Math.floor(seconds / 86400)];
		return this.RED._(`memories-live-results.status.age.${unit}`, { count });
	}

	close(): void {
		clearInterval(this.refresh);
		clearTimeout(this.timer);
		this.node.status({});
	}

	/** At once when the state shown changes (an end, the first refusal), else at most once a second. */
	private showSoon(): void {
		const wait = this.shownAt + MIN_INTERVAL_MS - Date.now();
		const firstRefusal = this.rejected === 1 && this.refusedLast !== undefined && this.shownRefusedLast === undefined;
		if (this.shownEnded !== this.ended || firstRefusal || wait <= 0) this.show();
		else this.timer ??= setTimeout(() => this.show(), wait);
	}
}
