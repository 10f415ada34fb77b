// Refused callbacks, made visible. A refusal is either a stranger (no secret) or, once the secret
// matched, a billed result lost: hosts count every one, show the count and the last reason, and
// log a warning that says what to check, at most once per quiet interval (no timer: the time of
// the last warning decides, so a host without timers, n8n's webhooks, can do it too).
import type { CallbackRejection } from './callback';

/** What a refusal was about, in one word (Node-RED's status shows it; locales name it). */
export type RefusalKind = 'token' | 'body' | 'method' | 'size' | 'type';

export function refusalKind(httpStatus: CallbackRejection['httpStatus']): RefusalKind {
	return ({ 401: 'token', 400: 'body', 405: 'method', 413: 'size', 415: 'type' } as const)[httpStatus];
}

/** What to check, per kind of refusal (English; Node-RED has the same texts in its locale). */
export function refusalAdvice(kind: RefusalKind): string {
	switch (kind) {
		case 'token':
			return 'Check that the callback URL memories.ai posts to still carries ?token= with the right secret (a proxy, load balancer or tunnel may drop the query string) and that the public URL you gave memories.ai leads here.';
		case 'method':
			return 'memories.ai posts callbacks: something else sends other requests to this URL.';
		default:
			return 'The secret matched, so memories.ai most likely sent it and the result is lost: the reason says what could not be read.';
	}
}

export interface RefusalReport {
	httpStatus: CallbackRejection['httpStatus'];
	reason: string;
	kind: RefusalKind;
	/** Refusals since the last report, this one included. */
	since: number;
	total: number;
}

/** A host's count of refusals, as plain JSON (one per receiver). */
export interface RefusalTally {
	total: number;
	/** Refused since the last report. */
	unreported: number;
	/** When the last report was made (epoch ms); 0: never. */
	reportedAt: number;
	last?: { httpStatus: CallbackRejection['httpStatus']; reason: string; kind: RefusalKind };
}

/** Between two warnings about refused callbacks of one receiver. */
export const REFUSAL_REPORT_INTERVAL_MS = 60_000;

export function newRefusalTally(): RefusalTally {
	return { total: 0, unreported: 0, reportedAt: 0 };
}

/**
 * Counts a refusal; returns what to log now, or undefined within the quiet interval after the
 * last report (the next report then says how many came in between).
 */
export function tallyRefusal(
	tally: RefusalTally,
	refusal: Pick<CallbackRejection, 'httpStatus' | 'reason'>,
	now: number,
	intervalMs = REFUSAL_REPORT_INTERVAL_MS,
): RefusalReport | undefined {
	const kind = refusalKind(refusal.httpStatus);
	tally.total++;
	tally.unreported++;
	tally.last = { httpStatus: refusal.httpStatus, reason: refusal.reason, kind };
	if (tally.reportedAt !== 0 && now - tally.reportedAt < intervalMs) return undefined;
	const report: RefusalReport = { httpStatus: refusal.httpStatus, reason: refusal.reason, kind, since: tally.unreported, total: tally.total };
	tally.reportedAt = now;
	tally.unreported = 0;
	return report;
}
