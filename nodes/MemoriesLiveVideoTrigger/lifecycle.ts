// Activation starts exactly one stream and deactivation stops it: n8n calls checkExists, then
// create if needed, on activation (and at every start-up), and delete on deactivation. A start
// whose answer was lost is never followed by a second while its task may still announce itself,
// and of all the tasks an activation's attempts may have started, one is kept (pending-starts.ts).
import { NodeOperationError } from 'n8n-workflow';
import type { IHookFunctions } from 'n8n-workflow';

import {
	MIN_SECRET_LENGTH,
	MemoriesApiError,
	StreamClient,
	compileGateSettings,
	deadlineAfter,
	isStrongSecret,
	secretDigest,
	validateMaxDuration,
	withCallbackToken,
	withDeadline,
} from '../../core';
import { composePrompt } from '../shared/answer-format';
import { toNodeError } from '../shared/errors';
import { readStreamFields } from '../shared/fields';
import { streamClient } from '../shared/streams';
import { openSession } from '../shared/transport';
import { readGateSettings } from './gate-settings';
import type { TriggerMode } from './mode';
import { activationKey, firstTask, lostStart, pendingStart, settle } from './pending-starts';
import { clearWatchState, readAndUpgradeWatchState, writeWatchState } from './watch-state';

/** Re-registrations that are not a new activation by the user: the stream started before goes on. */
const RESUMING = new Set(['init', 'leadershipChange']);

function nodeKey(context: IHookFunctions): string {
	return activationKey(context.getWorkflow().id, context.getNode().id, context.getActivationMode() === 'manual');
}

/** How the trigger names itself in n8n's log. */
function who(context: IHookFunctions): string {
	const workflow = context.getWorkflow();
	return `Memories.ai Live Video Trigger "${context.getNode().name}" in workflow "${workflow.name ?? ''}" (${workflow.id ?? ''})`;
}

function modeOf(context: IHookFunctions): TriggerMode {
	return context.getNodeParameter('mode', 'watch') as TriggerMode;
}

export async function streamExists(this: IHookFunctions): Promise<boolean> {
	if (modeOf(this) === 'receive') return false; // create() only checks the token
	// After a restart the stream started at activation is still running: never start a second one.
	return readAndUpgradeWatchState(this) !== undefined && RESUMING.has(this.getActivationMode());
}

/** Refuses settings every callback would fail on (an invalid expression, no keywords, a bad field list or rule…). */
function checkFilterSettings(context: IHookFunctions): void {
	try {
		compileGateSettings(readGateSettings(context));
	} catch (error) {
		throw toNodeError(context.getNode(), error);
	}
}

export async function startWatching(this: IHookFunctions): Promise<boolean> {
	if (modeOf(this) === 'receive') {
		if (!isStrongSecret(this.getNodeParameter('callbackToken', ''))) {
			throw new NodeOperationError(
				this.getNode(),
				`Callback Token must be at least ${MIN_SECRET_LENGTH} characters long so that nobody can guess it.`,
			);
		}
		checkFilterSettings(this);
		return true;
	}
	try {
		checkFilterSettings(this);
		const client = streamClient(this, await openSession(this));
		const minutes = validateMaxDuration(this.getNodeParameter('maxDurationMinutes', 0));
		const leftover = readAndUpgradeWatchState(this);
		// "Listen for test event" works on an in-memory copy of the static data: a stream the active
		// workflow runs belongs to it, not to the test.
		if (leftover && this.getActivationMode() !== 'manual') {
			// A stream of an earlier activation that was not stopped: stop it before starting anew.
			await client.stop(leftover.taskId);
		}
		clearWatchState(this);
		return await startOnce(this, client, minutes);
	} catch (error) {
		throw toNodeError(this.getNode(), error);
	}
}

/** One stream for this activation, whatever became of the answers of earlier attempts. */
async function startOnce(context: IHookFunctions, client: StreamClient, minutes: number): Promise<boolean> {
	const key = nodeKey(context);
	const pending = pendingStart(key);
	// An earlier attempt's answer was lost: its task, if any, calls back soon. Never start a second
	// before it had the time to (the earlier attempt waited for it already, as a rule).
	const earlier = pending.lost ? await firstTask(key, lostStart.waitMs - (Date.now() - pending.lostSentAt)) : undefined;
	if (earlier !== undefined) return keep(context, client, earlier, Date.now());
	const sentAt = Date.now();
	let started;
	try {
		const parameter = (name: string, fallback: unknown) => context.getNodeParameter(name, fallback);
		started = await client.start({
			...readStreamFields(parameter),
			userPrompt: composePrompt(parameter),
			callbackUrl: withDeadline(withCallbackToken(context.getNodeWebhookUrl('default') as string, pending.secret), deadlineAfter(sentAt, minutes)),
		});
	} catch (error) {
		if (!(error instanceof MemoriesApiError && error.mayHaveStarted)) {
			if (!pending.lost) settle(key); // nothing can be running: the next attempt gets a fresh secret
			throw toNodeError(context.getNode(), error);
		}
		pending.lost = true;
		pending.lostSentAt = sentAt;
		context.logger.warn(
			`${who(context)}: the answer to Start was lost (${error.summary}) The stream may have started and be billing. The trigger waits up to ${Math.round(lostStart.waitMs / 1000)} s for a result of it (its results carry this activation's secret) and keeps that stream; otherwise the activation fails, n8n retries it with the same secret, and a stream a lost attempt started is stopped as soon as its first result arrives.`,
		);
		const task = await firstTask(key, lostStart.waitMs - (Date.now() - sentAt));
		if (task !== undefined) return keep(context, client, task, sentAt);
		const nodeError = toNodeError(context.getNode(), error);
		nodeError.message = `${error.summary} The stream may have started: n8n retries the activation with the same callback secret, and a stream this attempt started is stopped as soon as its first result arrives.`;
		throw nodeError;
	}
	return keep(context, client, started.taskId, started.startedAt);
}

/** Records `taskId` as the activation's stream and stops every other task its attempts started. */
async function keep(context: IHookFunctions, client: StreamClient, taskId: string, startedAt: number): Promise<boolean> {
	const key = nodeKey(context);
	const pending = pendingStart(key);
	writeWatchState(context, { taskId, secretDigest: secretDigest(pending.secret), startedAt });
	if (pending.lost) context.logger.warn(`${who(context)}: keeps stream ${taskId}; any other stream an attempt of this activation started is stopped.`);
	for (const other of pending.seen.filter((id) => id !== taskId)) {
		try {
			await client.stop(other);
			context.logger.warn(`${who(context)}: stopped stream ${other}, started by an attempt whose answer was lost.`);
		} catch (error) {
			// Its next result tries again: its secret matches, its task is not the recorded one.
			context.logger.warn(`${who(context)}: could not stop stream ${other} yet (${error instanceof Error ? error.message : String(error)}).`);
		}
	}
	settle(key);
	return true;
}

export async function stopWatching(this: IHookFunctions): Promise<boolean> {
	const state = readAndUpgradeWatchState(this);
	if (modeOf(this) === 'receive' || !state) return true;
	try {
		await streamClient(this, await openSession(this)).stop(state.taskId);
	} catch (error) {
		// Keep the state: the next activation stops this task before starting another one.
		const nodeError = toNodeError(this.getNode(), error);
		nodeError.message = `Could not stop stream ${state.taskId}; it may still be running and billing. ${nodeError.message} Stop it with the Memories.ai Live Video node (Stop, this task ID).`;
		throw nodeError;
	}
	clearWatchState(this);
	return true;
}
