// What both hosts output for each event, in the same shape (n8n: item JSON; Node-RED:
// msg.payload). Documented in README.md; a change here is a change for every user's flows.
import type { CallbackEvent } from './callback';
import { maskCallbackToken } from './callback-url';
import { BILLING_INTERVAL_SECONDS } from './contract';
import { deadlineOfUrl } from './deadline';
import type { StopOutcome } from './response';
import type { StartedStream } from './stream-client';

/** Start: the task and what was started, as the core validated and sent it. */
export interface StartOutput {
	/** Keep it: the API cannot list running tasks, and Stop needs it. */
	task_id: string;
	/** What the stream costs and how it ends, in words: what a person, or an AI agent using Start as a tool, reads. */
	message: string;
	/** When the API answered the start (ISO-8601 UTC). */
	started_at: string;
	rtmp_url: string;
	user_prompt: string;
	system_prompt: string;
	/** The callback URL with its secret masked (`token=***`). */
	callback_url: string;
	thinking: boolean;
	/**
	 * Stop After: after how many minutes the stream is stopped (by the host, or by whichever of our
	 * receivers gets a result past its deadline); 0: never.
	 */
	max_duration_minutes: number;
	/** The deadline the callback URL carries (ISO-8601 UTC, whole seconds), or null: none. */
	stop_at: string | null;
}

export function startOutput(started: StartedStream, maxDurationMinutes = 0): StartOutput {
	const { params } = started;
	const stopAt = deadlineOfUrl(params.callbackUrl);
	return {
		task_id: started.taskId,
		message: startMessage(started.taskId, { maxDurationMinutes, ...(stopAt === undefined ? {} : { stopAtSeconds: stopAt / 1000 }) }),
		started_at: new Date(started.startedAt).toISOString(),
		rtmp_url: params.rtmpUrl,
		user_prompt: params.userPrompt,
		system_prompt: params.systemPrompt,
		callback_url: maskCallbackToken(params.callbackUrl),
		thinking: params.thinking,
		max_duration_minutes: maxDurationMinutes,
		stop_at: stopAt === undefined ? null : new Date(stopAt).toISOString(),
	};
}

/** How a started stream ends, for startMessage. */
export interface StartDeadline {
	/** After how many minutes the host that started it stops it; 0: it does not. */
	maxDurationMinutes: number;
	/** When any of our receivers stops it (epoch seconds, as in the callback URL); absent: no such deadline. */
	stopAtSeconds?: number;
}

/**
 * Start's output in words. An agent that calls Start as a tool reads this before it decides what to do next, so it
 * names the cost, the one way to end the stream (Stop with this task id) and what ends it otherwise.
 */
export function startMessage(taskId: string, deadline: StartDeadline): string {
	const billing =
		`Started stream analysis task ${taskId}. It is billed every ${BILLING_INTERVAL_SECONDS} seconds until it is stopped: ` +
		`when its results are no longer needed, stop it with Stop and task_id ${taskId} (stopping it again is harmless).`;
	if (deadline.stopAtSeconds !== undefined) {
		return `${billing} If nobody stops it, it stops itself at ${new Date(deadline.stopAtSeconds * 1000).toISOString()}.`;
	}
	if (deadline.maxDurationMinutes > 0) {
		const minutes = deadline.maxDurationMinutes;
		return `${billing} If nobody stops it, it is stopped after ${minutes} minute${minutes === 1 ? '' : 's'}.`;
	}
	return `${billing} Nothing else stops it before its video source ends.`;
}

/** Stop: what became of one task. */
export interface StopOutput {
	task_id: string;
	/** `not_found`: nothing ran under this id (never started, or stopped or ended before). `failed`: see `error`. */
	outcome: StopOutcome['outcome'] | 'failed';
	/** True only when this stop ended a running stream. */
	stopped: boolean;
	/** The outcome in words, for people reading the output. */
	message: string;
	/** Why the stop failed (outcome `failed`: Node-RED's "every stream", which lists each stop). */
	error?: string;
}

const STOP_MESSAGES: Record<StopOutput['outcome'], string> = {
	stopped: 'Stopped: no more results will arrive and billing has ended.',
	not_found: 'Not found or already stopped: nothing was running under this task ID.',
	failed: 'Could not stop: the stream may still be running and billing. Stop it again with this task ID.',
};

export function stopOutput(outcome: StopOutcome): StopOutput {
	return { task_id: outcome.taskId, outcome: outcome.outcome, stopped: outcome.outcome === 'stopped', message: STOP_MESSAGES[outcome.outcome] };
}

export function failedStopOutput(taskId: string, error: string): StopOutput {
	return { task_id: taskId, outcome: 'failed', stopped: false, message: STOP_MESSAGES.failed, error };
}

/** Why a host ended a stream itself (absent when the service reported the end). */
export type EndReason = 'max_duration';

/** One result of a frame window, or the end of a stream. */
export interface ResultOutput {
	event: 'result' | 'stream_ended';
	task_id: string;
	/** 0 for a result; any other value (assumed) is the status the stream ended with (14: stopped). */
	status: number;
	text: string;
	/** ISO-8601 UTC of the analysed frame window, or null when the service sent none we could read. */
	timestamp: string | null;
	/** True for the last event of a stream (`event: 'stream_ended'`). */
	ended: boolean;
	reason?: EndReason;
}

export function resultOutput(event: CallbackEvent, reason?: EndReason): ResultOutput {
	return {
		event: event.ended ? 'stream_ended' : 'result',
		task_id: event.taskId,
		status: event.status,
		text: event.text,
		timestamp: event.timestamp,
		ended: event.ended,
		...(reason === undefined ? {} : { reason }),
	};
}
