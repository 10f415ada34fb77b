// Activation starts exactly one stream and deactivation stops it: n8n calls checkExists, then
// create if needed, on activation (and at every start-up), and delete on deactivation.
import { NodeOperationError } from 'n8n-workflow';
import type { IHookFunctions } from 'n8n-workflow';

import {
	MIN_SECRET_LENGTH,
	MemoriesApiError,
	compileGateSettings,
	generateSecret,
	isStrongSecret,
	secretDigest,
	validateMaxDuration,
	withCallbackToken,
} from '../../core';
import { composePrompt } from '../shared/answer-format';
import { toNodeError } from '../shared/errors';
import { readStreamFields } from '../shared/fields';
import { streamClient } from '../shared/streams';
import { openSession } from '../shared/transport';
import { readGateSettings } from './gate-settings';
import type { TriggerMode } from './mode';
import { clearWatchState, readAndUpgradeWatchState, writeWatchState } from './watch-state';

/** Re-registrations that are not a new activation by the user: the stream started before goes on. */
const RESUMING = new Set(['init', 'leadershipChange']);

/**
 * Secrets of starts whose answer was lost (timeout, reset): such a start may have created a billed
 * task we know nothing of. n8n retries a failed activation; the retry reuses the secret, so that
 * the lost task's callbacks carry it and the webhook recognises and stops that task. The only
 * place a raw secret is kept, in this process's memory: static data holds only its digest.
 */
const pendingSecrets = new Map<string, string>();

function nodeKey(context: IHookFunctions): string {
	return `${context.getWorkflow().id}/${context.getNode().id}`;
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
		validateMaxDuration(this.getNodeParameter('maxDurationMinutes', 0));
		const leftover = readAndUpgradeWatchState(this);
		// "Listen for test event" works on an in-memory copy of the static data: a stream the active
		// workflow runs belongs to it, not to the test.
		if (leftover && this.getActivationMode() !== 'manual') {
			// A stream of an earlier activation that was not stopped: stop it before starting anew.
			await client.stop(leftover.taskId);
		}
		clearWatchState(this);
		const key = nodeKey(this);
		const secret = pendingSecrets.get(key) ?? generateSecret();
		let started;
		try {
			const parameter = (name: string, fallback: unknown) => this.getNodeParameter(name, fallback);
			started = await client.start({
				...readStreamFields(parameter),
				userPrompt: composePrompt(parameter),
				callbackUrl: withCallbackToken(this.getNodeWebhookUrl('default') as string, secret),
			});
		} catch (error) {
			if (error instanceof MemoriesApiError && error.mayHaveStarted) pendingSecrets.set(key, secret);
			throw toNodeError(this.getNode(), error);
		}
		pendingSecrets.delete(key);
		writeWatchState(this, { taskId: started.taskId, secretDigest: secretDigest(secret), startedAt: started.startedAt });
		return true;
	} catch (error) {
		throw toNodeError(this.getNode(), error);
	}
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
