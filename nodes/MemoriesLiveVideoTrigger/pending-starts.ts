// Watch mode's starts that have no recorded task yet: one being sent, or one whose answer was lost
// (timeout, reset). n8n retries a failed activation (up to 5 times, in the same process, each
// failure followed by delete()), so a lost answer may leave a billed task per attempt. Every
// attempt of one activation uses the same secret: every task they may have started calls back
// with it. Callbacks reach this process's webhook while create() runs (n8n stores the webhook
// before calling create()), so the webhook tells the waiting create() which tasks exist: it keeps
// one and stops the others, and never starts a second while a lost one may still announce itself.
//
// Process memory only (the raw secret is kept nowhere else; static data holds its digest). In
// queue mode, callbacks may reach other processes: there, tasks of lost attempts are stopped once
// the activation's state is saved (their secret matches, their task is not the recorded one).
import { sleep } from 'n8n-workflow';

import { generateSecret } from '../../core';

export interface PendingStart {
	secret: string;
	/** Tasks seen in callbacks with the secret, in order of arrival. */
	seen: string[];
	/** An attempt's answer was lost: a task may exist that nobody knows. */
	lost: boolean;
	/** When the last attempt whose answer was lost sent its start (epoch ms). */
	lostSentAt: number;
	waiters: Set<() => void>;
}

const pending = new Map<string, PendingStart>();

/**
 * How long after a start was sent its task, if it exists, has called back: two frame windows of
 * the service. Short enough that n8n's five attempts of an activation, each waiting this long,
 * end within its 84 s publication deadline. A setting object, so that tests can shorten it.
 */
export const lostStart = { waitMs: 10000 };

/** A workflow node's activation; "Listen for test event" is one of its own. */
export function activationKey(workflowId: string | undefined, nodeId: string, test: boolean): string {
	return `${workflowId ?? ''}/${nodeId}${test ? '/test' : ''}`;
}
const KEPT = 200;

/** The pending start of an activation (made with a fresh secret on its first attempt). */
export function pendingStart(key: string): PendingStart {
	let start = pending.get(key);
	if (!start) {
		start = { secret: generateSecret(), seen: [], lost: false, lostSentAt: 0, waiters: new Set() };
		pending.set(key, start);
		if (pending.size > KEPT) pending.delete(pending.keys().next().value as string);
	}
	return start;
}

/** The secret callbacks of a pending start carry, if this process has one for `key`. */
export function pendingSecret(key: string): string | undefined {
	return pending.get(key)?.secret;
}

/** A callback with the pending secret came for `taskId` (from the webhook). */
export function noteTask(key: string, taskId: string): void {
	const start = pending.get(key);
	if (!start || start.seen.includes(taskId)) return;
	start.seen.push(taskId);
	for (const wake of start.waiters) wake();
}

/** The first task seen, waiting up to `ms` for one; undefined when none called back in time. */
export async function firstTask(key: string, ms: number): Promise<string | undefined> {
	const start = pending.get(key);
	if (!start) return undefined;
	if (start.seen.length > 0 || ms <= 0) return start.seen[0];
	const abort = new AbortController();
	let wake: () => void = () => undefined;
	const seen = new Promise<void>((resolve) => (wake = resolve));
	start.waiters.add(wake);
	try {
		await Promise.race([seen, sleep(ms, abort.signal).catch(() => undefined)]);
	} finally {
		start.waiters.delete(wake);
		abort.abort();
	}
	return start.seen[0];
}

/** The activation recorded its task (or gave up for good): its secret is the state's now. */
export function settle(key: string): void {
	pending.delete(key);
}

/** Forgets every pending start (tests). */
export function forgetPendingStarts(): void {
	pending.clear();
}
