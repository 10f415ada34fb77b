// The result gate's events, per window and per stream end: answer fields and parse errors,
// conditions, episodes, the stream summary and stalls. Each step reloads its plain-JSON state
// from the stream's memory and writes the next one back (the memory may come from a store shared
// by processes), so nothing here keeps state of its own.
import type { AnswerFields } from './answers';
import type { CallbackEvent } from './callback';
import { endEpisodes, reviveEpisodeState, stepEpisodes, windowTimeMs } from './episodes';
import type { WindowOrder } from './episodes';
import type { CompiledGateSettings } from './gate-settings';
import type { StreamMemory } from './gate-store';
import { LiveItem, ResultItem, StallItem, WindowExtras, episodeItem, parseErrorItem, resultItem, stallItem, summaryItem } from './items';
import { checkStall, createStallState, nextStallCheckAt, noteCallback, reviveStallState } from './stall';
import { finishSummary, recordSummaryWindow, reviveSummaryState } from './summary';

export interface WindowOutcome {
	/** Items of the window so far: stream_resumed, parse_error, episode events, a result that meets the condition. */
	items: LiveItem[];
	/** JSON mode: the answer's fields, or null when it could not be read. Text mode: undefined. */
	fields: AnswerFields | null | undefined;
	/** Whether the condition (or a keyword/regex filter) held; null without one, or when the answer could not be read. */
	matched: boolean | null;
	/** The window as a result item, with its fields and extras (late, gap_s). */
	result(): ResultItem;
}

function matchOf(settings: CompiledGateSettings, event: CallbackEvent, fields: AnswerFields | null | undefined): boolean | null {
	if (fields === null) return null; // counts neither way
	if (settings.condition) return settings.condition.matches({ text: event.text, fields });
	const filter = settings.filter;
	return filter && (filter.mode === 'keywords' || filter.mode === 'regex') ? filter.passes(event.text, undefined) : null;
}

/**
 * One result callback (not a duplicate delivery, not the stream's end). Updates `memory`'s event
 * states in place (it is the gate's fresh copy) and says what the window adds. After the stream's
 * end a window is still read and tested, but counts for nothing.
 */
export function windowEvents(settings: CompiledGateSettings, memory: StreamMemory, event: CallbackEvent, now: number): WindowOutcome {
	const items: LiveItem[] = [];
	const extras: WindowExtras = {};
	const running = memory.ended !== true;
	const taskId = event.taskId;

	if (running && settings.stallSeconds > 0) {
		const noted = noteCallback(reviveStallState(memory.stall, memory.startedAt ?? now), now, settings.stallSeconds);
		memory.stall = noted.state;
		if (noted.transition) {
			if (settings.stallReport === 'events') items.push(stallItem(taskId, noted.transition));
			else extras.gap_s = noted.transition.gap_s;
		}
	}

	let fields: AnswerFields | null | undefined;
	let parseFailure: string | undefined;
	if (settings.reader) {
		const reading = settings.reader.read(event.text);
		if (reading.ok) fields = reading.fields;
		else {
			fields = null;
			parseFailure = reading.reason;
		}
	}
	const matched = matchOf(settings, event, fields);

	let order: WindowOrder = 'in_order';
	if (running && settings.summary) {
		const counted = recordSummaryWindow(reviveSummaryState(memory.summary, taskId, memory.startedAt ?? null), {
			timestamp: event.timestamp,
			receivedAt: now,
			matched,
			parseError: parseFailure !== undefined,
		});
		memory.summary = counted.state;
		order = counted.order;
	}
	if (running && settings.episodes) {
		const step = stepEpisodes(
			reviveEpisodeState(memory.episodes, taskId),
			{ timestamp: event.timestamp, receivedAt: now, matched, text: event.text, fields: fields ?? null },
			settings.episodes,
		);
		memory.episodes = step.state;
		order = step.order;
		items.push(...step.events.map((transition) => episodeItem(event, transition)));
	}
	if (order === 'late') extras.late = true;

	if (parseFailure !== undefined) {
		if (settings.parseErrors) items.push(parseErrorItem(event, parseFailure, extras));
	} else if (settings.emit === 'condition' && matched === true) {
		items.push(resultItem(event, fields, extras));
	}
	return { items, fields, matched, result: () => resultItem(event, fields, extras) };
}

/**
 * The stream's end (a final callback, our own stop, another stop the host saw): the ongoing
 * episode ends (`reason: "stream_ended"`) and the summary goes out. The caller marks the memory
 * ended, so that this happens once per stream.
 */
export function endStream(settings: CompiledGateSettings, memory: StreamMemory, end: CallbackEvent, reason: string, now: number): LiveItem[] {
	const items: LiveItem[] = [];
	let episodes: number | null = null;
	if (settings.episodes) {
		const ended = endEpisodes(reviveEpisodeState(memory.episodes, end.taskId), 'stream_ended', windowTimeMs(end.timestamp, now));
		items.push(...ended.events.map((transition) => episodeItem(end, transition)));
		episodes = ended.state.started;
	}
	if (settings.summary) {
		const done = finishSummary(reviveSummaryState(memory.summary, end.taskId, memory.startedAt ?? null), { reason, endedAtMs: now, episodes });
		if (done.summary) items.push(summaryItem(end.taskId, end.status, done.summary));
	}
	return items;
}

/** A stream this host started: the summary counts from its start, the stall clock from `watchedFrom`. */
export function recordStart(settings: CompiledGateSettings, memory: StreamMemory, taskId: string, startedAt: number, watchedFrom: number): StreamMemory {
	const next: StreamMemory = { ...memory, startedAt };
	if (settings.summary) next.summary = { ...reviveSummaryState(memory.summary, taskId, startedAt), startedAtMs: startedAt };
	if (settings.stallSeconds > 0 && !memory.stall) next.stall = createStallState(Math.max(startedAt, watchedFrom));
	return next;
}

/** For a host timer: the stream_stalled item and the memory to keep, when the stream has just stalled. */
export function reportStall(settings: CompiledGateSettings, memory: StreamMemory, taskId: string, now: number): { memory: StreamMemory; item: StallItem } | null {
	if (settings.stallReport !== 'events') return null;
	const checked = checkStall(reviveStallState(memory.stall, memory.startedAt ?? now), now, settings.stallSeconds);
	if (!checked.transition) return null;
	return { memory: { ...memory, stall: checked.state }, item: stallItem(taskId, checked.transition) };
}

export function nextStallCheck(settings: CompiledGateSettings, memory: StreamMemory): number | null {
	if (settings.stallSeconds <= 0 || settings.stallReport !== 'events' || !memory.stall) return null;
	return nextStallCheckAt(memory.stall, settings.stallSeconds);
}
