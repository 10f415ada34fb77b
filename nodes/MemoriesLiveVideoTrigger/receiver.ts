// Each callback: authenticate and validate it through the core, and start the workflow only for
// results that pass the filters. Those n8n answers once their execution is registered; every other
// callback is answered at once. Reads static data, never writes it (n8n's
// queue mode runs webhooks in other processes).
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import {
	CallbackEvent,
	ExpectedSecret,
	StopOutcome,
	checkCallbackRequest,
	createDuplicateGuard,
	createResultFilter,
	maxDurationEndEvent,
	maxDurationExceeded,
	toResultPayload,
	tokenFromQuery,
	validateMaxDuration,
} from '../../core';
import { stopStream } from '../shared/streams';
import { openSession } from '../shared/transport';
import { readFilterSettings } from './filter-settings';
import type { TriggerMode } from './mode';
import { readWatchState } from './watch-state';

interface Receiver {
	accepts(event: CallbackEvent): boolean;
	isDuplicate(event: CallbackEvent): boolean;
}

/**
 * Filters with memory ("only on change", duplicates) per workflow node and configuration, kept
 * in this process. In queue mode each webhook process remembers on its own.
 */
const receivers = new Map<string, Receiver>();
const MAX_RECEIVERS = 200;

function receiverFor(context: IWebhookFunctions): Receiver {
	const { filter: config, ignoreDuplicates } = readFilterSettings(context);
	const key = JSON.stringify([context.getWorkflow().id, context.getNode().id, config, ignoreDuplicates]);
	let receiver = receivers.get(key);
	if (!receiver) {
		const filter = createResultFilter(config);
		const guard = ignoreDuplicates ? createDuplicateGuard() : { isDuplicate: () => false };
		receiver = { accepts: (e) => filter.accepts(e), isDuplicate: (e) => guard.isDuplicate(e) };
		receivers.set(key, receiver);
		if (receivers.size > MAX_RECEIVERS) receivers.delete(receivers.keys().next().value as string);
	}
	return receiver;
}

function answer(context: IWebhookFunctions, httpStatus: number, reason?: string): IWebhookResponseData {
	const response = context.getResponseObject();
	if (reason === undefined) response.status(httpStatus).end();
	else response.status(httpStatus).json({ error: reason });
	return { noWebhookResponse: true };
}

/** Sends the 200 now: whatever the callback leads to (a stop and its retries) must not keep the sender waiting. */
function acknowledge(context: IWebhookFunctions): void {
	context.getResponseObject().status(200).end();
}

/**
 * The items to start the workflow with. `answered`: the webhook already sent its answer; otherwise
 * n8n answers (200, empty body: the webhook's responseData is 'noData') once it has registered the
 * execution, as for its Webhook node's "Respond Immediately".
 */
function itemsOf(context: IWebhookFunctions, event: CallbackEvent, extra: IDataObject = {}, answered = true): IWebhookResponseData {
	const json: IDataObject = {
		...toResultPayload(event),
		event: event.ended ? 'stream_ended' : 'result',
		...extra,
	};
	const workflowData = [context.helpers.returnJsonArray([json])];
	return answered ? { noWebhookResponse: true, workflowData } : { workflowData };
}

/** Receive: the token the user typed. Watch: the digest of the secret the activation generated (never stored itself). */
function expectedSecret(context: IWebhookFunctions, mode: TriggerMode): ExpectedSecret {
	if (mode === 'receive') return String(context.getNodeParameter('callbackToken', ''));
	const state = readWatchState(context);
	return state ? { digest: state.secretDigest } : '';
}

/** A stop from the webhook never throws: a failure is logged, and the next result tries again. */
async function stopFromWebhook(context: IWebhookFunctions, taskId: string, why: string): Promise<StopOutcome | undefined> {
	try {
		return await stopStream(context, await openSession(context), taskId);
	} catch (error) {
		const reason = error instanceof Error ? error.message : String(error);
		context.logger.warn(`Memories.ai Live Video Trigger could not stop stream ${taskId} (${why}): ${reason}`);
		return undefined;
	}
}

async function handleCallback(context: IWebhookFunctions): Promise<IWebhookResponseData> {
	const request = context.getRequestObject();
	const mode = context.getNodeParameter('mode', 'watch') as TriggerMode;
	// From version 1.1 n8n reads only some content types' bodies (JSON among them): read the others'.
	if (request.rawBody === undefined && request.body === undefined && typeof request.readRawBody === 'function') {
		await request.readRawBody();
	}
	const raw = (request as { rawBody?: unknown }).rawBody;
	const declared = Number(request.headers['content-length']);
	const check = checkCallbackRequest(
		{
			method: request.method,
			contentType: request.headers['content-type'],
			token: tokenFromQuery(context.getQueryData()),
			body: raw instanceof Uint8Array ? raw : context.getBodyData(),
			bodyIsParsed: !(raw instanceof Uint8Array),
			// Without the raw bytes, the declared size is what the size limit applies to.
			bodyLength: raw instanceof Uint8Array || !Number.isFinite(declared) ? undefined : declared,
		},
		expectedSecret(context, mode),
	);
	if (!check.ok) return answer(context, check.httpStatus, check.reason);

	const event = check.event;
	const receiver = receiverFor(context);
	if (receiver.isDuplicate(event)) return answer(context, 200);
	const state = mode === 'watch' ? readWatchState(context) : undefined;
	if (state && event.taskId !== state.taskId) {
		// Our secret, but not our task: a start whose answer was lost. Nobody else can stop it.
		acknowledge(context);
		await stopFromWebhook(context, event.taskId, 'results arrived for it with this trigger\'s secret');
		return { noWebhookResponse: true };
	}
	if (state && !event.ended) {
		const maxMinutes = validateMaxDuration(context.getNodeParameter('maxDurationMinutes', 0));
		const now = Date.now();
		if (maxDurationExceeded(state.startedAt, maxMinutes, now)) {
			acknowledge(context);
			const stop = await stopFromWebhook(context, state.taskId, 'maximum duration reached');
			// Only the callback whose stop actually ended the stream reports it.
			if (stop?.outcome !== 'stopped') return { noWebhookResponse: true };
			return itemsOf(context, maxDurationEndEvent(state.taskId, maxMinutes, now), { reason: 'max_duration' });
		}
	}
	if (!receiver.accepts(event)) return answer(context, 200);
	// Answered by n8n once the execution is registered: the sender gets back-pressure when n8n is
	// busy, and a callback answered 200 is never a result lost before its execution existed.
	return itemsOf(context, event, {}, false);
}

/**
 * Never throws: n8n would record an error execution for the callback and answer with its own
 * text. Whatever goes wrong unexpectedly is answered 500 (the sender may retry), without details.
 */
export async function receiveCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	try {
		return await handleCallback(this);
	} catch (error) {
		const reason = (error instanceof Error ? error.message : String(error)).slice(0, 300);
		this.logger.warn(`Memories.ai Live Video Trigger could not process a callback: ${reason}`);
		const response = this.getResponseObject();
		if (!response.headersSent) response.status(500).json({ error: 'The callback could not be processed.' });
		return { noWebhookResponse: true };
	}
}
