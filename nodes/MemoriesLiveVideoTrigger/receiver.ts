// Each callback: the core checks it and the result gate decides what becomes of it; this file
// carries the decision out. Results that start the workflow are answered by n8n once their
// execution is registered; every other callback is answered at once. Reads static data, never
// writes it (n8n's queue mode runs webhooks in other processes).
import type { IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import {
	CallbackBody,
	CallbackEvent,
	CallbackRejection,
	ExpectedSecret,
	GateDecision,
	LiveItem,
	OwnedStream,
	ResultGate,
	REFUSAL_REPORT_INTERVAL_MS,
	RefusalTally,
	StreamStop,
	checkCallback,
	createMemoryGateStore,
	createResultGate,
	newRefusalTally,
	refusalAdvice,
	tallyRefusal,
	validateMaxDuration,
} from '../../core';
import { streamClient } from '../shared/streams';
import { CREDENTIAL_TYPE, openSession } from '../shared/transport';
import { readGateSettings } from './gate-settings';
import type { TriggerMode } from './mode';
import { activationKey, noteTask, pendingSecret } from './pending-starts';
import { readWatchState } from './watch-state';

/**
 * Gates per workflow node and settings, with their memory ("only on change", duplicates) in this
 * process. In queue mode each webhook process remembers on its own.
 */
const gates = new Map<string, ResultGate>();
const MAX_GATES = 200;

function gateFor(context: IWebhookFunctions): ResultGate {
	const settings = readGateSettings(context);
	const key = JSON.stringify([context.getWorkflow().id, context.getNode().id, settings]);
	let gate = gates.get(key);
	if (!gate) {
		gate = createResultGate(settings, createMemoryGateStore());
		gates.set(key, gate);
		if (gates.size > MAX_GATES) gates.delete(gates.keys().next().value as string);
	}
	return gate;
}

/** Refusals per workflow node, in this process (n8n's webhooks keep no timers: the tally knows when it last warned). */
const refusals = new Map<string, RefusalTally>();

/** Logs a refused callback (throttled): a proxy dropping ?token= or an unreadable result must not go unnoticed. */
function warnOfRefusal(context: IWebhookFunctions, refusal: CallbackRejection & { matched?: number }): void {
	const workflow = context.getWorkflow();
	// Strangers (no secret) and results lost (the secret matched) are warned of apart: neither hides the other.
	const key = `${workflow.id}/${context.getNode().id}/${refusal.matched === undefined ? 'stranger' : 'lost'}`;
	let tally = refusals.get(key);
	if (!tally) {
		tally = newRefusalTally();
		refusals.set(key, tally);
		if (refusals.size > MAX_GATES) refusals.delete(refusals.keys().next().value as string);
	}
	const report = tallyRefusal(tally, refusal, Date.now());
	if (!report) return;
	const counts = report.since > 1 ? ` (${report.since} refused since the last warning, ${report.total} in all)` : '';
	context.logger.warn(
		`Memories.ai Live Video Trigger "${context.getNode().name}" in workflow "${workflow.name ?? ''}" (${workflow.id ?? ''}) refused a callback with HTTP ${report.httpStatus}: ${report.reason}${counts} ${refusalAdvice(report.kind)}`,
	);
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
function itemsOf(context: IWebhookFunctions, items: LiveItem[], answered: boolean): IWebhookResponseData {
	const workflowData = [context.helpers.returnJsonArray(items.map((item) => ({ ...item })))];
	return answered ? { noWebhookResponse: true, workflowData } : { workflowData };
}

function activationOf(context: IWebhookFunctions): string {
	return activationKey(context.getWorkflow().id, context.getNode().id, context.getMode() === 'manual');
}

/**
 * Receive: the token the user typed. Watch: the digest of the secret the activation generated
 * (never stored itself), and the secret of a start this process is making or lost (pending-starts.ts).
 */
function expectedSecrets(context: IWebhookFunctions, mode: TriggerMode): ExpectedSecret[] {
	if (mode === 'receive') return [String(context.getNodeParameter('callbackToken', ''))];
	const state = readWatchState(context);
	return [state ? { digest: state.secretDigest } : '', pendingSecret(activationOf(context)) ?? ''];
}

/** Whether the trigger can stop streams (Watch needs the credential, Receive may have it). */
function hasCredential(context: IWebhookFunctions): boolean {
	return context.getNode().credentials?.[CREDENTIAL_TYPE] !== undefined;
}

/** When each node last warned that it cannot stop a stream past its deadline (no credential). */
const deadlineWarnings = new Map<string, number>();

/** A stream past its Stop After deadline, and no credential to stop it: said (once a minute), not acted on. */
function cannotStop(context: IWebhookFunctions, event: CallbackEvent): CallbackEvent {
	const key = `${context.getWorkflow().id}/${context.getNode().id}`;
	const now = Date.now();
	if (event.stopAt !== undefined && now >= event.stopAt && now - (deadlineWarnings.get(key) ?? 0) >= REFUSAL_REPORT_INTERVAL_MS) {
		deadlineWarnings.set(key, now);
		if (deadlineWarnings.size > MAX_GATES) deadlineWarnings.delete(deadlineWarnings.keys().next().value as string);
		context.logger.warn(
			`Memories.ai Live Video Trigger "${context.getNode().name}" in workflow "${context.getWorkflow().name ?? ''}" received a result of stream ${event.taskId} past its Stop After deadline (${new Date(event.stopAt).toISOString()}) but has no credential to stop it: the stream goes on billing. Select a Memories.ai Live Video API credential in the trigger, or stop the stream with the action node.`,
		);
	}
	return { ...event, stopAt: undefined };
}

/** Watch: the one stream the activation started, which the trigger alone answers for. */
function ownedStream(context: IWebhookFunctions, mode: TriggerMode): OwnedStream | undefined {
	const state = mode === 'watch' ? readWatchState(context) : undefined;
	if (!state) return undefined;
	const maxDurationMinutes = validateMaxDuration(context.getNodeParameter('maxDurationMinutes', 0));
	return { taskId: state.taskId, startedAt: state.startedAt, maxDurationMinutes };
}

const STOP_WHY: Record<StreamStop['reason'], string> = {
	not_owned: "results arrived for it with this trigger's secret",
	max_duration: 'its Stop After deadline passed',
};

/** A stop from the webhook never throws: a failure is logged, and the next result tries again. */
async function stopFromWebhook(context: IWebhookFunctions, gate: ResultGate, stop: StreamStop): Promise<IWebhookResponseData> {
	let after: GateDecision;
	try {
		const { outcome } = await streamClient(context, await openSession(context)).stop(stop.taskId);
		after = gate.stopped(stop, outcome, Date.now());
	} catch (error) {
		const reason = error instanceof Error ? error.message : String(error);
		context.logger.warn(`Memories.ai Live Video Trigger could not stop stream ${stop.taskId} (${STOP_WHY[stop.reason]}): ${reason}`);
		return { noWebhookResponse: true };
	}
	return after.kind === 'emit' ? itemsOf(context, after.items, true) : { noWebhookResponse: true };
}

/** From version 1.1 n8n reads only some content types' bodies (JSON among them): the others' are read here. */
async function bodyOf(context: IWebhookFunctions): Promise<CallbackBody> {
	const request = context.getRequestObject();
	if (request.rawBody === undefined && request.body === undefined && typeof request.readRawBody === 'function') {
		await request.readRawBody();
	}
	const raw = (request as { rawBody?: unknown }).rawBody;
	return raw instanceof Uint8Array ? { raw } : { parsed: context.getBodyData() };
}

const n8nDecodes = (encoding: string | undefined) => encoding === 'gzip' || encoding === 'deflate';

async function handleCallback(context: IWebhookFunctions): Promise<IWebhookResponseData> {
	const request = context.getRequestObject();
	const mode = context.getNodeParameter('mode', 'watch') as TriggerMode;
	const check = await checkCallback(
		{
			method: request.method,
			contentType: request.headers['content-type'],
			contentLength: request.headers['content-length'],
			query: context.getQueryData(),
			url: request.originalUrl ?? request.url,
			// n8n decodes gzip and deflate as it reads a body; any other encoding reaches us as sent.
			contentEncoding: n8nDecodes(request.headers['content-encoding']) ? undefined : request.headers['content-encoding'],
			body: () => bodyOf(context),
		},
		expectedSecrets(context, mode),
	);
	if (!check.ok) {
		warnOfRefusal(context, check);
		return answer(context, check.httpStatus, check.reason);
	}
	// The recorded stream owns what carries its secret; a start of this process being made (or whose
	// answer was lost) has a secret of its own: its task is told to the waiting activation.
	const owned = check.matched === 0 ? ownedStream(context, mode) : undefined;
	if (check.matched === 1) noteTask(activationOf(context), check.event.taskId);
	const event = hasCredential(context) ? check.event : cannotStop(context, check.event);

	const gate = gateFor(context);
	const decision = gate.receive(event, Date.now(), owned);
	switch (decision.kind) {
		case 'none':
			return answer(context, 200);
		case 'stop':
			acknowledge(context);
			return stopFromWebhook(context, gate, decision);
		case 'emit':
			// Answered by n8n once the execution is registered: the sender gets back-pressure when n8n is
			// busy, and a callback answered 200 is never a result lost before its execution existed.
			return itemsOf(context, decision.items, false);
	}
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
